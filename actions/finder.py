"""The programme finder's questions and how free-text answers are read: plain functions, no Rasa imports.

The finder asks at most four short questions (stage, main need, group, sector when it matters). Each
has buttons (payloads such as `/inform{"stage":"idea"}`) and also accepts free text, read here with
small cue lists. `step()` decides, for one user turn, which slots change, what to say (a clarifying
re-ask for unknown or contradictory answers) and which question comes next; the Rasa validation
action (actions/programme_finder.py) only turns that into events. `describe()` composes the text the
router scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from actions.answering import off_topic
from actions.finder_questions import (  # noqa: F401  (re-exported)
    GROUP_LABELS,
    INTRO,
    NEED_LABELS,
    NEEDS_BY_STAGE,
    ORG_GROUP_LABELS,
    RESTART_HINT,
    SECTOR_LABELS,
    SKIP_BUTTON,
    STAGE_LABELS,
    WHY_ASKING,
    Reply,
    _button,
    question,
)
from actions.finder_summary import describe, groups_of, summary  # noqa: F401  (re-exported)
from actions.programmes import name_key
from index.vocabulary import (  # noqa: F401  (re-exported: the finder's vocabulary, defined in index/)
    APOSTROPHES,
    CHOICES,
    CUE_PATTERNS,
    GROUPS,
    NEEDS,
    SECTORS,
    STAGES,
    read_groups,
    read_needs,
    read_sector,
    read_stage,
)

SLOTS = ("stage", "need", "group", "sector")
SKIPPED = "skipped"  # the user skipped the question: never asked again, ignored by the recommendation
FORM = "programme_finder_form"

# --- reading free text ------------------------------------------------------------------------------

SKIP_TEXT = re.compile(
    r"^\W*(?:skip(?: (?:it|this|that|this one|question))?|pass|next|next question|don'?t know|dunno|i don'?t know|"
    r"not sure|no idea|idk|i'?m not sure|prefer not to say|rather not say|no comment|whatever|any|anything)\W*$",
    re.IGNORECASE)
STOP_TEXT = re.compile(
    r"^\W*(?:stop|cancel|quit|exit|end|abort|enough|never ?mind|forget it|stop (?:it|this|please|the questions)|"
    r"please stop|i want to stop|no more questions|leave it|i'?m done)\W*$", re.IGNORECASE)
QUESTION = re.compile(r"\?\s*$|^\s*(?:what|which|who|whom|whose|when|where|why|how|since|is|are|can|could|do|does|"
                      r"should|would|will|tell me|explain)\b", re.IGNORECASE)

# Intents that are not answers: when the text holds no answer, the form lets the dialogue policies
# handle them (answer the question, greet, ...) and asks its question again afterwards.
INTERRUPT_CONFIDENCE = 0.7  # below this, "hmm" classified as greet is treated as an unclear answer
INTERRUPTING_INTENTS = {"help", "bot_challenge", "greet", "thank", "goodbye", "no_answer", "find_trainer",
                        "share_location", "more_trainers", "start_over"}
# A tap on another conversation's button (or a command) always leaves the question to the dialogue policies.
PAYLOAD_INTERRUPTS = {"find_trainer", "share_location", "more_trainers", "start_over", "greet", "help", "find_programme"}
RESTART_TEXT = re.compile(r"^\W*(?:restart|re-?start|start (?:over|again)|begin again|reset|new conversation|"
                          r"(?:main )?menu)\W*$", re.IGNORECASE)


def by_label(slot: str, text: str) -> str | None:
    """The choice whose button label the user typed ("I have an idea, not started yet" -> "starting")."""
    key = name_key(text)
    labels = {"stage": STAGE_LABELS, "need": NEED_LABELS, "group": {**GROUP_LABELS, **ORG_GROUP_LABELS},
              "sector": SECTOR_LABELS}[slot]
    for value, label in labels.items():
        if name_key(label) == key:
            return value
    return None


def is_skip(text: str) -> bool:
    return bool(SKIP_TEXT.match(text.translate(APOSTROPHES)))


def is_stop(text: str) -> bool:
    return bool(STOP_TEXT.match(text.translate(APOSTROPHES)))


def looks_like_question(text: str) -> bool:
    return bool(QUESTION.search(text))


# --- one turn -------------------------------------------------------------------------------------


@dataclass
class Turn:
    """What the form sees of the user's latest message."""

    text: str = ""  # the message text; "" for button payloads
    intent: str | None = None
    confidence: float = 1.0
    entities: dict[str, str] = field(default_factory=dict)  # finder entities (from button payloads)
    requested: str | None = None  # the question being answered; None when the finder starts
    opening: bool = False  # this message started the finder
    fresh: bool = True  # False when the form comes back after an interruption (nothing new to read)


