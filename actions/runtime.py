"""What the actions share in the action-server process: settings, the searcher, the router, the trainer
directory, the programme pages and the staff records.

Created once, lazily; the server (actions/server.py) warms the searcher up at start and follows new
index builds; the router and the programme pages follow new builds when asked for, the trainer
directory follows changes to trainers.csv. Tests may replace them with `configure(...)`.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from pathlib import Path

from bot.records import Records
from bot.settings import Settings, get_settings
from index.search import Searcher

logger = logging.getLogger(__name__)
_lock = threading.RLock()
_router_lock = threading.Lock()  # building the router takes seconds: searches must not wait for it
_state: dict[str, object] = {}


def settings() -> Settings:
    return _state.get("settings") or get_settings()  # type: ignore[return-value]


def configure(settings: Settings) -> None:
    """Use these settings (and forget any searcher built from older ones)."""
    with _lock:
        _state.clear()
        _state["settings"] = settings
    records.cache_clear()


def searcher() -> Searcher:
    """The process's searcher over the published index (built on first use)."""
    with _lock:
        if "searcher" not in _state:
            from bot.services import make_searcher

            _state["searcher"] = make_searcher(settings())
        return _state["searcher"]  # type: ignore[return-value]


def router():
    """The process's programme router (index.routing.Router), built on first use from the settings.

    It re-reads the programme pages when a newer index build is published.
    """
    with _router_lock:
        if "router" not in _state:
            from bot import services

            _state["router"] = services.make_router(settings())
        router = _state["router"]
    try:
        router.reload_if_changed()  # type: ignore[attr-defined]
    except Exception:  # keep routing with the pages in memory
        logger.exception("could not reload the programme pages for routing")
    return router


def programme_pages() -> dict:
    """The programme pages ({id: index.knowledge.Document}), re-read when the knowledge folder changes.

    A page with errors keeps its last good version (the loader skips invalid documents).
    """
    from index.knowledge import load_knowledge

    folder = Path(settings().KNOWLEDGE_DIR)
    stamp = _stamp(sorted(folder.rglob("*.md")))
    with _lock:
        cached = _state.get("pages")
        if cached is None or cached[0] != stamp:
            knowledge = load_knowledge(folder)
            pages = dict(cached[1]) if cached else {}
            pages.update(knowledge.programmes)
            guides = {d.doc_id: d for d in knowledge.documents if not d.is_programme}
            _state["pages"] = (stamp, pages, guides)
        return _state["pages"][1]  # type: ignore[index]


def guide(doc_id: str):
    """A non-programme document by its id (path under knowledge/ without .md), or None."""
    programme_pages()
    return _state["pages"][2].get(doc_id)  # type: ignore[index]


def trainer_directory():
    """The trainer directory (index.trainers.TrainerDirectory) of KNOWLEDGE_DIR/trainers.csv.

    Reloaded when the file changes; invalid rows are skipped (and logged), as `knowledge check` reports.
    """
    from index.trainers import TrainerDirectory

    path = Path(settings().KNOWLEDGE_DIR) / "trainers.csv"
    stamp = _stamp([path])
    with _lock:
        cached = _state.get("trainers")
        if cached is None or cached[0] != stamp:
            directory, errors = TrainerDirectory.from_csv(path)
            if errors:
                logger.warning("%d problem(s) in %s, skipped those rows (first: %s)", len(errors), path, errors[0])
            if not len(directory) and not errors:
                kept = len(cached[1]) if cached else 0
                logger.warning("%s has no trainer rows, only a header: %s", path,
                               f"keeping the {kept} trainers loaded before" if kept else "there are no trainers to search")
            if cached is not None and not len(directory) and len(cached[1]):
                directory = cached[1]  # a broken or emptied file keeps the last good directory
            _state["trainers"] = (stamp, directory)
        return _state["trainers"][1]  # type: ignore[index]


def _stamp(paths: list[Path]) -> tuple:
    """Names, sizes and modification times: changes when a file is edited, added or removed."""
    out = []
    for p in paths:
        try:
            st = p.stat()
            out.append((str(p), st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((str(p), None, None))
    return tuple(out)


@lru_cache
def records() -> Records:
    return Records(settings().db_path)
