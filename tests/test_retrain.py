"""The retrain steps without running processes: knowledge check, Rasa fingerprint, failures that
publish nothing."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from bot import rasa_model
from bot import retrain as retrain_module
from bot.processes import model_path
from bot.retrain import RetrainFailed, retrain, retrain_lock
from bot.settings import Settings
from index.builds import current_version
from tests.knowledge_fixtures import GUIDE, write_small_knowledge


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(STATE_DIR=tmp_path / "state", KNOWLEDGE_DIR=write_small_knowledge(tmp_path / "knowledge"),
                    RASA_MODEL_DIR=tmp_path / "models", RASA_URL="http://127.0.0.1:9", ACTIONS_URL="http://127.0.0.1:9")


@pytest.fixture
def rasa_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "data" / "nlu").mkdir(parents=True)
    (root / "config.yml").write_text("recipe: default.v1\n")
    (root / "domain.yml").write_text("version: '3.1'\n")
    (root / "data" / "nlu" / "a.yml").write_text("nlu: []\n")
    return root


def _model(settings: Settings, content: bytes = b"model-1", age_s: float = 0.0) -> Path:
    path = model_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    stamp = time.time() + 5 - age_s
    os.utime(path, (stamp, stamp))
    return path


def test_broken_document_fails_the_check_and_publishes_nothing(settings) -> None:
    (settings.KNOWLEDGE_DIR / "guides" / "bad.md").write_text(GUIDE.format(
        title="Bad", programme="nope", section="A", body="Text."), encoding="utf-8")
    events = []
    with pytest.raises(RetrainFailed) as failure:
        retrain(settings, report=events.append)
    assert failure.value.step == "check"
    assert failure.value.reason.startswith("knowledge/guides/bad.md:3: unknown programme id 'nope'")
    assert [(e.step, e.status) for e in events] == [("check", "running"), ("check", "failed")]
    assert current_version(settings.index_dir) is None


def test_only_one_retrain_at_a_time(settings) -> None:
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with retrain_lock(settings):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    try:
        with pytest.raises(RetrainFailed, match="another retrain is running"):
            retrain(settings)
    finally:
        release.set()
        thread.join()


def test_fingerprint_decides_when_rasa_needs_training(settings, rasa_project) -> None:
    fingerprint = rasa_model.training_fingerprint(rasa_project)
    assert rasa_model.needs_training(settings, fingerprint, rasa_project) == (True, "there is no trained dialogue model yet")
    _model(settings)  # newer than its inputs, no record: trusted and recorded
    assert rasa_model.needs_training(settings, fingerprint, rasa_project)[0] is False
    assert rasa_model.needs_training(settings, fingerprint, rasa_project)[1].startswith("config, domain and training data are unchanged")
    (rasa_project / "data" / "nlu" / "a.yml").write_text("nlu: [changed]\n")
    changed = rasa_model.training_fingerprint(rasa_project)
    assert changed != fingerprint
    assert rasa_model.needs_training(settings, changed, rasa_project) == (
        True, "config, domain or training data changed since the model in use was trained")
    # replaced by someone else, older than the inputs: retrain
    _model(settings, b"model-2", age_s=3600)
    assert rasa_model.needs_training(settings, changed, rasa_project)[0] is True


def test_promote_replaces_the_model_in_use_and_prunes(settings) -> None:
    settings.models_dir.mkdir(parents=True)
    for n in range(4):
        (settings.models_dir / f"sme-advisor-2026010{n}T000000.tar.gz").write_bytes(f"m{n}".encode())
    newest = settings.models_dir / "sme-advisor-20260103T000000.tar.gz"
    rasa_model.promote(settings, newest, "fp")
    assert model_path(settings).read_bytes() == b"m3"
    assert [p.name for p in rasa_model.prune_models(settings)] == ["sme-advisor-20260100T000000.tar.gz",
                                                                  "sme-advisor-20260101T000000.tar.gz"]
    assert model_path(settings).read_bytes() == b"m3"


def _written(path: Path) -> Path:
    path.write_bytes(b"new")
    return path


@pytest.fixture
def past_the_index(settings, monkeypatch) -> Settings:
    """Skip the embedding model: the index step reports a published version, the action server is
    not running."""
    monkeypatch.setattr(retrain_module, "_index_step", lambda s, force: ("v2", True, "published index v2"))
    monkeypatch.setattr(rasa_model, "needs_training", lambda s, fp, root=None: (True, "data changed"))
    _model(settings, b"model-in-use")
    return settings


def test_failed_rasa_training_keeps_the_model_in_use(past_the_index, monkeypatch) -> None:
    def fail(settings, log):
        raise rasa_model.RasaStepFailed("'rasa train' stopped with code 1: InvalidDomain")
    monkeypatch.setattr(rasa_model, "train_new_model", fail)
    events = []
    with pytest.raises(RetrainFailed) as failure:
        retrain(past_the_index, report=events.append)
    assert failure.value.step == "rasa-train" and "InvalidDomain" in str(failure.value)
    assert ("switch", "skipped") in [(e.step, e.status) for e in events]
    assert model_path(past_the_index).read_bytes() == b"model-in-use"


def test_refused_model_load_keeps_the_model_in_use(past_the_index, monkeypatch) -> None:
    new = past_the_index.models_dir / "sme-advisor-20260101T000000.tar.gz"
    monkeypatch.setattr(rasa_model, "train_new_model", lambda s, log: _written(new))
    monkeypatch.setattr(rasa_model, "rasa_status", lambda s: {"model_file": "sme-advisor.tar.gz"})

    def refuse(settings, path):
        raise rasa_model.RasaStepFailed("Rasa refused the new model (HTTP 500): LoadingError")
    monkeypatch.setattr(rasa_model, "load_into_rasa", refuse)
    with pytest.raises(RetrainFailed) as failure:
        retrain(past_the_index)
    assert failure.value.step == "rasa-load" and "Rasa keeps the model it had" in failure.value.reason
    assert model_path(past_the_index).read_bytes() == b"model-in-use"


def test_rasa_not_running_gets_the_new_model_on_disk(past_the_index, monkeypatch) -> None:
    new = past_the_index.models_dir / "sme-advisor-20260101T000000.tar.gz"
    monkeypatch.setattr(rasa_model, "train_new_model", lambda s, log: _written(new))
    events = []
    result = retrain(past_the_index, report=events.append)
    assert result.model_trained and not result.model_loaded and not result.index_serving
    assert model_path(past_the_index).read_bytes() == b"new"
    assert events[-1].step == "rasa-load" and "when it starts" in events[-1].message
