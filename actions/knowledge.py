"""The knowledge answer: a question searched in the context of the conversation's topic, with sources.

Plain functions (no Rasa imports); `action_read_turn` (actions/conversation.py) calls `answer()`.
A follow-up ("how long is it?") is searched with the topic (its programme's passages compete, its
name shapes the meaning) and answered from the passage that states the fact asked for, preferring
the document of the last answer; "X vs Y" answers from both sides.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

from actions import focus, programmes, turn_reader
from actions.answering import FOLLOW_UPS, TELL_MORE, Answer, compose_answer, continuation
from actions.answering import off_topic as about_other_things
from actions.programmes import Pages
from index.search import TOPIC_BONUS, SearchResponse, SearchResult
from index.search import Topic as SearchTopic
from index.vocabulary import STAGES, read_stage

Search = Callable[[str, "SearchTopic | None"], SearchResponse]
_PACKAGE_SECTION = re.compile(r"\((GYB|SYB|IYB|EYB)\)\s*$")
_PACKAGE_ANYWHERE = re.compile(r"\((GYB|SYB|IYB|EYB)\)")
COMPARISON = re.compile(r"\b(?:vs\.?|versus|compared? (?:to|with)|comparison|dif+e?re?n[cs]e|differ|or|better|"
                        r"(?:the )?same (?:thing|as|course|training)|(?:is it|are they) (?:the )?same)\b",
                        re.IGNORECASE)
SIDE_CHARS = 380  # each side of a comparison
OTHER_TOPIC_MARGIN = 0.05  # a follow-up's words alone find another programme this much better: the topic changed
NAMED_MARGIN = 0.1  # a named programme's best passage this close to the best one answers the question
TOPIC_MARGIN = 0.1  # a question after an answer whose words find the topic this close to the best stays on it
SOFT_WORDS = 10  # ... when it has at most this many content words
AS_ASKER = re.compile(r"\b(?:as|being) (?:an? )?(?:\w+ ){0,2}?\w+(?= (?:join|take|attend|apply|sign up|enrol|enroll|register|"
                      r"participate|benefit|use)\b)|"
                      r"^\W*(?:i|we) (?:make|sell|run|own|have|produce|grow|do|work in|am an?|are an?) [^,.?!]{2,40}[,.!]\s*(?=\w)",
                      re.IGNORECASE)  # "can i as a small trader join it", "i make car parts in durban, can i sign up?"
SHORT_WORDS = 6  # an unanswerable question this short is tried again in the context of the topic
BOTH = re.compile(r"\b(?:each|both|the two|either of them)\b", re.IGNORECASE)
# "which is better for a factory with 60 workers?" after "X vs Y": who each side is for
WHICH_FITS = re.compile(r"\bwhich (?:one |of them |of the two )?(?:is |would be |will be )?(?:better|best|right|more suitable|"
                        r"fits?|suits?)\b", re.IGNORECASE)
CAN_JOIN = re.compile(r"\b(?:can|could|may|is it ok (?:if|for))\b.{0,30}\b(?:join|attend|come|take part|participate|"
                      r"do it|take it)\b", re.IGNORECASE)
DEFINITION = re.compile(r"^\W*(?:what|wat|wht)(?: is|'s| are|s) (?:an? |the )?[\w' ().-]{2,60}?(?: exactly| all about)?\W*$|"
                        r"^\W*(?:what|wat|wht) (?:does|do) [\w' ().-]{2,60}? (?:mean|stand for)\W*$|"
                        r"^\W*(?:tell me about|explain|info on|about) [\w' ().-]{2,60}?(?: pls| please)?\W*$", re.IGNORECASE)
# "... people keep talking about", "... i heard about at the market": where the user met the name, not part of it
HEARSAY = re.compile(r"\s*\b(?:that |which )?(?:(?:people|everyone|everybody|they|friends?|my \w+) (?:keep |are |is |always )?"
                     r"(?:talk|speak|mention|say)\w*|i (?:heard|hear|saw|read))(?: (?:about|of))?\b.*$", re.IGNORECASE)


@dataclass
class Topic:
    """What the conversation is about: a programme, a SIYB package, the document of the last answer."""

    programme: str | None = None
    package: str | None = None
    document: str | None = None
    subject: str | None = None  # the words of the question that set the topic ("GET Ahead training")
    more_at: int | None = None  # where the last answer's passage goes on ("Tell me more")


def answer(question: str, topic: Topic, pages: Pages, search: Search,
           off_topic: bool = False) -> tuple[Answer, Topic, SearchResponse]:
    """Answer `question` in the context of `topic`.

    `search(text, topic)` is the searcher's search (topic: an index.search.Topic or None); `off_topic`:
    the NLU took the message for off-topic (then an unanswerable question is not tried again in the topic's
    context). Returns the answer, the topic it leaves the conversation on, and the response it used (for
    the unanswered list).
    """
    seen = topic.document  # the passage the user read last: shown again, it starts at the sentence that answers
    if turn_reader.changes_topic(question) and (rest := turn_reader.TOPIC_CHANGE.sub(" ", question).strip(" .,:;-")):
        question, topic = rest, Topic()  # "different question: social security for my workers?"
    sides = compared(question, pages)
    if sides:
        return overview(question, sides, pages, search) or compare(question, sides[:2], pages, search)
    programme, package = turn_reader.named(question, pages)
    ladder = None  # "and once i have the idea?" after GYB: SYB, and "the first one" is GYB again
    if not programme and (step := next_package(question, topic, pages)):
        before = turn_reader.topic_name(pages, "siyb", topic.package) if topic.package else None
        ladder = f"{before} and {step}" if before else None
        question, programme, package = f"What is {step}?", "siyb", step[-4:-1].lower()
    sides = turn_reader.named_all(topic.subject, pages) if topic.subject and not programme else []
    if len(sides) >= 2 and WHICH_FITS.search(question) and not ORDINAL.search(question):
        return compare(f"who is it for? {question}", sides[:2], pages, search, follow_up=True)
    if len(sides) >= 2 and (BOTH.search(question) or focus.expected(question) and not ORDINAL.search(question)
                            and sides[0][0] != sides[1][0] and turn_reader.is_follow_up(question)):
        return compare(question, sides[:2], pages, search, follow_up=True)  # "how many days each?" after "X or Y?"
    follows = not programme and topic.programme in pages and (
        turn_reader.is_follow_up(question) or bool(focus.expected(question)) and _few_own_words(question)
        and not turn_reader.changes_topic(question)  # "my sister is 19, can she join?", "how long the mission takes"
        or bool(topic.package) and any(k.name == "module" for k in focus.expected(question)))  # "can i take only
    # record keeping part" after IYB: how the course is taken, not the record-keeping guide
    if not programme and topic.subject and (side := _side_meant(question, topic.subject, pages)):
        topic, follows = Topic(side[0], side[1]), True  # "ok the second one, in which countries" after "X vs Y"
    soft = False
    if not follows and not programme and topic.document and topic.programme in pages and focus.after_step(question):
        follows = soft = True  # "after registration anything else to do?": the steps just shown go on
    if (not follows and not programme and topic.programme in pages
            and not off_topic and not turn_reader.changes_topic(question) and not about_other_things(question)
            and 2 <= len(turn_reader.content_words(question)) <= SOFT_WORDS and _close_to_topic(question, topic, search)):
        follows = soft = True  # "must i count my own salary?" after costing: nearly as close to the topic as to anything
    if follows and (made_for := _programme_for_group(question, topic.programme, pages)):
        topic = Topic(made_for)  # "what about for women?" after SIYB: the programme made for women
    response = None
    if follows:
        response = search(question, _search_topic(topic, pages))
        if not soft and turn_reader.content_words(question) and (own := search(question, None)).answerable and own.results:
            if (not _few_own_words(question) and own.results[0].programme != topic.programme
                    and own.results[0].score > _best(own, topic) + OTHER_TOPIC_MARGIN
                    and not _topic_has_its_words(question, own.results[0], response, topic.programme)):
                response = None  # "what is that continuity plan tool of ILO" after SIYB: its words name another topic
            elif (own.results[0].programme == topic.programme and not focus.expected(question)
                  and own.results[0].doc_id != (topic.document or "").partition("#")[0]):
                response = own  # "and for the defects problem?" after SCORE: its words find SCORE's quality guide,
                # where the programme's name alone finds its page; "how do i register" after why to formalize: the
                # registration guide
    if response is None or not response.answerable:
        follows = False
        response = search(question, None)
    if not response.answerable and programme and not off_topic and any(
            r.programme == programme for r in response.results[:3]):  # "what is germe": the name settles it
        response = dataclasses.replace(response, answerable=True)
    if (not response.answerable and not off_topic and not programme and topic.programme in pages
            and _short(question) and not about_other_things(question) and (
                turn_reader.refers_back(question) or turn_reader.is_question(question) and (
                    focus.expected(question) or _own_words(question) <= 2))):
        retry = search(question, _search_topic(topic, pages))
        if retry.answerable:  # "who leads the group then?" after C-BED, "what i should check first" after AIMS
            follows, response = True, retry
    names = short_names(pages)
    fact = None
    if programme and not follows and response.answerable and focus.expected(question):
        named_topic = Topic(programme, package)  # "how much does SYB cost?": the fees on the SIYB page
        response = _without_other_packages(response, named_topic)  # ... never GYB's 2 to 3 days for EYB
        own = response
        if (fact := _stated_on_page(response, question, programme)) is None:
            wider = _without_other_packages(search(question, _search_topic(named_topic, pages)), named_topic)
            if wider.answerable and (fact := _stated_on_page(wider, question, programme)) is not None:
                response = wider
        if fact is not None and _guide_states_it_better(own, fact, question, programme):
            fact = None
    if follows:
        about = topic.document or _package_section(topic, pages)  # "who can join?" after EYB: EYB's section
        response = _without_other_packages(response, topic)
        kinds = focus.expected(question)
        guide = (topic.document or "").partition("#")[0] if (topic.document or "").startswith("guides/") else None
        if kinds and guide:
            response = _within_guide(response, question, guide, topic.subject or "")
        elif kinds and _stated_on_page(response, question, topic.programme) is None:
            wider = _without_other_packages(search(question, _search_topic(Topic(topic.programme), pages)), topic)
            if wider.answerable and _stated_on_page(wider, question, topic.programme) is not None:
                response = wider  # "what does it cost?" after IYB: SIYB's fees (never GYB's days for EYB)
        passage = (_step_after(response, question, topic.document or "") or _parallel(response, question, topic.document or "")
                   or _not_again(response, question, topic))
        if passage is None and not (topic.document or "programmes/").startswith("guides/"):
            passage = _stated_on_page(response, question, topic.programme, about, topic.subject)  # "is it free?"
            if passage is None and (fees := _fees_of_any_programme(question, search)):
                response, passage = fees  # "and the cost" after GET Ahead, whose page says nothing of fees
        reply = compose_answer(response, question, topic.programme, about, names=names, passage=passage,
                               subject=topic.subject, seen=seen)
    elif programme and package and (own := _own_section(response, question, Topic(programme, package), pages)):
        reply = compose_answer(response, question, programme, names=names, passage=own, seen=seen)  # "who can join EYB?"
    elif fact is not None:
        reply = compose_answer(response, question, programme, names=names, passage=fact, seen=seen)
    elif programme and not package and _defines(question, pages):  # "what is SCORE?": its "What it is"
        passage = _defining(response, question, programme, pages)
        if passage is None:  # "¿qué es IMESUN?", "our association ... wants to push the govt. what is EESE?": among
            # all the programme's passages
            passage = _defining(search(question, _search_topic(Topic(programme), pages)), question, programme, pages)
        reply = compose_answer(response, question, programme, f"programmes/{programme}#What it is", names=names,
                               passage=passage)
    else:  # a programme the question names answers it unless another is clearly better ("Is GET Ahead good for me?")
        named_here = programme if programme and response.results and (
            _best(response, Topic(programme)) >= response.results[0].score - NAMED_MARGIN) else None
        reply = compose_answer(response, question, named_here, names=names, seen=seen)
    if not reply.answered:
        return reply, topic, response
    reply.buttons = next_steps(pages, reply.programme, reply.more_at is not None)
    if follows:
        subject = topic.subject
        if (reply.document or "").startswith("guides/") and reply.sources and (
                reply.document.partition("#")[0] != (topic.document or "").partition("#")[0]):
            subject = reply.sources[0]["title"]  # "and Think.COOP, what is it?" after C-BED: the guide it led to
        return reply, Topic(topic.programme, topic.package, reply.document, subject, reply.more_at), response
    subject = subject_of(question, pages)
    if not programme and (reply.document or "").startswith("programmes/") and _names_a_thing(reply.section or ""):
        subject = reply.section  # "is there training just for women?" -> "GET Ahead training": what the reply is about
    if reply.document and not reply.document.startswith("programmes/") and reply.sources and (
            not programme or len((subject or "").split()) > focus.SUBJECT_WORDS):
        subject = reply.sources[0]["title"]  # a guide is the topic: "Community-based business training (C-BED) ..."
        # (a name the question gave stays: "how long is the think coop" is about Think.COOP)
    if programme:
        return reply, Topic(programme, package, reply.document, ladder or subject, reply.more_at), response
    m = _PACKAGE_SECTION.search(reply.section or "")
    package = m.group(1).lower() if m and reply.programme == "siyb" else None
    return reply, Topic(reply.programme, package, reply.document, subject, reply.more_at), response


def more(topic: Topic, pages: Pages, passages: Callable[[str], list]) -> tuple[Answer | None, Topic]:
    """"Tell me more": the rest of the last answer's passage, else the next passage of its document.

    `passages(doc_id)` lists a document's passages in order. None when there is nothing more to show."""
    if not topic.document:
        return None, topic
    reply = continuation(passages(topic.document.partition("#")[0]), topic.document, topic.more_at, short_names(pages))
    if reply is None:
        return None, topic
    reply.buttons = next_steps(pages, reply.programme, reply.more_at is not None)
    return reply, Topic(topic.programme, topic.package, reply.document, topic.subject, reply.more_at)


