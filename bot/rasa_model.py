"""The Rasa model's life cycle for retraining: fingerprint its inputs, train a new file, load it,
promote it.

The model in use is `models/sme-advisor.tar.gz`. A retrain trains
`models/sme-advisor-<timestamp>.tar.gz`, loads that file into the running Rasa (`PUT /model`), and
only then replaces `sme-advisor.tar.gz` with it, so a failed training or load leaves the model in
use untouched. Next to it, `sme-advisor.fingerprint.json` records the hash of the training inputs
the model was trained from.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bot.processes import MODEL_NAME, model_path, rasa_command, rasa_env
from bot.settings import PROJECT_ROOT, Settings

# the policy the config names
TRAINING_INPUTS = ("config.yml", "domain.yml", "data", "rasa_addons/action_failure_policy.py")
KEEP_MODELS = 2  # timestamped models kept besides the one in use


class RasaStepFailed(Exception):
    """Training or loading the Rasa model failed; the message says why in plain words."""


def _input_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for name in TRAINING_INPUTS:
        path = root / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                      and not any(part.startswith(".") for part in p.relative_to(root).parts)]
    return sorted(files)


def training_fingerprint(root: Path = PROJECT_ROOT) -> str:
    """A hash of everything `rasa train` reads: config.yml, domain.yml, data/ and the custom
    policies."""
    digest = hashlib.sha256()
    for path in _input_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _record_path(settings: Settings) -> Path:
    return settings.models_dir / f"{MODEL_NAME}.fingerprint.json"


def record_fingerprint(settings: Settings, fingerprint: str) -> None:
    """Remember which inputs the model in use was trained from (keyed to that exact file)."""
    stat = model_path(settings).stat()
    data = {"fingerprint": fingerprint, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "recorded": datetime.now(UTC).isoformat(timespec="seconds")}
    tmp = _record_path(settings).with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, _record_path(settings))


def needs_training(settings: Settings, fingerprint: str, root: Path = PROJECT_ROOT) -> tuple[bool, str]:
    """Whether the model in use is older than its inputs, and why, in words for staff."""
    model = model_path(settings)
    if not model.exists():
        return True, "there is no trained dialogue model yet"
    stat = model.stat()
    try:
        record = json.loads(_record_path(settings).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        record = {}
    if record.get("size") == stat.st_size and record.get("mtime_ns") == stat.st_mtime_ns:
        if record.get("fingerprint") == fingerprint:
            return False, "config, domain and training data are unchanged since the model in use was trained"
        return True, "config, domain or training data changed since the model in use was trained"
    # No record for this model file (trained by `sme-advisor train`): trust it if it is newer than
    # every input.
    newest = max((p.stat().st_mtime_ns for p in _input_files(root)), default=0)
    if newest < stat.st_mtime_ns:
        record_fingerprint(settings, fingerprint)
        return False, "the model in use is newer than every training file"
    return True, "training files changed after the model in use was trained"


def train_new_model(settings: Settings, log_path: Path) -> Path:
    """Train into a new timestamped file (Rasa's cache keeps unchanged components); returns its
    path."""
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    name = f"{MODEL_NAME}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
    command = rasa_command(settings, "train", "--out", str(settings.models_dir), "--fixed-model-name", name)
    try:
        with open(log_path, "w", encoding="utf-8") as log:
            code = subprocess.call(command, cwd=PROJECT_ROOT, env=rasa_env(settings), stdout=log,
                                   stderr=subprocess.STDOUT)
    except FileNotFoundError:
        raise RasaStepFailed(f"Rasa is not installed at {settings.RASA_VENV}: run 'make setup'")
    new = settings.models_dir / f"{name}.tar.gz"
    if code != 0 or not new.exists():
        tail = [line.strip() for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        last = tail[-1] if tail else "no output"
        raise RasaStepFailed(f"'rasa train' stopped with code {code}: {last} (full log: {log_path})")
    return new


def rasa_status(settings: Settings, timeout_s: float = 3.0) -> dict | None:
    """Rasa's `/status` (with the model file it serves), or None when Rasa is not running."""
    try:
        r = httpx.get(f"{settings.rasa_url}/status", params={"token": settings.RASA_TOKEN}, timeout=timeout_s)
    except httpx.HTTPError:
        return None
    return r.json() if r.status_code == 200 else None


def load_into_rasa(settings: Settings, model_file: Path, timeout_s: float = 300.0, url: str | None = None) -> None:
    """Ask the running Rasa (or the one at `url`) to load `model_file` (it swaps agents once the new
    one is ready)."""
    try:
        r = httpx.put(f"{url or settings.rasa_url}/model", params={"token": settings.RASA_TOKEN},
                      json={"model_file": str(model_file.resolve())}, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise RasaStepFailed("Rasa did not answer while loading the model "
                             f"({exc.__class__.__name__})")
    if r.status_code != 204:
        try:
            reason = r.json().get("message") or r.text
        except ValueError:
            reason = r.text
        raise RasaStepFailed(f"Rasa refused the new model (HTTP {r.status_code}): {reason[:300]}")


def promote(settings: Settings, model_file: Path, fingerprint: str) -> None:
    """Make `model_file` the model in use (atomic replace of sme-advisor.tar.gz) and record its
    fingerprint."""
    target = model_path(settings)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(model_file, tmp)
    except OSError:
        shutil.copy2(model_file, tmp)
    os.replace(tmp, target)
    record_fingerprint(settings, fingerprint)


def prune_models(settings: Settings, keep: int = KEEP_MODELS) -> list[Path]:
    """Delete all but the newest `keep` timestamped models; returns what was deleted."""
    old = sorted(settings.models_dir.glob(f"{MODEL_NAME}-*.tar.gz"))[:-keep] if keep > 0 else []
    for path in old:
        path.unlink(missing_ok=True)
    return old
