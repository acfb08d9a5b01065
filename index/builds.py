"""Versioned index builds with a manifest, incremental re-embedding and an atomic publish.

Layout under the index folder (settings.index_dir):
    builds/<version>/manifest.json   model, dimension, faiss factory, content hash of every document,
                                     sha256 and size of every other file of the build ("files")
    builds/<version>/chunks.jsonl    one chunk per line, row i = vector i
    builds/<version>/vectors.npy     float32, L2-normalised (the English model, `model`)
    builds/<version>/vectors_multilingual.npy  the same chunks by the multilingual model
                                     (`multilingual_model`), for questions in French, Spanish, Portuguese
    builds/<version>/dense.faiss     FAISS inner-product index over vectors.npy
    builds/<version>/lexical/        BM25 index of the English chunks (`lexical_rows`: "en")
    builds/<version>/lexical_all/    BM25 index of every chunk, accents folded (multilingual search)
    CURRENT                          the published version's name (replaced atomically)

A build is written under a temporary name and renamed into place; CURRENT is then swapped with
os.replace, so a reader sees either the old or the new build, never half of one. A build whose files
no longer match their checksums (a truncated or overwritten file) is damaged: readers refuse it
(`verify_build`) and the next build replaces it instead of calling it unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np

from index.chunking import Chunk, chunk_document
from index.errors import KnowledgeInvalid
from index.knowledge import load_knowledge
from index.vectors import Lexical, build_dense, faiss_factory

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
VECTORS = "vectors.npy"
MULTILINGUAL_VECTORS = "vectors_multilingual.npy"


@dataclass(frozen=True)
class VectorModel:
    """An embedding model as a build sees it: its name (recorded in the manifest), vector size and
    embedding function."""

    name: str
    dimension: int
    embed: Callable[[list[str]], np.ndarray]


@dataclass
class BuildReport:
    version: str
    published: bool  # False when nothing changed and the current build was kept
    chunks: int
    embedded: int  # chunks whose vectors were computed in this build
    reused: int  # chunks whose vectors were taken from the previous build
    seconds: float
    changed_documents: list[str]
    # what was wrong with the previous build, if it was damaged
    repaired: list[str] = field(default_factory=list)
    multilingual_embedded: int = 0  # chunks the multilingual model embedded in this build


def current_version(index_dir: Path) -> str | None:
    try:
        return (Path(index_dir) / CURRENT).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def build_path(index_dir: Path, version: str) -> Path:
    return Path(index_dir) / "builds" / version


def read_manifest(index_dir: Path, version: str | None = None) -> dict | None:
    version = version or current_version(index_dir)
    if not version:
        return None
    try:
        return json.loads((build_path(index_dir, version) / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):  # ValueError: a damaged manifest (bad JSON or UTF-8)
        return None


def file_checksums(folder: Path) -> dict[str, dict]:
    """relative path -> {"sha256", "bytes"} of every file of a build but its manifest."""
    sums = {}
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.name != MANIFEST):
        data = path.read_bytes()
        sums[path.relative_to(folder).as_posix()] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    return sums


def verify_build(index_dir: Path, version: str, legacy_ok: bool = False) -> list[str]:
    """What is wrong with a build's files (missing, truncated, changed), or [] when they match the
    manifest.

    A build written before checksums were recorded has none to compare: it is reported as
    unverifiable, unless `legacy_ok` (a reader then relies on the files loading and agreeing in
    size).
    """
    folder = build_path(index_dir, version)
    manifest = read_manifest(index_dir, version)
    if manifest is None:
        return [f"{MANIFEST}: missing or unreadable"]
    expected = manifest.get("files")
    if not expected:
        return [] if legacy_ok else [f"{MANIFEST}: no checksums (built before they were recorded)"]
    problems = []
    for name, want in expected.items():
        path = folder / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            problems.append(f"{name}: missing")
            continue
        if size != want["bytes"]:
            problems.append(f"{name}: {size} bytes, {want['bytes']} expected (truncated or overwritten)")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != want["sha256"]:
            problems.append(f"{name}: checksum mismatch (the file was changed after the build)")
    return problems


def read_chunks(folder: Path) -> list[Chunk]:
    with open(folder / "chunks.jsonl", encoding="utf-8") as f:
        return [Chunk(**json.loads(line)) for line in f if line.strip()]


def _previous_vectors(index_dir: Path, model: str, key: str = "model", filename: str = VECTORS) -> dict[str, np.ndarray]:
    """content hash -> vector, from the newest intact build whose manifest's `key` names the same
    model (the published one unless that one is damaged); `filename` holds that model's vectors."""
    current = current_version(index_dir)
    candidates = ([current] if current else []) + [v for v in reversed(build_versions(index_dir)) if v != current]
    source = next((v for v in candidates if (read_manifest(index_dir, v) or {}).get(key) == model
                   and not verify_build(index_dir, v)), None)
    if source is None:
        return {}
    folder = build_path(index_dir, source)
    try:
        chunks, vectors = read_chunks(folder), np.load(folder / filename)
    except (FileNotFoundError, ValueError):
        return {}
    return {c.content_hash: vectors[i] for i, c in enumerate(chunks)}