NEXT_STEP = re.compile(r"\b(?:once|after|when|if) (?:i|we|u|you) (?:have|has|had|got|get|found|find|finish\w*|"
                       r"complete\w*|done|did)\b|\bthen (?:what|wat|wht)\b|\bwhat(?: comes| do (?:i|we) do)? next\b|"
                       r"\bnext (?:step|course|level|stage|one)\b|\bafter (?:that|this|it|gyb|syb|iyb)\b",
                       re.IGNORECASE)
STAGE_ASKED = re.compile(r"^\W*(?:and|but|what about|how about|wat about|ok|then)\b(?!.*\b(?:cost|fee|days?|long)\b)",
                         re.IGNORECASE)  # "and to grow bigger later?", "what about if i already run a shop"
IDEA_IN_HAND = re.compile(r"\b(?:once|after|when|if) (?:i|we|u|you) (?:have|has|had|got|get|found|find) "
                          r"(?:the|my|our|an?|a good|one)? ?(?:business )?idea\b", re.IGNORECASE)


def next_package(question: str, topic: Topic, pages: Pages) -> str | None:
    """The SIYB package that comes after the one under discussion, named as in its section ("Start Your Business
    (SYB)"), for "and once i have the idea?" / "what next?" after GYB; None for any other question."""
    if "siyb" not in pages or turn_reader.changes_topic(question) or len(turn_reader.content_words(question)) > 8:
        return None
    packages = pages["siyb"].meta.get("packages") or {}
    ladder = sorted(packages, key=lambda p: _first_stage(packages[p]))  # GYB, SYB, IYB, EYB: by the stage each serves
    if len(ladder) < 2:
        return None
    if IDEA_IN_HAND.search(question) and topic.programme in (None, "siyb") and topic.package in (None, ladder[0]):
        after = ladder[1]  # having the idea is what the first package gives: the next one comes next
    elif topic.programme == "siyb" and topic.package in ladder[:-1] and NEXT_STEP.search(question):
        after = ladder[ladder.index(topic.package) + 1]
    elif topic.programme == "siyb" and STAGE_ASKED.match(question) and len(stage := read_stage(question)) == 1 and (
            fits := [p for p in ladder if stage[0] in ((packages[p] or {}).get("stages") or [])]):
        after = fits[0]  # "and to grow bigger later?" after SYB vs IYB: the package for that stage
    else:
        return None
    data = packages.get(after)
    return f"{data['name']} ({after.upper()})" if isinstance(data, dict) and data.get("name") else None


