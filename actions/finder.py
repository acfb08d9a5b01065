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

SLOTS = ("stage", "need", "group", "sector")
SKIPPED = "skipped"  # the user skipped the question: never asked again, ignored by the recommendation
FORM = "programme_finder_form"

STAGES = ("idea", "starting", "running", "growing", "organisation")
NEEDS = ("idea", "plan", "manage", "grow", "formalise", "green", "productivity", "crisis", "policy", "markets")
GROUPS = ("women", "refugees", "informal", "none")
SECTORS = ("agriculture", "manufacturing", "trade", "services", "construction", "other")
CHOICES = {"stage": STAGES, "need": NEEDS, "group": GROUPS, "sector": SECTORS}

# --- questions and their buttons ----------------------------------------------------------------

STAGE_LABELS = {
    "idea": "I need a business idea",
    "starting": "I have an idea, not started yet",
    "running": "My business is running",
    "growing": "My business is growing",
    "organisation": "We support businesses (organisation)",
}
NEED_LABELS = {
    "idea": "Find a business idea",
    "plan": "Write a business plan",
    "manage": "Manage better (costs, records, marketing)",
    "grow": "Grow the business",
    "formalise": "Register / formalise",
    "green": "Go green, save energy",
    "productivity": "Productivity & working conditions",
    "crisis": "Recover from a crisis",
    "policy": "Policy & business environment",
    "markets": "Market systems & value chains",
}
NEEDS_BY_STAGE = {
    "idea": ("idea", "green"),
    "starting": ("plan", "idea", "formalise", "green"),
    "running": ("manage", "grow", "formalise", "green", "productivity", "crisis"),
    "growing": ("grow", "productivity", "green", "markets", "crisis"),
    "organisation": ("policy", "markets", "productivity", "formalise", "green", "crisis"),
    None: ("idea", "plan", "manage", "grow", "formalise", "green", "productivity", "crisis"),
}
GROUP_LABELS = {"women": "I'm a woman", "refugees": "I'm a refugee", "informal": "My business is informal",
                "none": "None of these"}
ORG_GROUP_LABELS = {"women": "Women entrepreneurs", "refugees": "Refugees and host communities",
                    "informal": "Informal businesses", "none": "No particular group"}
SECTOR_LABELS = {"agriculture": "Farming & food", "manufacturing": "Manufacturing", "trade": "Trade & retail",
                 "services": "Services & tourism", "construction": "Construction", "other": "Other"}
SKIP_BUTTON = {"title": "Skip", "payload": "/skip"}
RESTART_HINT = "Type “find a programme” to start again whenever you like."


@dataclass
class Reply:
    """One bot message: text and buttons."""

    text: str
    buttons: list[dict] = field(default_factory=list)


def _button(slot: str, value: str, title: str) -> dict:
    return {"title": title, "payload": f'/inform{{"{slot}":"{value}"}}'}


INTRO = ("Let's find the ILO programme that fits you: a few quick questions (type “skip” to skip one, “stop” to "
         "stop).")


def question(slot: str, values: dict[str, str | None], first: bool = False) -> Reply:
    """The question for `slot`, worded for what is known so far, with a button per choice and Skip.

    The first question of a run starts with a short introduction (not repeated when re-asked).
    """
    reply = _question(slot, values)
    if first:
        reply.text = f"{INTRO}\n\n{reply.text}"
    return reply


def _question(slot: str, values: dict[str, str | None]) -> Reply:
    stage = values.get("stage") if values.get("stage") in STAGES else None
    if slot == "stage":
        text = "Where are you with your business?"
        buttons = [_button("stage", v, t) for v, t in STAGE_LABELS.items()]
    elif slot == "need":
        text = ("What does your organisation want to work on most?" if stage == "organisation"
                else "What do you need most right now?")
        buttons = [_button("need", v, NEED_LABELS[v]) for v in NEEDS_BY_STAGE[stage]]
    elif slot == "group":
        if stage == "organisation":
            text, labels = "Do you work mainly with one of these groups?", ORG_GROUP_LABELS
        else:
            text, labels = "Does one of these describe you (the business owner)?", GROUP_LABELS
        buttons = [_button("group", v, t) for v, t in labels.items()]
    elif slot == "sector":
        text = "Which sector do you work in?"
        buttons = [_button("sector", v, t) for v, t in SECTOR_LABELS.items()]
    else:
        raise ValueError(f"the finder has no question for slot '{slot}'")
    return Reply(text, buttons + [SKIP_BUTTON])


# --- reading free text ------------------------------------------------------------------------------

