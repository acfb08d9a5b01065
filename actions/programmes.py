"""What the replies need from the programme pages (knowledge/programmes/<id>.md): names, sections, aliases.

Plain functions over `index.knowledge.Document`s (no Rasa imports), so staff wording flows into replies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from index.knowledge import Document

MAX_PAYLOAD_BYTES = 64  # Telegram's callback_data limit
_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)
_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9-]{1,11})\)\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])")

Pages = Mapping[str, Document]


def sections(doc: Document) -> dict[str, str]:
    """The page's `## ` sections by lower-cased heading."""
    parts = _HEADING.split(doc.body)
    return {parts[i].strip().lower(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def section(doc: Document, heading: str) -> str:
    return sections(doc).get(heading.lower(), "")


def name(doc: Document) -> str:
    return str(doc.meta.get("name") or doc.title)


def short_name(doc: Document) -> str:
    """The acronym a name ends with ("Women's Entrepreneurship Development (WED)" -> "WED"), else the name."""
    m = _ACRONYM.search(name(doc))
    return m.group(1) if m else name(doc)


def plain_name(doc: Document) -> str:
    """The name without its trailing acronym."""
    return _ACRONYM.sub("", name(doc)).strip()


def package(doc: Document, package_id: str | None) -> dict | None:
    """A SIYB package's front matter (name, stages, summary) plus its id, or None."""
    if not package_id:
        return None
    data = (doc.meta.get("packages") or {}).get(package_id)
    return dict(data, id=package_id) if isinstance(data, dict) else None


def package_for_stage(doc: Document, stage: str | None) -> str | None:
    """The package whose front-matter `stages` hold this stage (idea -> gyb, ...), if any."""
    for pid, data in (doc.meta.get("packages") or {}).items():
        if stage and stage in (data or {}).get("stages", []):
            return pid
    return None


def first_sentences(text: str, limit: int = 260) -> str:
    """Whole sentences of the first paragraph, at most `limit` characters (at least one sentence)."""
    paragraph = text.strip().split("\n\n")[0].replace("\n", " ")
    out = ""
    for sentence in _SENTENCE_END.split(paragraph):
        if out and len(out) + 1 + len(sentence) > limit:
            break
        out = f"{out} {sentence}".strip()
    return out


def question_payload(subject: str, fallback: str) -> str:
    """A plain-text question about a programme that fits in a button payload ("What is AIMS?")."""
    for text in (f"What is {subject}?", f"What is {fallback}?"):
        if len(text.encode()) <= MAX_PAYLOAD_BYTES:
            return text
    return f"What is {fallback}?"[:MAX_PAYLOAD_BYTES]


def name_key(text: str) -> str:
    """A name as it is compared: lower case, words of letters and digits ("Women's ..." -> "women s ...")."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def aliases(pages: Pages) -> dict[str, str]:
    """Lower-cased ways people name each programme (id, acronym, name, SIYB package ids and names) -> id."""
    out: dict[str, str] = {}
    for pid, doc in pages.items():
        for alias in (pid, short_name(doc), plain_name(doc), name(doc)):
            out[alias.lower()] = pid
        head, _, rest = plain_name(doc).partition(" for ")
        if rest and len(head.split()) >= 2:  # "Systems Change Initiative" for "... Initiative for productive employment"
            out.setdefault(head.lower(), pid)
        for pkg_id, data in (doc.meta.get("packages") or {}).items():
            out[pkg_id.lower()] = pid
            out[str((data or {}).get("name", pkg_id)).lower()] = pid
    for alias, pid in (*((a, pid) for a, (pid, _) in TOOL_NAMES.items()), ("formalisation", "formalization"),
                       ("enterprise formalisation", "formalization")):  # tool names and spellings people use
        if pid in pages:
            out.setdefault(alias, pid)
    return out


# Tools people name instead of their programme: alias -> (programme id, how the tool is written)
TOOL_NAMES = {"get ahead": ("wed", "GET Ahead"), "germe": ("siyb", "GERME"), "imesun": ("siyb", "IMESUN")}


def translation_id(language: str, programme: str) -> str:
    """The document id of a programme page's translation: "fr/siyb" for knowledge/fr/siyb.md."""
    return f"{language}/{programme}"


def programme_id(text: str | None, pages: Pages) -> str | None:
    """The programme id a slot value or entity names ("SYB", "GET Ahead", "wed"), or None."""
    if not text:
        return None
    key = re.sub(r"\s+", " ", str(text)).strip().lower()
    if key in pages:
        return key
    return aliases(pages).get(key)


def source(doc: Document) -> dict:
    """The programme page as a source: {"title", "url", "programme"}."""
    return {"title": name(doc), "url": doc.meta.get("url") or doc.source_url, "programme": doc.programme}
