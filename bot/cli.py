"""`sme-advisor`: the command line for staff, operators and checks (contract in
../shared/design.md)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT, Settings, get_settings

logger = logging.getLogger("sme_advisor")


class CommandError(Exception):
    """Bad input or a failed step: printed as one line, exit code 2."""


def emit(data: Any, as_json: bool, text: Callable[[Any], str]) -> None:
    print(json.dumps(data, ensure_ascii=False) if as_json else text(data), flush=True)


def texts_from(arg: str) -> Iterable[str]:
    """The text argument, or one text per stdin line when it is '-'."""
    if arg != "-":
        yield arg
        return
    for line in sys.stdin:
        if line.strip():
            yield line.rstrip("\n")


# --- knowledge and index -------------------------------------------------------------------------

def cmd_knowledge_check(args: argparse.Namespace) -> int:
    from index.knowledge import load_knowledge

    knowledge = load_knowledge(args.knowledge)
    errors = list(knowledge.errors)
    trainers_csv = Path(args.knowledge) / "trainers.csv"
    if trainers_csv.exists():
        from index.trainers import validate_trainers_csv

        errors += validate_trainers_csv(trainers_csv)
    data = {"ok": not errors, "documents": len(knowledge.documents), "programmes": sorted(knowledge.programmes),
            "errors": [str(e) for e in errors], "warnings": [str(w) for w in knowledge.warnings]}
    emit(data, args.json, lambda d: "\n".join(
        [f"error: {e}" for e in d["errors"]] + [f"warning: {w}" for w in d["warnings"]]
        + [f"{'OK' if d['ok'] else 'FAILED'}: {d['documents']} documents, {len(d['programmes'])} programmes, "
           f"{len(d['errors'])} errors"]))
    return 0 if not errors else 1


def cmd_index_build(args: argparse.Namespace) -> int:
    from bot import services
    from index.errors import KnowledgeInvalid

    settings = get_settings()
    try:
        report = services.build(settings, args.knowledge, force=args.force)
    except KnowledgeInvalid as exc:
        for e in exc.errors:
            print(f"error: {e}", file=sys.stderr)
        raise CommandError(f"knowledge folder has {len(exc.errors)} error(s); the previous index stays published")
    data = vars(report)
    emit(data, args.json, lambda r: "\n".join(
        [f"warning: the published build was damaged or unverifiable, so it was rebuilt: {p}" for p in r["repaired"]]
        + [f"published {r['version']}: {r['chunks']} chunks ({r['embedded']} embedded, {r['reused']} reused), "
           f"{r['multilingual_embedded']} embedded by the multilingual model, "
           f"in {r['seconds']:.1f}s" if r["published"] else f"unchanged: {r['version']} ({r['chunks']} chunks)"]))
    return 0


def _ensure_index(settings: Settings, knowledge: Path) -> None:
    """Bring the index up to date with the folder; on errors keep serving the last good build."""
    from bot import services
    from index.errors import KnowledgeInvalid

    try:
        services.build(settings, knowledge, progress=False)
    except KnowledgeInvalid as exc:
        print(f"warning: knowledge folder has errors, answering from the last good index ({exc})", file=sys.stderr)


def cmd_ask(args: argparse.Namespace) -> int:
    from bot import services
    from index.search import IndexNotReady

    settings = get_settings()
    _ensure_index(settings, args.knowledge)
    searcher = services.make_searcher(settings, args.knowledge)
    for question in texts_from(args.question):
        if not question.strip():
            raise CommandError("the question is empty")
        try:
            response = searcher.search(question, k=args.k, mode=args.mode, language=args.language).to_dict()
        except IndexNotReady as exc:
            raise CommandError(str(exc))
        emit(response, args.json, lambda r: "\n".join(
            [f"answerable: {r['answerable']}"] + [f"{x['score']:.3f} [{x['programme']}] "
                                                  f"{x['title']} > {x['section']}"
                                                  for x in r["results"]]))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot import services
    from index.evaluation import MODES, evaluate, format_reports, load_questions

    settings = get_settings()
    _ensure_index(settings, args.knowledge)
    searcher = services.make_searcher(settings, args.knowledge)
    questions, off_topic = load_questions(args.questions)
    reports = [evaluate(searcher, questions, off_topic, mode) for mode in MODES]
    print(f"knowledge search: {len(questions)} questions, {len(off_topic)} off-topic ({args.questions})")
    print(format_reports(reports))
    if args.multilingual and Path(args.multilingual).exists():
        from index.evaluation import run_language_eval

        print()
        print(run_language_eval(searcher, Path(args.multilingual)))
    if args.routing and Path(args.routing).exists():
        from index.evaluation import run_routing_eval

        print()
        print(run_routing_eval(services.make_router(settings, args.knowledge), Path(args.routing)))
    if args.chat:
        from bot.chat_eval import main as chat_main
        from bot.chat_eval import throwaway_stack

        print()
        with throwaway_stack(settings) as url:
            return chat_main(["--url", url, "--questions", str(args.questions)])
    return 0


# --- parser --------------------------------------------------------------------------------------

# The modules that add more commands, and the commands each adds: a command imports its own module
# only (`trainers near` never loads python-telegram-bot or the process supervisor). --help, no
# command or an unknown one loads them all. tests/test_cli.py checks this table against the modules.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "bot.cli_routing": ("route",),
    "bot.cli_trainers": ("trainers",),
    "bot.cli_telegram": ("telegram",),
    "bot.cli_processes": ("train", "validate", "test-stories", "run"),
    "bot.cli_staff": ("retrain", "watch"),
}


def _modules_for(argv: list[str] | None) -> list[str]:
    """The command modules a command line needs: the one that defines its command, else all."""
    command = next((a for a in argv or [] if not a.startswith("-")), None)
    mine = [m for m, commands in COMMAND_MODULES.items() if command in commands]
    return mine if argv is not None and mine else list(COMMAND_MODULES)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with `argv` only the part its command needs (see COMMAND_MODULES)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--knowledge", type=Path, default=get_settings().KNOWLEDGE_DIR, help="knowledge folder")
    common.add_argument("--json", action="store_true", help="print JSON")

    parser = argparse.ArgumentParser(prog="sme-advisor", description="SME Advisor: knowledge, index, chat processes.")
    sub = parser.add_subparsers(dest="command", required=True)

    knowledge = sub.add_parser("knowledge", help="the knowledge folder").add_subparsers(dest="action", required=True)
    knowledge.add_parser("check", parents=[common], help="validate documents and trainers.csv").set_defaults(func=cmd_knowledge_check)

    index = sub.add_parser("index", help="the search index").add_subparsers(dest="action", required=True)
    p = index.add_parser("build", parents=[common], help="build and publish the index (incremental)")
    p.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    p.set_defaults(func=cmd_index_build)

    p = sub.add_parser("ask", parents=[common], help="search the knowledge for a question ('-' reads stdin)")
    p.add_argument("question")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--mode", choices=["fused", "dense", "lexical"], default="fused")
    p.add_argument("--language", choices=["en", "fr", "es", "pt"], default=None,
                   help="the question's language (default: detected)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", parents=[common], help="evaluate search (and routing) on the evaluation sets")
    p.add_argument("--questions", type=Path, default=PROJECT_ROOT / "tests/eval/questions.yaml")
    p.add_argument("--routing", type=Path, default=PROJECT_ROOT / "tests/eval/routing.yaml")
    p.add_argument("--multilingual", type=Path, default=PROJECT_ROOT / "tests/eval/questions_multilingual.yaml",
                   help="questions in English, French, Spanish and Portuguese, with a held-out part")
    p.add_argument("--chat", action="store_true",
                   help="also play the questions, conversations and answer facts through a "
                        "throwaway running stack (/api/chat)")
    p.set_defaults(func=cmd_eval)

    for module in _modules_for(argv):
        try:
            __import__(module, fromlist=["register"]).register(sub, common)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    try:
        return args.func(args)
    except CommandError as exc:
        print(f"sme-advisor: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # Run the imported module's main, so `python -m bot.cli` and the command modules share one
    # `CommandError` class (under -m this file is also loaded as `__main__`).
    from bot.cli import main as cli_main

    sys.exit(cli_main())
