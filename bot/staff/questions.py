"""Unanswered questions grouped by similarity (normalised text, then token Jaccard), and their CSV
export.

Deliberately light: no embedding model in the gateway. Two questions join a group when their content
words overlap enough (Jaccard >= 0.5 against the group's first question) or their normalised text is
equal.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from index.text import normalise, plural_stem

JACCARD = 0.5
STOPWORDS = frozenset("""
a an the is are was were be been am i me my we our you your it its this that these those he she they them
to of for in on at by with from about into as and or but if so do does did can could would should will shall
may might must have has had how what when where which who whom why please hi hello hey there any some
""".split())


def tokens(text: str) -> frozenset[str]:
    """Content words of a question, with a plural 's' dropped."""
    words = [w for w in normalise(text).split() if w not in STOPWORDS]
    return frozenset(plural_stem(w) for w in words)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


@dataclass
class Group:
    """Questions that ask the same thing, newest first."""

    key: str
    tokens: frozenset[str]
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def ids(self) -> list[int]:
        return [int(r["id"]) for r in self.rows]

    @property
    def newest(self) -> float:
        return max(r["asked_at"] for r in self.rows)

    @property
    def question(self) -> str:
        """The most common wording (the newest among equals)."""
        counts = Counter(normalise(r["question"]) for r in self.rows)
        best = max(counts.values())
        return next(r["question"] for r in self.rows if counts[normalise(r["question"])] == best)

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "count": self.count, "ids": self.ids, "newest": iso(self.newest),
                "examples": list(dict.fromkeys(r["question"] for r in self.rows))[:5]}


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def group_questions(rows: Iterable[dict[str, Any]], threshold: float = JACCARD) -> list[Group]:
    """Greedy grouping (rows newest first); groups come back newest first."""
    groups: list[Group] = []
    by_text: dict[str, Group] = {}
    by_token: dict[str, list[Group]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r["asked_at"], reverse=True):
        text, words = normalise(row["question"]), tokens(row["question"])
        group = by_text.get(text)
        if group is None and words:
            candidates = {id(g): g for w in words for g in by_token.get(w, [])}.values()
            scored = [(jaccard(words, g.tokens), g) for g in candidates]
            score, best = max(scored, key=lambda s: s[0], default=(0.0, None))
            group = best if score >= threshold else None
        if group is None:
            group = Group(text, words)
            groups.append(group)
            for w in words:
                by_token[w].append(group)
        by_text.setdefault(text, group)
        group.rows.append(row)
    return sorted(groups, key=lambda g: g.newest, reverse=True)


def _cell(value: Any) -> Any:
    """Guard against spreadsheet formulas in questions typed by the public."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(groups: list[Group]) -> str:
    """One row per question, with its group number and size."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "group_size", "group_question", "id", "asked_at", "question", "best_score", "handled"])
    for n, group in enumerate(groups, 1):
        for row in group.rows:
            score = row.get("best_score")
            writer.writerow([n, group.count, _cell(group.question), row["id"], iso(row["asked_at"]),
                             _cell(row["question"]), "" if score is None else f"{score:.3f}", row.get("handled", 0)])
    return out.getvalue()
