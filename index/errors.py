"""Errors found in the knowledge folder, phrased for the staff who must fix them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KnowledgeError:
    """One problem in one file: where it is, what is wrong, and how to fix it."""

    file: Path
    # 1-based line (for the CSV: the line of the row in the file), None if not tied to one
    line: int | None
    message: str
    fix: str = ""
    column: str | None = None  # CSV column name, when the problem is in one cell

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        if self.column:
            where += f" (column '{self.column}')"
        text = f"{where}: {self.message}"
        return f"{text}. Fix: {self.fix}" if self.fix else text


class KnowledgeInvalid(Exception):
    """The knowledge folder has errors; nothing was built or published."""

    def __init__(self, errors: list[KnowledgeError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]) + (f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""))
