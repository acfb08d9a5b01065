"""Read and validate the knowledge folder: markdown documents with YAML front matter.

Programme documents live in `knowledge/programmes/<id>.md`; guides and FAQs anywhere else under
`knowledge/`. Every problem becomes a `KnowledgeError` naming the file, the line and the fix.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from index.errors import KnowledgeError

# The fixed vocabulary of programme ids (../shared/design.md), with the unit's area for each.
PROGRAMME_AREAS: dict[str, str] = {
    "siyb": "Entrepreneurship and Management Skills",
    "wed": "Entrepreneurship and Management Skills",
    "sme-resilience": "SME Productivity, Working Conditions and Resilience",
    "productivity-ecosystems": "SME Productivity, Working Conditions and Resilience",
    "score": "SME Productivity, Working Conditions and Resilience",
    "formalization": "Enterprise Formalization",
    "greening": "Greening SMEs",
    "sci": "Access to Markets",
    "value-chains": "Access to Markets",
    "aims": "Access to Markets",
    "eese": "Enabling Environment Reform",
}
PROGRAMME_IDS = tuple(PROGRAMME_AREAS)
STAGES = ("idea", "starting", "running", "growing", "organisation")
SIYB_PACKAGES = ("gyb", "syb", "iyb", "eyb")
PROGRAMME_FIELDS = ("id", "name", "area", "summary", "audience", "stages", "groups", "url")
SKIPPED_FILES = {"readme.md"}
LANGUAGES = ("en", "fr", "es", "pt")  # what a document's `language:` may be (default en)


@dataclass
class Document:
    """One markdown document of the knowledge folder."""

    doc_id: str  # path relative to the knowledge folder, without ".md"
    path: Path
    title: str
    programme: str
    source_url: str | None
    language: str
    meta: dict[str, Any]
    body: str
    body_line: int  # file line number of the body's first line
    content_hash: str

    @property
    def is_programme(self) -> bool:
        return self.doc_id.startswith("programmes/")


@dataclass
class Knowledge:
    """Everything read from one knowledge folder."""

    root: Path
    documents: list[Document] = field(default_factory=list)
    errors: list[KnowledgeError] = field(default_factory=list)
    warnings: list[KnowledgeError] = field(default_factory=list)

    @property
    def programmes(self) -> dict[str, Document]:
        return {d.meta["id"]: d for d in self.documents if d.is_programme}


def _key_line(front: list[str], key: str, offset: int) -> int:
    """File line of `key:` in the front matter (offset = file line of the front matter's first
    line)."""
    for i, line in enumerate(front):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return offset + i
    return offset - 1


def split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str, int, list[KnowledgeError]]:
    """Split `---` YAML front matter from the body. Returns (meta, body, body_line, errors)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, text, 1, [KnowledgeError(path, 1, "the file does not start with front matter",
                                            "put a block between two '---' lines at the very top, "
                                            "with at least 'title:' and 'programme:'")]
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return {}, "", 1, [KnowledgeError(path, 1, "the front matter is never closed", "add a line with '---' after the last front matter field")]
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(exc, "problem", None) or "invalid YAML"
        return {}, "", 1, [KnowledgeError(path, line, f"the front matter is not valid YAML ({problem})",
                                          "write one 'key: value' per line; put text containing ':' or '#' in quotes")]
    if not isinstance(meta, dict):
        return {}, "", 2, [KnowledgeError(path, 2, "the front matter is not a list of 'key: value' fields", "write one 'key: value' per line")]
    return meta, "\n".join(lines[end + 1:]), end + 2, []


