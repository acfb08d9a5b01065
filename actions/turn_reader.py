"""What one typed user turn asks for, read in the context of the conversation: plain functions, no Rasa imports.

Rasa's intent is one signal; the words themselves, the programme names the pages define, the places the
gazetteer knows and what the conversation was about are the others. `read()` turns them into a `Reading`:
a knowledge question, the programme finder, the trainer search, more trainers, a command (restart,
menu, stop), a yes/no, small talk, or something unclear. `action_read_turn` (actions/conversation.py)
acts on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from actions import finder, focus
from actions.answering import off_topic
from actions.programmes import TOOL_NAMES, Pages, aliases, name_key
from index.places import edit_distance, names_in_text
from index.trainers import language_code
from index.vocabulary import APOSTROPHES

Kind = Literal["question", "more", "simpler", "complaint", "finder", "trainers", "more_trainers", "trainer_language",
               "trainer_details", "restart",
               "menu", "stop", "affirm", "deny",
               "thanks", "goodbye", "greet", "bot", "unclear"]

def _whole(*alternatives: str) -> re.Pattern[str]:
    """A pattern for a whole message (allowing punctuation, "please" and emoji around it)."""
    body = "|".join(alternatives)
    return re.compile(rf"^\W*(?:please\s+)?(?:{body})(?:\s+(?:please|pls|plz|now|then|thanks?))?\W*$", re.IGNORECASE)


RESTART = _whole(r"restart", r"re-?start", r"start (?:over|again|afresh|from (?:the )?(?:start|beginning|scratch))",
                 r"begin again", r"reset", r"new (?:conversation|chat)", r"from the (?:start|beginning)",
                 r"let'?s start (?:over|again)", r"go back to (?:the )?(?:start|beginning)")
MENU = _whole(r"(?:main )?menu", r"options", r"show (?:me )?(?:the )?(?:menu|options)", r"home", r"back")
STOP = _whole(r"stop", r"cancel", r"quit", r"exit", r"abort", r"enough", r"never ?mind", r"forget it",
              r"stop (?:it|this|that|the (?:questions|search|finder))", r"cancel (?:it|this|that|the search)",
              r"i'?m done", r"leave it")
AFFIRM = _whole(r"y", r"yes", r"yeah", r"yea", r"yep", r"yup", r"ya", r"yes please", r"sure", r"ok(?:ay)?(?: then)?",
                r"of course", r"go ahead", r"do it", r"correct", r"right", r"exactly", r"alright", r"why not", r"oui",
                r"s[ií]", r"sim", r"👍")
DENY = _whole(r"n", r"no", r"nope", r"nah", r"no thanks?", r"no thank you", r"not really", r"not now", r"non",
              r"não", r"nao", r"👎")
THANKS = re.compile(r"^\W*(?:ok(?:ay)?\W*|great\W*|good\W*|nice\W*|cool\W*|perfect\W*)?(?:thanks?|thank (?:you|u)|"
                    r"thx|tnx|ty|many thanks|asante|merci|gracias|obrigad[oa])\b.{0,40}$", re.IGNORECASE)
GOODBYE = _whole(r"bye", r"bye bye", r"good ?bye", r"see (?:you|ya)(?: later)?", r"ciao", r"cya", r"good night",
                 r"(?:ok(?:ay)? )?bye", r"that'?s all", r"talk later", r"au revoir", r"adi[oó]s", r"tchau")
GREETING = _whole(r"hi+", r"hello+", r"hey+", r"hallo", r"helo", r"good (?:morning|afternoon|evening)", r"morning",
                  r"hi there", r"hello there", r"salaam", r"salam", r"jambo", r"hola", r"bonjour", r"ol[aá]", r"yo")
ACKNOWLEDGE = _whole(r"ok(?:ay)?", r"k", r"cool", r"great", r"nice", r"good", r"fine", r"alright", r"i see",
                     r"got it", r"noted", r"understood", r"hmm+", r"ah+", r"oh+")
MORE_TRAINERS = re.compile(r"^\W*(?:ok\W+|and\W+)?(?:show |any |see |give me |are there |is there )?(?:me )?(?:some |any )?"
                           r"(?:more|other|next|another|further|farther)"
                           r"(?: ones?| trainers?| results?| names?| please| options| pls)*"
                           r"(?: (?:in|from|at) (?:an?other|other|a different|different|next|more) (?:towns?|city|cities|places?"
                           r"|areas?|regions?))?\W*$"
                           r"|^\W*(?:any(?:one| trainers?)?|someone|somebody) (?:in|from|at) (?:an?other|other|a different|"
                           r"different) (?:towns?|city|cities|places?|areas?)\W*$"
                           r"|^\W*(?:any(?:one)? |someone )?(?:elsewhere|further away|farther away)\W*$", re.IGNORECASE)
# After a trainer list: how to reach them or what they speak ("ok give me his number", "what language the trainer speak")
TRAINER_DETAILS = re.compile(r"\b(?:numbers?|phone|call|contacts?|e-?mail|whatsapp|reach|telegram|address|"
                             r"languages?|speak|how far|distance|km)\b", re.IGNORECASE)
FIRST_ONE = re.compile(r"\b(?:his|her|him|the first(?: one)?|first one|number (?:one|1)|no\.? ?1|that one)\b", re.IGNORECASE)

# After a trainer list: the user narrows it to one programme ("only GET Ahead pls", "just SIYB ones", "SCORE only")
LIST_REFERENCE = re.compile(r"\b(?:ones|of them|which of|any of|among them)\b", re.IGNORECASE)  # the trainers listed
ONLY = re.compile(r"^\W*(?:only|just|and|but|what about|how about|any|show(?: me)?)\b|\b(?:only|ones?|trainers? for)\W*$|"
                  r"^\W*(?:for|of) \w+(?: \w+)?\W*$", re.IGNORECASE)

SIMPLER = re.compile(r"\b(?:explain|say (?:it|that)|tell me)\b.{0,20}\b(?:simpl\w*|easy|easier|plain)\b|"
                     r"\b(?:i )?(?:don'?t|do not|didn'?t|did not) (?:understand|get it|get that)\b|"
                     r"^\W*(?:what do you mean|meaning|i am confused|i'?m confused|confused)\W*$", re.IGNORECASE)

PARDON = _whole(r"what\?*", r"wat\?*", r"huh\?*", r"eh\?*", r"sorry\?+", r"pardon\??", r"come again\??", r"what\?+ (?:is that|do you mean)")
COMPLAINT = re.compile(
    r"^\W*(?:(?:you|u|ur|your|you're|youre|you are|this bot|the bot|bot|it)\s+(?:is\s+|are\s+)?)?(?:not|dont|don't|do not|never|"
    r"didn't|didnt|did not|cant|can't|cannot)\s+(?:answer\w*|reply\w*|help\w*|understand\w*|respond\w*|working)"
    r"(?:\s+(?:my|me|the|anything|at all|question)\b[\w\s]*)?\W*$"
    r"|^\W*(?:(?:this is |you are |ur |you're |what a )?(?:useless|stupid|bad|wrong|rubbish|terrible|silly)(?: bot| answer| reply|"
    r" chatbot)?|bad answer|wrong answer|that'?s wrong|not helpful|no help|are you there|still waiting\w*(?: for \w+ \w+)?|"
    r"why (?:no|don't you) (?:reply|answer)|no answer|nothing came back|hello\?+)\W*$", re.IGNORECASE)
TELL_MORE = _whole(r"(?:please |pls |can you |could you )?tell me more(?: about (?:it|this|that))?(?: please| pls)?",
                   r"(?:say |explain )?more(?: please| pls)?", r"more (?:info|information|details?)(?: please| pls)?",
                   r"(?:please )?(?:continue|go on|keep going|carry on)", r"and then\??", r"what else\??", r"anything else\??",
                   r"explain more", r"details(?: please)?")
QUESTION = re.compile(r"\?|^\W*(?:what|whats|wats|wat|wht|which|wich|who|whom|whose|when|where|why|how|hw|is|are|can|could|since|"
                      r"do|does|did|should|would|will|tell me|explain|define|describe)\b|"
                      r"\b(?:what|which|who|where|why|how|wat|hw|is there|are there|can (?:i|we|you|someone|anyone)|"
                      r"should (?:i|we)|tell me|help me|advise|advice|any (?:idea|tips?|advice)|ways? to|tips)\b|"
                      r"\bany (?:\w+ )?(?:guides?|tools?|manuals?|books?|materials?|resources?)\b|"  # "any ilo guide on this"
                      r"\bany (?:\w+ )?(?:trainings?|courses?|programm?es?|programs?) (?:on|about)\b|"
                      r"\b(?:ideas?|tips) (?:pl[sz]|please)\b", re.IGNORECASE)  # "i want to start a green business, ideas pls"
HOW_FAR = re.compile(r"\bhow (?:far|many (?:km|kilometres|kilometers|miles))\b|\bdistance\b", re.IGNORECASE)
# "are you a bot?", "am I talking to a real person?", "who made you": what the user is talking to
BOT_CHALLENGE = re.compile(
    r"\bare (?:you|u) (?:an? )?(?:bot|robot|chat ?bot|human|real|person|machine|ai|computer)\b|"
    r"\b(?:am i|are we) (?:talking|speaking|chatting|writing) (?:to|with) (?:an? )?(?:bot|robot|human|real|person|"
    r"machine|computer|ai)\b|\bis this (?:an? )?(?:bot|robot|chat ?bot|human|real person|machine|ai)\b|"
    r"^\W*(?:who|what) (?:are|r) (?:you|u)\W*$|\bwho (?:made|built|created|programmed|trained|owns) (?:you|u)\b|"
    r"^\W*what(?:'s| is) your name\W*$", re.IGNORECASE)
HELP = _whole(r"help", r"help me", r"what can (?:you|u) do(?: for me)?", r"how does (?:this|it) work", r"what do you know",
              r"what can i ask(?: you)?", r"what are you able to do", r"how can you help(?: me)?", r"i need help",
              r"what is this (?:chat|bot) for", r"what services do you offer", r"i need help,? what can (?:you|u) do")
_TRAINER_WORDS = r"(?:trainers?|coach(?:es)?|mentors?|facilitators?|instructors?|teachers?|tutors?)"
TRAINER_REQUEST = re.compile(
    rf"\b(?:(?:find|need|want|looking for|search(?: for)?|get|show(?: me)?|list|contact|recommend|any|a|an|some|"
    rf"nearest|local|certified) (?:\w+ ){{0,3}}{_TRAINER_WORDS}"
    rf"|{_TRAINER_WORDS} (?:near|in|around|at|close to|from|for me|nearby|near me|there|here|over there|"
    r"for (?:refugees|women|(?:\w+ ){1,3}(?:in|near|around|at)))"
    rf"|(?:is|are) there (?:an? |any |some )?(?:\w+ ){{0,2}}{_TRAINER_WORDS}"
    r"|who (?:can |could |will |would |does )?(?:teach|teaches|train|trains|give|gives|offer|offers|run|runs|deliver|"
    r"delivers|provide|provides) (?:\w+ ){0,3}(?:in|near|around|at) "
    r"|who (?:can|could|will|would) (?:train|teach|coach|help train) (?:me|us|my)"
    r"|(?:training|course|classes?) (?:near|around|close to) (?:me|here)|near me|nearby"
    r"|(?:someone|somebody|anyone|anybody|a person) (?:in|near|around|from) [\w ]{2,30} (?:who|that) (?:can |could |will )?"
    r"(?:help|train|teach|coach)\w*)\b",
    re.IGNORECASE)
ABOUT_TRAINERS = re.compile(  # questions about trainers, not requests for one
    rf"\b(?:what (?:is|are|does|do) (?:an? |the )?(?:\w+ ){{0,2}}{_TRAINER_WORDS}"
    rf"|(?:no|not any|without(?: an?)?|there (?:is|are) no|(?:don't|do not|dont|doesn't|does not|never) (?:have|get|see)"
    rf"(?: an?| any)?) (?:\w+ )?{_TRAINER_WORDS}"
    rf"|(?:become|becoming|be|certif\w+|qualif\w+|train(?:ed)? as) (?:an? |the )?(?:\w+ ){{0,3}}{_TRAINER_WORDS}"
    rf"|{_TRAINER_WORDS}(?:'s)? (?:certification|network|training|role|levels?|fees?|pay)"
    rf"|(?:need|needs|require|requires) (?:an? |any |the )?(?:\w+ ){{0,3}}{_TRAINER_WORDS}\b[^.?!]*\bto (?:run|teach|lead|"
    r"deliver|use|do) (?:it|this|that|them|the \w+)"
    r"|how (?:are|do|does) (?:\w+ ){0,2}trainers?"
    rf"|if (?:there (?:is|are)|we (?:have|find|get)|i (?:have|find|get)) (?:an? |any |some )?(?:\w+ ){{0,2}}{_TRAINER_WORDS})\b",
    re.IGNORECASE)
# "which course for him", "which training": with what the message says about the business, a finder request
WHICH_PROGRAMME = re.compile(r"\b(?:which|what|wich|wat|any)\s+(?:\w+\s+)?(?:programm?e|program|training|course|package)s?\b"
                             r"(?! (?:on|about) )|"  # "is there any online course on surviving a crisis" asks about it
                             r"[.,!]\s*which one\W*$|"  # "... we want a second branch. which one"
                             r"\b(?:is|are) there (?:an? |any )?(?:ilo )?(?:programm?e|program|training|course)s? for\b|"
                             r"\bwhich (?:one|is (?:better|best|right)) (?:for (?:me|us)|should (?:i|we))\b|"
                             r"\bwhich one (?:should|do|can) (?:i|we)\b", re.IGNORECASE)
FINDER_REQUEST = re.compile(
    r"\b(?:(?:which|what|wich|wat) (?:\w+ ){0,2}(?:programm?e?s?|programs?|trainings?|courses?|package|support)"
    r" (?:\w+ ){0,3}(?:for me|for us|right for|fits?|suits?|should (?:i|we)|best for|good for|can help (?:me|us|my|our)"
    r"|is for (?:me|us)|do you (?:recommend|suggest)|to (?:choose|take|join|pick)|would help)"
    r"|(?:recommend|suggest|choose|pick|find) (?:me |us )?(?:a |an |the |one |some )?(?:\w+ ){0,2}"
    r"(?:programm?e|program|training|course)s?"
    r"|programm?e finder|help me (?:choose|decide|pick)|what (?:can )?(?:the )?ilo (?:can )?(?:offer|do)(?: for)? (?:me|us|my|our)"
    r"|(?:right|best) (?:programm?e|program|training|course) for)\b",
    re.IGNORECASE)
ILO_HAS = re.compile(r"\b(?:does|do|can) (?:the )?ilo (?:have|offer|give|run) (?:a |an |any |some )?(?:method|programm?e|"
                     r"program|tool|support|help|something|anything)(?: for (?:us|me|this|that|it|them))?\W*$|"
                     r"\bany (?:ilo )?(?:help|support|programm?e|program) for (?:us|me)\W*$|"
                     r"\b(?:can|could|how can|how could) (?:the )?ilo help (?:us|me)\W*$|"
                     r"\bwhat (?:help|support) (?:can|does|do) (?:the )?ilo (?:give|offer|have)\b|"
                     r"\bwhat (?:does|do|can) (?:the )?ilo (?:have|offer)(?: for (?:us|me|this|that|it))?\W*$|"
                     r"\bilo (?:has|have|got|gives|offers) (?:a |an |any |some )?(?:training|programm?e|program|course)s? "
                     r"for (?:\w+ ){0,2}(?:owners?|us|me|people like (?:me|us))\b",  # "my friend say ilo has training for shop owners??"
                     re.IGNORECASE)  # a general ask after a description; "ILO have training how to budget?" is a question
WHERE_TO_TAKE = re.compile(r"\bwhere (?:(?:can|could|do|should) (?:i|we)|(?:i|we) (?:can|could|should)) (?:take|do|attend|join|"
                           r"find|get|follow|study)\b",
                           re.IGNORECASE)
# "what about Dar es Salaam?", "and in Kano?": another place for the same search (match: the lead-in)
OTHER_PLACE = re.compile(r"\W*(?:(?:what|how) about|and|any(?: trainers?)?|are there any|is there any(?: trainer)?|"
                         r"(?:do you have|you have|got) any(?: trainers?)?|(?:an)?other (?:city|town|place)(?: is)?)"
                         r"(?: (?:in|near|around|at))?\s+", re.IGNORECASE)
# "in X", "near X", "from X": the words that may name a place (never "near me", "near us", "here")
IN_PLACE = re.compile(r"\b(?:in|near|around|at|(?<!refugees )(?<!refugee )(?<!migrants )(?<!people )(?<!come )from|"
                      r"close to)\s+(?!me\b|my\b|here\b|you\b|us\b|our\b|there\b)([^?!.;]+)",
                      re.IGNORECASE)  # "refugees from Venezuela" says where they come from, not where to look
# The words of a trainer request that are not a place: "nairobi kenya SIYB trainer?" -> "nairobi kenya"
_REQUEST_WORDS = re.compile(
    rf"\b(?:{_TRAINER_WORDS}|lists?|please|pls|plz|need|want|find|show|give|get|me|any|some|a|an|the|for|one|ones|"
    r"only|near|in|at|around|who|is|are|there|ok|okay|then|fine|so|also|maybe|try|instead|training|course|programm?e|program|get ahead|women|siyb|syb|gyb|iyb|"
    r"eyb|score|wed|aims|germe|c-?bed)\b|[?!.,;:]", re.IGNORECASE)


def place_words(text: str) -> str:
    """A trainer request without its request words, programme names and punctuation: what may name a place."""
    return " ".join(_REQUEST_WORDS.sub(" ", text).split())


def place_after_other(text: str) -> str:
    """The words after "what about", "and in" ... up to the first punctuation ("ok what about dar es salaam, i go
    there sometimes" -> "dar es salaam"); "" when the message does not start so."""
    text = re.sub(r"^\W*(?:ok(?:ay)?|so|hmm+|then)\W+", "", text, flags=re.IGNORECASE)
    m = OTHER_PLACE.match(text)
    return re.split(r"[?,.!;]", text[m.end():])[0].strip() if m else ""


_WORD = re.compile(r"[a-zà-ÿ']+", re.IGNORECASE)
_VOWELS = re.compile(r"[aeiouyà-ÿ]", re.IGNORECASE)


@dataclass
class Context:
    """What the conversation knows when the user speaks."""

    topic: str | None = None  # the programme the conversation is about
    package: str | None = None  # the SIYB package it is about
    trainers_shown: int = 0
    last_bot: str | None = None  # the last action that spoke (action_find_trainers, action_read_turn, ...)
    in_form: str | None = None  # the form that is active (when the form handed the turn over)


@dataclass
class Reading:
    kind: Kind
    programme: str | None = None  # a programme (id) the message names
    package: str | None = None  # a SIYB package the message names
    values: dict[str, str] = field(default_factory=dict)  # finder answers the message carries


# Texting shorthand and common misspellings, read as the words they stand for (whole words only).
TEXTING = {
    "u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "pliz": "please", "wat": "what",
    "wht": "what", "wot": "what", "hw": "how", "hv": "have", "abt": "about", "bcoz": "because", "bcz": "because",
    "cos": "because", "coz": "because", "thru": "through", "im": "i'm", "dont": "don't", "cant": "can't",
    "wont": "won't", "doesnt": "doesn't", "isnt": "isn't", "busines": "business", "bussiness": "business",
    "bussines": "business", "buisness": "business", "biz": "business", "bizness": "business", "programe": "programme",
    "progam": "program", "trainning": "training", "traning": "training", "reqister": "register", "regester": "register",
    "goverment": "government", "govt": "government", "recomendation": "recommendation",
    "reccomendation": "recommendation", "recommandation": "recommendation", "formalisation": "formalization", "countrys": "countries", "wich": "which", "whre": "where", "wen": "when", "nd": "and",
    "n": "and", "tnx": "thanks", "tmrw": "tomorrow", "tmr": "tomorrow", "2moro": "tomorrow",
    "tomoro": "tomorrow", "ppl": "people", "bout": "about", "tho": "though", "alot": "a lot", "wats": "what's",
    "thats": "that's", "shud": "should", "cud": "could", "wud": "would", "b4": "before", "knw": "know", "dnt": "don't", "thx": "thanks", "ok.": "ok", "wanna": "want to", "gonna": "going to",
    "cn": "can", "hav": "have", "evry": "every", "evrything": "everything", "yrs": "years", "yr": "year", "gud": "good",
    "dont no": "don't know", "don't no": "don't know", "dnt no": "don't know",  # "dont no wat to do"
}
_TEXTING = re.compile(r"(?<![\w'])(" + "|".join(re.escape(k) for k in sorted(TEXTING, key=len, reverse=True))
                      + r")(?![\w'])", re.IGNORECASE)


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(APOSTROPHES)).strip()