def _first_stage(package: object) -> int:
    """Where a SIYB package sits on the ladder: the first of its `stages` in the order of index.vocabulary.STAGES."""
    stages = (package.get("stages") or []) if isinstance(package, dict) else []
    return min((STAGES.index(s) for s in stages if s in STAGES), default=len(STAGES))


ORDINAL = re.compile(r"\b(?:the )?(first|second|1st|2nd|former|latter|last|other) (?:one|programme|program|course|"
                     r"package)\b|\bthe (former|latter|second|1st|2nd)\b", re.IGNORECASE)


def _side_meant(question: str, subject: str, pages: Pages) -> tuple[str, str | None, str] | None:
    """After a comparison, the side "the second one" / "the first one" / "the latter" means."""
    sides = turn_reader.named_all(subject, pages)
    if len(sides) < 2:
        return None
    if m := ORDINAL.search(question):
        return sides[0] if (m.group(1) or m.group(2)).lower() in ("first", "1st", "former") else sides[1]
    words = set(turn_reader.content_words(question))  # "the ecosystems one": a word of one side's name only
    own = [[w for w in turn_reader.content_words(name) if w not in _COMMON_NAME_WORDS] for _, _, name in sides[:2]]
    hits = [i for i, names in enumerate(own) if words & set(names) and not words & set(own[1 - i])]
    return sides[hits[0]] if len(hits) == 1 and re.search(r"\bone\b", question) else None


