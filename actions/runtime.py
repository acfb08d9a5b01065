"""What the actions share in the action-server process: settings, the searcher, the staff records.

Created once, lazily; the server (actions/server.py) warms them up at start and follows new index
builds. Tests may replace them with `configure(...)`.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from bot.records import Records
from bot.settings import Settings, get_settings
from index.search import Searcher

_lock = threading.Lock()
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


@lru_cache
def records() -> Records:
    return Records(settings().db_path)