def spelled_out(text: str, pages: Pages | None = None) -> str:
    """The message with texting shorthand written out ("wat is start ur busines" -> "what is start your business")
    and, given the programme pages, programme names typed with a slip written right ("get ahed").

    A lone "n" or "u" is only read as a word inside a sentence, never as the whole message ("n" is "no").
    """
    if len(text.split()) <= 1:
        return text
    text = _TEXTING.sub(lambda m: TEXTING[m.group(1).lower()], text)
    return names_spelled_out(text, pages) if pages else text


def as_read(text: str) -> str:
    """A typed message as every reader reads it (texting shorthand written out); a button payload as it is."""
    return text if text.startswith("/") else spelled_out(fold(text))


def mentions(text: str, pages: Pages) -> list[tuple[int, str, str, str | None]]:
    """Every alias of a programme or SIYB package the text holds: (position, alias, programme, package).
    A name of several words typed with one slip counts ("get ahed")."""
    lowered = f" {name_key(names_spelled_out(text, pages))} "
    packages = {pkg.lower() for doc in pages.values() for pkg in (doc.meta.get("packages") or {})}
    out = []
    for alias, pid in aliases(pages).items():
        key = name_key(alias)
        at = lowered.find(f" {key} ")
        if len(key) >= 3 and at >= 0:
            out.append((at, key, pid, key if key in packages else _package_by_name(pages, pid, key)))
    return out


