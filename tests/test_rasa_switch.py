"""The blue-green hand-over between `sme-advisor retrain` and `sme-advisor run` (files in
STATE_DIR), without Rasa: the gateway's Rasa URL follows STATE_DIR/rasa.url, and a switch request
always gets an answer."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from bot import processes, rasa_switch
from bot.settings import ACTIVE_RASA_FILE
from tests.conftest import stack_settings


def test_rasa_url_follows_the_switch_file(tmp_path: Path) -> None:
    settings = stack_settings(tmp_path)
    assert settings.rasa_url == f"http://127.0.0.1:{settings.RASA_PORT}"
    (tmp_path / ACTIVE_RASA_FILE).write_text("http://127.0.0.1:6006\n")
    assert settings.rasa_url == "http://127.0.0.1:6006"
    assert settings.model_copy(update={"RASA_URL": "http://haproxy:5005"}).rasa_url == "http://haproxy:5005"


def test_a_switch_request_is_answered_with_why_it_failed(tmp_path: Path) -> None:
    settings = stack_settings(tmp_path)
    stack = processes.Stack(settings, echo=False)
    stack.children = []  # nothing to switch: the answer must still come back
    stopping = threading.Event()
    supervisor = threading.Thread(target=rasa_switch.supervise, args=(stack, stopping, lambda _line: None))
    supervisor.start()
    try:
        deadline = time.monotonic() + 10  # the thread writes its pid file as it starts
        while not rasa_switch.supervisor_running(settings) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rasa_switch.supervisor_running(settings)
        with pytest.raises(rasa_switch.SwitchFailed, match="no single Rasa to switch"):
            rasa_switch.request_switch(settings, tmp_path / "sme-advisor-new.tar.gz", timeout_s=10)
    finally:
        stopping.set()
        supervisor.join()
    assert not rasa_switch.supervisor_running(settings)


def test_a_switch_request_without_a_supervisor_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(rasa_switch.SwitchFailed, match="stopped"):
        rasa_switch.request_switch(stack_settings(tmp_path), tmp_path / "sme-advisor-new.tar.gz", timeout_s=10)
