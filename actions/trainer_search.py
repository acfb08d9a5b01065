"""The trainer search: a form that asks for the place only when needed, then `action_find_trainers`.

Thin: place handling and replies are plain functions in actions/trainer_replies.py; the directory is
index.trainers.TrainerDirectory (actions/runtime.trainer_directory()).
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime, trainer_replies, turn_reader
from actions.trainer_replies import PlaceTurn, Reply
from actions.turns import is_opening, latest, user_just_spoke

logger = logging.getLogger(__name__)
FORM = "trainer_search_form"
OFFICE_GUIDE = "guides/reaching-a-programme-in-your-country"  # cited when no trainer is near
FAILED = ("Sorry, I can't search the trainer directory right now. Please try again in a minute; meanwhile the ILO "
          "country office can point you to certified trainers.")


def as_float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _say(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
    if reply.sources:
        dispatcher.utter_message(json_message={"sources": reply.sources})
    if reply.request_location:
        dispatcher.utter_message(json_message={"request_location": True})


class ValidateTrainerSearchForm(Action):
    """Turns a city name, a picked candidate or a shared location into the place to search around."""

    def name(self) -> str:
        return "validate_trainer_search_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text, intent, confidence, entities = latest(tracker)
        text = turn_reader.as_read(text)  # "wat about mombassa" read as the turn reader reads it
        opening = is_opening(tracker, FORM)
        turn = PlaceTurn(
            text=text, intent=intent, confidence=confidence,
            place_entity=str(entities["place"]) if entities.get("place") else None,
            latitude=as_float(entities.get("latitude")), longitude=as_float(entities.get("longitude")),
            requested=not opening and tracker.get_slot("requested_slot") == "place",
            opening=opening, fresh=opening or user_just_spoke(tracker, FORM),
            known_label=tracker.get_slot("place"), known_latitude=as_float(tracker.get_slot("latitude")),
            known_longitude=as_float(tracker.get_slot("longitude")),
        )
        step = trainer_replies.place_step(turn)
        if step.interrupt:
            return []  # not about the place: Rasa hands the message to the other policies
        for reply in step.say:
            _say(dispatcher, reply)
        if step.label is None:
            return [SlotSet("place", None), SlotSet("requested_slot", "place")]
        return [SlotSet("place", step.label), SlotSet("latitude", step.latitude), SlotSet("longitude", step.longitude),
                SlotSet("requested_slot", None)]


class ActionAskPlace(Action):
    """The trainer search's question, with the hint that lets channels offer a location button."""

    def name(self) -> str:
        return "action_ask_place"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        _say(dispatcher, trainer_replies.place_question())
        return []


class ActionFindTrainers(Action):
    """Up to three trainers nearest the place, for the programme the user chose (`trainer_programme`), if any.

    The `programme` slot (the conversation's topic) is never a filter: only `trainer_programme`, set
    when the user chose a programme for the search ("any" or empty: any programme).
    """

    def name(self) -> str:
        return "action_find_trainers"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        shown_before = int(as_float(tracker.get_slot("trainers_shown")) or 0)
        # "more" was asked for (action_read_turn set the flow just now), not a new search by the form
        more = tracker.get_slot("flow") == "more_trainers" and tracker.latest_action_name == "action_read_turn"
        offset = shown_before if more else 0
        label = tracker.get_slot("place")
        lat, lon = as_float(tracker.get_slot("latitude")), as_float(tracker.get_slot("longitude"))
        if not label or lat is None or lon is None:
            _say(dispatcher, trainer_replies.no_place_reply())
            return [SlotSet("trainers_shown", 0)]
        raw = tracker.get_slot("trainer_programme")
        try:
            pages = runtime.programme_pages()
            programme = trainer_replies.trainer_filter(raw, pages)
            guide = runtime.guide(OFFICE_GUIDE)
            office = ({"title": guide.title, "url": guide.source_url, "programme": guide.programme} if guide else None)
            reply, shown = trainer_replies.search_reply(runtime.trainer_directory(), pages, lat, lon, label, programme,
                                                        offset, office)
        except Exception:  # always say something
            logger.exception("trainer search failed")
            dispatcher.utter_message(text=FAILED)
            return [SlotSet("trainers_shown", shown_before)]
        _say(dispatcher, reply)
        events: list[EventType] = [SlotSet("trainers_shown", offset + shown)]
        if programme and programme != raw:  # "SYB" -> "siyb"
            events.append(SlotSet("trainer_programme", programme))
        return events
