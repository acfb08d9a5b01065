"""The action server: rasa-sdk's app plus `GET /index`, loading the index at start and following new builds.

Run with `python -m actions.server` (the `sme-advisor run` command does it).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from concurrent.futures import ThreadPoolExecutor

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response

from actions import localisation, runtime
from bot.settings import ACTION_SECRET_HEADER
from index.builds import current_version

logger = logging.getLogger(__name__)
POLL_SECONDS = 1.0


class ThreadedExecutor(ActionExecutor):
    """Runs each action in a worker thread (its own event loop there), so a search, a routing or a trainer
    lookup never blocks the server's loop: greetings stay fast while questions are being answered."""

    def __init__(self, workers: int | None = None) -> None:
        super().__init__()
        self.pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2, thread_name_prefix="action")

    async def run(self, action_call):  # noqa: ANN001, ANN201 - rasa-sdk's signature
        """Run the action in the turn's language: it reads an English gloss of the message and its
        replies are put in the user's language (actions/localisation.py)."""
        parent = super().run
        lang = localisation.prepare(action_call)
        result = await asyncio.get_running_loop().run_in_executor(self.pool, lambda: asyncio.run(parent(action_call)))
        return localisation.finish(result, lang)


def build_app() -> Sanic:
    executor = ThreadedExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=[])
    status = {"ready": False, "reason": "loading the embedding model and index"}
    secret = (runtime.settings().ACTIONS_SECRET or "").encode()

    @app.on_request
    async def require_secret(request):  # noqa: ANN001, ANN202
        """Only Rasa runs actions: a call to /webhook (the only POST) without ACTIONS_SECRET, e.g. a forged
        tracker from another local process, gets 401; the status pages (GET) stay open."""
        sent = request.headers.get(ACTION_SECRET_HEADER, "").encode("utf-8", "replace")
        if request.method not in ("GET", "HEAD", "OPTIONS") and not (secret and hmac.compare_digest(sent, secret)):
            logger.warning("refused a %s %s without the action secret from %s", request.method, request.path, request.ip)
            return response.json({"error": f"the {ACTION_SECRET_HEADER} header is missing or wrong"}, status=401)
        return None

    @app.get("/index")
    async def index_status(_request):  # noqa: ANN001
        searcher = runtime.searcher()
        body = dict(status, version=searcher.version, chunks=searcher.manifest.get("chunk_count"),
                    created=searcher.manifest.get("created"))
        return response.json(body)

    async def follow_builds(app: Sanic) -> None:
        loop = asyncio.get_running_loop()
        try:  # both models loaded before the first question (the multilingual one takes ~3 s)
            await loop.run_in_executor(None, runtime.searcher().warm_up)
        except Exception:  # no index yet, or a damaged one: the loop below reports it
            logger.exception("could not warm up the search")
        while True:
            try:
                await loop.run_in_executor(None, runtime.searcher().reload_if_changed)
                searcher = runtime.searcher()
                damaged = searcher.refused.get(current_version(searcher.index_dir) or "")
                if searcher.version:
                    status.update(ready=True, reason=f"{damaged}: serving {searcher.version}" if damaged else "")
                elif damaged:
                    status.update(ready=False, reason=f"{damaged}: run 'sme-advisor index build'")
                else:
                    status.update(ready=False, reason="no index published yet: run 'sme-advisor index build'")
            except Exception as exc:  # keep serving the index in memory; report why the new one failed
                logger.exception("could not load the published index")
                status["reason"] = f"could not load the latest index: {exc}"
                status["ready"] = runtime.searcher().version is not None
            await asyncio.sleep(POLL_SECONDS)

    @app.before_server_start
    async def warm_up(app: Sanic) -> None:
        app.add_task(follow_builds(app))

    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import torch

    # One query embedding at a time per request: one thread each keeps latency steady on a shared,
    # busy machine (measured: route() p95 311 ms with 2 threads vs 31 ms with 1 at load 4).
    torch.set_num_threads(1)
    settings = runtime.settings()
    build_app().run(host=settings.HOST, port=settings.ACTIONS_PORT, single_process=True, access_log=False,
                    motd=False)


if __name__ == "__main__":
    main()
