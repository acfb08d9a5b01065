"""The programme finder's recommendation: which programmes to show and the reply for each (no Rasa imports).

The router (index/routing.py) ranks programmes for a description composed from the finder's answers;
`choose()` keeps that ranking consistent with the programme pages' front matter (the stage must be one
of the programme's `stages`, the SIYB package is the one for the user's stage, a programme for the
user's group is not left out), and `compose()` writes one message per programme: why it fits, what
participants get and how to reach it, with "Tell me more" and "Find a trainer" buttons and the page
as source. Everything programme-specific comes from the pages, which staff edit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from actions import programmes as pages_
from actions.finder import RESTART_HINT, groups_of, known, summary
from actions.programmes import Pages

MAX_RECOMMENDATIONS = 3
PERSON_STAGES = ("idea", "starting", "running", "growing")
FALLBACK_PROGRAMME = {"organisation": "eese"}  # when nothing else fits; people get SIYB
DEFAULT_PROGRAMME = "siyb"

STAGE_WHY = {
    "idea": "you want to start a business but have no clear idea yet",
    "starting": "you have a business idea and haven't started yet",
    "running": "your business is already running",
    "growing": "your business is growing",
    "organisation": "you are an organisation that supports businesses",
}
NEED_WHY = {
    "idea": "want to find a business idea",
    "plan": "need a business plan",
    "manage": "want to manage better (costs, records, marketing)",
    "grow": "want to grow",
    "formalise": "want to register and become formal",
    "green": "want to go green and save energy",
    "productivity": "want better productivity and working conditions",
    "crisis": "need to recover from a crisis",
    "policy": "want a better business environment and policies",
    "markets": "want markets and value chains to work better",
}
# What each need is about, in the words of the programmes' front-matter `keywords` (a need "fits" a
# programme when one of its keywords appears here).
NEED_WORDS = {
    "idea": "business idea, what business should I start, green business",
    "plan": "business plan, start a business",
    "manage": "manage my shop better, record keeping, costing and pricing, marketing my products",
    "grow": "grow my business, expand my business",
    "formalise": "register my business, business registration, formalize, become legal, informal business",
    "green": "green business, save energy, reduce waste, climate change",
    "productivity": "quality problems, workplace cooperation, working conditions, safer workplace, productivity "
                    "in my sector",
    "crisis": "crisis, recover after a crisis, survive a shock, business continuity plan",
    "policy": "policy reform, business environment, red tape, enabling environment, national productivity strategy",
    "markets": "value chain, market systems development, better prices, small producers, market access",
}
GROUP_WHY = {"women": "women entrepreneurs", "refugees": "refugees and host communities",
             "informal": "informal businesses"}
HOW_TO_REACH = ("Ask a national partner (a training provider, chamber of commerce or business association) or the "
                "ILO country office, or tap “Find a trainer” for certified trainers near you.")
GENERAL_NEEDS = (None, "manage", "plan", "grow")  # needs every business course covers, no specialist programme
LEADING_GROUPS = ("women", "refugees")  # groups with a programme of their own (WED, AIMS) that leads for those needs
SAID_BY_STAGE = {("idea", "idea"), ("growing", "grow")}  # the need only repeats the stage


@dataclass
class Choice:
    programme: str
    package: str | None = None


@dataclass
class Reply:
    text: str
    buttons: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)


def _fits_stage(doc, stage: str | None) -> bool:
    return not stage or stage in (doc.meta.get("stages") or [])


def choose(recommended: Sequence, values: dict, pages: Pages) -> list[Choice]:
    """1-3 programmes to show: the router's, kept consistent with the pages' front matter.

    `recommended` holds objects with `.programme` and `.package` (index.routing.Recommendation), best first.
    """
    stage = values.get("stage") if values.get("stage") in STAGE_WHY else None
    chosen: list[Choice] = []
    for rec in recommended:
        doc = pages.get(rec.programme)
        if doc is None or not _fits_stage(doc, stage) or any(c.programme == rec.programme for c in chosen):
            continue
        package = rec.package
        if doc.meta.get("packages"):  # the package for the user's stage, as the front matter says
            package = pages_.package_for_stage(doc, stage) or package
        chosen.append(Choice(rec.programme, package))
    for group in groups_of(values):  # a programme made for the user's group is never left out
        if (made_for := next((c for c in chosen if group in (pages[c.programme].meta.get("groups") or [])), None)):
            if values.get("need") in GENERAL_NEEDS and group in LEADING_GROUPS:
                chosen.remove(made_for)  # a woman who wants to manage better: GET Ahead, made for her, leads
                chosen.insert(0, made_for)
            continue
        extra = next((pid for pid, doc in sorted(pages.items())
                      if group in (doc.meta.get("groups") or []) and _fits_stage(doc, stage)), None)
        if extra:
            chosen.insert(min(1, len(chosen)), Choice(extra))
    need = values.get("need")
    if known(need) and not any(_need_hits(pages[c.programme], need) for c in chosen):
        # the programme made for the user's main need (by its keywords) is not left out either
        fitting = sorted(((-_need_hits(doc, need), pid) for pid, doc in pages.items()
                          if _need_hits(doc, need) and _fits_stage(doc, stage)))
        if fitting:
            doc = pages[fitting[0][1]]
            chosen.insert(min(1, len(chosen)), Choice(fitting[0][1], pages_.package_for_stage(doc, stage)))
    if not chosen:
        pid = FALLBACK_PROGRAMME.get(stage or "", DEFAULT_PROGRAMME)
        if pid not in pages and pages:
            pid = next(iter(sorted(pages)))
        if pid in pages:
            chosen.append(Choice(pid, pages_.package_for_stage(pages[pid], stage)))
    return chosen[:MAX_RECOMMENDATIONS]


def _need_hits(doc, need: str | None) -> int:
    """How many of the programme's front-matter keywords the need's words contain."""
    words = NEED_WORDS.get(need or "", "").lower()
    return sum(1 for k in doc.meta.get("keywords") or [] if words and str(k).lower() in words)


def _need_fits(doc, need: str | None) -> bool:
    return _need_hits(doc, need) > 0


def _join(parts: list[str]) -> str:
    return "; ".join(parts)


# (programme, package) -> what it is in the user's language (from the page's translation), or None
LocalIntro = Callable[[str, "str | None"], "str | None"]


def why(doc, package: dict | None, values: dict, about: str | None = None) -> str:
    """Why this programme fits, from the answers and the page's front matter, then its summary (or
    `about`, the same in the user's language)."""
    stage, need = values.get("stage"), values.get("need")
    stages = (package or {}).get("stages") or doc.meta.get("stages") or []
    reasons = []
    if stage in STAGE_WHY and stage in stages:
        reasons.append(STAGE_WHY[stage])
    if known(need) and _need_fits(doc, need) and (stage, need) not in SAID_BY_STAGE:
        reasons.append(f"you {NEED_WHY[need]}")
    focus = [GROUP_WHY[g] for g in groups_of(values) if g in (doc.meta.get("groups") or [])]
    if focus:
        reasons.append("it is made for " + " and ".join(focus))
    local = about
    about = about or (package or {}).get("summary") or doc.meta.get("summary", "")
    if not reasons:
        return f"Why it fits: {about}"
    said = _join(reasons)
    if local:  # the reasons are translated line by line (actions/messages.yaml), the passage is already
        return f"Why it fits: {said[0].upper()}{said[1:]}.\n{about}"
    return f"Why it fits: {said[0].upper()}{said[1:]}. {about}"


