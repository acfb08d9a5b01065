"""`action_detect_language`: the `language` slot, set after every user message (the slot's custom
mapping in domain.yml runs it), so Rasa's responses pick their variation in the user's language and
every action knows it. The language is settled in actions/localisation.py; the action server's
executor (actions/server.py) has already put it in the tracker this action receives.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


class ActionDetectLanguage(Action):
    def name(self) -> str:
        return "action_detect_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return [SlotSet("language", tracker.get_slot("language"))]
