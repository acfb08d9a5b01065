"""Turn search results into a reply: a readable passage, its sources and follow-up buttons.

Plain functions (no Rasa imports), so they are tested directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.search import SearchResponse

MAX_ANSWER_CHARS = 700
MAX_SOURCES = 3
FOLLOW_UPS = [
    {"title": "Find a programme for me", "payload": "/find_programme"},
    {"title": "Find a trainer near me", "payload": "/find_trainer"},
]
NOT_FOUND = (
    "Sorry, I couldn't find anything about that in the SME programmes' materials, so I'd rather not guess. "
    "I can help with starting or improving a business (ideas, business plans, records, costing, marketing), "
    "registering a business, social security and tax, going green, coping with a crisis, and finding the "
    "right ILO programme or a trainer near you. I've passed your question on to the team."
)


@dataclass
class Answer:
    text: str
    answered: bool
    programme: str | None = None
    sources: list[dict] = field(default_factory=list)
    buttons: list[dict] = field(default_factory=lambda: list(FOLLOW_UPS))


def trim(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    """Shorten to whole sentences (or list items) within `limit` characters."""
    text = re.sub(r"\n{3,}", "\n\n", text.strip())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind(".\n"), cut.rfind("\n- "), cut.rfind("\n\n"))
    return (cut[: end + 1] if end > limit // 3 else cut.rsplit(" ", 1)[0]).rstrip() + " …"


def compose_answer(response: SearchResponse) -> Answer:
    """The reply for a search response: the best passage with its sources, or a plain 'not found'."""
    if not response.answerable or not response.results:
        return Answer(text=NOT_FOUND, answered=False)
    best = response.results[0]
    floor = best.score * 0.85
    sources, seen = [], set()
    for r in response.results:
        if r.score >= floor and r.doc_id not in seen and len(sources) < MAX_SOURCES:
            seen.add(r.doc_id)
            sources.append({"title": r.title, "url": r.source_url, "programme": r.programme})
    heading = best.section if best.section.lower() != "overview" else best.title
    text = f"**{heading}**\n\n{trim(best.text)}"
    return Answer(text=text, answered=True, programme=best.programme, sources=sources)
