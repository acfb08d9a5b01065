"""CLI commands that run the processes and Rasa's own tools: train, validate, test-stories, run."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from bot import processes, rasa_switch
from bot.settings import PROJECT_ROOT, get_settings


def cmd_train(args: argparse.Namespace) -> int:
    return processes.train(get_settings())


def cmd_validate(args: argparse.Namespace) -> int:
    """`rasa data validate`, failing on any warning."""
    return processes.run_rasa(get_settings(), "data", "validate", "--fail-on-warnings")


def cmd_test_stories(args: argparse.Namespace) -> int:
    """`rasa test` on the test stories in tests/stories, failing on any wrong prediction."""
    settings = get_settings()
    return processes.run_rasa(
        settings, "test", "core", "--stories", str(PROJECT_ROOT / "tests" / "stories"),
        "--model", str(processes.model_path(settings)), "--fail-on-prediction-errors",
        "--out", str(settings.STATE_DIR / "rasa-test-results"),
    )


def cmd_run(args: argparse.Namespace) -> int:
    """Build the index, train if needed, start rasa, actions and gateway, restart any that exits,
    and stop them all on Ctrl-C."""
    from bot import services
    from index.errors import KnowledgeInvalid

    settings = get_settings()
    try:
        report = services.build(settings, args.knowledge)
        print(f"index: {report.version} ({report.chunks} chunks)", flush=True)
    except KnowledgeInvalid as exc:
        print(f"warning: knowledge folder has errors; serving the last good index: {exc}", file=sys.stderr)
    if processes.train(settings) != 0:
        print("sme-advisor: training the Rasa model failed (see the output above)", file=sys.stderr)
        return 1
    stack: processes.Stack  # the embedded one, or the scaled one (a subclass)
    if args.replicas > 1 or args.postgres_url or args.redis_url:
        from bot.scaled import scaled_stack
        from bot.servers import ServerMissing

        try:
            stack = scaled_stack(settings, args.replicas, args.postgres_url, args.redis_url)
        except ServerMissing as exc:
            print(f"sme-advisor: {exc}", file=sys.stderr)
            return 1
    else:
        stack = processes.Stack(settings)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        stack.start()
        # Rasa alone takes 35 s; replicas loading side by side, minutes
        ready = stack.wait_ready(timeout_s=600)
        print(f"ready in {ready}s: chat at http://{settings.HOST}:{settings.GATEWAY_PORT}/ "
              f"(API POST /api/chat, health /healthz). Ctrl-C stops everything.", flush=True)
        rasa_switch.supervise(stack, threading.Event(), log=lambda line: print(line, file=sys.stderr, flush=True))
        return 0
    except KeyboardInterrupt:
        print("stopping...", flush=True)
        return 0
    finally:
        stack.stop()


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser("train", help="train the Rasa model if its data changed").set_defaults(func=cmd_train)
    sub.add_parser("validate", help="rasa data validate (warnings fail)").set_defaults(func=cmd_validate)
    sub.add_parser("test-stories", help="rasa test on tests/stories").set_defaults(func=cmd_test_stories)
    run = sub.add_parser("run", parents=[common], help="start every process (embedded defaults, or --replicas N)")
    run.add_argument("--replicas", type=int, default=1,
                     help="Rasa replicas behind haproxy on PostgreSQL and Redis (and as many action servers)")
    run.add_argument("--postgres-url", help="your PostgreSQL (default: POSTGRES_URL, else a throwaway one)")
    run.add_argument("--redis-url", help="your Redis (default: REDIS_URL, else a throwaway one)")
    run.set_defaults(func=cmd_run)
