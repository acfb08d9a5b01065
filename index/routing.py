"""The programme finder: free text about a person or an organisation -> the programmes that fit,
best first.

Everything programme-specific comes from the knowledge folder, so staff change routing by editing
markdown: each programme page's front matter (`keywords`, `summary`, `audience`, `stages`, `groups`,
and for SIYB the `packages`) plus the semantic index of all documents. A programme's score adds up:
- the best passage of that programme for the text (the searcher's fused dense + lexical score);
- how close the text is, in meaning, to the closest of the programme's `keywords` phrases;
- literal `keywords` hits: every content word of a phrase appears in the text (plurals and verb
  forms count; "penalties or fines" also hits on either side of the "or");
- the stage and groups spotted by the cue lists (`index.routing_cues`): a bonus when the text's main
  stage is in the programme's `stages` (a malus when it is not), one per spotted group in `groups`.
The SIYB package is the one whose `stages` hold the most advanced clear stage cue (idea > growing >
starting > running); without one, the package summary closest in meaning. A text is off-topic (empty
list) when no passage reaches the calibrated relevance threshold and no keyword phrase of two or
more words (nor two phrases) hits: "best hotels in zanzibar" stays off-topic though "hotel" is a
keyword. `why` quotes the user's words that led there (the stage cue, keyword or group cue) and the
summary. One query embedding per call: the searcher reuses the router's vector through a one-entry
cache (keyed by the exact text, so concurrent calls stay correct; at worst one embeds twice).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from index.knowledge import Knowledge, load_knowledge
from index.language import detect
from index.routing_cues import (
    STAGE_PRIORITY,
    Cue,
    detect_groups,
    detect_stages,
    main_stages,
    normalise,
)
from index.search import MULTILINGUAL_LANGUAGES, IndexNotReady, Searcher
from index.text import STOPWORDS, keyword_stem
from index.vocabulary import read_stage

logger = logging.getLogger(__name__)

# Weights, in cosine units: round numbers; results on tests/eval/routing.yaml (`sme-advisor eval`)
# and on held-out texts stay flat when any one of them moves by half its value.
KEYWORD_SIMILARITY_WEIGHT = 0.5  # times the cosine to the programme's closest keyword phrase
KEYWORD_HIT_WEIGHT = 0.1  # per literal keyword phrase found in the text (at most KEYWORD_HIT_CAP)
KEYWORD_HIT_CAP = 2
KEYWORD_GAP = 2  # other words allowed between the words of a keyword phrase
# + when the programme's `stages` include the text's main stage, - when they do not
STAGE_WEIGHT = 0.05
GROUP_WEIGHT = 0.06  # per spotted group in the programme's `groups` (at most 2)
CANDIDATES = 80  # passages asked of the searcher; programmes without one get the weakest score seen
MARGIN = 0.15  # further recommendations must score within this of the best one
MAX_RECOMMENDATIONS = 3
# Off-topic when the closest passage's cosine is below this (and no strong keyword hit). The eval
# set separates at 0.26-0.31 (the routing report of `sme-advisor eval` prints the middle of the
# gap).
RELEVANCE_THRESHOLD = 0.28
# Without an index (not built yet), a text is on-topic when a stage or group cue is spotted or it is
# this close to some keyword phrase.
FALLBACK_KEYWORD_SIMILARITY = 0.45
QUOTE_WORDS = 12
_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*", re.IGNORECASE)
_CLAUSE = re.compile(r"[.!?;,:\n()]+|\s+but\s+|\s+-\s+", re.IGNORECASE)


@dataclass
class Recommendation:
    programme: str
    package: str | None
    score: float
    why: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Package:
    id: str
    name: str
    stages: frozenset[str]
    summary: str


@dataclass(frozen=True)
class Profile:
    """What the router knows of one programme, all from its page's front matter."""

    id: str
    name: str
    summary: str
    stages: frozenset[str]
    groups: frozenset[str]
    keywords: tuple[str, ...]
    keyword_stems: tuple[tuple[str, ...], ...]  # one alternative per entry ("a or b" gives two)
    packages: tuple[Package, ...]
    # stems of name, summary, audience and keywords (to pick what to quote)
    vocabulary: frozenset[str]

    @classmethod
    def from_meta(cls, meta: dict) -> Profile:
        keywords = tuple(str(k) for k in meta.get("keywords") or [])
        alternatives = [alt for k in keywords for alt in re.split(r"\s+or\s+", k)] + list(keywords)
        stems = {s for s in (_stems(alt) for alt in alternatives) if s}
        packages = tuple(Package(pid, str(p.get("name", pid)), frozenset(p.get("stages") or []),
                                 str(p.get("summary", ""))) for pid, p in (meta.get("packages") or {}).items())
        words = " ".join([str(meta["name"]), str(meta["summary"]), str(meta.get("audience", "")), *keywords,
                          *(f"{pkg.name} {pkg.summary}" for pkg in packages)])
        return cls(str(meta["id"]), str(meta["name"]), str(meta["summary"]), frozenset(meta.get("stages") or []),
                   frozenset(meta.get("groups") or []), keywords, tuple(sorted(stems)), packages,
                   frozenset(_stems(words)))


