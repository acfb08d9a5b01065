"""CLI commands for staff: `sme-advisor retrain` (check, index, switch, Rasa) and `sme-advisor
watch`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.retrain import RetrainFailed, RetrainResult, StepEvent, retrain
from bot.settings import get_settings

MARKS = {"running": "...", "ok": "ok", "skipped": "--", "failed": "FAILED"}
WATCHED_SUFFIXES = (".md", ".csv")


def print_event(event: StepEvent, as_json: bool) -> None:
    """One progress line (or one JSON object per line with --json)."""
    if as_json:
        print(json.dumps({"event": "step", **event.to_dict()}, ensure_ascii=False), flush=True)
        return
    print(f"[{MARKS[event.status]:>6}] {event.label}: {event.message}", flush=True)
    details = event.details if len(event.details) > 1 or event.status != "failed" else []
    for line in details[:50]:
        print(f"         {line}", flush=True)
    if len(details) > 50:
        print(f"         ... and {len(details) - 50} more", flush=True)


def summary(result: RetrainResult) -> str:
    """The closing line of a successful retrain."""
    index = f"index {result.index_version} {'published' if result.index_published else 'unchanged'}"
    index += ", in use" if result.index_serving else ", used by the action server when it starts"
    model = "dialogue model retrained" if result.model_trained else "dialogue model unchanged"
    if result.model_trained and not result.model_loaded:
        model += " (Rasa will load it when it starts)"
    return f"retrain done in {result.seconds:.1f} s: {index}; {model}"


def lower_priority(increment: int = 10) -> None:
    """Retraining yields the CPU to the processes answering users (Rasa training inherits this too).
    """
    try:
        os.nice(increment)
    except OSError:
        pass


def run_once(args: argparse.Namespace) -> RetrainResult:
    """One retrain with progress printed; raises RetrainFailed."""
    return retrain(get_settings(), Path(args.knowledge), lambda e: print_event(e, args.json),
                   rasa=not args.index_only, force_rasa=args.force_rasa, switch_timeout_s=args.timeout)


def cmd_retrain(args: argparse.Namespace) -> int:
    lower_priority()
    try:
        result = run_once(args)
    except RetrainFailed as exc:
        if args.json:
            print(json.dumps({"event": "result", "ok": False, "step": exc.step, "error": str(exc),
                              "details": exc.details}, ensure_ascii=False), flush=True)
        # printed here rather than raised as bot.cli.CommandError, so `python -m bot.cli` behaves
        # the same
        print(f"sme-advisor: {exc}. Nothing further was published: the bot keeps answering from the versions in use",
              file=sys.stderr, flush=True)
        return 2
    if args.json:
        print(json.dumps({"event": "result", "ok": True, **result.to_dict()}, ensure_ascii=False), flush=True)
    else:
        print(summary(result), flush=True)
    return 0


def _watched(change: Any, path: str) -> bool:  # change: a watchfiles.Change
    """Knowledge files only: markdown and CSV, not hidden files or editors' temporary files."""
    name = Path(path).name
    return name.endswith(WATCHED_SUFFIXES) and not name.startswith((".", "~", "#"))


def cmd_watch(args: argparse.Namespace) -> int:
    """Retrain whenever a knowledge file changes (debounced); Ctrl-C stops."""
    from watchfiles import watch

    root = Path(args.knowledge).resolve()
    lower_priority()
    print(f"watching {root} (Ctrl-C stops); retraining after each change", flush=True)
    try:
        for changes in watch(root, watch_filter=_watched, debounce=int(args.debounce * 1000), raise_interrupt=True):
            names = sorted({Path(p).relative_to(root).as_posix() for _, p in changes})
            print(f"\n{datetime.now():%H:%M:%S} changed: {', '.join(names)}", flush=True)
            started = time.perf_counter()
            try:
                result = run_once(args)
                print(summary(result), flush=True)
            except RetrainFailed as exc:
                print(f"retrain failed after {time.perf_counter() - started:.1f} s: {exc}. "
                      f"The bot keeps answering from the versions in use; fix the file and save it again.", flush=True)
    except KeyboardInterrupt:
        print("stopped watching", flush=True)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--index-only", action="store_true", help="do not check or retrain the Rasa model")
    options.add_argument("--force-rasa", action="store_true", help="retrain the Rasa model even if its data is unchanged")
    options.add_argument("--timeout", type=float, default=60.0,
                         help="seconds to wait for the action server to switch to the new index")
    sub.add_parser("retrain", parents=[common, options],
                   help="check knowledge, publish the index, retrain Rasa if its data changed").set_defaults(func=cmd_retrain)
    p = sub.add_parser("watch", parents=[common, options], help="retrain whenever a file in the knowledge folder changes")
    p.add_argument("--debounce", type=float, default=2.0, help="seconds of quiet before retraining")
    p.set_defaults(func=cmd_watch)
