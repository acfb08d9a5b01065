"""Index builds and search with the real model, real FAISS and real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot import services
from bot.settings import Settings
from index.builds import current_version, read_manifest
from index.errors import KnowledgeInvalid
from index.vectors import FLAT_MAX, build_dense, faiss_factory
from tests.knowledge_fixtures import write_small_knowledge

CLI = [sys.executable, "-m", "bot.cli"]


@pytest.fixture()
def setup(tmp_path: Path) -> tuple[Settings, Path]:
    knowledge = write_small_knowledge(tmp_path / "knowledge")
    return Settings(STATE_DIR=tmp_path / "state", KNOWLEDGE_DIR=knowledge), knowledge


def test_build_ask_edit_rebuild(setup: tuple[Settings, Path]) -> None:
    settings, knowledge = setup
    first = services.build(settings, progress=False)
    assert first.published and first.embedded == first.chunks == 5 and first.reused == 0
    manifest = read_manifest(settings.index_dir)
    assert manifest["model"] == "all-MiniLM-L6-v2" and manifest["dimension"] == 384
    assert set(manifest["documents"]) == {"programmes/siyb", "programmes/formalization", "guides/record-keeping"}

    searcher = services.make_searcher(settings)
    answer = searcher.search("how do I write down my sales every day", k=3)
    assert answer.answerable and answer.results[0].doc_id == "guides/record-keeping"
    assert answer.results[0].section == "Why keep records" and answer.results[0].title == "Keeping business records"

    # Nothing changed: nothing is rebuilt.
    again = services.build(settings, progress=False)
    assert not again.published and again.version == first.version

    # Edit one document: only its chunk is re-embedded, and the answer follows the new text.
    guide = knowledge / "guides" / "record-keeping.md"
    guide.write_text(guide.read_text().replace(
        "Write down every sale and every expense each day in a cash book, so you know your real profit.",
        "Photograph every receipt with your phone and keep a simple stock list of goods on the shelf."))
    second = services.build(settings, progress=False)
    assert second.published and second.embedded == 1 and second.reused == 4
    assert second.changed_documents == ["guides/record-keeping"]
    assert searcher.reload_if_changed() and searcher.version == second.version
    answer = searcher.search("how do I keep my receipts", k=1)
    assert "Photograph every receipt" in answer.results[0].text


def test_broken_document_keeps_previous_index(setup: tuple[Settings, Path]) -> None:
    settings, knowledge = setup
    first = services.build(settings, progress=False)
    (knowledge / "guides" / "broken.md").write_text("---\ntitle: Broken\nprogramme: nope\n---\n\nText\n")
    with pytest.raises(KnowledgeInvalid) as excinfo:
        services.build(settings, progress=False)
    assert "broken.md:3: unknown programme id 'nope'" in str(excinfo.value)
    assert current_version(settings.index_dir) == first.version


def test_acronyms_found_and_off_topic_not_answerable(setup: tuple[Settings, Path]) -> None:
    settings, _ = setup
    services.build(settings, progress=False)
    searcher = services.make_searcher(settings)
    r204 = searcher.search("R204", k=1)
    assert r204.results[0].programme == "formalization"
    assert not searcher.search("who won the football world cup", k=3).answerable


def test_large_corpora_use_a_graph_index() -> None:
    assert faiss_factory(1_000) == "Flat" and faiss_factory(FLAT_MAX + 1).startswith("HNSW")
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((FLAT_MAX + 1000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = build_dense(vectors)
    _, ids = index.search(vectors[:20], 1)
    assert (ids[:, 0] == np.arange(20)).mean() >= 0.95


def run_cli(*args: str, stdin: str | None = None, state: Path) -> subprocess.CompletedProcess:
    env = {"STATE_DIR": str(state), "PATH": "/usr/bin:/bin"}
    return subprocess.run(CLI + list(args), input=stdin, capture_output=True, text=True, env=env, timeout=300)


def test_cli_ask_contract_and_batch(setup: tuple[Settings, Path], tmp_path: Path) -> None:
    _, knowledge = setup
    state = tmp_path / "cli-state"
    one = run_cli("ask", "what is R204", "--k", "2", "--json", "--knowledge", str(knowledge), state=state)
    assert one.returncode == 0, one.stderr
    data = json.loads(one.stdout)
    assert set(data) == {"question", "results", "answerable"} and data["answerable"] is True
    assert set(data["results"][0]) == {"programme", "doc_id", "title", "section", "text", "score", "source_url"}
    assert data["results"][0]["programme"] == "formalization" and len(data["results"]) == 2

    batch = run_cli("ask", "-", "--json", "--knowledge", str(knowledge), state=state,
                    stdin="how do I write a business plan\nwhat is the best pizza topping\n")
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [x["question"] for x in lines] == ["how do I write a business plan", "what is the best pizza topping"]
    assert [x["answerable"] for x in lines] == [True, False]


def test_cli_check_and_build_refuse_broken_knowledge(setup: tuple[Settings, Path], tmp_path: Path) -> None:
    _, knowledge = setup
    state = tmp_path / "cli-state"
    assert run_cli("knowledge", "check", "--knowledge", str(knowledge), state=state).returncode == 0
    (knowledge / "programmes" / "wed.md").write_text("---\nid: wed\nname: [oops\n---\nText\n")
    check = run_cli("knowledge", "check", "--knowledge", str(knowledge), state=state)
    assert check.returncode == 1 and "wed.md:3" in check.stdout and "Fix:" in check.stdout
    build = run_cli("index", "build", "--knowledge", str(knowledge), state=state)
    assert build.returncode != 0 and "previous index stays published" in build.stderr