NOT = r"(?:do ?n'?t|did ?n'?t|doesn'?t|do not|have not|haven'?t|not|never|no)"

STAGE_CUES: dict[str, tuple[str, ...]] = {
    "organisation": (
        r"organi[sz]ations?", r"associations?", r"ministry", r"government", r"municipality", r"ngos?",
        r"chamber of commerce", r"trade unions?", r"federation", r"donors?",
        r"(?:government|public|development|un) agency", r"(?:development|ilo|donor|un|livelihoods?) projects?",
        r"we (?:support|help|train|work with) (?:\w+ )?(?:businesses|entrepreneurs|enterprises|smes|firms|women)",
        r"(?:support|supporting|helping) (?:small )?(?:businesses|entrepreneurs|enterprises|smes)",
        r"training (?:centre|center|provider|institute)", r"\bbds\b", r"policy ?makers?",
    ),
    "idea": (
        r"(?:no|without an?|not any|zero) (?:clear |good |real )?(?:business )?ideas?",
        rf"{NOT} (?:have|got) (?:a |an |any )?(?:clear |good )?(?:business )?idea",
        rf"{NOT} know (?:what|which)(?: \w+){{0,3}} (?:business|to (?:do|sell|start|make))",
        r"(?:need|want|looking for|find|get) (?:a |an |some )?(?:new |good )?(?:business )?ideas?",
        r"what (?:business|to sell|to do|to start)", r"which business", r"^\W*(?:an? )?(?:business )?idea\W*$",
    ),
    "growing": (
        r"grow(?:ing)?\b(?! (?:crops|vegetables|tomatoes|maize|food|coffee|rice))", r"expan\w*", r"scal(?:e|ing) up",
        r"(?:second|another|new|more) (?:shop|branch|outlet|factory|location|store)s?", r"bigger", r"grew",
    ),
    "starting": (
        r"(?:have|got) (?:a |an |my )?(?:clear |good )?(?:business )?idea", r"(?:my|the|an?) idea",
        r"(?:want|plan|planning|going|about|like|hope|wish|ready) (?:to |of )?(?:start|open|launch|set up)\w*",
        r"start(?:ing)? (?:a|my|our|an|the) (?:own |new |small )?(?:\w+ )?(?:business|shop|company|enterprise)",
        r"not (?:yet )?started", r"start-?up", r"new business", r"^\W*start(?:ing)?\W*$", r"open(?:ing)? (?:a|my) ",
    ),
    "running": (
        r"(?:i|we) (?:run|own|have|manage|operate) (?:a |an |my |our |small |little )+\w+",
        r"running", r"already (?:have|run|own|open|started)", r"existing", r"established",
        r"(?:for|since) (?:\d+|many|some|a few|two|three|five|ten) (?:years|months)",
        r"(?:my|our) (?:\w+ )?(?:shop|store|restaurant|salon|workshop|bakery|kiosk|stall|business|company|farm)"
        r"\b(?! plan| idea)",
    ),
}
STAGE_ORDER = ("organisation", "idea", "growing", "starting", "running")  # which stage wins when several match

NEED_CUES: dict[str, tuple[str, ...]] = {
    "crisis": (r"crisis", r"recover\w*", r"floods?", r"disasters?", r"covid", r"pandemic", r"shocks?", r"war\b",
               r"conflict", r"drought", r"earthquake", r"fire\b", r"lost (?:everything|my (?:shop|business))"),
    "formalise": (r"regist\w*", r"formal(?:i[sz]\w*)?\b", r"licen[cs]e", r"permits?", r"\btax(?:es)?\b", r"legal\w*",
                  r"social security", r"papers"),
    "green": (r"green", r"energy", r"environment\w*", r"climate", r"waste", r"recycl\w*", r"solar", r"pollution",
              r"circular"),
    "policy": (r"polic(?:y|ies)", r"reforms?", r"business environment", r"regulations?", r"red tape", r"advocacy",
               r"lobby\w*", r"laws?\b", r"enabling environment"),
    "markets": (r"market systems?", r"value chains?", r"buyers", r"better prices?", r"middlem[ae]n", r"market access",
                r"(?:new|bigger|export) markets?", r"export\w*", r"sell together", r"small producers"),
    "productivity": (r"productiv\w*", r"working conditions", r"safety", r"safer", r"quality", r"defects?",
                     r"efficien\w*", r"accidents?", r"workplace", r"staff turnover", r"workers"),
    "plan": (r"business plan", r"\bplan\b", r"loans?", r"capital", r"funding", r"finance", r"money to start",
             r"viable"),
    "idea": (r"ideas?\b", r"what (?:business|to sell|to do)", r"which business"),
    "grow": (r"grow\w*", r"expan\w*", r"scal(?:e|ing) up", r"bigger", r"more (?:shops|branches|customers)"),
    "manage": (r"manag\w*", r"costs?", r"costing", r"pric\w*", r"records?", r"book-?keeping", r"accounts?",
               r"marketing", r"customers", r"stock", r"sales", r"profits?", r"money"),
}
NEED_ORDER = tuple(NEED_CUES)  # the first need that matches wins when one answer names several

