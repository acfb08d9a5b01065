"""Small, readable cue lists that spot an entrepreneur's stage and groups in free text.

The vocabularies are fixed by the design (front matter `stages` and `groups`), so the cues that map
everyday wording onto them live here. What each *programme* is about is not here: that comes from the
programme pages' front matter (`keywords`, `summary`, `audience`, `stages`, `groups`), which staff edit.

Every cue is a regular expression matched case-insensitively on word boundaries; a match keeps its
position in the original text so the router can quote the user's own words back to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Apostrophe variants become "'" (same length, so match positions stay valid in the original text).
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
NOT = r"(?:do ?n'?t|did ?n'?t|not|never|no)"  # "dont", "don't", "do not", "not", ...

# Stage cues, most specific first within each stage. `idea` outranks `starting` when both appear
# ("want to start a business but no idea what").
STAGE_CUES: dict[str, tuple[str, ...]] = {
    "idea": (
        r"no (?:clear |business |good )?ideas?", rf"{NOT} (?:know|sure) (?:what|which)\b[^.,;!?]*",
        r"what (?:kind of |type of )?business (?:can|could|should|to|is)\b[^.,;!?]*", r"nothing in mind",
        r"ideas? first", r"which business", r"find (?:a |an )?(?:business )?idea",
    ),
    "starting": (
        r"business plan", r"(?:need|write|make) (?:a |the )?plan\b[^.,;!?]*", r"start-?up",
        r"(?:want|wants|plan|planning|like|going|thinking|hope) (?:to |of |about )?(?:open|start|launch|set up)\w*\b[^.,;!?]*",
        r"how (?:do i |can i |to )?(?:start|get started|launch)\b[^.,;!?]*", r"get started", r"not started yet",
        r"(?:my|an|the) idea\b[^.,;!?]*", r"idea (?:for|to)\b[^.,;!?]*", r"viable", r"capital",
        r"how much money do i need",
    ),
    "running": (
        r"i (?:run|own|manage|have) (?:a |an |my |small )+\w+(?: \w+)?", r"running (?:a |an |my |small )*\w+",
        r"(?:for|since) \d+ years", r"my (?:shop|store|restaurant|salon|workshop|bakery|kiosk|guesthouse|business)\b",
        r"profit", r"records?", r"stock", r"sales", r"customers?", r"(?:sell|selling) \w+", r"manage better",
        r"costing", r"keep books", r"marketing",
    ),
    "growing": (
        r"expand\w*(?: \w+){0,3}", r"expansion", r"(?:second|new|more) (?:branch|branches|shop|outlet)\w*",
        r"open \d+ more", r"scale up", r"new markets?", r"other regions", r"doubled\w*(?: \w+){0,2}",
        r"hire more\b[^.,;!?]*", r"growth\b(?: \w+){0,2}", r"(?:has )?grown to\b(?: \w+){0,3}", r"growing fast",
        r"bigger contracts", r"growing \w+ (?:firm|company|business)",
    ),
    "organisation": (
        r"ministry(?: of \w+)?", r"government\w*", r"municipality", r"(?:business |employers'? |trade |women'?s? )?"
        r"(?:association|federation|confederation)", r"chamber of commerce", r"(?:trade )?unions?", r"\bngos?\b",
        r"(?:un |development |government )?agency", r"project(?: team)?", r"donor", r"institute", r"institution",
        r"(?:national )?\w+ cent(?:re|er)", r"committee", r"bds provider", r"college", r"programme",
        r"policy|policies", r"we are (?:a|an|the) \w+(?: \w+)?",
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
    "informal": (r"informal", rf"{NOT} registered\w*", r"unregistered", r"not (?:legal|formal)"),
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
    return {label: re.compile(r"\b(?:" + "|".join(f"(?:{c})" for c in patterns) + r")", re.IGNORECASE)
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


def detect_groups(text: str) -> dict[str, list[Cue]]:
    """Groups (women, refugees, informal, ...) the text points at, with where."""
    return _find(_GROUPS, text)
