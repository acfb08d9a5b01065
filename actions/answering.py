"""Turn search results into a reply: a readable passage, its sources and follow-up buttons.

Plain functions (no Rasa imports), so they are tested directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from actions import focus
from index.search import SearchResponse, SearchResult

MAX_SOURCES = 3
FOLLOW_UPS = [
    {"title": "Find a programme for me", "payload": "/find_programme"},
    {"title": "Find a trainer near me", "payload": "/find_trainer"},
]
TELL_MORE = {"title": "Tell me more", "payload": "Tell me more"}  # typed or tapped, the turn reader continues
NOT_FOUND = (
    "Sorry, I couldn't find anything about that in the SME programmes' materials, so I'd rather not guess. "
    "I can help with starting or improving a business (ideas, business plans, records, costing, marketing), "
    "registering a business, social security and tax, going green, coping with a crisis, and finding the "
    "right ILO programme or a trainer near you. I've passed your question on to the team."
)


HELP = ("I can:\n- answer questions about business ideas, business plans, records, costing, marketing, registering a "
        "business, social security, tax and going green, with the sources I used;\n- suggest the ILO programme that "
        "fits you (for example Start Your Business or GET Ahead) and say why;\n- find certified trainers near you, "
        "from a city name or your location.\nJust type your question in your own words.")
SCOPE = (
    "That's outside what I can help with. I answer questions about starting, running, formalising and greening a "
    "small business, from the ILO SME programmes' materials; I can also suggest the programme that fits you and "
    "find a trainer near you."
)
UNCLEAR = ("Sorry, I didn't understand that. Could you say it in a few more words? For example: “How do I register "
           "my business?” or “I sell clothes and want more customers”.")
# Words that make an unanswered message a real question for the team (others are off-topic).
IN_SCOPE = re.compile(
    r"\b(?:business\w*|busines|shops?|compan(?:y|ies)|enterprises?|firms?|sme|msmes?|entrepreneur\w*|trad(?:e|ing|er)|"
    r"sell\w*|customers?|markets?|loans?|credit|financ\w*|money|tax\w*|regist\w*|licen[cs]\w*|formal\w*|informal|"
    r"training|courses?|programm?e?s?|trainers?|ilo|siyb|syb|iyb|gyb|eyb|fyb|germe|score|wed|get ahead|aims|eese|c-?bed|"
    r"green\w*|energy|waste|workers?|employ\w*|staff|wages?|cooperatives?|co-?ops?|refugees?|profits?|costs?|pric\w*|"
    r"records?|plans?|ideas?|grow\w*|export\w*|value chains?|productiv\w*|safety|insurance|social security|farm\w*|"
    r"modules?|lessons?|classes|workshops?|"
    r"agri\w*|suppl\w*|stock|savings?|bank\w*|capital|invest\w*|certif\w*|women|youth)\b",
    re.IGNORECASE)


# Subjects that are never the unit's, whatever words of business come with them ("should I buy bitcoin?")
OFF_TOPIC = re.compile(r"\b(?:bitcoins?|crypto\w*|forex|lottery|lotto|betting|bet on|gambl\w*|football|soccer|"
                       r"arsenal|chelsea|barcelona|real madrid|premier league|world cup|weather (?:today|tomorrow|forecast|now)|"
                       r"(?:what|how)(?:'s| is) the weather|(?:will it |going to )?rain (?:\w+ ){0,3}(?:today|tomorrow|tonight|this week)|jokes?|"
                       r"politic\w*|elections?|vote for|president|girlfriend|boyfriend|movies?|songs?|horoscope|"
                       r"zodiac|homework|photosynthesis|religio\w*|church|mosque|pray(?:er|ers|ing)?|bible|quran|believe in god|"
                       r"dating|cricket|basketball|tennis|champions league|afcon|fifa|olympics?|nba|formula (?:1|one)|"
                       r"who (?:will|gonna|is going to|would) win|(?:won|win) the (?:league|cup|match|game|final)|"
                       r"best (?:smart ?)?phones?|(?:smart ?)?phone (?:to|should i|shall i) buy|"
                       r"headaches?|head (?:is )?pain\w*|(?:which|what) (?:tablets?|pills?)|paracetamol|painkillers?|"
                       r"neymar|messi|ronaldo|mbapp[ée]|transfer (?:window|rumou?rs?)|fever|malaria|(?:what|which) (?:medicine|medication|drug)s?|(?:give|send|tell|share|show) (?:me )?(?:a |the |your )?recipes?|"
                       r"recipes? (?:for|of) (?!my|our)|"
                       r"how (?:to|do i|do you|can i) cook)\b", re.IGNORECASE)


# "how long is it?" after EYB, whose materials give no length: say so, then show what they do say
NOT_STATED = {"duration": "how long it takes", "cost": "what it costs", "year": "when it started",
              "funder": "who funds it", "countries": "which countries it runs in", "online": "whether it runs online",
              "language": "which languages it is in"}


def _not_stated(question: str, best: SearchResult, language: str | None) -> str | None:
    """The line saying the materials do not state the fact asked for, when the passage answering does not
    (English questions only: the kinds of fact are read from English words)."""
    kinds = focus.expected(question)
    if language not in (None, "en") or not kinds or focus.fits(best, kinds):
        return None
    labels = [NOT_STATED[k.name] for k in kinds if k.name in NOT_STATED]
    if len(labels) != len(kinds):
        return None  # a kind without a plain name (who, steps, ...): the passage may answer it in other words
    return f"The ILO materials I have don't say {' or '.join(labels)}. Here is what they say:"


def off_topic(text: str) -> bool:
    """Whether a message is about a subject that is never the unit's (and says too little of business to be
    one of its questions: "football club business plan" stays a question)."""
    return bool(OFF_TOPIC.search(text)) and not in_scope(text, words=2)


def in_scope(text: str, words: int = 1) -> bool:
    """Whether an unanswered message is about the unit's subjects (worth passing on to the team): it uses at
    least `words` of their words."""
    return len(IN_SCOPE.findall(text)) >= words


@dataclass
class Answer:
    text: str
    answered: bool
    programme: str | None = None
    sources: list[dict] = field(default_factory=list)
    buttons: list[dict] = field(default_factory=lambda: list(FOLLOW_UPS))
    document: str | None = None  # the passage the answer came from: "doc_id#section"
    section: str | None = None
    more_at: int | None = None  # where the passage goes on after the reply (a "Tell me more" continues there)


def compose_answer(response: SearchResponse, question: str | None = None, programme: str | None = None,
                   document: str | None = None, limit: int = focus.MAX_CHARS,
                   names: Mapping[str, str] | None = None, passage: SearchResult | None = None,
                   seen: str | None = None, subject: str | None = None) -> Answer:
    """The reply for a search response: the passage (and the part of it) that answers the question, with its
    sources, or a plain 'not found'.

    `programme`: the programme the answer must be about (a follow-up's topic); else the best result's.
    `names`: programme id -> short name, for the heading. `passage`: the result to answer from, when the
    caller knows it (a definition). `seen`: the passage ("doc_id#section") the user read last; shown again, it
    starts at the sentence that answers.
    """
    if not response.answerable or not response.results:
        return Answer(text=NOT_FOUND, answered=False)
    question = response.question if question is None else question
    best = passage or focus.choose(question, response.results, programme, document, subject)
    floor = response.results[0].score * 0.85
    sources, seen = [], set()
    for r in [best, *response.results]:
        if (r is best or r.score >= floor) and r.doc_id not in seen and len(sources) < MAX_SOURCES:
            seen.add(r.doc_id)
            sources.append({"title": r.title, "url": r.source_url, "programme": r.programme})
    shown = f"{best.doc_id}#{best.section}" in (document, seen)  # the passage the user just read
    body, more_at = focus.window(question, best.text, limit, lead=shown)
    if (unstated := _not_stated(question, best, response.language)):
        body = f"{unstated}\n\n{body}"
    return Answer(text=f"**{heading(best, names)}**\n\n{body}", answered=True, programme=best.programme,
                  sources=sources, document=f"{best.doc_id}#{best.section}", section=best.section, more_at=more_at)


def heading(passage: SearchResult, names: Mapping[str, str] | None = None) -> str:
    """The reply's heading: the passage's section, with the programme's name when the section hides it
    ("SIYB - How to take part", "Greening SMEs - Find your waste": the user sees whose material it is)."""
    text = passage.section if passage.section.lower() != "overview" else passage.title
    name = (names or {}).get(passage.programme)
    if name and name.lower() not in text.lower():
        return f"{name} - {text}"
    return text


def continuation(passages: Sequence[SearchResult], document: str, at: int | None,
                 names: Mapping[str, str] | None = None, limit: int = focus.MAX_CHARS) -> Answer | None:
    """"Tell me more" after an answer from `document` ("doc_id#section"): the rest of that passage from unit
    `at`, or, when it was shown whole, the document's next passage. None when the document ends there."""
    doc_id, _, section = document.partition("#")
    mine = [i for i, p in enumerate(passages) if p.section == section]
    if not mine:
        return None
    if at is not None:
        passage = passages[mine[0]]
    elif mine[-1] + 1 < len(passages):
        passage = passages[mine[-1] + 1]
    else:
        return None
    body, more_at = focus.window("", passage.text, limit, start=at or 0)
    source = {"title": passage.title, "url": passage.source_url, "programme": passage.programme}
    return Answer(text=f"**{heading(passage, names)}**\n\n{body}", answered=True, programme=passage.programme,
                  sources=[source], document=f"{doc_id}#{passage.section}", section=passage.section, more_at=more_at)
