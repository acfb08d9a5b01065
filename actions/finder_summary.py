"""What the programme finder's answers say, in words: the description the router scores and the short
summary the recommendation repeats back ("an idea, not started yet; write a business plan"). No Rasa imports.
"""

from __future__ import annotations

from actions.finder_questions import GROUP_LABELS, NEED_LABELS, ORG_GROUP_LABELS, SECTOR_LABELS

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
