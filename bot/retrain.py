"""Retrain: check the knowledge folder, publish a new index, wait for the switch, retrain and load
Rasa if needed.

Each step reports to a callback (the CLI prints it, the admin page shows it). A failed step raises
`RetrainFailed` and nothing after it runs, so the versions in use keep serving.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import httpx

from bot import rasa_model, rasa_switch, rolling
from bot.settings import Settings

Status = Literal["running", "ok", "skipped", "failed"]
STEPS: dict[str, str] = {
    "check": "Check the knowledge folder",
    "index": "Build and publish the search index",
    "switch": "Switch the action server to the new index",
    "rasa-train": "Train the dialogue model (Rasa)",
    "rasa-load": "Load the dialogue model into Rasa",
}


@dataclass
class StepEvent:
    """One progress report: which step, how it went, and what a staff member should know."""

    step: str
    status: Status
    message: str
    details: list[str] = field(default_factory=list)
    at: float = field(default_factory=time.time)  # when it was reported (epoch seconds)

    @property
    def label(self) -> str:
        return STEPS.get(self.step, self.step)

    def to_dict(self) -> dict:
        return {**asdict(self), "label": self.label}


@dataclass
class RetrainResult:
    """What a successful retrain did."""

    index_version: str
    index_published: bool
    index_serving: bool  # the action server answers from index_version
    model_file: str | None
    model_trained: bool
    model_loaded: bool
    seconds: float
    steps: list[StepEvent] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {**asdict(self), "steps": [s.to_dict() for s in self.steps]}


class RetrainFailed(Exception):
    """A step failed; `step` names it, `reason` says why, `details` lists e.g. every file error."""

    def __init__(self, step: str, reason: str, details: list[str] | None = None):
        self.step, self.reason, self.details = step, reason, details or []
        super().__init__(f"{STEPS.get(step, step)} failed: {reason}")


Reporter = Callable[[StepEvent], None]


@contextmanager
def retrain_lock(settings: Settings) -> Iterator[None]:
    """One retrain at a time per state folder (the CLI, `watch` and the admin page share it)."""
    settings.STATE_DIR.mkdir(parents=True, exist_ok=True)
    with open(settings.STATE_DIR / "retrain.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RetrainFailed("check", "another retrain is running; wait for it to finish and try again")
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def describe_errors(errors: list, root: Path) -> list[str]:
    """KnowledgeErrors as lines with paths relative to the knowledge folder's parent
    (knowledge/guides/x.md:3)."""
    lines = []
    for error in errors:
        text = str(error)
        try:
            rel = Path(error.file).resolve().relative_to(Path(root).resolve().parent).as_posix()
            text = text.replace(str(error.file), rel, 1)
        except ValueError:
            pass
        lines.append(text)
    return lines


def check_knowledge(knowledge_dir: Path) -> tuple[str, list[str]]:
    """Validate documents and trainers.csv; returns (summary, warnings) or raises
    RetrainFailed('check')."""
    from index.knowledge import load_knowledge
    from index.trainers import load_trainers

    knowledge = load_knowledge(knowledge_dir)
    errors = list(knowledge.errors)
    trainers_csv = Path(knowledge_dir) / "trainers.csv"
    trainers: list = []
    if trainers_csv.exists():
        trainers, trainer_errors = load_trainers(trainers_csv)
        errors += trainer_errors
    if errors:
        details = describe_errors(errors, knowledge_dir)
        more = f" (and {len(errors) - 1} more problem(s), listed below)" if len(errors) > 1 else ""
        raise RetrainFailed("check", f"{details[0]}{more}", details)
    summary = (f"{len(knowledge.documents)} documents, {len(knowledge.programmes)} programmes, "
               f"{len(trainers)} trainers")
    return summary, describe_errors(knowledge.warnings, knowledge_dir)


def actions_index(settings: Settings, timeout_s: float = 2.0) -> dict | None:
    """The action server's `GET /index` (version it serves), or None when it is not running."""
    try:
        r = httpx.get(f"{settings.actions_url}/index", timeout=timeout_s)
        return r.json() if r.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


def wait_for_switch(settings: Settings, version: str, timeout_s: float) -> tuple[Status, str]:
    """Wait until the action server answers from `version`."""
    started = time.monotonic()
    info = actions_index(settings)
    if info is None:
        return "skipped", f"the action server is not running; it will load index {version} when it starts"
    while info is not None and info.get("version") != version:
        if time.monotonic() - started > timeout_s:
            raise RetrainFailed("switch", f"after {timeout_s:.0f} s the action server still answers from index "
                                          f"{info.get('version')} ({info.get('reason') or 'no reason given'}); "
                                          f"see its log in {settings.STATE_DIR / 'logs' / 'actions.log'}")
        time.sleep(0.2)
        info = actions_index(settings)
    if info is None:
        raise RetrainFailed("switch", "the action server stopped answering while switching to the new index")
    return "ok", f"the action server answers from index {version} (switched in {time.monotonic() - started:.1f} s)"


def _index_step(settings: Settings, force: bool) -> tuple[str, bool, str]:
    from bot import services
    from index.errors import KnowledgeInvalid

    try:
        report = services.build(settings, None, force=force, progress=False)
    except KnowledgeInvalid as exc:  # the folder changed since the check
        raise RetrainFailed("index", "the knowledge folder changed during the retrain and now has errors",
                            describe_errors(exc.errors, settings.KNOWLEDGE_DIR))
    except Exception as exc:  # disk full, model missing, ...
        raise RetrainFailed("index", f"could not build the index ({exc.__class__.__name__}: {exc})")
    if report.published:
        changed = ", ".join(report.changed_documents[:5]) + (" ..." if len(report.changed_documents) > 5 else "")
        return report.version, True, (f"published index {report.version}: {report.chunks} passages "
                                      f"({report.embedded} new, {report.reused} reused)"
                                      + (f"; changed: {changed}" if changed else ""))
    return report.version, False, f"nothing changed; index {report.version} stays in use"


