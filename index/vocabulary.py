"""The finder's vocabulary, defined once: the values of stage, need, group and sector, and the everyday
words (cues) that point at them in free text. Plain functions, no Rasa imports.

The programme finder (actions/finder.py) reads answers with these readers, and so does the turn reader
(actions/turn_reader.py) for a first message that describes the business; the router
(index/routing.py) takes the stage from `read_stage` too, so all of them read a sentence the same way.
What each *programme* is about is not here: that comes from the programme pages' front matter.
"""

from __future__ import annotations

import re

STAGES = ("idea", "starting", "running", "growing", "organisation")
NEEDS = ("idea", "plan", "manage", "grow", "formalise", "green", "productivity", "crisis", "policy", "markets")
GROUPS = ("women", "refugees", "informal", "none")
SECTORS = ("agriculture", "manufacturing", "trade", "services", "construction", "other")
CHOICES = {"stage": STAGES, "need": NEEDS, "group": GROUPS, "sector": SECTORS}

NOT = r"(?:do ?n'?t|did ?n'?t|doesn'?t|do not|have not|haven'?t|not|never|no)"

_DURATION_CUE = r"(?:for|since) (?:\d+|many|some|a few|two|three|five|ten) (?:years|yrs|months)"  # "since 4 yrs"
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
        r"(?:no|without an?|not any|zero) (?:clear |good |real )?(?:business )?ideas?(?! (?:how|where|why|when)\b)",
        rf"{NOT} (?:have|got) (?:a |an |any )?(?:clear |good )?(?:business )?idea",
        rf"{NOT} know (?:what|which)(?: \w+){{0,3}} (?:business|to (?:do|sell|start|make))",
        r"(?:need|want|looking for|find|get) (?:a |an |some )?(?:new |good )?(?:business )?ideas?",
        r"what (?:business|to sell|to do|to start)", r"which business", rf"but {NOT} know (?:what|which)", r"^\W*(?:an? )?(?:business )?idea\W*$",
    ),
    "growing": (
        r"(?:business|shop|company|firm|it|sales|we|enterprise) (?:is|are|'s|'re|has been|have been) "
        r"(?:growing|expanding)", r"growing (?:fast|quickly|business|company|firm)", r"(?:has|have) grown",
        r"expan(?:ding|ded|sion)", r"scal(?:e|ing) up", r"grow(?:s|ing)? (?:big|bigger|fast|quickly)", r"expand",
        r"(?:second|2nd|third|3rd|another|new|more|extra) (?:shop|branch|outlet|factory|location|store)s?", r"bigger", r"grew",
        r"(?:sales|turnover|revenue|orders|demand) (?:went up|have gone up|has gone up|are going up|grew|rose|"
        r"doubled|tripled|increased)", r"more volume",
        # a concrete target ("i want grow to 10 buses"); wanting to grow alone is not a growing business
        r"(?:want|wants|plan|planning|hope|need|would like) (?:to )?grow (?:to|into) (?:\d+|an? |one of)",
    ),
    "starting": (
        r"(?:have|got) (?:a |an |my )?(?:clear |good )?(?:business )?idea", r"(?:my|the|an?) idea",
        r"(?:want|plan|planning|going|about|like|hope|wish|ready) (?:to |of )?(?:start|open|launch|set up)\w*"
        r"(?! (?:keeping|using|saving|recording|writing|tracking|doing|paying|learning|counting|checking)\b)",
        r"start(?:ing)? (?:a|my|our|an|the) (?:own |new |small )?(?:\w+ )?(?:business|shop|company|enterprise)",
        r"not (?:yet )?started", r"start-?up", r"new business", r"^\W*start(?:ing)?\W*$", r"open(?:ing)? (?:a|my) ",
    ),
    "running": (
        r"(?:i|we) (?:run|own|have|manage|operate) (?:a |an |my |our |his |her |the |small |little |family )+"
        r"(?!(?:savings?|money|capital|ideas?|plans?|dreams?|skills?|questions?|experience|problems?|kids|children|"
        r"loans?|debts?|land|time)\b)\w+",  # "I have small savings": not a business
        r"running", r"already (?:have|run|own|open|started)", r"existing", r"established",
        r"(?:i|we) (?:already |still |now )?(?:sell|make|produce|grow|cook|sew|bake|repair|trade|import|farm|rent|keep|"
        r"process|print|weld|fix|raise|smoke|mill|brew|roast|knit|weave|supply|distribute|export|transport|manufacture)"
        r"\w* (?!a business)",
        r"\b\d+ (?:years?|yrs) (?:now|already)\b",  # "i run hardware shop 3 yrs now"
        r"(?:i'?m|i am|we are|we'?re) (?:an? )?(?:\w+ )?(?:selling|making|farming|sewing|baking|trading|cooking|"
        r"processing)\b",  # "im a woman selling vegetables"
        r"(?:i'?m|i am|we are|we'?re) (?:an? )?(?:\d+ )?(?:[a-z]+ )?(?:tailor|trader|farmer|vendor|baker|hairdresser|mechanic|"
        r"seller|shop ?keeper|carpenter|grower|producer|fisher(?:man|men)?|weaver|potter)s?\b",
        _DURATION_CUE,
        r"(?:i|we) (?:do|am doing|are doing) (?!(?:some|no|any|every)thing)\w+ing\b",  # "i do tailoring from my house"
        r"(?:my|our) (?!own )(?:\w+ )?(?:shop|store|restaurant|salon|workshop|bakery|kiosk|stall|business|company|farm|"
        r"factory|hotel|guest ?house|garage|pharmacy|mill|plant|clinic|firm|cooperative)"
        r"\b(?! plan| idea)",
        r"\b\d{2,} (?:workers?|employees|staff|people working)\b",  # "40 worker", "200 workers": a firm that runs
        r"(?:we are|we'?re|i am|i'?m) (?:an? )?(?:\w+ )?(?:exporters?|manufacturers?|processors?|factory|company|firm)\b",
        r"\b(?:with|have|has|got) (?:a |an |my |our )?(?:small |little |big )?(?:\w+ )?(?:shop|store|restaurant|salon|"
        r"workshop|bakery|kiosk|stall|farm|factory|garage|pharmacy|fish ?pond|pond)s?\b(?! plan| idea)",
    ),
}
_DURATION = re.compile(rf"\b{_DURATION_CUE}\b", re.IGNORECASE)
STAGE_ORDER = ("organisation", "idea", "growing", "starting", "running")  # which stage wins when several match