def names_spelled_out(text: str, pages: Pages) -> str:
    """The text with each programme name of several words typed with one slip written right: "wat is get ahed"
    -> "wat is get ahead", "start your busines" -> "start your business". Each word of the name is as it is or
    one edit from a word of 4+ letters with the same first letter; one edit in all."""
    spans = [m.span() for m in re.finditer(r"[a-z0-9]+", text.lower())]
    words = [text[a:b].lower() for a, b in spans]
    fixes: dict[int, tuple[int, str]] = {}  # first word -> (words covered, the name)
    keys = {name_key(alias) for alias in aliases(pages)}
    for key in keys:
        names = key.split()
        if len(names) < 2 or f" {key} " in f" {' '.join(words)} ":
            continue
        for i in range(len(words) - len(names) + 1):
            edits = 0
            for word, name in zip(words[i:i + len(names)], names):
                if word != name:
                    edits += edit_distance(word, name, 1) if len(name) >= 4 and word[:1] == name[:1] else 2
            if edits == 1 and " ".join(words[i:i + len(names)]) not in keys and not any(j <= i < j + n or i <= j < i + len(names) for j, (n, _) in fixes.items()):
                fixes[i] = (len(names), key)
    for i in sorted(fixes, reverse=True):
        n, key = fixes[i]
        text = text[:spans[i][0]] + key + text[spans[i + n - 1][1]:]
    return text


