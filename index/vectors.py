"""The dense and lexical rankers over chunk texts: FAISS inner product and BM25."""

from __future__ import annotations

import re
from pathlib import Path

import bm25s
import faiss
import numpy as np

from index.text import FOLDED_STOPWORDS, normalise, stem, tokenize

FLAT_MAX = 50_000  # exact search up to here; HNSW graph beyond (stays fast past 100,000 chunks)
HNSW_M = 32
HNSW_EF_SEARCH = 96


def faiss_factory(n: int) -> str:
    """FAISS factory string for `n` vectors (inner product on normalised vectors = cosine)."""
    return "Flat" if n <= FLAT_MAX else f"HNSW{HNSW_M}"


def build_dense(vectors: np.ndarray) -> faiss.Index:
    index = faiss.index_factory(vectors.shape[1], faiss_factory(len(vectors)), faiss.METRIC_INNER_PRODUCT)
    index.add(vectors)
    return index


def load_dense(path: Path) -> faiss.Index:
    index = faiss.read_index(str(path))
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


# --- lexical -------------------------------------------------------------------------------------

class Lexical:
    """BM25 over chunk texts (bm25s sparse matrices).

    `fold`: accents are folded away from texts and queries first ("coûte" = "coute"), for the
    multilingual index; the English index keeps its terms as they always were.
    """

    def __init__(self, retriever: bm25s.BM25, fold: bool = False):
        self._retriever = retriever
        self.fold = fold

    def _terms(self, text: str) -> list[str]:
        return tokenize(normalise(text), FOLDED_STOPWORDS) if self.fold else tokenize(text)

    @classmethod
    def build(cls, texts: list[str], fold: bool = False) -> Lexical:
        lexical = cls(bm25s.BM25(), fold)
        # an empty corpus gets one placeholder row (callers map row ids back and drop unknown ones)
        lexical._retriever.index([lexical._terms(t) or ["_"] for t in texts or [""]], show_progress=False)
        return lexical

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder))

    @classmethod
    def load(cls, folder: Path, fold: bool = False) -> Lexical:
        return cls(bm25s.BM25.load(str(folder)), fold)

    def known_names(self, query: str) -> list[str]:
        """Acronyms and coded names in the query (GYB, R204, SCORE4Climate) that the corpus
        contains."""
        names = [w for w in re.findall(r"[A-Za-z0-9-]{2,}", query)
                 if (w.isupper() and len(w) >= 2) or (re.search(r"\d", w) and re.search(r"[A-Za-z]", w))]
        vocab = self._retriever.vocab_dict
        return [w for w in names if stem(normalise(w) if self.fold else w.lower()) in vocab]

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(row ids, BM25 scores) of the best `k` rows; empty when no query word is known."""
        vocab = self._retriever.vocab_dict
        tokens = [t for t in self._terms(query) if t in vocab]
        if not tokens:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        n = int(self._retriever.scores["num_docs"])
        ids, scores = self._retriever.retrieve([tokens], k=min(k, n), show_progress=False, n_threads=1)
        keep = scores[0] > 0
        return ids[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)
