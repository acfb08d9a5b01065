"""Split documents into passages by markdown section; each chunk keeps where it came from."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass

from index.knowledge import Document

HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
MAX_CHARS = 900  # all-MiniLM-L6-v2 reads about 256 word pieces: keep a chunk within that


@dataclass(frozen=True)
class Chunk:
    """A passage: one markdown section (or part of a long one) of one document."""

    chunk_id: str
    doc_id: str
    programme: str
    title: str
    section: str
    text: str
    source_url: str | None
    language: str = "en"  # the document's `language:` (builds before issue 16 have English only)

    @property
    def embed_text(self) -> str:
        """What is embedded and lexically indexed: the passage with its document and section names.
        """
        return f"{self.title}. {self.section}.\n{self.text}"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()[:32]

    def to_dict(self) -> dict:
        return asdict(self)


def _sections(body: str, default: str) -> list[tuple[str, str]]:
    """(heading, text) pairs; text before the first heading belongs to `default`."""
    sections: list[tuple[str, list[str]]] = [(default, [])]
    for line in body.splitlines():
        m = HEADING.match(line)
        if m and len(m.group(1)) <= 3:
            sections.append((m.group(2).strip(), []))
        else:
            sections[-1][1].append(line)
    return [(h, "\n".join(lines).strip()) for h, lines in sections if "\n".join(lines).strip()]


def _split_long(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Split at paragraph (then line) boundaries so each part stays under `limit` characters."""
    if len(text) <= limit:
        return [text]
    parts, current = [], ""
    for para in re.split(r"\n\s*\n", text):
        pieces = [para] if len(para) <= limit else para.splitlines()
        for piece in pieces:
            if current and len(current) + len(piece) + 2 > limit:
                parts.append(current)
                current = ""
            current = f"{current}\n\n{piece}" if current else piece
    if current:
        parts.append(current)
    return parts


def chunk_document(doc: Document) -> list[Chunk]:
    """Chunks of one document, in reading order."""
    chunks: list[Chunk] = []
    for heading, text in _sections(doc.body, "Overview"):
        for part in _split_long(text):
            chunks.append(Chunk(
                chunk_id=f"{doc.doc_id}#{len(chunks)}", doc_id=doc.doc_id, programme=doc.programme,
                title=doc.title, section=heading, text=part, source_url=doc.source_url,
                language=doc.language,
            ))
    return chunks