def named(text: str, pages: Pages) -> tuple[str | None, str | None]:
    """(programme id, package id) named in the text, the longest name first: "can men join GET Ahead" -> ("wed", None)."""
    found = mentions(text, pages)
    if not found:
        return None, None
    _, _, pid, package = max(found, key=lambda m: len(m[1]))
    return pid, package


def named_all(text: str, pages: Pages) -> list[tuple[str, str | None, str]]:
    """Every programme or package the text names, in order, without repeats: [(programme, package, name)]."""
    first: dict[tuple[str, str | None], int] = {}
    tools: dict[str, str] = {}  # programme -> the tool the text names for it ("GET Ahead" for WED)
    for at, key, pid, package in mentions(text, pages):
        first[(pid, package)] = min(at, first.get((pid, package), at))
        if key in TOOL_NAMES:
            tools[pid] = TOOL_NAMES[key][1]
    out: list[tuple[str, str | None, str]] = []
    for pid, package in sorted(first, key=first.get):
        if any(p == pid and (k == package or package is None and k) for p, k, _ in out):
            continue  # "SIYB" after "SYB" adds nothing
        data = (pages[pid].meta.get("packages") or {}).get(package) if package else None
        name = (f"{data['name']} ({package.upper()})" if isinstance(data, dict)
                else tools.get(pid) or str(pages[pid].meta.get("name")))
        out.append((pid, package, name))
    return out