def retrain(settings: Settings, knowledge_dir: Path | None = None, report: Reporter | None = None, *,
            rasa: bool = True, force_rasa: bool = False, force_index: bool = False,
            switch_timeout_s: float = 60.0) -> RetrainResult:
    """Run every retrain step against the running processes (if any); raises RetrainFailed on the
    first failure."""
    started = time.perf_counter()
    if knowledge_dir is not None:
        settings = settings.model_copy(update={"KNOWLEDGE_DIR": Path(knowledge_dir)})
    events: list[StepEvent] = []

    def emit(step: str, status: Status, message: str, details: list[str] | None = None) -> None:
        event = StepEvent(step, status, message, details or [])
        events.append(event)
        if report:
            report(event)

    try:
        with retrain_lock(settings):
            emit("check", "running", f"checking {settings.KNOWLEDGE_DIR}")
            summary, warnings = check_knowledge(settings.KNOWLEDGE_DIR)
            emit("check", "ok", summary + (f" ({len(warnings)} warning(s))" if warnings else ""), warnings)

            emit("index", "running", "reading documents and embedding what changed")
            version, published, message = _index_step(settings, force_index)
            emit("index", "ok", message)

            emit("switch", "running", f"waiting for the action server to answer from index {version}")
            status, message = wait_for_switch(settings, version, switch_timeout_s)
            emit("switch", status, message)

            model_file, trained, loaded = _rasa_steps(settings, rasa, force_rasa, emit)
    except RetrainFailed as exc:
        emit(exc.step, "failed", exc.reason, exc.details)
        raise
    except Exception as exc:  # anything unforeseen still names the step it happened in
        failed = RetrainFailed(events[-1].step if events else "check", f"unexpected error: {exc.__class__.__name__}: {exc}")
        emit(failed.step, "failed", failed.reason)
        raise failed from exc
    return RetrainResult(version, published, status == "ok", model_file, trained, loaded,
                         round(time.perf_counter() - started, 2), events)


def _rasa_steps(settings: Settings, rasa: bool, force: bool,
                emit: Callable[..., None]) -> tuple[str | None, bool, bool]:
    """Train Rasa only if its inputs changed (or `force`), then load the new model into the running
    Rasa."""
    in_use = rasa_model.model_path(settings)
    if not rasa:
        emit("rasa-train", "skipped", "not asked to check the dialogue model")
        return (str(in_use) if in_use.exists() else None), False, False
    emit("rasa-train", "running", "comparing config, domain and training data with the model in use")
    fingerprint = rasa_model.training_fingerprint()
    needed, why = rasa_model.needs_training(settings, fingerprint)
    if not (needed or force):
        emit("rasa-train", "skipped", f"no training needed: {why}")
        return str(in_use), False, False
    emit("rasa-train", "running", f"training a new dialogue model ({why if needed else 'forced'}); "
                                  f"this takes a few minutes")
    t0 = time.perf_counter()
    try:
        new = rasa_model.train_new_model(settings, settings.STATE_DIR / "logs" / "rasa-train.log")
    except rasa_model.RasaStepFailed as exc:
        raise RetrainFailed("rasa-train", f"{exc}; the model in use keeps serving")
    emit("rasa-train", "ok", f"trained {new.name} in {time.perf_counter() - t0:.0f} s")

    if rasa_model.rasa_status(settings) is None:
        rasa_model.promote(settings, new, fingerprint)
        rasa_model.prune_models(settings)
        emit("rasa-load", "skipped", f"Rasa is not running; it will load {in_use.name} (now "
                                     f"{new.name}) when it starts")
        return str(in_use), True, False
    t0 = time.perf_counter()
    message = _load_model(settings, new, emit)
    rasa_model.promote(settings, new, fingerprint)
    rasa_model.prune_models(settings)
    emit("rasa-load", "ok", f"{message} ({time.perf_counter() - t0:.0f} s)")
    return str(new), True, True


def _load_model(settings: Settings, new: Path, emit: Callable[..., None]) -> str:
    """Rolling on a scaled stack, blue-green when `sme-advisor run` supervises one Rasa (no pause
    either way); else `PUT /model` (Rasa pauses)."""
    layout = rolling.Layout.running(settings)
    if layout is not None:
        emit("rasa-load", "running", f"rolling reload of {len(layout.replicas)} replicas, one at a time")
        try:
            return rolling.rolling_reload(settings, layout, new, lambda m: emit("rasa-load", "running", m))
        except rolling.RollingFailed as exc:
            raise RetrainFailed("rasa-load", str(exc))
    if rasa_switch.supervisor_running(settings):
        emit("rasa-load", "running", f"starting a second Rasa with {new.name}; the gateway moves to it once it "
                                     f"answers (memory doubles for a minute)")
        try:
            return rasa_switch.request_switch(settings, new)
        except rasa_switch.SwitchFailed as exc:
            raise RetrainFailed("rasa-load", str(exc))
    emit("rasa-load", "running", f"loading {new.name} into Rasa (Rasa pauses its replies while it loads, "
                                 f"usually 10 to 40 s)")
    try:
        rasa_model.load_into_rasa(settings, new)
    except rasa_model.RasaStepFailed as exc:
        raise RetrainFailed("rasa-load", f"{exc}; Rasa keeps the model it had")
    return f"Rasa answers with {new.name}"
