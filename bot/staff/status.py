"""What the overview page shows: knowledge folder health, published index, Rasa model, what the
processes serve."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bot.processes import model_path
from bot.settings import Settings


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _error_dict(error: Any, root: Path) -> dict[str, Any]:
    try:
        file = Path(error.file).resolve().relative_to(Path(root).resolve().parent).as_posix()
    except ValueError:
        file = str(error.file)
    return {"file": file, "line": error.line, "column": error.column, "message": error.message, "fix": error.fix}


def knowledge_status(settings: Settings) -> dict[str, Any]:
    """Documents, programmes, trainers and every validation problem (with file and line)."""
    from index.knowledge import load_knowledge
    from index.trainers import load_trainers

    root = Path(settings.KNOWLEDGE_DIR)
    knowledge = load_knowledge(root)
    errors = [_error_dict(e, root) for e in knowledge.errors]
    trainers_csv = root / "trainers.csv"
    trainers: list[Any] = []
    if trainers_csv.exists():
        trainers, trainer_errors = load_trainers(trainers_csv)
        errors += [_error_dict(e, root) for e in trainer_errors]
    return {"folder": str(root), "documents": len(knowledge.documents), "programmes": sorted(knowledge.programmes),
            "guides": sum(1 for d in knowledge.documents if not d.is_programme), "trainers": len(trainers),
            "errors": errors, "warnings": [_error_dict(w, root) for w in knowledge.warnings]}


def index_status(settings: Settings) -> dict[str, Any]:
    """The published index build (its manifest), or nothing if none is published."""
    from index.builds import read_manifest

    manifest = read_manifest(settings.index_dir) or {}
    return {"version": manifest.get("version"), "created": manifest.get("created"),
            "chunks": manifest.get("chunk_count"), "documents": len(manifest.get("documents", {})),
            "model": manifest.get("model")}


def model_status(settings: Settings) -> dict[str, Any]:
    """The Rasa model file in use on disk."""
    path = model_path(settings)
    if not path.exists():
        return {"file": str(path), "exists": False}
    stat = path.stat()
    return {"file": str(path), "exists": True, "modified": _when(stat.st_mtime), "size_mb": round(stat.st_size / 1e6, 1)}


async def live_status(settings: Settings) -> dict[str, Any]:
    """What the running processes serve right now (None for a process that does not answer)."""
    async with httpx.AsyncClient(timeout=2.0) as client:
        async def get(url: str, **params: str) -> dict | None:
            try:
                r = await client.get(url, params=params)
                return r.json() if r.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                return None

        actions, rasa = await asyncio.gather(get(f"{settings.actions_url}/index"),
                                             get(f"{settings.rasa_url}/status", token=settings.RASA_TOKEN))
    return {"actions": {"running": actions is not None, "version": (actions or {}).get("version"),
                        "ready": (actions or {}).get("ready"), "reason": (actions or {}).get("reason")},
            "rasa": {"running": rasa is not None, "model_file": Path((rasa or {}).get("model_file") or "").name or None}}


async def overview(settings: Settings) -> dict[str, Any]:
    """Everything on the overview page, in one JSON-ready dict."""
    knowledge, index, model, live = await asyncio.gather(
        asyncio.to_thread(knowledge_status, settings), asyncio.to_thread(index_status, settings),
        asyncio.to_thread(model_status, settings), live_status(settings))
    return {"knowledge": knowledge, "index": index, "model": model, "live": live}
