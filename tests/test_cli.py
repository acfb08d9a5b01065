"""`sme-advisor` loads only what a command uses (bot/cli.py's COMMAND_MODULES)."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

from bot import cli
from bot.settings import PROJECT_ROOT


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_each_command_module_adds_the_commands_the_table_names() -> None:
    bare = _commands(cli.build_parser([]))  # no command: every module, as for --help
    core = {"knowledge", "index", "ask", "eval"}
    assert bare == core | {c for commands in cli.COMMAND_MODULES.values() for c in commands}
    for module, commands in cli.COMMAND_MODULES.items():
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(module).register(sub, argparse.ArgumentParser(add_help=False))
        assert set(sub.choices) == set(commands), module
        for command in commands:
            assert _commands(cli.build_parser([command, "--help"])) == core | set(commands)


def test_trainers_near_loads_neither_telegram_nor_scipy_nor_the_model() -> None:
    code = (
        "import json, sys\n"
        "from bot import cli\n"
        "code = cli.main(['trainers', 'near', 'Kampala, Uganda', '--json'])\n"
        "heavy = ('telegram', 'scipy', 'torch', 'sentence_transformers', 'fastapi', 'faiss')\n"
        "print(json.dumps([code, sorted(m for m in heavy if m in sys.modules)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert json.loads(lines[0])["trainers"], lines[0]  # the answer itself
    assert json.loads(lines[-1]) == [0, []]