def _stems(text: str) -> tuple[str, ...]:
    """The content-word stems of a keyword phrase, in order, without repeats."""
    words = (w.lower().replace("'", "") for w in _WORD.findall(text))
    return tuple(dict.fromkeys(keyword_stem(w) for w in words if w not in STOPWORDS))


def _token_spans(text: str) -> list[tuple[str, int, int]]:
    """(stem, start, end) of each content word of the text, in order."""
    tokens = []
    for m in _WORD.finditer(text):
        word = m.group().lower().replace("'", "")
        if word not in STOPWORDS:
            tokens.append((keyword_stem(word), m.start(), m.end()))
    return tokens


def keyword_hit(stems: tuple[str, ...], tokens: list[tuple[str, int, int]]) -> tuple[int, int] | None:
    """Where every word of a keyword phrase appears close together (at most KEYWORD_GAP words
    apart)."""
    where: dict[str, list[int]] = {s: [] for s in stems}
    for i, (s, _, _) in enumerate(tokens):
        if s in where:
            where[s].append(i)
    if not all(where.values()):
        return None
    for first in sorted(i for positions in where.values() for i in positions):
        last = first + len(stems) - 1 + KEYWORD_GAP
        chosen = [min((i for i in positions if first <= i <= last), default=-1) for positions in where.values()]
        if min(chosen) >= 0:
            return tokens[min(chosen)][1], tokens[max(chosen)][2]
    return None


def quote(text: str, start: int, end: int) -> str:
    """The user's own words around [start, end): the enclosing clause, at most QUOTE_WORDS words."""
    separators = list(_CLAUSE.finditer(text))
    left = max((m.end() for m in separators if m.end() <= start), default=0)
    right = min((m.start() for m in separators if m.start() >= max(end, left + 1)), default=len(text))
    clause = text[left:right].strip()
    words = clause.split()
    if len(words) > QUOTE_WORDS:  # keep the matched words, trimmed to a window around them
        before = len(text[left:start].split())
        first = max(0, min(before - 2, len(words) - QUOTE_WORDS))
        words = words[first:first + QUOTE_WORDS]
    return " ".join(words).strip(" \"'")


def _closest_clause(text: str, vocabulary: frozenset[str]) -> tuple[int, int] | None:
    """Where the clause sharing most words with a programme's vocabulary is (None if no clause
    shares any)."""
    best, span = 0, None
    for m in re.finditer(r"[^.!?;,:\n()]+", text):
        shared = len({t for t, _, _ in _token_spans(m.group())} & vocabulary)
        if shared > best:
            best, span = shared, (m.start() + len(m.group()) - len(m.group().lstrip()), m.end())
    return span


@dataclass(frozen=True)
class _Profiles:
    """The programme profiles and their vectors, replaced as a whole when the pages change."""

    profiles: list[Profile]
    phrase_owner: np.ndarray  # the profile each keyword phrase belongs to
    phrase_vectors: dict[str, np.ndarray]  # per model: one vector per keyword phrase
    package_vectors: dict[str, dict[str, np.ndarray]]  # per model: package id -> vector of its name and summary