NEED_CUES: dict[str, tuple[str, ...]] = {
    "crisis": (r"crisis", r"recover\w*", r"flood(?:s|ed|ing)?", r"disasters?", r"covid", r"pandemic", r"shocks?", r"war\b",
               r"conflict", r"drought", r"earthquake", r"fire\b", r"lost (?:everything|my (?:shop|business))",
               r"cyclones?", r"storms?", r"hurricanes?", r"burn(?:ed|t) down", r"(?:stock|goods) (?:is |are )?(?:all )?gone"),
    "formalise": (r"regist\w*", r"formal(?:i[sz]\w*)?\b", r"licen[cs]e", r"permits?", r"\btax(?:es)?\b", r"legal\w*",
                  r"social security", r"papers"),
    "green": (r"green", r"energy", r"environment\w*", r"climate", r"waste", r"recycl\w*", r"solar", r"pollution",
              r"circular", r"electricity", r"power bills?", r"fuel"),
    "policy": (r"polic(?:y|ies)", r"reforms?", r"business environment", r"regulations?", r"red tape", r"advocacy",
               r"lobby\w*", r"laws?\b", r"enabling environment"),
    "markets": (r"market systems?", r"value chains?", r"buyers", r"better prices?", r"middle ?m[ae]n", r"market access",
                r"traders? (?:cheat|pay)\w*", r"(?:cheat|pay) us (?:on price|too little|very little|little)", r"low prices?",
                r"(?:new|bigger|export) markets?", r"export\w*", r"sell together", r"small producers"),
    "productivity": (r"productiv\w*", r"working conditions", r"safety", r"safer", r"quality", r"defects?",
                     r"efficien\w*", r"accidents?", r"workplace", r"staff turnover", r"(?<!\d )workers"),
    "plan": (r"business plan", r"\bplan\b", r"loans?", r"capital", r"funding", r"finance", r"money to start",
             r"viable"),
    "idea": (r"(?:need|want|find|looking for|get|generate|choose|pick|new|good|better|some|no|without an?) "
             r"(?:an? |some |new |good |better |business )*ideas?\b(?! (?:how|where|why|when)\b)",  # not "no idea how"
             r"what (?:business|to sell|to do)",
             r"which business", r"^\W*(?:an? )?(?:new )?(?:business )?ideas?\W*$"),
    "grow": (r"grow\w*", r"expan\w*", r"scal(?:e|ing) up", r"bigger", r"more (?:shops|branches|customers)"),
    "manage": (r"manag\w*", r"costs?", r"costing", r"pric\w*", r"records?", r"book-?keeping", r"accounts?",
               r"marketing", r"customers", r"stock", r"sales", r"profits?", r"money"),
}
NEED_ORDER = tuple(NEED_CUES)  # the first need that matches wins when one answer names several