GROUP_CUES: dict[str, tuple[str, ...]] = {
    "women": (r"wom[ae]n", r"female", r"lady", r"ladies", r"girls?", r"mother", r"wife", r"widow", r"^\W*she\W*$"),
    "refugees": (r"refugees?", r"displaced", r"fled", r"asylum", r"camp", r"idps?", r"host communit\w+"),
    "informal": (r"informal", rf"{NOT} registered", r"unregistered", r"no licen[cs]e", r"without (?:a )?licen[cs]e",
                 r"street vendor", r"hawker"),
    "none": (r"^\W*(?:no|nope|none|neither|nothing|n/?a)\b", r"none of (?:these|them|the above)", r"^\W*(?:a )?man\W*$",
             r"\bi'?m a man\b", r"\bmale\b", r"no particular group", r"all kinds", r"everyone", r"anyone"),
}

SECTOR_CUES: dict[str, tuple[str, ...]] = {
    "agriculture": (r"farm\w*", r"agri\w*", r"agro\w*", r"food", r"crops?", r"livestock", r"fish\w*", r"coffee",
                    r"dairy", r"poultry", r"vegetables?", r"fruits?", r"maize", r"rice", r"cocoa"),
    "manufacturing": (r"manufactur\w*", r"factor(?:y|ies)", r"garments?", r"textiles?", r"furniture", r"production",
                      r"industr\w*", r"metal\w*", r"plastics?", r"carpentry", r"tailor\w*"),
    "construction": (r"construct\w*", r"building", r"builders?", r"bricks?", r"masonry"),
    "services": (r"services?", r"touris\w*", r"hotels?", r"restaurants?", r"hospitality", r"transport", r"salon",
                 r"\bit\b", r"repair\w*", r"catering", r"cleaning"),
    "trade": (r"retail", r"shops?", r"trad(?:e|ing|er)", r"wholesale", r"kiosk", r"stall", r"sell\w*", r"market\b"),
    "other": (r"^\W*other\W*$", r"something else"),
}

SKIP_TEXT = re.compile(
    r"^\W*(?:skip(?: (?:it|this|that|this one|question))?|pass|next|next question|don'?t know|dunno|i don'?t know|"
    r"not sure|no idea|idk|i'?m not sure|prefer not to say|rather not say|no comment|whatever|any|anything)\W*$",
    re.IGNORECASE)
STOP_TEXT = re.compile(
    r"^\W*(?:stop|cancel|quit|exit|end|abort|enough|never ?mind|forget it|stop (?:it|this|please|the questions)|"
    r"please stop|i want to stop|no more questions|leave it|i'?m done)\W*$", re.IGNORECASE)
QUESTION = re.compile(r"\?\s*$|^\s*(?:what|which|who|whom|whose|when|where|why|how|is|are|can|could|do|does|"
                      r"should|would|will|tell me|explain)\b", re.IGNORECASE)

# Intents that are not answers: when the text holds no answer, the form lets the dialogue policies
# handle them (answer the question, greet, ...) and asks its question again afterwards.
INTERRUPT_CONFIDENCE = 0.7  # below this, "hmm" classified as greet is treated as an unclear answer
INTERRUPTING_INTENTS = {"help", "bot_challenge", "greet", "thank", "goodbye", "no_answer", "find_trainer",
                        "share_location", "more_trainers"}


def _cue(c: str) -> str:
    """Whole words ("camp" is not "camping"); a trailing `\\w*` allows any ending; "^..." is the whole answer."""
    if c.startswith("^"):
        return f"(?:{c})"
    return rf"\b(?:{c})" + ("" if c.endswith(r"\w*") else r"\b")


def _compile(cues: dict[str, tuple[str, ...]]) -> dict[str, re.Pattern[str]]:
    """One pattern per label."""
    return {k: re.compile("|".join(_cue(c) for c in v), re.IGNORECASE) for k, v in cues.items()}


_STAGE, _NEED, _GROUP, _SECTOR = (_compile(c) for c in (STAGE_CUES, NEED_CUES, GROUP_CUES, SECTOR_CUES))
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