@dataclass
class Step:
    """What to do after one turn."""

    values: dict[str, str | None]
    say: list[Reply] = field(default_factory=list)
    next_slot: str | None = None
    interrupt: bool = False  # not an answer: let the dialogue policies handle the message


PARDON = re.compile(r"^\W*(?:what|wat|huh|eh|sorry|pardon|come again|what do you mean|i (?:do ?n'?t|do not) "
                    r"understand(?: the question)?)\W*$", re.IGNORECASE)


def known(value: str | None) -> bool:
    return value is not None and value != SKIPPED


def sector_matters(values: dict[str, str | None]) -> bool:
    """Sector changes the advice for growing firms, organisations and sector-level needs."""
    return values.get("stage") in ("growing", "organisation") or values.get("need") in ("productivity", "markets")


def required_slots(values: dict[str, str | None]) -> list[str]:
    return ["stage", "need", "group"] + (["sector"] if sector_matters(values) else [])


# Stages that settle the advice on their own in an opening message: the router picks the programme from the stage,
# the sector and the group (a running shop: IYB; a factory: SCORE), and the reply says how to correct it
SAYS_ENOUGH = ("idea", "starting", "running", "growing")


def next_slot(values: dict[str, str | None], opening: bool = False) -> str | None:
    """The next question, or None when there is enough to recommend.

    When the message that started the finder already gives the stage (or the need with a stage it skipped), it
    recommends straight away; otherwise it asks what is missing (never what is already known).
    """
    if opening and known(values.get("stage")) and known(values.get("need")):
        return None
    if opening and values.get("stage") in SAYS_ENOUGH:
        return None  # "I have an idea for a poultry farm, never ran a business. which course?": SYB, whatever the need
    return next((s for s in required_slots(values) if values.get(s) is None), None)


def _clean(slot: str, value: object) -> str | None:
    """A button value, lower-cased, when it is one of the slot's choices (several groups: "women,refugees")."""
    text = str(value).strip().lower()
    if text == SKIPPED:
        return SKIPPED
    if slot == "group":
        parts = sorted({p.strip() for p in text.split(",") if p.strip() in GROUPS})
        return ",".join(parts) or None
    return text if text in CHOICES.get(slot, ()) else None


def read_answer(slot: str, text: str, values: dict[str, str | None]) -> tuple[str | None, list[str]]:
    """(value, candidates): a value when the text answers `slot` clearly, several candidates when it is torn."""
    if slot == "stage":
        found = read_stage(text)
    elif slot == "need":
        found = read_needs(text)
        if values.get("stage") in NEEDS_BY_STAGE and len(found) > 1:  # prefer what fits the stage
            fitting = [n for n in found if n in NEEDS_BY_STAGE[values.get("stage")]]
            found = fitting or found
    elif slot == "group":
        groups = read_groups(text)
        return (",".join(sorted(groups)) if groups else None), []
    else:
        sector = read_sector(text)
        return sector, []
    if len(found) == 1:
        return found[0], []
    return None, found


def _contradiction(values: dict[str, str | None]) -> Reply | None:
    """A clarifying message when the stage and the need cannot both be true; also fixes small mismatches."""
    stage, need = values.get("stage"), values.get("need")
    if stage == "starting" and need == "idea":  # wants an idea after all: that is the idea stage
        values["stage"] = "idea"
        return None
    if stage in ("idea", "starting") and need in ("grow", "productivity", "crisis"):
        values["need"] = None
        what = NEED_LABELS[need].lower()
        return Reply(f"You told me your business hasn't started yet, but “{what}” is for a business that is "
                     "already running. If it is running, tap the button; otherwise pick what you need below.",
                     [_button("stage", "running", STAGE_LABELS["running"])])
    return None