class Router:
    """Routes free text to programmes; build once (loads profiles, embeds keyword phrases), call
    often."""

    def __init__(self, knowledge: Knowledge, encode: Callable[[list[str]], np.ndarray],
                 index_dir: Path | None = None, threshold: float = RELEVANCE_THRESHOLD,
                 multilingual_encode: Callable[[list[str]], np.ndarray] | None = None):
        """`encode`: the English model; `multilingual_encode`: the multilingual one, for texts in
        French, Spanish and Portuguese (None: those are routed with the English model)."""
        self.knowledge_dir = knowledge.root
        self._encode = encode
        self._multilingual_encode = multilingual_encode
        self._last: tuple[str, np.ndarray] | None = None
        self.searcher = Searcher(index_dir, self._cached_encode, threshold,
                                 multilingual_encode=multilingual_encode) if index_dir else None
        self.threshold = threshold
        self._load(knowledge)
        if self.searcher:
            self.searcher.reload_if_changed()  # load the index now, not on the first call

    @classmethod
    def from_folder(cls, knowledge_dir: Path, encode: Callable[[list[str]], np.ndarray],
                    index_dir: Path | None = None, threshold: float = RELEVANCE_THRESHOLD,
                    multilingual_encode: Callable[[list[str]], np.ndarray] | None = None) -> Router:
        knowledge = load_knowledge(Path(knowledge_dir))
        if not knowledge.programmes:
            raise ValueError(f"no programme documents in {knowledge_dir}: "
                             f"{'; '.join(map(str, knowledge.errors[:3]))}")
        return cls(knowledge, encode, index_dir, threshold, multilingual_encode)

    def _load(self, knowledge: Knowledge) -> None:
        """Build the profiles and their vectors aside, then swap them in at once: a route running in another
        thread while staff publish new pages sees the old set or the new one, never half of each."""
        profiles = [Profile.from_meta(doc.meta) for _, doc in sorted(knowledge.programmes.items())]
        phrases = [(i, k) for i, p in enumerate(profiles) for k in p.keywords]
        packages = [(p, pkg) for p in profiles for pkg in p.packages]
        # per model ("en", and "multilingual" when there is one): keyword phrase and package vectors
        phrase_vectors: dict[str, np.ndarray] = {}
        package_vectors: dict[str, dict[str, np.ndarray]] = {}
        for model, encode in self._encoders().items():
            phrase_vectors[model] = encode([k for _, k in phrases])
            vectors: np.ndarray | list[np.ndarray] = (
                encode([f"{pkg.name}. {pkg.summary}" for _, pkg in packages]) if packages else [])
            package_vectors[model] = {pkg.id: v for (_, pkg), v in zip(packages, vectors)}
        self._profiles = _Profiles(profiles, np.array([i for i, _ in phrases], dtype=np.int64), phrase_vectors,
                                   package_vectors)

    @property
    def profiles(self) -> list[Profile]:
        return self._profiles.profiles

    def _encoders(self) -> dict[str, Callable[[list[str]], np.ndarray]]:
        return {"en": self._encode} | ({"multilingual": self._multilingual_encode} if self._multilingual_encode else {})

    def _model_for(self, language: str | None) -> str:
        """Which model's vectors a text in `language` is compared with."""
        return "multilingual" if language in MULTILINGUAL_LANGUAGES and self._multilingual_encode else "en"

    def reload_if_changed(self) -> bool:
        """Re-read the programme pages when a newer index is published (staff edited knowledge)."""
        if not self.searcher or not self.searcher.reload_if_changed():
            return False
        knowledge = load_knowledge(self.knowledge_dir)
        if knowledge.errors or not knowledge.programmes:
            logger.warning("knowledge folder has errors: routing keeps the previous programme pages")
            return False
        self._load(knowledge)
        return True

    def _cached_encode(self, texts: list[str]) -> np.ndarray:
        if self._last and texts == [self._last[0]]:
            return self._last[1]
        return self._encode(texts)

    def route(self, text: str) -> list[Recommendation]:
        """The programmes that fit `text`, best first (1-3 of them); [] when it is off-topic."""
        language = detect(text)  # before normalising: accents tell languages apart
        text = normalise(text.strip())
        if not text:
            return []
        model = self._model_for(language)
        query = self._encoders()[model]([text])
        if model == "en":
            self._last = (text, query)
        passages, relevant = self._passages(text, language)
        stages, groups = detect_stages(text), detect_groups(text)
        main, tokens = self._main_stage(text, stages), _token_spans(text)
        loaded = self._profiles  # one consistent set for this call, even if staff publish meanwhile
        similarity = np.full(len(loaded.profiles), -1.0)
        np.maximum.at(similarity, loaded.phrase_owner, loaded.phrase_vectors[model] @ query[0])
        scored = []
        for i, p in enumerate(loaded.profiles):
            hits = [span for span in (keyword_hit(s, tokens) for s in p.keyword_stems) if span]
            score = (passages.get(p.id, min(passages.values(), default=0.0))
                     + KEYWORD_SIMILARITY_WEIGHT * max(float(similarity[i]), 0.0)
                     + KEYWORD_HIT_WEIGHT * min(len(hits), KEYWORD_HIT_CAP)
                     + (STAGE_WEIGHT if p.stages & main else -STAGE_WEIGHT if main else 0.0)
                     + GROUP_WEIGHT * min(len(p.groups & groups.keys()), 2))
            strong = len(hits) >= 2 or any(len(text[a:b].split()) >= 2 for a, b in hits)
            scored.append((score, p, hits, strong))
        if relevant is None:  # no index: fall back on the front matter alone
            relevant = bool(stages or groups) or float(similarity.max()) >= FALLBACK_KEYWORD_SIMILARITY
        if not relevant and not any(strong for _, _, _, strong in scored):
            return []
        scored.sort(key=lambda s: s[0], reverse=True)
        best = scored[0][0]
        return [self._recommend(loaded, text, query[0], model, score, p, hits, stages, groups)
                for score, p, hits, _ in scored[:MAX_RECOMMENDATIONS] if score >= best - MARGIN]

    @staticmethod
    def _main_stage(text: str, stages: dict[str, list[Cue]]) -> set[str]:
        """The stage that counts, read as the programme finder reads it (index.vocabulary), so both
        agree on a sentence; the wider cue lists here decide when the finder's reader finds none."""
        read = read_stage(text)
        if len(read) == 1:
            return {read[0]} | ({"organisation"} & stages.keys())
        return main_stages(stages)

    def _passages(self, text: str, language: str | None) -> tuple[dict[str, float], bool | None]:
        """Best fused passage score per programme, and whether any passage is relevant enough (None:
        no index)."""
        if self.searcher is None:
            return {}, None
        try:
            response = self.searcher.search(text, k=CANDIDATES, language=language or "en")
        except IndexNotReady:
            logger.warning("no index yet: routing on front matter only")
            return {}, None
        best: dict[str, float] = {}
        for r in response.results:
            best.setdefault(r.programme, r.score)
        return best, response.answerable

    @staticmethod
    def _package(loaded: _Profiles, p: Profile, query: np.ndarray, model: str,
                 stages: dict[str, list[Cue]]) -> tuple[Package | None, list[Cue]]:
        """The package for the main person stage spotted, else the closest package summary."""
        for stage in STAGE_PRIORITY:
            for pkg in p.packages:
                if stage in stages and stage in pkg.stages:
                    return pkg, stages[stage]
        if not p.packages:
            return None, []
        return max(p.packages, key=lambda pkg: float(loaded.package_vectors[model][pkg.id] @ query)), []

    def _recommend(self, loaded: _Profiles, text: str, query: np.ndarray, model: str, score: float, p: Profile,
                   hits: list[tuple[int, int]], stages: dict[str, list[Cue]], groups: dict[str, list[Cue]]
                   ) -> Recommendation:
        package, package_cues = self._package(loaded, p, query, model, stages)
        # Evidence, most telling first: the package's stage cue, keyword hits, group cues, the
        # clause closest to the programme's words, stage cues; else the first clause. longest first
        spans = [(c.start, c.end) for c in sorted(package_cues, key=lambda c: c.start - c.end)]
        spans += sorted(hits, key=lambda span: span[0] - span[1])  # longest keyword match first
        spans += [(c.start, c.end) for g in sorted(p.groups & groups.keys()) for c in groups[g]]
        closest = _closest_clause(text, p.vocabulary)
        spans += [closest] if closest else []
        spans += [(c.start, c.end) for s in sorted(p.stages & stages.keys()) for c in stages[s]]
        said = quote(text, *spans[0]) if spans else quote(text, 0, 0)
        if package:
            name = f"{package.name} ({package.id.upper()}), part of {p.name}"
            why = f'You said "{said}", which fits {name}: {package.summary}'
        else:
            why = f'You said "{said}", which fits {p.name}: {p.summary}'
        return Recommendation(p.id, package.id if package else None, round(float(score), 4), why)
