"""Answer-time search: dense (FAISS) and lexical (BM25) rankers fused, with an answerability
verdict.

The fused score of a passage is its cosine similarity to the question plus a bonus for lexical
overlap (relative to the best lexical match of that question), so names and acronyms the embedding
model does not know (GYB, R204, SCORE4Climate) still pull their passages up. Whether a question is
answerable is decided by meaning, not word overlap: the closest passage's cosine similarity must
reach the threshold calibrated on the evaluation set (`sme-advisor eval`), or the question must name
an acronym or coded name the materials contain ("R204?"). In lexical-only mode (an evaluation
baseline) the BM25 score stands in for the similarity.

Languages (issue 16): a question's language is given by the caller or detected (`index.language`).
English, or no clear language, searches the English space with the English model exactly as before;
French, Spanish and Portuguese search every passage with the multilingual model (`index.spaces`),
with the same lexical bonus, a bonus for passages written in the user's language, and their own
answerability threshold. A build without multilingual vectors (made before them) answers every
question in the English space and says so in the log until it is rebuilt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from index.builds import (
    MULTILINGUAL_VECTORS,
    VECTORS,
    build_path,
    build_versions,
    current_version,
    read_chunks,
    read_manifest,
    verify_build,
)
from index.chunking import Chunk
from index.language import detect
from index.spaces import Space
from index.vectors import Lexical, load_dense

if TYPE_CHECKING:
    import faiss

logger = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)

Mode = Literal["dense", "lexical", "fused"]
CANDIDATES = 40  # passages each ranker contributes before fusion
# bonus (in cosine units) for the best lexical match; chosen on the eval set (0.15-0.3 all beat
# either ranker)
LEXICAL_WEIGHT = 0.2
LEXICAL_ONLY_SCALE = 12.0  # BM25 score that counts as a full match in lexical-only mode
# a follow-up's passages from the programme under discussion (tuned on
# tests/eval/conversations.yaml)
TOPIC_BONUS = 0.05
# a question that names a section ("What is Start Your Business?") gets that section
HEADING_BONUS = 0.15
# Questions in French, Spanish or Portuguese (the multilingual model; chosen on the tuned part of
# tests/eval/questions_multilingual.yaml, `sme-advisor eval`):
MULTILINGUAL_LANGUAGES = frozenset({"fr", "es", "pt"})
# a passage written in the user's language, among those of the programme that comes first
LANGUAGE_BONUS = 0.1
# the lexical bonus of the best lexical match (as LEXICAL_WEIGHT: 0.1 and more lose hit@1 here, the
# names of programmes still count)
MULTILINGUAL_LEXICAL_WEIGHT = 0.05
# the closest passage's cosine an answerable question reaches: the middle of the tuned part's gap
# between off-topic 0.232 and on-topic 0.269 (with the FR/ES/PT documents of 2 Dec; "¿qué es IMESUN?",
# 0.243, is answerable by the name). More passages raise off-topic scores: recalibrate with
# `sme-advisor eval` when many documents are added.
MULTILINGUAL_THRESHOLD = 0.25


@dataclass(frozen=True)
class Topic:
    """What a conversation is about: a programme id and how it is named ("Start Your Business
    (SYB)")."""

    programme: str
    name: str


@dataclass
class SearchResult:
    programme: str
    doc_id: str
    title: str
    section: str
    text: str
    score: float
    source_url: str | None
    language: str = "en"  # the language the passage is written in (its document's `language:`)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SearchResponse:
    question: str
    results: list[SearchResult]
    answerable: bool
    # the question's language as searched (given by the caller or detected; None: not clear, searched
    # as English). Not in `to_dict`: the CLI contract's top level stays as it is.
    language: str | None = None

    def to_dict(self) -> dict:
        return {"question": self.question, "results": [r.to_dict() for r in self.results], "answerable": self.answerable}


@dataclass
class LoadedIndex:
    """One published build, fully in memory. Immutable once loaded: swapped whole on reload."""

    version: str
    manifest: dict
    chunks: list[Chunk]
    vectors: np.ndarray
    dense: faiss.Index
    lexical: Lexical
    headings: dict[str, list[int]] = field(default_factory=dict)
    # the multilingual model's vectors and the accent-folded BM25 of every chunk (None: a build made
    # before them)
    multilingual_vectors: np.ndarray | None = None
    lexical_all: Lexical | None = None

    def __post_init__(self) -> None:
        self.english = Space.english(self.chunks, self.vectors, self.dense, self.lexical,
                                     lexical_is_english=self.manifest.get("lexical_rows") == "en")
        if not self.headings:
            self.headings = self.english.headings
        self.english.headings = self.headings
        self.multilingual: Space | None = None
        if self.multilingual_vectors is not None and self.lexical_all is not None:
            self.multilingual = Space.multilingual(self.chunks, self.multilingual_vectors, self.lexical_all)
        self._by_programme: dict[str, list[int]] = {}
        for i, chunk in enumerate(self.chunks):
            self._by_programme.setdefault(chunk.programme, []).append(i)

    def rows_of(self, programme: str) -> list[int]:
        """The rows of one programme's passages."""
        return self._by_programme.get(programme, [])

    @classmethod
    def load(cls, index_dir: Path, version: str) -> LoadedIndex:
        """Load one build after checking its files against the manifest's checksums (raises
        IndexDamaged)."""
        problems = verify_build(index_dir, version, legacy_ok=True)
        if problems:
            raise IndexDamaged(version, problems)
        folder = build_path(index_dir, version)
        manifest = read_manifest(index_dir, version) or {}
        multilingual = bool(manifest.get("multilingual_model"))
        try:
            loaded = cls(
                version=version,
                manifest=manifest,
                chunks=read_chunks(folder),
                vectors=np.load(folder / VECTORS),
                dense=load_dense(folder / "dense.faiss"),
                lexical=Lexical.load(folder / "lexical"),
                multilingual_vectors=np.load(folder / MULTILINGUAL_VECTORS) if multilingual else None,
                lexical_all=Lexical.load(folder / "lexical_all", fold=True) if multilingual else None,
            )
        # unreadable files
        except (OSError, ValueError, RuntimeError, EOFError, KeyError, TypeError) as exc:
            raise IndexDamaged(version, [f"{type(exc).__name__}: {exc}"]) from exc
        rows = len(loaded.chunks)
        second = loaded.multilingual_vectors
        if loaded.vectors.shape[0] != rows or loaded.dense.ntotal != rows or (second is not None and second.shape[0] != rows):
            raise IndexDamaged(version, [f"{rows} chunks, {loaded.vectors.shape[0]} vectors, "
                                         f"{loaded.dense.ntotal} in dense.faiss"
                                         + (f", {second.shape[0]} multilingual vectors" if second is not None else "")])
        return loaded


@dataclass(frozen=True)
class SearchPath:
    """How one question is searched: its language, the space, the model that embeds it, the
    answerability threshold."""

    language: str | None
    space: Space
    encode: Callable[[list[str]], np.ndarray]
    threshold: float
    lexical_weight: float


class IndexNotReady(RuntimeError):
    """No index has been published yet (run `sme-advisor index build`)."""


class IndexDamaged(RuntimeError):
    """A build's files do not match its manifest or do not load: it is refused, never served."""

    def __init__(self, version: str, problems: list[str]):
        self.version = version
        self.problems = problems
        super().__init__(f"index build {version} is damaged: {'; '.join(problems)}")


class Searcher:
    """Loads the published index once and swaps in newer builds when they are published."""

    def __init__(self, index_dir: Path, encode: Callable[[list[str]], np.ndarray], threshold: float,
                 multilingual_encode: Callable[[list[str]], np.ndarray] | None = None,
                 multilingual_threshold: float = MULTILINGUAL_THRESHOLD):
        """`encode`: the English model; `multilingual_encode`: the multilingual one (None: every
        question is searched in English)."""
        self.index_dir = Path(index_dir)
        self.encode = encode
        self.threshold = threshold
        self.multilingual_encode = multilingual_encode
        self.multilingual_threshold = multilingual_threshold
        self._warned: set[str] = set()  # builds without multilingual vectors already logged
        self._index: LoadedIndex | None = None
        self._lock = threading.Lock()
        # damaged build -> why; not tried again (a rebuild gets a new name)
        self.refused: dict[str, str] = {}

    @property
    def version(self) -> str | None:
        return self._index.version if self._index else None

    @property
    def manifest(self) -> dict:
        return self._index.manifest if self._index else {}

    def _is_loaded(self, version: str | None) -> bool:
        return not version or version in self.refused or bool(self._index and self._index.version == version)

    def reload_if_changed(self) -> bool:
        """Load the published build if it differs from the one in memory. Returns True when swapped.

        A damaged build is refused with one error line: the build in memory keeps serving, or, when
        nothing is loaded yet (a restart), the newest intact earlier build on disk.
        """
        version = current_version(self.index_dir)
        if not version or self._is_loaded(version):
            return False
        with self._lock:
            if self._is_loaded(version):
                return False
            try:
                loaded = LoadedIndex.load(self.index_dir, version)
            except IndexDamaged as exc:
                self.refused[version] = str(exc)
                fallback = None if self._index else self._intact_build_before(version)
                serving = self._index or fallback
                logger.error("%s; refused, %s; run 'sme-advisor index build' to rebuild it", exc,
                             f"serving build {serving.version}" if serving else "no intact build to serve")
                if fallback is None:
                    return False
                loaded = fallback
            self._index = loaded  # a single reference swap: searches in flight keep the old build
        logger.info("index %s loaded (%d chunks)", loaded.version, len(loaded.chunks))
        return True

    def _intact_build_before(self, damaged: str) -> LoadedIndex | None:
        """The newest other build on disk, made with the same model as the damaged one, that loads
        intact."""
        model = (read_manifest(self.index_dir, damaged) or {}).get("model")
        for version in reversed(build_versions(self.index_dir)):
            if version in self.refused or (model and (read_manifest(self.index_dir, version) or {}).get("model") != model):
                continue
            try:
                return LoadedIndex.load(self.index_dir, version)
            except IndexDamaged as exc:
                self.refused[version] = str(exc)
        return None

    def warm_up(self) -> None:
        """Load the published build and both models now (the multilingual one loads on first use,
        about 3 s), so that the first question in any language is not the slow one."""
        self.reload_if_changed()
        self.encode(["warm up"])
        if self.multilingual_encode:
            self.multilingual_encode(["warm up"])

    def passages(self, doc_id: str) -> list[SearchResult]:
        """Every passage of one document, in the document's order (for "Tell me more")."""
        index = self._index_or_raise()
        return [self._result(c, 0.0) for c in index.chunks if c.doc_id == doc_id]

    def _index_or_raise(self) -> LoadedIndex:
        if self._index is None:
            self.reload_if_changed()
        if self._index is None:
            raise IndexNotReady("no index is published yet: run 'sme-advisor index build'")
        return self._index

    def search(self, question: str, k: int = 5, mode: Mode = "fused", topic: Topic | None = None,
               language: str | None = None) -> SearchResponse:
        """The best `k` passages for a question, best first, and whether they answer it.

        `topic`: what the conversation is about, for a follow-up ("how much does it cost?"): its
        name (if any) joins the question for the dense ranker only (not the lexical one, nor
        section-name matches), every passage of its programme is a candidate, and those passages get
        a small bonus (TOPIC_BONUS). `language`: the question's language ('en', 'fr', 'es', 'pt'), detected when None.
        """
        index = self._index_or_raise()
        path = self._path(index, question, language)
        scores, relevance = self._score(index, path, question, mode, topic)
        order = sorted(scores, key=scores.__getitem__, reverse=True)[:k]
        results = [self._result(index.chunks[i], scores[i]) for i in order]
        answerable = bool(results) and (relevance >= path.threshold or bool(path.space.lexical.known_names(question)))
        return SearchResponse(question, results, answerable, path.language)

    def relevance(self, question: str, mode: Mode = "fused", language: str | None = None) -> float:
        """How close the best passage is to the question (what `answerable` compares to the
        threshold of the question's language)."""
        index = self._index_or_raise()
        return self._score(index, self._path(index, question, language), question, mode)[1]

    def threshold_for(self, language: str | None) -> float:
        """The answerability threshold a question in `language` is held to."""
        return self.multilingual_threshold if language in MULTILINGUAL_LANGUAGES and self.multilingual_encode else self.threshold

    def _path(self, index: LoadedIndex, question: str, language: str | None) -> SearchPath:
        """Where a question is searched: the multilingual space for French, Spanish and Portuguese
        (when the build and this searcher have the multilingual model), else the English one."""
        language = detect(question) if language is None else language
        if language in MULTILINGUAL_LANGUAGES and self.multilingual_encode:
            if index.multilingual is not None:
                return SearchPath(language, index.multilingual, self.multilingual_encode, self.multilingual_threshold,
                                  MULTILINGUAL_LEXICAL_WEIGHT)
            if index.version not in self._warned:
                self._warned.add(index.version)
                logger.warning("index build %s has no multilingual vectors (made before they existed): "
                               "questions in French, Spanish and Portuguese are searched in English; "
                               "run 'sme-advisor index build' to rebuild it", index.version)
        return SearchPath(language, index.english, self.encode, self.threshold, LEXICAL_WEIGHT)

    def _score(self, index: LoadedIndex, path: SearchPath, question: str, mode: Mode,
               topic: Topic | None = None) -> tuple[dict[int, float], float]:
        """(candidate row -> score for the chosen ranker, relevance of the best passage)."""
        space = path.space
        # the question's own words
        lex_ids, lex_scores = space.lexical_search(question, CANDIDATES)
        if mode == "lexical":
            scores = {int(i): float(min(s / LEXICAL_ONLY_SCALE, 1.0)) for i, s in zip(lex_ids, lex_scores)}
            return scores, max(scores.values(), default=0.0)
        # the topic shapes the meaning
        query = path.encode([f"{question} ({topic.name})" if topic and topic.name else question])
        candidates = space.dense_rows(query, CANDIDATES)
        named = space.named_rows(question)
        if mode == "fused":
            candidates |= {int(i) for i in lex_ids} | set(named)
        if topic:  # every passage of the programme under discussion competes
            candidates |= {i for i in index.rows_of(topic.programme) if space.member[i]}
        rows = np.fromiter(candidates, dtype=np.int64)
        # exact cosine for every candidate, whichever ranker found it
        cosine = space.vectors[rows] @ query[0]
        scores = dict(zip(rows.tolist(), cosine.tolist()))
        relevance = float(cosine.max()) if len(cosine) else 0.0
        if mode == "fused" and len(lex_scores):
            best = float(lex_scores.max())
            for i, s in zip(lex_ids.tolist(), lex_scores.tolist()):
                scores[i] += path.lexical_weight * s / best
        if mode == "fused":
            for i in set(named):
                scores[i] += HEADING_BONUS
        if topic:
            for i in scores:
                if index.chunks[i].programme == topic.programme:
                    scores[i] += TOPIC_BONUS
        if path.space is index.multilingual and scores:
            self._prefer_language(index, scores, path.language)
        return scores, relevance

    @staticmethod
    def _prefer_language(index: LoadedIndex, scores: dict[int, float], language: str | None) -> None:
        """Passages in the user's language of the best passage's programme move up (LANGUAGE_BONUS):
        which programme comes first stays the meaning's choice, how it is told prefers the user's
        language."""
        best = index.chunks[max(scores, key=scores.__getitem__)].programme
        for i in scores:
            if index.chunks[i].programme == best and index.chunks[i].language == language:
                scores[i] += LANGUAGE_BONUS

    @staticmethod
    def _result(chunk: Chunk, score: float) -> SearchResult:
        return SearchResult(chunk.programme, chunk.doc_id, chunk.title, chunk.section, chunk.text,
                            round(float(score), 4), chunk.source_url, chunk.language)
