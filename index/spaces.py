"""The two passage spaces a search runs in, and the candidates each ranker brings from them.

- English: the English model's vectors (FAISS), the BM25 index of the English passages and their
  section names, over the passages of documents whose `language` is `en`. A question in English (or
  in no clear language) is searched here exactly as before issue 16: passages in other languages
  never take part, so they cannot move the English figures.
- Multilingual: the multilingual model's vectors and a BM25 index with accents folded, over every
  passage, for questions in French, Spanish and Portuguese (an English passage still answers when
  nothing in the user's language does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from index.chunking import Chunk
from index.text import normalise
from index.vectors import Lexical

if TYPE_CHECKING:
    import faiss

_NORMALISE = re.compile(r"[^a-z0-9]+")


def plain_key(text: str) -> str:
    """How the English space compares questions with section names: lower case, words padded with
    spaces (accented letters split words, as they always did)."""
    return f" {_NORMALISE.sub(' ', text.lower()).strip()} "


def folded_key(text: str) -> str:
    """The multilingual space's comparison key: accents folded ("Créer" = "creer")."""
    return f" {normalise(text)} "


def heading_names(chunks: list[Chunk], rows: list[int] | None = None,
                  key: Callable[[str], str] = plain_key) -> dict[str, list[int]]:
    """Distinctive section names -> rows: "start your business" and "syb" for "Start Your Business
    (SYB)", over `rows` (default: every chunk).

    Names used by more than two documents ("What it is", "Who it is for") are not distinctive and
    are left out.
    """
    found: dict[str, list[int]] = {}
    docs: dict[str, set[str]] = {}
    for i in range(len(chunks)) if rows is None else rows:
        chunk = chunks[i]
        m = re.match(r"^(.*?)\s*(?:\(([^)]+)\))?\s*$", chunk.section)
        for name in (m.group(1), m.group(2)) if m else (chunk.section,):
            name_key = key(name or "")
            if len(name_key.split()) >= 2 or (name and name.isupper() and len(name) >= 3):
                found.setdefault(name_key, []).append(i)
                docs.setdefault(name_key, set()).add(chunk.doc_id)
    return {k: v for k, v in found.items() if len(docs[k]) <= 2}


@dataclass
class Space:
    """The passages one search path ranks (`member`, a mask over the chunk rows) and its rankers.

    `vectors` holds the path's model's vector of every chunk row; `dense` is a FAISS index over them
    (None: exact numpy search); `lexical_rows` gives the chunk row of each row of `lexical`.
    """

    member: np.ndarray
    vectors: np.ndarray
    lexical: Lexical
    lexical_rows: np.ndarray
    headings: dict[str, list[int]]
    key: Callable[[str], str]
    dense: faiss.Index | None = None

    @classmethod
    def english(cls, chunks: list[Chunk], vectors: np.ndarray, dense: faiss.Index, lexical: Lexical,
                lexical_is_english: bool) -> Space:
        """The English space; `lexical_is_english`: the BM25 index holds the English chunks only
        (builds from before issue 16 hold every chunk)."""
        member = np.array([c.language == "en" for c in chunks], dtype=bool)
        rows = np.flatnonzero(member) if lexical_is_english else np.arange(len(chunks))
        headings = heading_names(chunks, np.flatnonzero(member).tolist())
        return cls(member, vectors, lexical, rows, headings, plain_key, dense)

    @classmethod
    def multilingual(cls, chunks: list[Chunk], vectors: np.ndarray, lexical: Lexical) -> Space:
        """The multilingual space: every passage."""
        return cls(np.ones(len(chunks), dtype=bool), vectors, lexical, np.arange(len(chunks)),
                   heading_names(chunks, key=folded_key), folded_key)

    def dense_rows(self, query: np.ndarray, k: int) -> set[int]:
        """The `k` member rows closest to the query vector."""
        if self.dense is None:
            rows = np.flatnonzero(self.member)
            order = np.argsort(-(self.vectors[rows] @ query[0]), kind="stable")[:k]
            return set(rows[order].tolist())
        others = len(self.member) - int(self.member.sum())  # ask for more: some rows are left out
        _, ids = self.dense.search(query, min(k + others, len(self.member)))
        return set([int(i) for i in ids[0] if i >= 0 and self.member[i]][:k])

    def lexical_search(self, question: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(chunk rows, BM25 scores) of the best `k` member rows for the question's words."""
        ids, scores = self.lexical.search(question, k)
        known = ids < len(self.lexical_rows)  # an empty corpus's placeholder row is dropped
        rows, scores = self.lexical_rows[ids[known]], scores[known]
        keep = self.member[rows]
        return rows[keep], scores[keep]

    def named_rows(self, question: str) -> list[int]:
        """Rows whose distinctive section name the question contains."""
        asked = self.key(question)
        return [row for name, rows in self.headings.items() if name in asked for row in rows]