def _found(patterns: dict[str, re.Pattern[str]], text: str) -> list[str]:
    text = text.translate(_APOSTROPHES)
    return [label for label, p in patterns.items() if p.search(text)]


def read_stage(text: str) -> list[str]:
    """Stages the text points at, the one that counts first ("no idea but want to start" is idea).

    Returns [] when none; two when they contradict (no idea yet, yet a running or growing business).
    """
    found = _found(_STAGE, text)
    ordered = [s for s in STAGE_ORDER if s in found]
    if "idea" in ordered and ({"running", "growing"} & set(ordered)) and "organisation" not in ordered:
        return ["idea", next(s for s in ordered if s in ("growing", "running"))]
    return ordered[:1]


def read_needs(text: str) -> list[str]:
    """Needs named in the text, most specific first (several when the answer names several)."""
    found = _found(_NEED, text)
    if "plan" in found and "idea" in found:  # "I have an idea and need a plan"
        found.remove("idea")
    if "manage" in found and len(found) > 1:  # its words ("sales", "prices") come up in every need
        found.remove("manage")
    return [n for n in NEED_ORDER if n in found]


def read_groups(text: str) -> list[str]:
    """Groups the text names (women, refugees, informal); ["none"] for a plain no."""
    found = [g for g in _found(_GROUP, text) if g != "none"]
    if found:
        return found
    return ["none"] if _GROUP["none"].search(text.translate(_APOSTROPHES)) else []


def read_sector(text: str) -> str | None:
    found = _found(_SECTOR, text)
    return found[0] if found else None


def is_skip(text: str) -> bool:
    return bool(SKIP_TEXT.match(text.translate(_APOSTROPHES)))


def is_stop(text: str) -> bool:
    return bool(STOP_TEXT.match(text.translate(_APOSTROPHES)))


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


def known(value: str | None) -> bool:
    return value is not None and value != SKIPPED


def sector_matters(values: dict[str, str | None]) -> bool:
    """Sector changes the advice for growing firms, organisations and sector-level needs."""
    return values.get("stage") in ("growing", "organisation") or values.get("need") in ("productivity", "markets")


def required_slots(values: dict[str, str | None]) -> list[str]:
    return ["stage", "need", "group"] + (["sector"] if sector_matters(values) else [])


def next_slot(values: dict[str, str | None], opening: bool = False) -> str | None:
    """The next question, or None when there is enough to recommend.

    When the message that started the finder already gives the stage and the need, it recommends
    straight away; otherwise it asks what is missing (never what is already known).
    """
    if opening and known(values.get("stage")) and known(values.get("need")):
        return None
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


def _read(slot: str, text: str, values: dict[str, str | None]) -> tuple[str | None, list[str]]:
    """(value, candidates): a value when the text answers `slot` clearly, several candidates when it is torn."""
    if slot == "stage":
        found = read_stage(text)
    elif slot == "need":
        found = read_needs(text)
        if values.get("stage") in NEEDS_BY_STAGE and len(found) > 1:  # prefer what fits the stage
            fitting = [n for n in found if n in NEEDS_BY_STAGE[values["stage"]]]
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
    text = "" if turn.text.startswith("/") else turn.text.strip()
    if turn.fresh and not turn.opening and (turn.intent == "stop" and turn.confidence >= 0.5 or is_stop(text)):
        return Step(values, interrupt=True)
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
    return Step(values, say, next_slot(values, turn.opening))


def _read_opening(text: str, values: dict[str, str | None]) -> None:
    """Fill what the message that started the finder already says (only clear, single answers)."""
    for slot in SLOTS:
        value, _ = _read(slot, text, values)
        if value and value != "none":  # "none" from a stray "no" in a sentence is not an answer
            values[slot] = value


