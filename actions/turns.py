"""Reading the latest user turn from a rasa-sdk tracker, for the forms' validation actions."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

QUIET_ACTIONS = {"action_listen", "action_extract_slots", "action_session_start"}


def is_opening(tracker: Tracker, form: str) -> bool:
    """True when the form is being activated by the latest user message (not answering its questions).

    Rasa applies `ActiveLoop(form)` before the activation's validation, so "active" is not enough:
    the form is opening when that event comes after the latest user message.
    """
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            return False
        if kind == "active_loop" and event.get("name") == form:
            return True
    return False


def user_just_spoke(tracker: Tracker, form: str) -> bool:
    """True when the form runs on a user message nobody has handled yet.

    False when it comes back after an interruption (another action answered the message), or after
    it already refused this message once (so a rule that predicts it again cannot loop).
    Rasa hands the validation action a tracker ending with `SlotSet(requested_slot)`, the form's
    `ActionExecuted` and the candidate `SlotSet`s; those are skipped first.
    """
    events = tracker.events
    i = len(events) - 1
    while i >= 0 and events[i].get("event") == "slot":
        i -= 1
    if i >= 0 and events[i].get("event") == "action" and events[i].get("name") == form:
        i -= 1
    for event in reversed(events[: i + 1]):
        kind = event.get("event")
        if kind == "user":
            return True
        if kind == "action" and event.get("name") not in QUIET_ACTIONS:
            return False
        if kind == "action_execution_rejected" and event.get("name") == form:
            return False
    return False


def latest(tracker: Tracker) -> tuple[str, str | None, float, dict[str, Any]]:
    """(text, intent, confidence, {entity: value}) of the latest user message."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    entities = {e.get("entity"): e.get("value") for e in message.get("entities") or [] if e.get("entity")}
    return (str(message.get("text") or ""), intent.get("name"), float(intent.get("confidence") or 0.0), entities)


def own_words_since(tracker: Tracker, form: str) -> list[str]:
    """What the user typed (not button payloads) from the message that started `form` until now."""
    events = tracker.events
    start = max((i for i, e in enumerate(events) if e.get("event") == "active_loop" and e.get("name") == form),
                default=None)
    if start is None:
        return []
    opening = max((i for i, e in enumerate(events[:start]) if e.get("event") == "user"), default=start)
    texts = [str(e.get("text") or "") for e in events[opening:] if e.get("event") == "user"]
    return [t for t in texts if t and not t.startswith("/")]
