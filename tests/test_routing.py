"""The programme finder (`index.routing`, `sme-advisor route`) with the real model, index and
knowledge."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli_routing import make_router
from bot.settings import PROJECT_ROOT, Settings
from index.knowledge import load_knowledge
from index.routing import Router, quote

KNOWLEDGE = PROJECT_ROOT / "knowledge"
SME_ADVISOR = Path(sys.executable).parent / "sme-advisor"
CLI = [str(SME_ADVISOR)] if SME_ADVISOR.exists() else [sys.executable, "-m", "bot.cli"]


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("routing-state")


@pytest.fixture(scope="module")
def router(state_dir: Path) -> Router:
    return make_router(Settings(STATE_DIR=state_dir, KNOWLEDGE_DIR=KNOWLEDGE), KNOWLEDGE)


def quoted(why: str) -> str:
    """The user's words a `why` quotes."""
    match = re.match(r'^You said "(.+?)", which fits ', why)
    assert match, why
    return match.group(1)


@pytest.mark.parametrize(("text", "programme", "package"), [
    ("I would love to run my own business some day but I have no idea what business to start", "siyb", "gyb"),
    ("I am a woman and I make and sell soap from my home to support my children", "wed", None),
    ("our garment factory has too many defects and rework, and the buyers complain", "score", None),
    ("I am an informal trader at the bus station, what licence do I need to become legal", "formalization", None),
    ("The ministry of industry wants to assess the business environment and cut red tape for small firms",
     "eese", None),
    ("I am a refugee living in Kakuma camp and I want to open a small shop", "aims", None),
])
def test_clear_descriptions_route_right(router: Router, text: str, programme: str, package: str | None) -> None:
    recommendations = router.route(text)
    assert 1 <= len(recommendations) <= 3
    top = recommendations[0]
    assert top.programme == programme, [r.programme for r in recommendations]
    if package:
        assert top.package == package
    scores = [r.score for r in recommendations]
    assert scores == sorted(scores, reverse=True)
    assert all((r.package is None) == (r.programme != "siyb") for r in recommendations)


@pytest.mark.parametrize("text", [
    "what's the weather tomorrow in nairobi", "tell me a joke about cats", "who won the football match yesterday",
    "how do I fix my broken phone screen", "best hotels in zanzibar for our honeymoon",
])
def test_off_topic_routes_to_nothing(router: Router, text: str) -> None:
    assert router.route(text) == []


def test_why_quotes_the_text_and_uses_the_front_matter(router: Router) -> None:
    text = "I want to be my own boss but I have no idea what business to start"
    top = router.route(text)[0]
    assert (top.programme, top.package) == ("siyb", "gyb")
    assert quoted(top.why) == "I have no idea what business to start"
    gyb = load_knowledge(KNOWLEDGE).programmes["siyb"].meta["packages"]["gyb"]
    assert gyb["name"] in top.why and gyb["summary"] in top.why

    for text in ["our shop was flooded and we lost all our stock", "I am a refugee from Syria and want to work",
                 "my husband does not want me to run a business, I am a woman selling fish"]:
        for recommendation in router.route(text):
            assert quoted(recommendation.why) in text
            assert recommendation.why.count("\n") == 0


def test_routes_on_front_matter_alone_before_an_index_exists() -> None:
    from index.embedding import get_embedder

    router = Router.from_folder(KNOWLEDGE, get_embedder(Settings().EMBEDDING_MODEL).encode, index_dir=None)
    top = router.route("I have no idea what business to start")[0]
    assert (top.programme, top.package) == ("siyb", "gyb")
    assert router.route("tell me a joke about cats") == []


def test_quote_keeps_the_clause_of_the_match() -> None:
    text = "i was laid off, have some savings, want to do my own business but dont know which one"
    start = text.index("dont know")
    assert quote(text, start, start + 9) == "dont know which one"
    assert quote("short text", 0, 0) == "short text"


