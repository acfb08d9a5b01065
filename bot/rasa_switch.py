"""Blue-green model switch for the embedded stack: a second Rasa with the new model, then the
gateway moves to it.

`sme-advisor run` owns the processes, `sme-advisor retrain` trains the model; they talk through
files in STATE_DIR/rasa-switch/: the supervisor writes `supervisor.pid`, a retrain writes
`request.json` (the model file) and waits for `<id>.json` (the outcome). The supervisor starts a
Rasa on a spare port with that model, waits until it answers (and warms it up with a few messages),
writes its URL to STATE_DIR/rasa.url (the gateway reads it on every message: `Settings.rasa_url`),
waits a moment and stops the old Rasa with SIGTERM, which finishes the requests in flight first. The
supervisor goes on restarting the new Rasa if it exits. Memory: two Rasa processes for the minute of
the switch (about 1.3 GB each).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from bot import processes
from bot.chat import erase_conversation
from bot.settings import ACTIVE_RASA_FILE, Settings

# after the gateway moved: requests sent to the old Rasa just before get this long to arrive
DRAIN_S = 2.0
# the new Rasa loads at low CPU priority, so the serving one keeps answering quickly
LOADING_NICE = 15
LOAD_TIMEOUT_S = 600.0  # a second Rasa loading while the first one serves, on 2 busy cores
# a fresh Rasa answers its first messages slowly
WARM_UP = ("hello", "What is Start Your Business?")
WARM_UP_SENDER = "sme-advisor-warm-up"


class SwitchFailed(Exception):
    """The new Rasa did not come up; the old one keeps serving. The message says why."""


def _folder(settings: Settings) -> Path:
    folder = settings.STATE_DIR / "rasa-switch"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_json(path: Path, data: dict) -> None:
    _write_atomically(path, json.dumps(data))


def supervisor_running(settings: Settings) -> bool:
    """Whether a `sme-advisor run` supervises this state folder (and so can switch Rasa blue-green).
    """
    try:
        pid = int((_folder(settings) / "supervisor.pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def request_switch(settings: Settings, model_file: Path, timeout_s: float = LOAD_TIMEOUT_S + 180) -> str:
    """Ask the supervisor to switch Rasa to `model_file` and wait for it; returns what happened, in
    words."""
    folder, ticket = _folder(settings), uuid.uuid4().hex
    _write_json(folder / "request.json", {"id": ticket, "model_file": str(Path(model_file).resolve())})
    outcome, deadline = folder / f"{ticket}.json", time.monotonic() + timeout_s
    while not outcome.exists():
        if time.monotonic() > deadline or not supervisor_running(settings):
            (folder / "request.json").unlink(missing_ok=True)
            raise SwitchFailed("the supervisor (sme-advisor run) did not finish the switch"
                               if supervisor_running(settings) else "the supervisor (sme-advisor run) stopped")
        time.sleep(0.3)
    result = json.loads(outcome.read_text(encoding="utf-8"))
    outcome.unlink(missing_ok=True)
    if not result["ok"]:
        raise SwitchFailed(result["message"])
    return result["message"]


def warm_up(settings: Settings, url: str) -> None:
    """Send the first, slow messages to a new Rasa ourselves, then erase that conversation (SQLite
    store)."""
    with httpx.Client(timeout=120) as client:
        for text in WARM_UP:
            client.post(f"{url}/webhooks/rest/webhook", json={"sender": WARM_UP_SENDER, "message": text})
    erase_conversation(settings.tracker_db_path, WARM_UP_SENDER)


class BlueGreen:
    """The supervisor's side: serves switch requests while `Stack.supervise` restarts whatever
    exits."""

    def __init__(self, stack: processes.Stack, log: Callable[[str], None] = print):
        self.stack, self.log = stack, log

    def switch(self, model_file: Path) -> str:
        """Start a Rasa on a spare port with `model_file`, move the gateway to it, stop the old one.
        """
        stack, settings = self.stack, self.stack.settings
        old = [c for c in stack.children if c.name == "rasa"]
        # a scaled stack has replicas rasa-1 ... instead: its retrain reloads them one at a time
        if not old:
            raise SwitchFailed("this stack has no single Rasa to switch")
        port = processes.free_port(settings.HOST)
        new = processes.rasa_child(settings, port, model_file)
        new.nice = LOADING_NICE
        started = time.monotonic()
        for child in old:
            child.name = "rasa-old"
        stack.children = [*stack.children, new]
        stack.spawn(new)
        self.log(f"sme-advisor: blue-green: a second Rasa (port {port}) is loading {model_file.name}")
        url = f"http://{settings.HOST}:{port}"
        try:
            stack.wait_for([new], LOAD_TIMEOUT_S)
            # still at low priority: the serving Rasa comes first until the switch
            warm_up(settings, url)
        except (RuntimeError, TimeoutError, httpx.HTTPError) as exc:
            stack.halt([new])
            stack.children = [c for c in stack.children if c is not new]
            for child in old:
                child.name = "rasa"
            raise SwitchFailed(f"the new Rasa did not come up ({exc}); the previous one keeps serving") from exc
        ready_s = time.monotonic() - started
        if not stack.renice(new):
            self.log(f"sme-advisor: blue-green: the new Rasa keeps CPU priority {LOADING_NICE} (only root can raise "
                     f"it back)")
        # the gateway moves on its next message
        _write_atomically(settings.STATE_DIR / ACTIVE_RASA_FILE, url)
        time.sleep(DRAIN_S)
        # Sanic answers what is in flight, then exits
        stack.halt(old, timeout_s=settings.RASA_TIMEOUT_S)
        stack.children = [c for c in stack.children if c not in old]
        message = (f"Rasa answers with {model_file.name} on port {port} (a second Rasa loaded it in {ready_s:.0f} s "
                   f"while the previous one served; that one finished its requests and stopped)")
        self.log(f"sme-advisor: blue-green: {message}")
        return message

    def serve(self, stopping: threading.Event, poll_s: float = 0.5) -> None:
        """Until `stopping` is set: carry out each switch request a retrain writes."""
        folder = _folder(self.stack.settings)
        request = folder / "request.json"
        while not stopping.wait(poll_s):
            try:
                wanted = json.loads(request.read_text(encoding="utf-8"))
            except (FileNotFoundError, ValueError):
                continue
            request.unlink(missing_ok=True)
            try:
                result = {"ok": True, "message": self.switch(Path(wanted["model_file"]))}
            except Exception as exc:  # the retrain waiting for this answer must hear of any failure
                self.log(f"sme-advisor: blue-green: {exc}")
                result = {"ok": False, "message": str(exc) if isinstance(exc, SwitchFailed)
                          else f"the switch failed ({exc.__class__.__name__}: {exc}); the previous Rasa keeps serving"}
            _write_json(folder / f"{wanted['id']}.json", result)


def supervise(stack: processes.Stack, stopping: threading.Event, log: Callable[[str], None] = print) -> None:
    """`sme-advisor run`'s loop: restart what exits (Stack.supervise) and serve blue-green switch
    requests."""
    pid_file = _folder(stack.settings) / "supervisor.pid"
    pid_file.write_text(str(os.getpid()))
    switcher = threading.Thread(target=BlueGreen(stack, log).serve, args=(stopping,), daemon=True)
    switcher.start()
    try:
        stack.supervise(stopping, log=log)
    finally:
        stopping.set()
        pid_file.unlink(missing_ok=True)