_COMMON_NAME_WORDS = frozenset("business enterprises enterprise small development ilo programme training decent work "
                               "your start improve".split())


def in_short(topic: Topic, pages: Pages) -> Answer | None:
    """"I don't understand": the programme's (or package's) one-sentence summary from its page, and what to ask
    next; None when the topic is a guide (it is explained from its own first passage instead)."""
    doc = pages.get(topic.programme or "")
    if doc is None or topic.document and not topic.document.startswith("programmes/"):
        return None
    data = (doc.meta.get("packages") or {}).get(topic.package) if topic.package else None
    summary = (data or {}).get("summary") if isinstance(data, dict) else None
    summary = summary or doc.meta.get("summary")
    if not summary:
        return None
    name = turn_reader.topic_name(pages, topic.programme, topic.package)
    text = (f"**{name}, in short**\n\n{summary}\n\nAsk me one thing at a time if you like, for example “how long is "
            "it?”, “how much does it cost?” or “who can join?”.")
    return Answer(text=text, answered=True, programme=doc.programme, sources=[programmes.source(doc)],
                  buttons=next_steps(pages, doc.programme, False), document=topic.document)


def _without_other_packages(response: SearchResponse, topic: Topic) -> SearchResponse:
    """A follow-up about one SIYB package never answers from another package's section ("how many days?"
    after EYB must not give IYB's 7 days)."""
    if not topic.package:
        return response
    mine = topic.package.upper()

    def other_package(r) -> bool:  # its heading or first sentence is about another package ("(SYB) is ...")
        named = set(_PACKAGE_ANYWHERE.findall(f"{r.section} {r.text[:160]}"))
        return bool(named) and mine not in named

    kept = [r for r in response.results if not other_package(r)]
    return dataclasses.replace(response, results=kept) if kept else response


