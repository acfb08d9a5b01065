"""Knowledge files written from the admin pages: safe paths, validation before writing, history and
restore.

Every write keeps the previous version under STATE_DIR/knowledge-history/<relative path>/<timestamp>
(a `.absent` marker when the file did not exist), so any upload or restore can be undone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import Settings

MAX_FILE_BYTES = 1_000_000
TRAINERS = "trainers.csv"
ABSENT = ".absent"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_FOLDER_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class FileRefused(Exception):
    """An upload or restore that was not written: HTTP status, a message for staff, and the details.
    """

    def __init__(self, status: int, message: str, details: list[str] | None = None):
        self.status, self.message, self.details = status, message, details or []
        super().__init__(message)


@dataclass(frozen=True)
class Version:
    stamp: str  # e.g. 20261127T215501123456Z
    path: Path
    absent: bool  # the file did not exist before that write

    @property
    def label(self) -> str:
        when = datetime.strptime(self.stamp, "%Y%m%dT%H%M%S%fZ").strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{when} (did not exist)" if self.absent else when


def history_root(settings: Settings) -> Path:
    return settings.STATE_DIR / "knowledge-history"


def resolve_target(root: Path, folder: str, filename: str) -> str:
    """The relative path `folder/filename` inside the knowledge folder, or FileRefused (400) if it
    is unsafe."""
    name = (filename or "").strip()
    if not name:
        raise FileRefused(400, "choose a file to upload")
    if "/" in name or "\\" in name or "\0" in name or name in (".", ".."):
        raise FileRefused(400, f"'{name}' is not a plain file name: upload a single file, without folders in its name")
    if name.startswith("."):
        raise FileRefused(400, f"'{name}' is a hidden file: the bot only reads visible .md files and trainers.csv")
    suffix = Path(name).suffix.lower()
    if suffix not in (".md", ".csv") or not _NAME.match(name):
        raise FileRefused(400, f"'{name}' is not a knowledge file: upload a .md document (letters, digits, '-', '_') "
                               f"or {TRAINERS}")
    if name.lower() == "readme.md":
        raise FileRefused(400, "README.md is the staff guide and is not read by the bot: give the document another name")
    # 'Guide.MD' is saved as 'Guide.md', the name the bot reads
    name = name[: -len(suffix)] + suffix
    raw = (folder or "").strip().replace("\\", "/")
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw):
        raise FileRefused(400, f"'{folder}' is an absolute path: choose a folder inside knowledge/, e.g. guides")
    parts = [p for p in raw.split("/") if p]
    for part in parts:
        if part in (".", "..") or not _FOLDER_PART.match(part):
            raise FileRefused(400, f"'{folder}' is not an allowed folder: use folder names inside knowledge/ made of "
                                   f"letters, digits, '-' and '_' (e.g. guides or guides/finance)")
    if suffix == ".csv" and (name != TRAINERS or parts):
        raise FileRefused(400, f"the only CSV file the bot reads is {TRAINERS} at the top of the knowledge folder: "
                               f"name the file {TRAINERS} and choose the top folder")
    if suffix == ".md" and not parts:
        raise FileRefused(400, "choose a folder for the document: programmes, guides, or a subfolder")
    rel = "/".join([*parts, name])
    resolved, base = (Path(root) / rel).resolve(), Path(root).resolve()
    if not resolved.is_relative_to(base) or resolved == base:
        raise FileRefused(400, f"'{rel}' points outside the knowledge folder")
    return rel


def split_rel(rel: str) -> tuple[str, str]:
    folder, _, name = rel.rpartition("/")
    return folder, name


def _shown(line: str, tmp: Path) -> str:
    return line.replace(str(tmp) + os.sep, "knowledge/").replace(str(tmp), "knowledge")


def validate(root: Path, rel: str, data: bytes) -> list[str]:
    """Problems the file would cause, checked on a temporary copy of the knowledge folder (nothing
    is written)."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(413, f"the file is {len(data) / 1e6:.1f} MB: files may be at most "
                               f"{MAX_FILE_BYTES // 1_000_000} MB")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"knowledge/{rel}: the file is not UTF-8 text (byte {exc.start}). Fix: save it as UTF-8"]
    with tempfile.TemporaryDirectory(prefix="sme-upload-") as tmp_name:
        tmp = Path(tmp_name)
        if rel == TRAINERS:
            from index.trainers import validate_trainers_csv

            (tmp / TRAINERS).write_bytes(data)
            return [_shown(str(e), tmp) for e in validate_trainers_csv(tmp / TRAINERS)]
        from index.knowledge import load_knowledge

        copy = tmp / "knowledge"
        if Path(root).is_dir():
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".*", "*.csv"))
        before = {_shown(str(e), copy) for e in load_knowledge(copy).errors}
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        (copy / rel).write_bytes(data)
        return [line for line in (_shown(str(e), copy) for e in load_knowledge(copy).errors) if line not in before]


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _keep_current(settings: Settings, rel: str) -> None:
    """Save the current version of `rel` (or an `.absent` marker) into the history."""
    current = Path(settings.KNOWLEDGE_DIR) / rel
    folder = history_root(settings) / rel
    folder.mkdir(parents=True, exist_ok=True)
    stamp = _stamp()
    if current.is_file():
        shutil.copy2(current, folder / f"{stamp}{Path(rel).suffix}")
    else:
        (folder / f"{stamp}{ABSENT}").touch()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.upload")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def save(settings: Settings, rel: str, data: bytes) -> bool:
    """Validate and write `rel`, keeping the previous version (FileRefused if invalid); True if it
    replaced a file."""
    problems = validate(settings.KNOWLEDGE_DIR, rel, data)
    if problems:
        raise FileRefused(422, f"knowledge/{rel} was not saved: fix these problems and upload it again", problems)
    target = Path(settings.KNOWLEDGE_DIR) / rel
    existed = target.is_file()
    _keep_current(settings, rel)
    _write(target, data)
    return existed