def step(values: dict[str, str | None], turn: Turn) -> Step:
    """Read one user turn: which slots change, what to say, and which question comes next."""
    values = {s: (None if turn.opening else values.get(s)) for s in SLOTS}
    say: list[Reply] = []
    took = False
    for slot, raw in turn.entities.items():  # button payloads set any slot
        value = _clean(slot, raw)
        if slot in SLOTS and value:
            values[slot], took = value, True
    payload = turn.text.startswith("/")
    text = "" if payload else turn.text.strip()
    if turn.fresh and not turn.opening and (turn.intent == "stop" and turn.confidence >= 0.5 or is_stop(text)):
        return Step(values, interrupt=True)
    if turn.fresh and not turn.opening and not took and (
            payload and turn.intent in PAYLOAD_INTERRUPTS or RESTART_TEXT.match(text)):
        return Step(values, interrupt=True)
    if turn.fresh and not took and text and turn.requested in SLOTS and (label := by_label(turn.requested, text)):
        values[turn.requested], took = label, True
    if turn.fresh and not took and text:
        if turn.opening:
            _read_opening(text, values)
        elif turn.requested in SLOTS:
            result = _answer(turn, text, values)
            if result is not None:
                if result.interrupt:
                    return result
                say += result.say
    elif turn.fresh and not took and turn.requested and turn.intent == "skip":
        values[turn.requested] = SKIPPED
    clash = _contradiction(values)
    if clash:
        say.append(clash)
    # "I have a bakery running 5 years and want to open a second branch", typed at any question: enough to recommend
    rich = bool(text) and not clash and all(read_answer(s, text, values)[0] not in (None, "none") for s in ("stage", "need"))
    return Step(values, say, next_slot(values, turn.opening or rich))


def _read_opening(text: str, values: dict[str, str | None]) -> None:
    """Fill what the message that started the finder already says (only clear, single answers)."""
    for slot in SLOTS:
        value = by_label(slot, text) or read_answer(slot, text, values)[0]
        if value and value != "none":  # "none" from a stray "no" in a sentence is not an answer
            values[slot] = value


def _answer(turn: Turn, text: str, values: dict[str, str | None]) -> Step | None:
    """Read an answer to the requested question; a Step only to interrupt or to say something."""
    slot = turn.requested
    if is_skip(text):
        values[slot] = SKIPPED
        return None
    value, several = read_answer(slot, text, values)
    changed = restated = False
    for other in SLOTS:  # "I'm a refugee with a small shop" answers more than one question
        if other != slot and (values[other] is None or other in ("stage", "need") and not value):
            extra, _ = read_answer(other, text, values)
            if extra and extra != "none" and extra != values[other]:
                values[other], changed = extra, True  # also a correction: "I need a business plan" at another question
            restated |= bool(extra) and extra == values[other]
    if value:
        values[slot] = value
        return None
    if (changed or restated) and not looks_like_question(text):  # "not started yet, i have an idea" said twice
        values[slot] = None
        return None  # the answer was about another question: taken, and this one is asked again
    if turn.intent == "skip" and turn.confidence >= 0.8:
        values[slot] = SKIPPED
        return None
    if (turn.intent in INTERRUPTING_INTENTS and turn.confidence >= INTERRUPT_CONFIDENCE
            or looks_like_question(text) or off_topic(text)):  # no answer in it, and it asks something: "who can join?"
        return Step(values, interrupt=True)
    values[slot] = None
    if turn.intent == "find_programme":  # asked for the finder again: just ask the question again
        return None
    if several:
        labels = {"stage": STAGE_LABELS, "need": NEED_LABELS}[slot]
        named = " and ".join(f"“{labels[c].lower()}”" for c in several[:2])
        return Step(values, [Reply(f"You mentioned {named}. Which one fits best? Please pick one below.",
                                   [_button(slot, c, labels[c]) for c in several[:3]])])
    if PARDON.match(text):  # "what?", "I don't understand": why it asks, then the question again
        return Step(values, [Reply(WHY_ASKING)])
    return Step(values, [Reply("Sorry, I didn't catch that. Please tap one of the options, type your answer in a "
                               "few words, or type “skip”.")])


def tells_something(text: str) -> bool:
    """Whether a message says anything about the user (so it is worth passing to the router)."""
    if not text or text.startswith("/") or is_skip(text) or is_stop(text):
        return False
    return bool(read_stage(text) or read_needs(text) or [g for g in read_groups(text) if g != "none"]
                or read_sector(text))