def _package_by_name(pages: Pages, pid: str, key: str) -> str | None:
    for pkg, data in (pages[pid].meta.get("packages") or {}).items():
        if name_key(str((data or {}).get("name", ""))) == key:
            return pkg
    return None


def looks_like_gibberish(text: str) -> bool:
    """Keyboard mash ("asdfgh", "jjjj", "???"): no word with a vowel and no run of 5+ consonants."""
    words = _WORD.findall(text)
    if not words:
        return not re.search(r"\d", text)
    plausible = [w for w in words if _VOWELS.search(w) and not re.search(r"[^aeiouy\W\d]{5,}", w, re.IGNORECASE)
                 and not re.search(r"(.)\1\1", w)]
    return not plausible


NOT_KNOWING = re.compile(r"\b(?:(?:i )?(?:don'?t|do not|dont|doesn'?t|does not) know|(?:i )?(?:have |got )?no idea|"
                         r"not sure) (?:what|which|where|how(?= to\b))\b[^?,.;!]*",
                         re.IGNORECASE)


def is_question(text: str) -> bool:
    """Whether the message asks something ("I don't know which business" alone says something about the user)."""
    return bool(QUESTION.search(NOT_KNOWING.sub(" ", text)))


def wants_trainer(text: str) -> bool:
    return bool(TRAINER_REQUEST.search(text)) and not ABOUT_TRAINERS.search(text)