def _answer(turn: Turn, text: str, values: dict[str, str | None]) -> Step | None:
    """Read an answer to the requested question; a Step only to interrupt or to say something."""
    slot = turn.requested
    if is_skip(text):
        values[slot] = SKIPPED
        return None
    value, several = _read(slot, text, values)
    for other in SLOTS:  # "I'm a refugee with a small shop" answers more than one question
        if other != slot and values[other] is None:
            extra, _ = _read(other, text, values)
            if extra and extra != "none":
                values[other] = extra
    if value:
        values[slot] = value
        return None
    if turn.intent == "skip" and turn.confidence >= 0.8:
        values[slot] = SKIPPED
        return None
    if (turn.intent in INTERRUPTING_INTENTS and turn.confidence >= INTERRUPT_CONFIDENCE
            or turn.intent == "ask_question" and looks_like_question(text)):
        return Step(values, interrupt=True)
    values[slot] = None
    if turn.intent == "find_programme":  # asked for the finder again: just ask the question again
        return None
    if several:
        labels = {"stage": STAGE_LABELS, "need": NEED_LABELS}[slot]
        named = " and ".join(f"“{labels[c].lower()}”" for c in several[:2])
        return Step(values, [Reply(f"You mentioned {named}. Which one fits best? Please pick one below.",
                                   [_button(slot, c, labels[c]) for c in several[:3]])])
    return Step(values, [Reply("Sorry, I didn't catch that. Please tap one of the options, type your answer in a "
                               "few words, or type “skip”.")])


# --- the description the router scores ------------------------------------------------------------

STAGE_TEXT = {
    "idea": "I want to start a business but I have no business idea yet.",
    "starting": "I have a business idea and want to start my business.",
    "running": "I run a small business.",
    "growing": "My small business is growing and I want to expand it.",
    "organisation": "We are an organisation (an association, a government agency or a project) that supports "
                    "small businesses.",
}
NEED_TEXT = {
    "idea": "I need to find a good business idea.",
    "plan": "I need to write a business plan.",
    "manage": "I want to manage my shop better: costing and pricing, record keeping and marketing my products.",
    "grow": "I want to grow my business.",
    "formalise": "I want to register my business and become legal.",
    "green": "I want a green business that saves energy and reduces waste.",
    "productivity": "I want better productivity, quality and working conditions.",
    "crisis": "I need to recover after a crisis and survive a shock.",
    "policy": "We want policy reform for a better business environment.",
    "markets": "We want value chain development so small producers reach better markets and better prices.",
}
GROUP_TEXT = {
    "women": "I am a woman entrepreneur.",
    "refugees": "I am a refugee.",
    "informal": "My business is informal, not registered.",
}
ORG_GROUP_TEXT = {
    "women": "We work with women entrepreneurs.",
    "refugees": "We work with refugees and host communities.",
    "informal": "We work with informal businesses.",
}
SECTOR_TEXT = {
    "agriculture": "We work in agriculture and food processing.",
    "manufacturing": "We work in manufacturing, in a factory.",
    "trade": "We work in trade and retail.",
    "services": "We work in services such as tourism and hotels.",
    "construction": "We work in construction.",
}


def groups_of(values: dict[str, str | None]) -> list[str]:
    group = values.get("group")
    return [g for g in (group or "").split(",") if g in GROUP_TEXT]


def describe(values: dict[str, str | None], own_words: list[str] = ()) -> str:
    """The text the router scores: one plain sentence per known answer, then the user's own words."""
    parts = []
    stage = values.get("stage")
    if stage in STAGE_TEXT:
        parts.append(STAGE_TEXT[stage])
    if values.get("need") in NEED_TEXT:
        parts.append(NEED_TEXT[values["need"]])
    table = ORG_GROUP_TEXT if stage == "organisation" else GROUP_TEXT
    parts += [table[g] for g in groups_of(values)]
    if values.get("sector") in SECTOR_TEXT:
        parts.append(SECTOR_TEXT[values["sector"]])
    parts += [w.strip() for w in own_words if w.strip()]
    return " ".join(parts)


def summary(values: dict[str, str | None]) -> str:
    """What the user told the finder, in a few words ("no business idea yet; needs a business idea")."""
    stage_words = {"idea": "no business idea yet", "starting": "an idea, not started yet",
                   "running": "a running business", "growing": "a growing business",
                   "organisation": "an organisation supporting businesses"}
    bits = []
    if values.get("stage") in stage_words:
        bits.append(stage_words[values["stage"]])
    if values.get("need") in NEED_LABELS:
        bits.append(NEED_LABELS[values["need"]].lower())
    labels = ORG_GROUP_LABELS if values.get("stage") == "organisation" else GROUP_LABELS
    bits += [labels[g].replace("I'm", "you're").replace("My", "your").lower() for g in groups_of(values)]
    if values.get("sector") in SECTOR_TEXT:
        bits.append(SECTOR_LABELS[values["sector"]].lower())
    return "; ".join(bits)


def tells_something(text: str) -> bool:
    """Whether a message says anything about the user (so it is worth passing to the router)."""
    if not text or text.startswith("/") or is_skip(text) or is_stop(text):
        return False
    return bool(read_stage(text) or read_needs(text) or [g for g in read_groups(text) if g != "none"]
                or read_sector(text))