def what_you_get(doc, package: dict | None) -> str:
    """The page's "What participants get": its first sentence, plus the package's own line for SIYB."""
    text = pages_.section(doc, "What participants get")
    if not text:
        return ""
    lead = pages_.first_sentences(text, 260)
    if package:
        tag = f"({package['id'].upper()})"
        line = next((ln.strip(" -;.") for ln in text.splitlines() if tag in ln), "")
        if line:
            line = line.replace(tag, "").strip(" ;,")
            lead = f"{lead.rstrip(':')} You leave with {line}."
    return lead


def how_to_reach(doc) -> str:
    text = pages_.section(doc, "How to take part")
    first = pages_.first_sentences(text, 160) if text else ""
    return f"{first} {HOW_TO_REACH}".strip()


def translated_intro(passages: Callable[[str], list], lang: str, programme: str, package: str | None) -> str | None:
    """What a programme (or its SIYB package) is, in `lang`, from the page's translation
    (`knowledge/<lang>/<id>.md`): the first sentences of its section on the package, else of its
    first section; None when there is no translation."""
    found = passages(pages_.translation_id(lang, programme))
    section = next((p for p in found if package and re.match(rf"\W*{re.escape(package)}\b", p.section, re.IGNORECASE)),
                   found[0] if found else None)
    return pages_.first_sentences(section.text, 320) if section else None


def recommendation_reply(number: int, choice: Choice, values: dict, pages: Pages, local: LocalIntro | None = None) -> Reply:
    """The message for one recommended programme, with its buttons and source. `local`: what it is in the
    user's language, when the page has a translation (then the English parts of the page are left out)."""
    doc = pages[choice.programme]
    package = pages_.package(doc, choice.package)
    programme_short = pages_.short_name(doc)
    if package:
        subject = f"{package['name']} ({package['id'].upper()})"
        title = f"**{number}. {subject}**, part of {pages_.name(doc)}"
        about = package["id"].upper()
        question = pages_.question_payload(package["name"], programme_short)
    else:
        title = f"**{number}. {pages_.name(doc)}**"
        about = programme_short
        question = pages_.question_payload(pages_.plain_name(doc), programme_short)
    intro = local(choice.programme, choice.package) if local else None
    lines = [title, why(doc, package, values, intro)]
    gets = "" if intro else what_you_get(doc, package)
    if gets:
        lines.append(f"What you get: {gets}")
    lines.append(f"How to join: {HOW_TO_REACH if intro else how_to_reach(doc)}")
    buttons = [
        {"title": f"Tell me more about {about}", "payload": question},
        {"title": f"Find a trainer for {programme_short}", "payload": f'/find_trainer{{"programme":"{doc.programme}"}}'},
    ]
    return Reply("\n\n".join(lines), buttons, [pages_.source(doc)])


def compose(choices: Sequence[Choice], values: dict, pages: Pages, local: LocalIntro | None = None) -> list[Reply]:
    """The finder's answer: an introduction, then one message per recommended programme."""
    said = summary(values)
    if not choices:
        return [Reply("Sorry, I couldn't match a programme to your answers. Tell me about your business in your "
                      "own words, or ask me about a programme. " + RESTART_HINT)]
    fits = "this programme fits best" if len(choices) == 1 else "these programmes fit best"
    if said:
        intro = f"Thanks! From what you told me ({said}), {fits}:"
    else:
        intro = (f"You skipped the questions, so here is where most people start; {fits}. Tell me more about "
                 "your business any time and I'll be more precise:")
    replies = [Reply(intro)] + [recommendation_reply(i, c, values, pages, local) for i, c in enumerate(choices, 1)]
    replies[-1].text += f"\n\n{RESTART_HINT}"  # after the programmes, where a user who disagrees looks
    return replies
