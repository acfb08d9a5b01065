"""`sme-advisor route "FREE TEXT"`: the programmes that fit a description (contract in
../shared/design.md).

`route "TEXT" --json` prints `{"text": str, "programmes": [{"programme", "package", "score",
"why"}]}`, best first, with an empty list for off-topic text. `route -` reads one text per stdin
line (blank lines are skipped, as for `ask`) and prints one JSON object per line, in order, loading
the model once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import CommandError, emit, texts_from
from bot.settings import get_settings

if TYPE_CHECKING:
    from index.routing import Router


def make_router(settings: Any, knowledge_dir: Path | None = None, ensure_index: bool = True) -> Router:
    """A router over a knowledge folder and its published index (built or updated first by default).
    """
    from bot import services
    from index.errors import KnowledgeInvalid

    knowledge_dir = Path(knowledge_dir or settings.KNOWLEDGE_DIR)
    if ensure_index:
        try:
            services.build(settings, knowledge_dir, progress=False)
        except KnowledgeInvalid as exc:
            print(f"warning: knowledge folder has errors, routing with the last good index ({exc})", file=sys.stderr)
    try:
        return services.make_router(settings, knowledge_dir)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add `route` to the CLI; `common` is the parent parser defining --knowledge and --json."""
    p = subparsers.add_parser("route", parents=[common], help="which programmes fit a description ('-' reads stdin)",
                              description="Recommend the programmes (and SIYB package) that fit a free-text description.")
    p.add_argument("text", help="what the person or organisation says about itself, or '-' for one text per stdin line")
    p.set_defaults(func=cmd_route)


def _readable(data: dict) -> str:
    if not data["programmes"]:
        return "No programme fits this text (it looks off-topic)."
    lines = []
    for n, r in enumerate(data["programmes"], 1):
        name = r["programme"] + (f" / {r['package']}" if r["package"] else "")
        lines += [f"{n}. {name}  (score {r['score']:.3f})", f"   {r['why']}"]
    return "\n".join(lines)


def cmd_route(args: argparse.Namespace) -> int:
    """Run `route`; bad input raises CommandError (one line, non-zero exit)."""
    if args.text != "-" and not args.text.strip():
        raise CommandError("the text is empty: describe the person or business, e.g. 'I want to start a bakery'")
    settings = get_settings()
    router = make_router(settings, args.knowledge)
    for text in texts_from(args.text):
        recommendations = router.route(text)
        data = {"text": text, "programmes": [r.to_dict() for r in recommendations]}
        emit(data, args.json, _readable)
    return 0
