"""Small, readable cue lists that spot an entrepreneur's stage and groups in free text.

The vocabularies are fixed by the design (front matter `stages` and `groups`), so the cues that map
everyday wording onto them live here. What each *programme* is about is not here: that comes from
the programme pages' front matter (`keywords`, `summary`, `audience`, `stages`, `groups`), which
staff edit.

Every cue is a regular expression matched case-insensitively on whole words; a match keeps its
position in the original text so the router can quote the user's own words back to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Apostrophe variants become "'" (same length, so match positions stay valid in the original text).
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
NOT = r"(?:do ?n'?t|did ?n'?t|not|never|no)"  # "dont", "don't", "do not", "not", ...

# Which stage wins when cues of several person stages appear (see `main_stages`).
STAGE_PRIORITY = ("idea", "growing", "starting", "running")

# Stage cues, most specific first within each stage.
STAGE_CUES: dict[str, tuple[str, ...]] = {
    "idea": (
        r"(?:no|zero|not any|without any) (?:clear |business |good |real )?ideas?",
        r"(?:do ?n'?t|do not) have (?:a |an |any )?(?:clear |business |good )?ideas?",
        rf"{NOT} (?:know|sure) (?:what|which|where to (?:begin|start))\b[^.,;!?]*",
        r"what (?:\w+ ){0,2}business(?:es)? "
        r"(?:can|could|should|to|is|are|would|will|for)\b[^.,;!?]*",
        r"what (?:to|can i|could i|should i) (?:sell|do|make|start)\b[^.,;!?]*",
        r"(?:not|never|have ?n'?t|have not) (?:yet )?(?:chosen|decided)\b[^.,;!?]*",
        r"(?:ca ?n'?t|cannot|do ?n'?t|do not) think of\b[^.,;!?]*",
        r"nothing in mind", r"ideas? first", r"which business", r"good business for me",
        r"(?:find|come up with) (?:a |an |some )?(?:business )?ideas?",
    ),
    "starting": (
        r"business plan", r"start-?up",
        r"(?:need|write|make|prepare) (?:a |the |my )?plan "
        r"(?:to (?:start|open)|for (?:the |a |my )?(?:\w+ )?(?:loan|bank))\b",
        r"(?:want|wants|plan|planning|like|going|thinking|hope|will|'ll|about) (?:to |of |about )?"
        r"(?:open|start|launch|set up)\w*\b[^.,;!?]*",
        r"how (?:do i |can i |to )?(?:start|get started|launch)\b[^.,;!?]*", r"get started", r"not started yet",
        r"(?:my|an|the) idea\b[^.,;!?]*", r"idea (?:for|to|is)\b[^.,;!?]*", r"viable", r"capital(?! city)",
        r"how much money do i need", r"new business",
    ),
    "running": (
        r"i (?:run|own|manage|have) (?:a |an |my |small )+\w+(?: \w+)?", r"running (?:a |an |my |small )*\w+",
        r"(?:for|since) (?:\d+|many|some) years", r"since (?:19|20)\d\d",
        r"(?:my|our) (?!own )(?:\w+ "
        r")?(?:shop|store|restaurant|salon|workshop|bakery|kiosk|guesthouse|stall|business)"
        r"\b(?! plan| idea| association)",
        r"profits?", r"records?", r"stock", r"sales", r"customers?", r"(?:sell|selling) \w+", r"manage better",
        r"costing", r"(?:keep|write) (?:books|anything down)", r"marketing", r"advertis\w+", r"cash",
    ),
    "growing": (
        r"expand\w*(?: \w+){0,3}", r"expansion",
        r"(?:second|new|more|another) "
        r"(?:branch|shop|outlet|office|factory|location|city|cities|town|region|country)\w*",
        r"open \d+ more", r"scale up", r"new markets?", r"other (?:regions|cities|towns|countries)",
        r"doubled\w*(?: \w+){0,2}", r"hire more\b[^.,;!?]*", r"growth\b(?: \w+){0,2}", r"grown to\b(?: \w+){0,3}",
        r"grow(?:ing)? (?:fast|quickly|rapidly)", r"grew\b(?: \w+){0,2}", r"grow to \d+\b(?: \w+)?",
        r"export markets?", r"start exporting", r"bigger (?:contracts|orders|markets)",
        r"growing \w+ (?:firm|company|business)", r"in (?:two|three|four|five|\d+) years",
        # ten or more staff: a small/medium firm
        r"(?:[1-9]\d+) (?:employees|staff|workers|people)",
    ),
    "organisation": (
        r"ministry(?: of \w+)?", r"government\w*", r"municipality", r"(?:business |employers'? |trade |women'?s? )?"
        r"(?:association|federation|confederation)", r"chamber of commerce", r"(?:trade )?unions?", r"\bngos?\b",
        r"(?:un |development |government )?agency", r"project(?: team)?", r"donor", r"institute", r"institution",
        r"(?:national )?\w+ cent(?:re|er)", r"committee", r"bds provider", r"college", r"programme",
        r"(?:vocational|technical|training) school",
        r"policy|policies",
    ),
}

# Group cues: front matter `groups` values, and the everyday words that point at them.
GROUP_CUES: dict[str, tuple[str, ...]] = {
    "women": (r"wom[ae]n(?:-owned)?", r"female", r"(?:single )?mother", r"wife", r"husband", r"gender", r"ladies",
              r"girls?"),
    "low-literacy": (r"ca ?n'?t read", r"cannot read", r"never went to school\w*", r"little school\w*",
                     r"illiterate", r"read well"),
    "refugees": (r"refugees?", r"fled\b(?: \w+){0,2}", r"displaced", r"(?:refugee )?camp", r"asylum", r"unhcr"),
    "host-communities": (r"host(?:ing)? (?:community|communities|area)", r"locals"),
    "informal": (r"informal", rf"{NOT} registered\w*", r"unregistered", r"not (?:legal|formal)", r"no papers",
                 r"(?:no|without a?) licen[cs]e"),
    "government": (r"ministry(?: of \w+)?", r"government\w*", r"municipality", r"public agency", r"policy|policies"),
    "associations": (r"association", r"federation", r"confederation", r"chamber of commerce", r"trade unions?",
                     r"employers'? (?:organi[sz]ation|federation)"),
    "practitioners": (r"project(?: team| manager)?", r"\bngos?\b", r"donor\w*", r"development agency", r"un agency",
                      r"livelihoods? programme"),
    "manufacturing": (r"factory", r"factories", r"manufactur\w+", r"(?:food |processing )?plant", r"assembly",
                      r"garment", r"textiles?"),
    "exporters": (r"exports?\w*", r"international (?:buyers?|company|brands?)", r"suppliers?", r"supply chains?"),
}


@dataclass(frozen=True)
class Cue:
    """One cue found in the text: which label, and where (so it can be quoted)."""

    label: str
    start: int
    end: int


def _compile(cues: dict[str, tuple[str, ...]]) -> dict[str, re.Pattern[str]]:
    return {label: re.compile(r"\b(?:" + "|".join(f"(?:{c})" for c in patterns) + r")\b", re.IGNORECASE)
            for label, patterns in cues.items()}


_STAGES = _compile(STAGE_CUES)
_GROUPS = _compile(GROUP_CUES)


def normalise(text: str) -> str:
    """The text with curly apostrophes made straight (length-preserving)."""
    return text.translate(_APOSTROPHES)


def _find(patterns: dict[str, re.Pattern[str]], text: str) -> dict[str, list[Cue]]:
    text = normalise(text)
    found: dict[str, list[Cue]] = {}
    for label, pattern in patterns.items():
        hits = [Cue(label, m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]
        if hits:
            found[label] = hits
    return found


def detect_stages(text: str) -> dict[str, list[Cue]]:
    """Stages (idea, starting, running, growing, organisation) the text points at, with where."""
    return _find(_STAGES, text)


def main_stages(stages: dict[str, list[Cue]]) -> set[str]:
    """The person's stage that counts (the first of STAGE_PRIORITY spotted), plus `organisation` if
    spotted.

    "I run a shop and want to open a second branch" is growing, not running; "want to start a
    business but no idea what" is idea, not starting.
    """
    person = next((s for s in STAGE_PRIORITY if s in stages), None)
    return ({person} if person else set()) | ({"organisation"} & stages.keys())


def detect_groups(text: str) -> dict[str, list[Cue]]:
    """Groups (women, refugees, informal, ...) the text points at, with where."""
    return _find(_GROUPS, text)