def _stated_on_page(response: SearchResponse, question: str, programme: str, document: str | None = None,
                    subject: str | None = None):
    """The passage of the programme's own page that states the kind of fact the question asks for, if any
    (preferring the passage `document` the conversation is about, and one naming its `subject`)."""
    kinds = focus.expected(question)
    on_page = [r for r in response.results if _programme_page(r, programme) and focus.fits(r, kinds)]
    if own_language := [r for r in on_page if r.language == response.language]:
        on_page = own_language  # "combien ça coûte ?": the French page's fees, not the English page's
    return focus.choose(question, on_page, programme, document, subject) if on_page else None


def _guide_states_it_better(own: SearchResponse, fact: SearchResult, question: str, programme: str) -> bool:
    """Whether the best passage the question's own words found (`own`) is a guide of the programme that states the
    kind of fact asked for, well ahead of the page's passage `fact` stating it ("i want to become siyb trainer,
    how": the trainer guide's steps, not the page's way to a course)."""
    if not own.results:
        return False
    best = own.results[0]
    scores = {(r.doc_id, r.section): r.score for r in own.results}
    fact_score = scores.get((fact.doc_id, fact.section), own.results[-1].score)  # not found: below them all
    return (best.programme == programme and not _programme_page(best, programme)
            and focus.fits(best, focus.expected(question)) and best.score - NAMED_MARGIN > fact_score)


def _programme_page(result: SearchResult, programme: str) -> bool:
    """Whether a passage is from the programme's page: `programmes/<id>`, or its translation
    in another language (`knowledge/<language>/<id>.md`)."""
    return result.doc_id in (f"programmes/{programme}", programmes.translation_id(result.language, programme))


def _own_section(response: SearchResponse, question: str, topic: Topic, pages: Pages):
    """For a question naming a SIYB package ("and for EYB, who can join?"): the package's own section when it
    states the kind of fact asked for (or the question asks for none), else None to choose as usual."""
    section = _package_section(topic, pages)
    own = next((r for r in response.results if f"{r.doc_id}#{r.section}" == section), None)
    kinds = focus.expected(question)
    if own is None or kinds and not focus.fits(own, kinds) and _stated_on_page(response, question, topic.programme):
        return None  # another passage of the programme's page states it ("how much is SYB?": the fees)
    return own


def _package_section(topic: Topic, pages: Pages) -> str | None:
    """The section of the programme page about the topic's SIYB package: "programmes/siyb#Expand Your Business (EYB)"."""
    data = (pages[topic.programme].meta.get("packages") or {}).get(topic.package) if topic.package else None
    if not isinstance(data, dict) or not data.get("name"):
        return None
    return f"programmes/{topic.programme}#{data['name']} ({str(topic.package).upper()})"


def _defines(question: str, pages: Pages) -> bool:
    """Whether the question asks what a programme or tool is ("what is GET Ahead training?"), not something
    about it ("what is the email for the greening team?", "what are the steps of value chain development")."""
    question = HEARSAY.sub("", question)
    # "Good afternoon. I am with an association in Ghana. What is the Productivity Ecosystems programme?"
    question = next((q for q in reversed(SENTENCE_END.split(question.strip())) if DEFINITION.match(q)), question)
    if not DEFINITION.match(question):
        return False
    found = turn_reader.mentions(question, pages)
    named = {w for _, key, _, _ in found for w in key.split()}
    named |= {w for _, _, pid, _ in found for w in programmes.name_key(programmes.name(pages[pid])).split()}
    rest = [w for w in turn_reader.content_words(question)
            if programmes.name_key(w) not in named and w not in _DEFINITION_WORDS]
    return not rest


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_DEFINITION_WORDS = frozenset("exactly all about training programme program course courses package tool initiative "
                              "approach method project explain info on this that thing mean stand for s".split())