GROUP_CUES: dict[str, tuple[str, ...]] = {
    "women": (r"wom[ae]n", r"female", r"lady", r"ladies", r"girls?", r"mother", r"wife", r"widow",
              r"my husband\b", r"^\W*she\W*$"),
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


def _cue(c: str) -> str:
    """Whole words ("camp" is not "camping"); a trailing `\\w*` allows any ending; "^..." is the whole answer."""
    if c.startswith("^"):
        return f"(?:{c})"
    return rf"\b(?:{c})" + ("" if c.endswith(r"\w*") else r"\b")


def _compile(cues: dict[str, tuple[str, ...]]) -> dict[str, re.Pattern[str]]:
    """One pattern per label."""
    return {k: re.compile("|".join(_cue(c) for c in v), re.IGNORECASE) for k, v in cues.items()}


_STAGE, _NEED, _GROUP, _SECTOR = (_compile(c) for c in (STAGE_CUES, NEED_CUES, GROUP_CUES, SECTOR_CUES))
CUE_PATTERNS = (_STAGE, _NEED, _GROUP, _SECTOR)
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


def _found(patterns: dict[str, re.Pattern[str]], text: str) -> list[str]:
    text = text.translate(APOSTROPHES)
    return [label for label, p in patterns.items() if p.search(text)]


def read_stage(text: str) -> list[str]:
    """Stages the text points at, the one that counts first ("no idea but want to start" is idea).

    Returns [] when none; two when they contradict (no idea yet, yet a running or growing business).
    """
    found = _found(_STAGE, text)
    if "idea" in found and "running" in found and not _STAGE["running"].search(_DURATION.sub(" ", text)):
        found.remove("running")  # "I finished school 2 years ago... since 2 years no job, I don't know which business"
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
    return ["none"] if _GROUP["none"].search(text.translate(APOSTROPHES)) else []


_NEGATED = re.compile(r"\b(?:not|no|never|nor|isn'?t|not an?)\s+(?:an? )?$", re.IGNORECASE)


def read_sector(text: str) -> str | None:
    """The sector the text names, not one it rules out ("a small grocery shop, not a factory" is trade)."""
    text = text.translate(APOSTROPHES)
    found = [label for label, p in _SECTOR.items()
             if any(not _NEGATED.search(text[:m.start()]) for m in p.finditer(text))]
    return found[0] if found else None
