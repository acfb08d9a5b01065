"""Answering questions from the knowledge folder."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.answering import compose_answer

logger = logging.getLogger(__name__)


class ActionAnswerQuestion(Action):
    """Answer the latest message from the knowledge index, with sources; record what it cannot answer."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        question = (tracker.latest_message.get("text") or "").strip()
        response = runtime.searcher().search(question, k=5)
        answer = compose_answer(response)
        dispatcher.utter_message(text=answer.text, buttons=answer.buttons)
        if answer.sources:
            dispatcher.utter_message(json_message={"sources": answer.sources})
        # Always an event: a speaking action that returns none looks like a failure to the
        # ActionFailurePolicy in test stories, where the bot's messages are not recorded.
        if not answer.answered:
            best = response.results[0].score if response.results else None
            runtime.records().add_unanswered(tracker.sender_id, question, best)
            return [SlotSet("answered", False)]
        return [SlotSet("answered", True), SlotSet("programme", answer.programme)]