def read(text: str, intent: str | None, confidence: float, context: Context, pages: Pages,
         place_named: Callable[[str], bool] = lambda _t: False) -> Reading:
    """Read one typed turn (not a button payload) into what it asks for.

    `place_named(text)` says whether the text names a place the gazetteer knows (a bare "Kampala" or
    "in Kumasi then"); it is only asked when the words alone leave it open.
    """
    text = spelled_out(fold(text), pages)
    programme, package = named(text, pages)

    def reading(kind: Kind, **kw) -> Reading:
        return Reading(kind, programme, package, **kw)

    for pattern, kind in ((RESTART, "restart"), (MENU, "menu"), (HELP, "menu"), (STOP, "stop"), (GOODBYE, "goodbye"),
                          (GREETING, "greet")):
        if pattern.match(text):
            return reading(kind)
    if THANKS.match(text) and not is_question(text):
        return reading("thanks")
    if BOT_CHALLENGE.search(text) or intent == "bot_challenge" and confidence >= 0.8 and len(text.split()) <= 5 and (
            not refers_back(text) and not programme):  # "who is teaching it?" asks about the topic
        return reading("bot")
    if AFFIRM.match(text):
        return reading("affirm")
    if DENY.match(text):
        return reading("deny")
    if ACKNOWLEDGE.match(text):
        return reading("affirm")
    trainers_context = context.last_bot == "action_find_trainers" or context.in_form == "trainer_search_form"
    if MORE_TRAINERS.match(text) and (context.trainers_shown or trainers_context):
        if trainers_context or not TELL_MORE.match(text) or context.last_bot != "action_read_turn":
            return reading("more_trainers")
    if (trainers_context or context.trainers_shown and re.search(_TRAINER_WORDS + r"|\b(?:he|she|they|him|her|them)\b",
                                                               text, re.IGNORECASE)) and (
            language := spoken_language(text)):
        return reading("trainer_language", values={"language": language})  # "they speak somali?"
    if (trainers_context or context.last_bot == "action_read_turn" and context.trainers_shown and FIRST_ONE.search(text)
            ) and context.trainers_shown and TRAINER_DETAILS.search(text) and not wants_trainer(text):
        return reading("trainer_details", values={"first": "yes"} if FIRST_ONE.search(text) else {})
    if trainers_context and programme and (ONLY.search(text) or len(text.split()) <= 8 and not is_question(text)):
        return reading("trainers")  # "only GET Ahead pls", "i need for GET Ahead women training": that programme
    if trainers_context and not programme and (ONLY.search(text) or LIST_REFERENCE.search(text) or len(text.split()) <= 6
                                               and not is_question(text)) and (made_for := _programme_for(text, pages)):
        return Reading("trainers", made_for)  # "only for women business training", "which of the uganda ones do the
        # refugee program": the programme made for that group
    if trainers_context and ANY_PROGRAMME.search(text):
        return Reading("trainers", "any")  # "too far. any trainer in lahore, any program ok"
    if TELL_MORE.match(text):
        return reading("more")
    if PARDON.match(text):  # "what?", "huh?": in a form, why it asks; after an answer, the topic in short
        return reading("simpler" if context.topic and not context.in_form else "unclear")
    if SIMPLER.search(text) and context.topic and len(text.split()) <= 10:
        return reading("simpler")  # "i dont understand, explain more simple pls": what the topic is, in short
    if COMPLAINT.match(text) or intent == "no_answer" and confidence >= 0.8 and len(text.split()) <= 6 and not (
            is_question(text) and focus.expected(text)):  # "did it work anywhere?" asks for results
        return reading("complaint")
    if wants_trainer(text):
        return reading("trainers")
    question = is_question(text)
    if FINDER_REQUEST.search(text) and not ABOUT_TRAINERS.search(text):
        return reading("finder")
    values = describes_self(text)
    if "stage" in values and not programme and WHICH_PROGRAMME.search(text):
        return reading("finder", values=values)  # "I have the idea and some money saved. which training?"
    if {"stage", "need"} <= set(values) and not programme and ILO_HAS.search(text):
        return reading("finder", values=values)  # "we are a chamber ... want to lobby ... does ILO have a method?"
    if not question and values and len(text.split()) >= 3 and (
            {"stage", "need"} <= set(values) and not (values["need"] in PRACTICAL_NEEDS and (
                len(_beyond_self(text)) >= PROBLEM_WORDS or focus.ASKS_HELP.search(text) or PROBLEM_NOUNS.search(text)))
            or only_self_description(text)):
        return reading("finder", values=values)  # "I have an idea, not started yet": the finder asks the rest; a
        # problem told in detail ("my factory throws lots of fabric offcuts, we want to cut waste") or with a plea
        # ("electricity bill too high at my bakery. help") is answered
    if trainers_context and (other := OTHER_PLACE.match(text)) and len(text.split()) <= 7 and place_named(
            text[other.end():].strip(" ,.!?")):
        return reading("trainers")  # "do you have any in bosnia", "other city cuzco"
    if trainers_context and (head := place_after_other(text)) and len(head.split()) <= 4 and place_named(head):
        return reading("trainers")  # "ok what about dar es salaam, i go there sometimes", "and in peru? my cousin ..."
    if (re.search(_TRAINER_WORDS, text, re.IGNORECASE) and not ABOUT_TRAINERS.search(text) and len(text.split()) <= 8
            and (rest := place_words(text)) and len(rest.split()) <= 4 and place_named(rest)):
        return reading("trainers")  # "nairobi kenya SIYB trainer?", "dhaka bangladesh trainer list"
    if re.search(_TRAINER_WORDS, text, re.IGNORECASE) and not ABOUT_TRAINERS.search(text) and not focus.expected(text) and any(
            place_named(name) for name in names_in_text(text)[:3]):
        return reading("trainers")  # "score trainer india? we have garment unit, 60 tailors"
    if (trainers_context or context.trainers_shown and context.last_bot == "action_read_turn") and (
            len(text.split()) <= 10 and not off_topic(text) and not programme and _only_group_asked(text)
            and place_named(text)):  # after a list: "someone in osh? bishkek too far", "and one for women in tamale?",
        return Reading("trainers", _programme_for(text, pages))  # "my cousin in cucuta colombia also need one"
    if (trainers_context or context.trainers_shown) and HOW_FAR.search(text):
        return reading("trainers")  # "how far from bogota?" after a trainer list: the list again, with distances
    asks = re.match(r"\W*(?:what|whats|wats|how|why|who|when|which|is|are|does|do|can|could|will)\b", text, re.IGNORECASE)
    if len(text.split()) <= 5 and (not asks or trainers_context and OTHER_PLACE.match(text)) and not off_topic(
            text) and (place_named(text) or trainers_context and place_named(place_words(text))):
        return reading("trainers")  # "Kampala", "in Kumasi then?", "what about Dar es Salaam", after a list "fine bolivia
        # then": where to look (never "rain tomorrow in Luanda?")
    if WHERE_TO_TAKE.search(text) and (m := IN_PLACE.search(text)) and place_named(m.group(1)):
        return reading("trainers")  # "where can I take SYB in Nairobi?"
    if intent == "find_trainer" and confidence >= 0.9 and not question and not ABOUT_TRAINERS.search(text):
        return reading("trainers")
    if intent == "find_programme" and confidence >= 0.9 and not question and not programme:
        return reading("finder")  # "score programme ilo" asks about SCORE
    if looks_like_gibberish(text):
        return reading("unclear")
    return reading("question", values=values)  # the values start the finder if nothing answers it


