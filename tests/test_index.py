"""Index builds and search with the real model, real FAISS and real files."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot import services
from bot.settings import Settings
from index.builds import build_path, current_version, read_manifest, verify_build
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
    # the contract's fields, plus the passage's language (issue 16)
    assert set(data["results"][0]) == {"programme", "doc_id", "title", "section", "text", "score", "source_url", "language"}
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


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def test_damaged_build_refused_on_load_and_repaired_by_build(setup: tuple[Settings, Path], tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    _, knowledge = setup
    state = tmp_path / "cli-state"
    settings = Settings(STATE_DIR=state)  # the index folder the CLI uses for --knowledge KNOWLEDGE
    index_dir = services.index_dir_for(settings, knowledge)
    first = services.build(settings, knowledge, progress=False)
    second = services.build(settings, knowledge, force=True, progress=False)
    assert set(read_manifest(index_dir)["files"]) >= {"chunks.jsonl", "vectors.npy", "dense.faiss"}
    running = services.make_searcher(settings, knowledge)
    assert running.search("R204", k=1).results[0].programme == "formalization"

    folder = build_path(index_dir, second.version)
    _truncate(folder / "dense.faiss")
    _truncate(folder / "vectors.npy")
    assert verify_build(index_dir, second.version)[0].startswith("dense.faiss: ")

    # A restarted server refuses the damaged build with one clear line and serves the previous good
    # one.
    restarted = services.make_searcher(settings, knowledge)
    with caplog.at_level(logging.ERROR, logger="index.search"):
        assert restarted.search("R204", k=1).results[0].programme == "formalization"
    assert restarted.version == first.version and second.version in restarted.refused
    assert any(f"index build {second.version} is damaged: dense.faiss" in r.message
               and f"serving build {first.version}" in r.message for r in caplog.records)
    assert not restarted.reload_if_changed()  # refused once, not retried on every poll
    # A server that had loaded the build before it was damaged keeps serving it from memory.
    assert running.search("R204", k=1).results and running.version == second.version

    # `index build` sees the damage (never "unchanged") and publishes a repaired build; `ask` works.
    build = run_cli("index", "build", "--knowledge", str(knowledge), state=state)
    assert build.returncode == 0, build.stderr
    assert "damaged" in build.stdout and "dense.faiss" in build.stdout and "published" in build.stdout
    repaired = current_version(index_dir)
    assert repaired != second.version and verify_build(index_dir, repaired) == []
    # the vectors come from the intact earlier build
    assert "(0 embedded, 5 reused)" in build.stdout
    ask = run_cli("ask", "what is R204", "--json", "--knowledge", str(knowledge), state=state)
    assert ask.returncode == 0, ask.stderr
    assert json.loads(ask.stdout)["results"][0]["programme"] == "formalization"
    assert restarted.reload_if_changed() and restarted.version == repaired
    assert "unchanged" in run_cli("index", "build", "--knowledge", str(knowledge), state=state).stdout


def test_build_without_checksums_loads_and_is_rebuilt(setup: tuple[Settings, Path]) -> None:
    settings, _ = setup
    first = services.build(settings, progress=False)
    manifest_file = build_path(settings.index_dir, first.version) / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    del manifest["files"]  # as written before checksums were recorded
    manifest_file.write_text(json.dumps(manifest))
    assert services.make_searcher(settings).search("R204", k=1).results  # still served
    again = services.build(settings, progress=False)
    assert again.published and again.repaired == ["manifest.json: no checksums (built before they were recorded)"]
    assert verify_build(settings.index_dir, again.version) == []