def history(settings: Settings, rel: str) -> list[Version]:
    """Earlier versions of `rel`, newest first."""
    rel = resolve_target(settings.KNOWLEDGE_DIR, *split_rel(rel))
    folder = history_root(settings) / rel
    if not folder.is_dir():
        return []
    versions = [Version(p.name.split(".")[0], p, p.name.endswith(ABSENT)) for p in folder.iterdir() if p.is_file()]
    return sorted(versions, key=lambda v: v.stamp, reverse=True)


def restore(settings: Settings, rel: str, stamp: str | None = None) -> Version:
    """Put back an earlier version (the newest by default); the version replaced goes into the
    history too."""
    versions = history(settings, rel)
    chosen = next((v for v in versions if stamp in (None, v.stamp)), None)
    if chosen is None:
        raise FileRefused(404, f"knowledge/{rel} has no earlier version to restore")
    target = Path(settings.KNOWLEDGE_DIR) / rel
    if chosen.absent:
        _keep_current(settings, rel)
        target.unlink(missing_ok=True)
        return chosen
    data = chosen.path.read_bytes()
    problems = validate(settings.KNOWLEDGE_DIR, rel, data)
    if problems:
        raise FileRefused(422, f"the version of knowledge/{rel} from {chosen.label} has problems now; "
                               f"it was not restored", problems)
    _keep_current(settings, rel)
    _write(target, data)
    return chosen


@dataclass(frozen=True)
class FileInfo:
    rel: str
    size: int
    modified: str
    versions: int


def list_files(settings: Settings) -> list[FileInfo]:
    """Every knowledge file the bot reads (and every file with history), for the knowledge page."""
    root = Path(settings.KNOWLEDGE_DIR)
    rels = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.suffix in (".md", ".csv")
            and not any(part.startswith(".") for part in p.relative_to(root).parts) and p.name.lower() != "readme.md"}
    hist = history_root(settings)
    if hist.is_dir():
        rels |= {p.parent.relative_to(hist).as_posix() for p in hist.rglob("*") if p.is_file()}
    infos = []
    for rel in sorted(rels):
        path = root / rel
        stat = path.stat() if path.is_file() else None
        infos.append(FileInfo(rel, stat.st_size if stat else 0,
                              datetime.fromtimestamp(stat.st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
                              if stat else "deleted", len(history(settings, rel))))
    return infos