def _only_group_asked(text: str) -> bool:
    """Whether a message asks for no kind of fact, or only for a group ("one for women"): a place to search, not a
    question about a programme ("is SYB in kenya?")."""
    return all(k.name in focus.GROUP_KINDS for k in focus.expected(text))


ANY_PROGRAMME = re.compile(r"\bany (?:programm?e|program|kind|type)s?(?: is)? (?:ok|okay|fine|good)\b|\b(?:all|any) "
                           r"programm?es\b|\bdoesn'?t matter which\b|\bno matter which\b", re.IGNORECASE)


def _programme_for(text: str, pages: Pages) -> str | None:
    """The programme made for the group a message names ("for women" -> wed, "for refugees" -> aims)."""
    for group in finder.read_groups(text):
        for pid, doc in sorted(pages.items()):
            if group != "none" and group in (doc.meta.get("groups") or []) and group in ("women", "refugees"):
                return pid
    return None


_SPEAKS = re.compile(r"\b(?:speaks?|speaking|language|in) (\w+)|\b(\w+)[ -]speaking\b", re.IGNORECASE)


def spoken_language(text: str) -> str | None:
    """The language a trainer should speak ("they speak somali?", "any in french?", "swahili-speaking"), as a code."""
    for m in _SPEAKS.finditer(text):
        if code := language_code(m.group(1) or m.group(2)):
            return code
    return None


def describes_self(text: str) -> dict[str, str]:
    """Finder answers a statement about the user's business carries ("I sell vegetables and want to grow")."""
    values: dict[str, str] = {}
    for slot in finder.SLOTS:
        value, _ = finder.read_answer(slot, text, values)
        if value and value != "none":
            values[slot] = value
    if not ({"stage", "need"} & set(values)) and not ({"group"} & set(values) and re.search(
            r"\b(?:i|we)\b", text, re.IGNORECASE)):
        return {}
    return values


_SELF_WORDS = frozenset("have has had am i'm yet already just started start starting still business small little "
                        "own new one running run since years year months".split())


PROBLEM_WORDS = 6  # words beyond the finder's cues that make a statement a problem to answer, not a profile
PRACTICAL_NEEDS = frozenset({"green", "productivity"})  # ... a problem the guides answer (waste, energy, defects)
PROBLEM_NOUNS = re.compile(r"\bbills?\b", re.IGNORECASE)  # ... or a bill ("electricity bill is killing my workshop")