def _embed_incrementally(chunks: list[Chunk], model: VectorModel, known: dict[str, np.ndarray]) -> tuple[np.ndarray, int]:
    """The vectors of `chunks` (row i = chunk i), embedding only those `known` does not hold; and how
    many were embedded."""
    missing = [i for i, c in enumerate(chunks) if c.content_hash not in known]
    fresh = model.embed([chunks[i].embed_text for i in missing]) if missing else np.zeros((0, model.dimension), np.float32)
    vectors = np.zeros((len(chunks), model.dimension), dtype=np.float32)
    fresh_rows = dict(zip(missing, fresh))
    for i, c in enumerate(chunks):
        vectors[i] = fresh_rows[i] if i in fresh_rows else known[c.content_hash]
    return vectors, len(missing)


def _publish(index_dir: Path, version: str) -> None:
    tmp = Path(index_dir) / f".{CURRENT}.tmp"
    tmp.write_text(version, encoding="utf-8")
    os.replace(tmp, Path(index_dir) / CURRENT)


def build_versions(index_dir: Path) -> list[str]:
    """The names of the finished builds on disk, oldest first (names start with their UTC time)."""
    folder = Path(index_dir) / "builds"
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")) if folder.is_dir() else []


def _prune(index_dir: Path, keep: int) -> None:
    current = current_version(index_dir)
    for old in build_versions(index_dir)[:-keep] if keep > 0 else []:
        if old != current:
            shutil.rmtree(build_path(index_dir, old), ignore_errors=True)


def build_index(
    knowledge_dir: Path,
    index_dir: Path,
    model: str,
    embed: Callable[[list[str]], np.ndarray],
    dimension: int,
    keep_builds: int = 3,
    force: bool = False,
    multilingual: VectorModel | None = None,
) -> BuildReport:
    """Validate the knowledge folder, build a new index version re-embedding only changed chunks,
    publish it. With `multilingual`, every chunk is also embedded by that model (incrementally too).

    A published build made without the same second model (one from before it existed) is not
    "unchanged": it is rebuilt. Raises KnowledgeInvalid (and publishes nothing) when the folder has
    errors.
    """
    started = time.perf_counter()
    knowledge = load_knowledge(knowledge_dir)
    if knowledge.errors:
        raise KnowledgeInvalid(knowledge.errors)
    documents = {d.doc_id: d.content_hash for d in knowledge.documents}
    knowledge_hash = hashlib.sha256(json.dumps(documents, sort_keys=True).encode()).hexdigest()[:16]
    previous = read_manifest(index_dir)
    changed = sorted(k for k, h in documents.items() if (previous or {}).get("documents", {}).get(k, {}).get("hash") != h)
    version = current_version(index_dir)
    damage = verify_build(index_dir, version) if version else []
    if (previous and not force and not damage and previous.get("knowledge_hash") == knowledge_hash
            and previous.get("model") == model
            and previous.get("multilingual_model") == (multilingual.name if multilingual else None)):
        return BuildReport(previous["version"], False, previous["chunk_count"], 0, previous["chunk_count"],
                           time.perf_counter() - started, [])

    chunks = [c for d in knowledge.documents for c in chunk_document(d)]
    vectors, embedded = _embed_incrementally(chunks, VectorModel(model, dimension, embed), _previous_vectors(index_dir, model))

    version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + knowledge_hash[:6]
    (Path(index_dir) / "builds").mkdir(parents=True, exist_ok=True)
    tmp = Path(index_dir) / "builds" / f".tmp-{version}"
    tmp.mkdir()
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
        for c in chunks:
            f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
    np.save(tmp / VECTORS, vectors)
    faiss.write_index(build_dense(vectors), str(tmp / "dense.faiss"))
    Lexical.build([c.embed_text for c in chunks if c.language == "en"]).save(tmp / "lexical")
    multilingual_embedded = 0
    if multilingual:
        known = _previous_vectors(index_dir, multilingual.name, "multilingual_model", MULTILINGUAL_VECTORS)
        second, multilingual_embedded = _embed_incrementally(chunks, multilingual, known)
        np.save(tmp / MULTILINGUAL_VECTORS, second)
        Lexical.build([c.embed_text for c in chunks], fold=True).save(tmp / "lexical_all")
    manifest = {
        "version": version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model,
        "dimension": dimension,
        "multilingual_model": multilingual.name if multilingual else None,
        "multilingual_dimension": multilingual.dimension if multilingual else None,
        "lexical_rows": "en",  # lexical/ holds the English chunks only (before: every chunk)
        "faiss_factory": faiss_factory(len(chunks)),
        "chunk_count": len(chunks),
        "knowledge_hash": knowledge_hash,
        "documents": {d.doc_id: {"hash": d.content_hash, "programme": d.programme, "title": d.title}
                      for d in knowledge.documents},
        "files": file_checksums(tmp),
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    os.rename(tmp, build_path(index_dir, version))
    _publish(index_dir, version)
    _prune(index_dir, keep_builds)
    return BuildReport(version, True, len(chunks), embedded, len(chunks) - embedded,
                       time.perf_counter() - started, changed, damage, multilingual_embedded)