def test_staff_change_routing_by_editing_keywords(tmp_path: Path) -> None:
    """Front matter keywords are routing data: editing the markdown, not code, changes the answer.
    """
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge, ignore=shutil.ignore_patterns("trainers.csv"))
    settings = Settings(STATE_DIR=tmp_path / "state", KNOWLEDGE_DIR=knowledge)
    text = "I keep bees and sell honey and beeswax candles"
    router = make_router(settings, knowledge)
    before = router.route(text)
    assert before and before[0].programme != "greening"

    page = knowledge / "programmes" / "greening.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "keywords:\n", "keywords:\n  - beekeeping\n  - keep bees\n  - honey and beeswax\n", 1), encoding="utf-8")
    after = make_router(settings, knowledge).route(text)
    assert after[0].programme == "greening", [r.programme for r in after]
    assert quoted(after[0].why) in text

    # A running router follows the edit once the index is rebuilt (what the action server does).
    assert router.reload_if_changed()
    assert router.route(text)[0].programme == "greening"


def run_cli(*args: str, stdin: str | None = None, state_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "STATE_DIR": str(state_dir)}
    return subprocess.run([*CLI, "route", *args, "--knowledge", str(KNOWLEDGE)], input=stdin, capture_output=True,
                          text=True, timeout=300, env=env, cwd=PROJECT_ROOT)


def assert_contract(data: dict, text: str) -> None:
    assert set(data) == {"text", "programmes"} and data["text"] == text
    for entry in data["programmes"]:
        assert set(entry) == {"programme", "package", "score", "why"}
        assert isinstance(entry["programme"], str) and isinstance(entry["score"], float)
        assert entry["package"] is None or entry["package"] in {"gyb", "syb", "iyb", "eyb"}
        assert isinstance(entry["why"], str) and entry["why"].startswith("You said ")


def test_cli_route_json(router: Router, state_dir: Path) -> None:
    text = "I have an idea for a bakery but I dont know how to make a business plan"
    done = run_cli(text, "--json", state_dir=state_dir)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert_contract(data, text)
    assert (data["programmes"][0]["programme"], data["programmes"][0]["package"]) == ("siyb", "syb")

    readable = run_cli(text, state_dir=state_dir)
    assert readable.returncode == 0 and "siyb / syb" in readable.stdout and "You said" in readable.stdout


def test_cli_route_stdin_batch_in_order(router: Router, state_dir: Path) -> None:
    texts = ["I am a refugee and want to start a small business", "tell me a joke about cats",
             "our hotel wants to cut its energy and water bills"]
    done = run_cli("-", "--json", stdin="\n".join(texts) + "\n", state_dir=state_dir)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.strip().splitlines()]
    assert [r["text"] for r in rows] == texts
    for row, text in zip(rows, texts):
        assert_contract(row, text)
    assert rows[0]["programmes"][0]["programme"] == "aims"
    assert rows[1]["programmes"] == []
    assert rows[2]["programmes"][0]["programme"] == "greening"


def test_cli_route_empty_text_is_refused(state_dir: Path) -> None:
    done = run_cli("   ", "--json", state_dir=state_dir)
    assert done.returncode != 0 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "empty" in done.stderr


def test_routing_while_the_pages_are_reloaded_never_sees_half_a_set(router: Router) -> None:
    """Staff publish new pages while users are being routed: every route sees the old set or the new one."""
    import threading
    import time

    knowledge = load_knowledge(PROJECT_ROOT / "knowledge")
    errors: list[BaseException] = []
    done = threading.Event()
    encode = router._encode

    def slow_when_reloading(texts: list[str]):  # a reload takes a while on a busy machine
        if threading.current_thread() is thread:
            time.sleep(0.02)
        return encode(texts)

    reloads = []

    def reload() -> None:
        try:
            while not done.is_set() and len(reloads) < 3:
                router._load(knowledge)
                reloads.append(1)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    thread = threading.Thread(target=reload)
    router._encode = slow_when_reloading
    thread.start()
    try:
        while thread.is_alive():  # route all the while the pages are reloaded, three times over
            assert router.route("I run a small shop and want to keep better records")[0].programme == "siyb"
    finally:
        done.set()
        thread.join()
        router._encode = encode
    assert not errors