def _beyond_self(text: str) -> list[str]:
    """The words of a message beyond what it says about the user and their business (the finder's cues)."""
    rest = text
    for patterns in finder.CUE_PATTERNS:
        for pattern in patterns.values():
            rest = pattern.sub(" ", rest)
    return [w for w in content_words(rest) if w not in _SELF_WORDS]


_FIRST_PERSON = re.compile(r"\b(?:i|i'm|im|me|my|mine|we|we're|us|our|ours)\b", re.IGNORECASE)


def only_self_description(text: str) -> bool:
    """Whether the message only says who the user is and where their business stands (nothing to look up):
    it speaks of the user ("and the cost" names a need, yet says nothing about anyone)."""
    return len(_beyond_self(text)) <= 1 and bool(_FIRST_PERSON.search(text))


def topic_name(pages: Mapping, topic: str | None, package: str | None) -> str | None:
    """How the topic reads in a search query: the package's name, else the programme's name."""
    doc = pages.get(topic) if topic else None
    if doc is None:
        return None
    data = (doc.meta.get("packages") or {}).get(package) if package else None
    if isinstance(data, dict) and data.get("name"):
        return f"{data['name']} ({package.upper()})"
    return str(doc.meta.get("name") or doc.title)


STOPWORDS = frozenset(
    "a an the is are was were be been it its this that these those they them their there here i me my we us our you "
    "your he she his her do does did can could should would will shall may might must to of in on at for from by "
    "with about and or but if so as than then what which who whom whose when where why how any some much many "
    "also too very just really please pls plz tell know want need get give like ok okay".split())
_REFERS = re.compile(r"\bthe [\w' -]{2,30} (?:part|module|section|bit|topic)\b|\beach (?:one|of them)\b|\bboth\b|"
                     r"\b(?:is|are) [\w-]+ (?:also )?(?:included|covered)\b|"  # "is automotive included in SA?"
                     r"\b(?:the|that|this) group\b|\bthen(?: what)?\W*$|\beach\W*$|\bwhich one\b|\bnext time\b|"
                     r"\b(?:it|its|this|that|they|them|there|the (?:course|training|programm?e|program|package|tool|"
                     r"project|initiative|approach|method|game|workshop|assessment|guide|plan|kit|manual|book|study|"
                     r"toolkit|checklist|fund|model))\b|^\W*(?:and|what about|how about"
                     r"|also|so|but)\b", re.IGNORECASE)
# Words that ask about "the programme" in general: a question made only of these needs the topic.
GENERIC = frozenset(
    "cost costs price pricing fee fees pay paid free charge money expensive cheap long last lasts take takes duration "
    "days weeks hours months day week hour month time only one single separately alone part parts come coming bring "
    "cant dont read write reading writing illiterate sister brother son daughter neighbour neighbor friend join joining attend enrol enroll register apply application eligible eligibility "
    "who whom funds fund funded funding finances pays sponsor donor donors countries country where available "
    "offered run runs since started start began begin year years old history women men woman man husband wife "
    "youth young girls people refugees online internet virtual phone language languages french spanish "
    "certificate certified diploma requirements required need needs criteria condition conditions benefit "
    "benefits results impact work works help helps useful worth good evidence proof success contact reach "
    "find sign signup next steps step request ask apply get include includes cover covers topics modules "
    "content learn teach taught trainer trainers trained course training more details detail else other module "
    "first order level levels session sessions class classes exam test materials manual manuals book books "
    "have has ilo programme programmes program programs tried tested used piloted before earlier previous "
    "up myself ourselves directly personally".split())


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", text.lower()) if w not in STOPWORDS]


# "different question: ...", "another thing.", "ok forget it. ...": what follows is about something new
TOPIC_CHANGE = re.compile(r"\b(?:(?:a |one )?(?:different|other|another|new|next|separate) (?:question|thing|topic|matter|issue|"
                          r"subject)|(?:ok |okay )?forget (?:it|that|this)|change (?:of )?(?:the )?(?:topic|subject)|"
                          r"something else|by the way|btw|no,? not that|that'?s not what i (?:asked|meant|want(?:ed)?)|not what i asked|(?:going |coming )?back to(?! (?:the |that |this |my |our )?(?:course|training|programm?e|program|package|topic|"
                          r"subject|question|it|that|this)\b)(?= (?:the |my )?\w+(?: \w+)?\W*[.:;,!-]))\b\W*",
                          re.IGNORECASE)  # "back to my wood." keeps "my wood": it names the topic; "back to the
# course, how many days?" returns to the topic under discussion


def changes_topic(text: str) -> bool:
    return bool(TOPIC_CHANGE.search(text))


def refers_back(text: str) -> bool:
    """Whether a message points back at what was said ("it", "them", "each one", "... then?")."""
    return not changes_topic(text) and bool(_REFERS.search(text))


def is_follow_up(text: str) -> bool:
    """Whether a question only makes sense with the topic under discussion ("how much does it cost?")."""
    if changes_topic(text):
        return False
    words = content_words(text)
    if _REFERS.search(text):
        return len(words) <= 8
    return len(words) <= 4 and all(w in GENERIC or w.endswith("s") and w[:-1] in GENERIC for w in words)