def _not_again(response: SearchResponse, question: str, topic: Topic):
    """For a follow-up, another passage than the one the last reply showed whole ("since when?" after a
    passage without the year must not show that passage again): the best other passage of the topic that
    states the kind of fact asked for (any, for an open question), or None to choose as usual."""
    if not topic.document or topic.more_at is not None:
        return None
    chosen = focus.choose(question, response.results, topic.programme, topic.document)
    kinds = focus.expected(question)
    if (f"{chosen.doc_id}#{chosen.section}" != topic.document or kinds and focus.fits(chosen, kinds)
            or focus.answers_in_words(question, chosen)):
        return None  # something new, or the passage shown does state the fact asked for (the reply leads with it)
    others = [r for r in response.results if f"{r.doc_id}#{r.section}" != topic.document]
    if not others:
        return None
    other = focus.choose(question, others, topic.programme, topic.document)
    if other.programme != topic.programme or kinds and not focus.fits(other, kinds):
        return None
    return other


def _defining(response: SearchResponse, question: str, programme: str, pages: Pages):
    """The passage of the programme's page that says what the thing named is: for a tool of the programme, the
    section named for it ("what is GET Ahead" -> "GET Ahead training"), else "What it is"; None when the
    search found neither."""
    on_page = [r for r in response.results if _programme_page(r, programme)]
    if own_language := [r for r in on_page if r.language == response.language]:
        on_page = own_language  # "¿qué es IMESUN?": the Spanish page
    if on_page and on_page[0].language != "en":  # a translated page names its programme in every heading
        return next((r for r in on_page if WHAT_IT_IS.match(r.section)), None)
    doc = pages[programme]
    own = {programmes.name_key(n)
           for n in (programme, programmes.short_name(doc), programmes.plain_name(doc), programmes.name(doc))}
    keys = [key for _, key, pid, _ in turn_reader.mentions(question, pages) if pid == programme and key not in own]
    for r in on_page:
        if any(f" {key} " in f" {programmes.name_key(r.section)} " for key in keys):
            return r
    return next((r for r in on_page if WHAT_IT_IS.match(r.section)), None)


# the section that says what a programme is, on its page and its translations
WHAT_IT_IS = re.compile(r"^(?:what it is$|¿?qu[ée] es\b|qu'est[- ]ce que\b|c'est quoi\b|o que [ée]\b)", re.IGNORECASE)


def short_names(pages: Pages) -> dict[str, str]:
    return {pid: programmes.short_name(doc) for pid, doc in pages.items()}


def _search_topic(topic: Topic, pages: Pages) -> SearchTopic:
    """The topic as the search reads it: its programme, and its name led by the words that set it."""
    name = turn_reader.topic_name(pages, topic.programme, topic.package) or str(topic.programme)
    return SearchTopic(str(topic.programme), f"{topic.subject}, {name}" if topic.subject else name)


def _within_guide(response: SearchResponse, question: str, guide: str, subject: str) -> SearchResponse:
    """A follow-up about a guide ("how long is it?" after C-BED) is answered from the guide, or from a passage that
    names the guide's subject and states the fact; never from another course of the same programme ("SYB: 5 days")."""
    kinds = focus.expected(question)
    names = [n.lower() for n in re.findall(r"\(([A-Za-z][\w.-]+)\)", subject)]  # a tool the guide is about: C-BED
    if not names and all(k.name in focus.PROGRAMME_LEVEL for k in kinds) and not any(
            r.doc_id == guide and focus.fits(r, kinds) for r in response.results):
        return response  # "who is funding this?" after an AIMS guide on host communities: the programme's page says
    names = names or [subject.lower()]
    kept = [r for r in response.results if r.doc_id == guide
            or focus.fits(r, kinds) and any(n in f"{r.section} {r.text}".lower() for n in names)]
    if not any(focus.fits(r, kinds) for r in kept):  # "is the guide free?" after a guide that names the Green
        # Business Guide: the passage stating the fact about the thing the question names
        own = [w for w in turn_reader.content_words(question) if w not in turn_reader.GENERIC]
        kept = [r for r in response.results if focus.fits(r, kinds) and own and any(
            re.search(rf"\b{re.escape(w)}", r.text, re.IGNORECASE) for w in own)] + kept
    return dataclasses.replace(response, results=kept) if kept else response


