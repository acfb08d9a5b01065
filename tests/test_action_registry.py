"""The action server's seams: what it imports, and that domain.yml and the registered actions agree.

`python -m actions.server` runs in .venv next to the gateway's code but must not load the gateway:
neither FastAPI nor python-telegram-bot (nor the gateway's modules) may come in with it, checked
in a fresh interpreter because this test process has imported them already. rasa-sdk registers
every `Action` subclass of the `actions` package by its `name()`; Rasa calls the names domain.yml
lists. A name on one side only fails at run time (Rasa: "action not found"), so it fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import yaml
from rasa_sdk.executor import ActionExecutor

from bot.settings import PROJECT_ROOT

GATEWAY_ONLY = ("fastapi", "telegram", "bot.app", "bot.routes", "bot.telegram")


def test_the_action_server_loads_neither_fastapi_nor_telegram() -> None:
    code = (
        "import json, sys\n"
        "import actions.server\n"
        "from rasa_sdk.executor import ActionExecutor\n"
        "ActionExecutor().register_package('actions')  # as build_app() does\n"
        f"names = {GATEWAY_ONLY!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if any(m == n or m.startswith(n + '.') "
        "for n in names))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"importing actions.server loads gateway modules: {loaded}"


def _domain() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def _registered() -> set[str]:
    executor = ActionExecutor()
    executor.register_package("actions")
    return set(executor.actions)


def test_every_action_in_the_domain_has_a_registered_class_and_back() -> None:
    listed = set(_domain().get("actions") or [])
    registered = _registered()
    assert sorted(listed - registered) == [], "in domain.yml, but no Action class has this name()"
    assert sorted(registered - listed) == [], "an Action class's name() that domain.yml lacks"


def test_every_form_has_its_validation_action_and_a_question_for_each_slot() -> None:
    domain = _domain()
    forms = domain.get("forms") or {}
    assert forms, "domain.yml defines no forms"
    registered, responses = _registered(), set(domain.get("responses") or {})
    for form, spec in forms.items():
        assert f"validate_{form}" in registered, f"{form}: no registered validate_{form}"
        for slot in spec.get("required_slots") or []:
            asks = {f"action_ask_{form}_{slot}", f"action_ask_{slot}"} & registered
            utters = {f"utter_ask_{form}_{slot}", f"utter_ask_{slot}"} & responses
            assert asks or utters, f"{form}: nothing asks for the slot '{slot}'"
    validators = {name for name in registered if name.startswith("validate_")}
    assert validators == {f"validate_{form}" for form in forms}, "a validator without its form"
