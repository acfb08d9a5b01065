"""The programme finder: a form of up to four questions, then `action_recommend_programmes`.

Thin: the questions, the reading of answers and the replies are plain functions in actions/finder.py
and actions/recommending.py; the router is index.routing.Router (actions/runtime.router()).
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import finder, recommending, runtime, turn_reader
from actions.finder import FORM, SLOTS
from actions.turns import is_opening, latest, own_words_since, user_just_spoke

logger = logging.getLogger(__name__)
FAILED = ("Sorry, I can't put a recommendation together right now. Please try again in a minute, or ask me about "
          "a programme, e.g. “What is Start Your Business?”")


def _values(tracker: Tracker) -> dict[str, str | None]:
    return {s: tracker.get_slot(s) for s in SLOTS}


class ValidateProgrammeFinderForm(Action):
    """Reads each answer (button or free text), re-asks on unclear answers, and picks the next question."""

    def name(self) -> str:
        return "validate_programme_finder_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text, intent, confidence, entities = latest(tracker)
        text = turn_reader.as_read(text)  # "wat business" read as the turn reader reads it
        opening = is_opening(tracker, FORM)
        turn = finder.Turn(
            text=text, intent=intent, confidence=confidence,
            entities={k: v for k, v in entities.items() if k in SLOTS},
            requested=None if opening else tracker.get_slot("requested_slot"),
            opening=opening, fresh=opening or user_just_spoke(tracker, FORM),
        )
        step = finder.step(_values(tracker), turn)
        if step.interrupt:
            return []  # no slot filled: Rasa hands the message to the other policies (rules for stop, questions...)
        for reply in step.say:
            dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
        return [SlotSet(s, step.values[s]) for s in SLOTS] + [SlotSet("requested_slot", step.next_slot)]


class _Asks:
    """The form's question for one slot (`action_ask_<slot>`), worded for what is known so far."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        q = finder.question(self.slot, _values(tracker), first=is_opening(tracker, FORM))
        dispatcher.utter_message(text=q.text, buttons=q.buttons)
        return []


class ActionAskStage(_Asks, Action):
    slot = "stage"


class ActionAskNeed(_Asks, Action):
    slot = "need"


class ActionAskGroup(_Asks, Action):
    slot = "group"


class ActionAskSector(_Asks, Action):
    slot = "sector"


class ActionRecommendProgrammes(Action):
    """1-3 programmes for the finder's answers (and the user's own words), each with why, what, how and buttons."""

    def name(self) -> str:
        return "action_recommend_programmes"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        values = _values(tracker)
        try:
            said = [t for t in own_words_since(tracker, FORM) if finder.tells_something(t)]
            description = finder.describe(values, said)
            recommended = runtime.router().route(description) if description else []
            pages = runtime.programme_pages()
            choices = recommending.choose(recommended, values, pages)
            lang = tracker.get_slot("language")
            local = None if lang in (None, "en") else (  # the programme in the user's language, if translated
                lambda pid, pkg: recommending.translated_intro(runtime.searcher().passages, lang, pid, pkg))
            replies = recommending.compose(choices, values, pages, local)
        except Exception:  # always say something: the user is waiting for the finder's answer
            logger.exception("could not recommend programmes")
            dispatcher.utter_message(text=FAILED)
            return [SlotSet("programme", tracker.get_slot("programme"))]
        for reply in replies:
            dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
            if reply.sources:
                dispatcher.utter_message(json_message={"sources": reply.sources})
        best = choices[0] if choices else None
        if best is None:
            return [SlotSet("programme", tracker.get_slot("programme"))]
        # the new topic; its subject is the course an entrepreneur takes, when the page names one ("GET Ahead")
        course = pages[best.programme].meta.get("course") if best.programme in pages and not best.package else None
        return [SlotSet("programme", best.programme), SlotSet("package", best.package),
                SlotSet("topic_doc", None), SlotSet("topic_subject", str(course) if course else None),
                SlotSet("topic_more", None)]