def _validate_programme(path: Path, meta: dict[str, Any], front: list[str]) -> list[KnowledgeError]:
    errors = []
    line = lambda key: _key_line(front, key, 2)  # noqa: E731
    for key in PROGRAMME_FIELDS:
        if meta.get(key) in (None, ""):
            errors.append(KnowledgeError(path, 1, f"the programme document has no '{key}'", f"add '{key}:' to the front matter"))
    pid = meta.get("id")
    if pid is not None and pid not in PROGRAMME_AREAS:
        errors.append(KnowledgeError(path, line("id"), f"unknown programme id '{pid}'", f"use one of: {', '.join(PROGRAMME_IDS)}"))
    for key, allowed in (("stages", STAGES),):
        value = meta.get(key)
        if value is not None and (not isinstance(value, list) or any(v not in allowed for v in value)):
            errors.append(KnowledgeError(path, line(key), f"'{key}' must be a list of: {', '.join(allowed)}",
                                         f"write e.g. '{key}: [{allowed[0]}, {allowed[1]}]'"))
    for key in ("groups", "keywords"):
        value = meta.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            errors.append(KnowledgeError(path, line(key), f"'{key}' must be a list of words", f"write e.g. '{key}: [women, refugees]'"))
    packages = meta.get("packages")
    if packages is not None and (not isinstance(packages, dict) or any(
            k not in SIYB_PACKAGES or not isinstance(v, dict) for k, v in packages.items())):
        errors.append(KnowledgeError(
            path, line("packages"), "'packages' must map package ids to their details",
            f"use package ids {', '.join(SIYB_PACKAGES)}, each with name, stages and summary"))
    return errors


def read_document(root: Path, path: Path) -> tuple[Document | None, list[KnowledgeError]]:
    """Read and validate one markdown file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [KnowledgeError(path, 1, f"the file is not UTF-8 text ({exc.reason})", "save the file as UTF-8")]
    meta, body, body_line, errors = split_front_matter(path, text)
    if errors:
        return None, errors
    front = text.splitlines()[1:body_line - 2]
    doc_id = path.relative_to(root).with_suffix("").as_posix()
    is_programme = doc_id.startswith("programmes/")
    if is_programme:
        errors += _validate_programme(path, meta, front)
        meta.setdefault("programme", meta.get("id"))
        meta.setdefault("title", meta.get("name"))
        meta.setdefault("source_url", meta.get("url"))
    else:
        for key in ("title", "programme"):
            if meta.get(key) in (None, ""):
                errors.append(KnowledgeError(path, 1, f"the document has no '{key}'", f"add '{key}:' to the front matter"))
        programme = meta.get("programme")
        if programme not in (None, "") and programme not in PROGRAMME_AREAS:
            errors.append(KnowledgeError(path, _key_line(front, "programme", 2), f"unknown programme id '{programme}'",
                                         f"use one of: {', '.join(PROGRAMME_IDS)}"))
    language = str(meta.get("language") or "en").strip().lower()
    if language not in LANGUAGES:
        errors.append(KnowledgeError(path, _key_line(front, "language", 2), f"unknown language '{meta.get('language')}'",
                                     f"write 'language:' as one of {', '.join(LANGUAGES)} (en when left out)"))
    if not body.strip():
        errors.append(KnowledgeError(path, body_line, "the document has no text after the front matter",
                                     "write the content below the closing '---' (use '## ' headings for sections)"))
    if errors:
        return None, errors
    return Document(
        doc_id=doc_id, path=path, title=str(meta["title"]), programme=str(meta["programme"]),
        source_url=meta.get("source_url") or None, language=language, meta=meta,
        body=body, body_line=body_line, content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    ), []


def load_knowledge(root: Path) -> Knowledge:
    """Read every markdown document under `root`, collecting all errors (it never stops at the
    first)."""
    root = Path(root)
    knowledge = Knowledge(root=root)
    if not root.is_dir():
        knowledge.errors.append(KnowledgeError(root, None, "the knowledge folder does not exist", "pass --knowledge DIR with the right folder"))
        return knowledge
    seen_ids: dict[str, Path] = {}
    for path in sorted(root.rglob("*.md")):
        if path.name.lower() in SKIPPED_FILES or any(p.startswith(".") for p in path.relative_to(root).parts):
            continue
        doc, errors = read_document(root, path)
        knowledge.errors += errors
        if doc is None:
            continue
        if doc.is_programme:
            pid = doc.meta["id"]
            if pid in seen_ids:
                knowledge.errors.append(KnowledgeError(path, 2, f"duplicate programme id '{pid}' (also in {seen_ids[pid]})",
                                                       "keep one document per programme id; merge or delete the other"))
                continue
            seen_ids[pid] = path
        knowledge.documents.append(doc)
    for pid in PROGRAMME_IDS:
        if pid not in seen_ids:
            knowledge.warnings.append(KnowledgeError(root / "programmes" / f"{pid}.md", None,
                                                     f"no document for programme '{pid}'", "add one so the bot can describe and recommend it"))
    return knowledge