def _parallel(response: SearchResponse, question: str, shown: str):
    """The section of the shown passage's document whose heading is the shown one with one word changed for a word
    of the question ("and water?" after "Quick ways to save energy": "Quick ways to save water"), or None."""
    doc, _, heading = shown.partition("#")
    words, asked = set(heading.lower().split()), set(turn_reader.content_words(question))
    if not heading or len(asked) > 3:
        return None
    for r in response.results:
        other = set(r.section.lower().split())
        if r.doc_id == doc and len(other ^ words) == 2 and (other - words) & asked:
            return r
    return None


def _step_after(response: SearchResponse, question: str, shown: str):
    """For "after registering, anything else?": the passage just shown when it is a list of steps that names that
    step (the answer gives the list's last steps), or None."""
    return next((r for r in response.results
                 if f"{r.doc_id}#{r.section}" == shown and focus.lists_step_asked(question, r.text)), None)


FEES_QUESTION = "how much does ILO training cost, what are the fees"


def _fees_of_any_programme(question: str, search: Search) -> tuple[SearchResponse, SearchResult] | None:
    """For a question about cost, the passage on what ILO training costs in general (partners set their own
    fees): (its response, the passage), or None when the question asks something else."""
    cost = [k for k in focus.expected(question) if k.name == "cost"]
    if not cost:
        return None
    general = search(FEES_QUESTION, None)
    passage = next((r for r in general.results[:3] if focus.fits(r, cost)), None)
    return (general, passage) if general.answerable and passage else None


def _close_to_topic(question: str, topic: Topic, search: Search) -> bool:
    """Whether the question, searched alone, finds a passage of the topic's programme nearly as close as the best
    passage (within TOPIC_MARGIN): a question right after an answer is about its topic unless clearly not."""
    within = search(question, SearchTopic(str(topic.programme), ""))  # its words alone; every passage of the topic
    ours = _best(within, topic) - TOPIC_BONUS  # as the question alone scores it
    others = max((r.score for r in within.results if r.programme != topic.programme), default=None)
    # nothing else found, or the topic's programme comes first anyway (the usual answer keeps it)
    return others is not None and others - TOPIC_MARGIN <= ours < others


def _topic_has_its_words(question: str, other: SearchResult, topic_response: SearchResponse, programme: str) -> bool:
    """Whether the words by which the question finds another topic's passage are all in the topic's best passages:
    "is there a plan template i can use" after a continuity plan finds "business plan" by "plan" alone."""
    def has(text: str, word: str) -> bool:
        return bool(re.search(rf"\b{re.escape(word)}", text, re.IGNORECASE))

    own = [w for w in turn_reader.content_words(question) if w not in turn_reader.GENERIC]
    found = [w for w in own if has(f"{other.section} {other.text}", w)]
    best_of_topic = [r for r in topic_response.results if r.programme == programme][:3]
    here = " ".join(f"{r.section} {r.text}" for r in best_of_topic)
    return bool(found) and all(has(here, w) for w in found)


def _few_own_words(question: str) -> bool:
    """At most one word of its own beyond the words any question about a programme uses ("how long the mission
    takes", "can my sister join?"): a question that needs its topic."""
    return _own_words(question) <= 1


def _own_words(question: str) -> int:
    """How many words of its own a question has beyond those any question about a programme uses."""
    without_asker = AS_ASKER.sub(" ", question)  # "can i as a small trader join it": who asks, not what about
    without_places = turn_reader.IN_PLACE.sub(" ", without_asker)  # "is it in kenya? i am in lodwar": places are not
    return len([w for w in turn_reader.content_words(without_places) if w not in turn_reader.GENERIC])  # topics


def _best(response: SearchResponse, topic: Topic) -> float:
    return max((r.score for r in response.results if r.programme == topic.programme), default=0.0)


def _short(question: str) -> bool:
    return len(turn_reader.content_words(question)) <= SHORT_WORDS


def subject_of(question: str, pages: Pages, limit: int = 8) -> str | None:
    """The words of a question that set a topic, for the follow-ups: "what is GET ahead training" -> "GET ahead training"."""
    question = HEARSAY.sub("", question)  # "... i heard about at the market": not what the topic is
    found = turn_reader.mentions(question, pages)
    named = {w for _, key, _, _ in found for w in key.split()}
    named |= {w for _, _, pid, _ in found for w in programmes.name_key(programmes.name(pages[pid])).split()}
    words = [w for w in re.findall(r"[\w'-]+", question)
             if w.lower() in named or w.lower() not in turn_reader.STOPWORDS and w.lower() not in turn_reader.GENERIC]
    return " ".join(words[:limit]) or None


def _names_a_thing(heading: str) -> bool:
    """Whether a section heading names a tool or course ("GET Ahead training", "Formalize Your Business (FYB)"),
    not a kind of fact ("Who it is for", "Key facts and figures"): a capital beyond its first letter."""
    return bool(re.search(r"(?<=.)\b[A-Z]|\b[A-Z]{2,}", re.sub(r"\bILO\b", "", heading)))


def compared(question: str, pages: Pages) -> list[tuple[str, str | None, str]]:
    """The sides of "IYB vs SYB?" / "difference between SCORE and SIYB" / "GYB, SYB, IYB and EYB?":
    (programme, package, name)."""
    if not COMPARISON.search(question):
        return []
    sides = turn_reader.named_all(question, pages)
    return sides if len(sides) >= 2 else []


def overview(question: str, sides, pages: Pages, search: Search) -> tuple[Answer, Topic, SearchResponse] | None:
    """For three or more parts of one programme compared ("difference btw GYB SYB IYB and EYB"), the passage of
    the programme that names the most of them (SIYB's "Who it is for": each package and its stage), or None."""
    programme = sides[0][0]
    if len(sides) < 3 or any(p != programme for p, _, _ in sides):
        return None
    response = search(question, _search_topic(Topic(programme), pages))
    if response.language not in (None, "en"):
        return None  # the translated pages name the packages their own way: each side from its own passage
    keys = [(package or name).upper() for _, package, name in sides]
    named = [(sum(k in r.text.upper() for k in keys), -i, r) for i, r in enumerate(response.results)
             if r.programme == programme]
    if not named or max(named)[0] < len(keys):
        return None
    best = max(named)[2]
    reply = compose_answer(response, question, programme, names=short_names(pages), passage=best)
    reply.buttons = next_steps(pages, programme)
    return reply, Topic(programme, None, reply.document, " and ".join(name for _, _, name in sides)), response


def compare(question: str, sides, pages: Pages, search: Search,
            follow_up: bool = False) -> tuple[Answer, Topic, SearchResponse]:
    """One short part per side, each from the passage about it (for a follow-up such as "how long is each?",
    the passage that answers the question about it), with both sources."""
    parts, sources, response = [], [], None
    for programme, package, name in sides:
        asked = f"{question} ({name})" if follow_up else f"What is {name}?"
        response = search(asked, None)
        defining = None if follow_up else _defining(response, asked, programme, pages)
        about = None if follow_up else _passage_named(response, programme, name)
        side = compose_answer(response, asked, programme, about, limit=SIDE_CHARS, names=short_names(pages),
                              passage=defining if package is None else None)
        if not side.answered:
            continue
        parts.append(side.text)
        sources += [s for s in side.sources[:1] if s not in sources]
    if not parts:
        return compose_answer(response, question), Topic(), response
    names = " and ".join(name for _, _, name in sides)
    text = f"**{names}, side by side**\n\n" + "\n\n".join(parts)
    first = sides[0]
    reply = Answer(text=text, answered=True, programme=first[0], sources=sources,
                   buttons=next_steps(pages, first[0]))
    return reply, Topic(first[0], first[1], subject=names), response


def _passage_named(response: SearchResponse, programme: str, name: str) -> str | None:
    """The best passage whose heading (or document) carries the name: "doc_id#section", or None."""
    key = name.lower()
    for r in response.results:
        if r.programme == programme and (key in r.section.lower() or key in r.title.lower()):
            return f"{r.doc_id}#{r.section}"
    return None


def next_steps(pages: Pages, programme: str | None, more: bool = False) -> list[dict]:
    """The buttons under an answer: "Tell me more" when it was shortened, the programme finder, and a trainer
    for the programme it was about."""
    first = [TELL_MORE] if more else []
    doc = pages.get(programme) if programme else None
    if doc is None:
        return first + list(FOLLOW_UPS)
    short = programmes.short_name(doc)
    return first + [FOLLOW_UPS[0], {"title": f"Find a trainer for {short}",
                                    "payload": f'/find_trainer{{"programme":"{programme}"}}'}]


def _programme_for_group(question: str, topic: str, pages: Pages) -> str | None:
    """The programme made for a group the question asks about, when the topic's programme is not."""
    from actions.finder import read_groups

    if CAN_JOIN.search(question):
        return None  # "can my wife join?": a question about the topic's programme, not a search for another
    for group in read_groups(question):
        if group == "none" or group in (pages[topic].meta.get("groups") or []):
            continue
        for pid, doc in sorted(pages.items()):
            if group in (doc.meta.get("groups") or []):
                return pid
    return None
