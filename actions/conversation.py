"""`action_read_turn`: every typed turn that is not plain small talk comes here first.

It reads what the turn asks for (actions/turn_reader.py) and either answers it (a knowledge answer
with sources, a command, a yes/no, small talk, a polite scope reply) or starts the conversation the
user asked for by setting the `flow` slot, which the rules in data/rules/ turn into the programme
finder or the trainer search. When another conversation is running and the user switches, the
running form is closed first.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import (
    answering,
    focus,
    knowledge,
    localisation,
    programmes,
    runtime,
    trainer_replies,
    turn_reader,
)
from actions.answering import FOLLOW_UPS
from actions.finder_questions import WHY_ASKING
from actions.trainer_search import OFFICE_GUIDE, as_float
from actions.turn_reader import Context, Reading

logger = logging.getLogger(__name__)

# Slots a restart clears (the conversation's topic, the finder's answers, the last search).
RESET_SLOTS = ("programme", "package", "topic_doc", "topic_subject", "topic_more", "stage", "need", "group", "sector", "trainer_programme", "trainers_shown",
               "answered", "requested_slot", "flow")
ABOUT_THE_TRAINERS = re.compile(r"\b(?:they|them|their|he|she|trainers?|charge|contact|call|reach)\b", re.IGNORECASE)
PRONOUN = re.compile(r"\b(?:it|this|that|the (?:course|training|programm?e|program))\b",
                                 re.IGNORECASE)

ENGLISH_ONLY = "I only have this in English:"  # before an English passage given to a user of another language
REPLIES = {
    "why_asking": WHY_ASKING,
    "which_programme": ("Which programme or course do you mean? Ask me with its name, for example “how much does "
                        "Start Your Business cost?”, or tell me about your business and I'll suggest one."),
    "restart": "OK, a fresh start: I have put aside what we said. What would you like to do? Ask me anything about your business, or pick one:",
    "stop_form": "OK, I've stopped. Ask me anything about your business whenever you like, or pick one:",
    "stop": "OK. Ask me anything about your business whenever you like, or pick one:",
    "affirm": "Great! What would you like to do next? Ask me a question, or pick one:",
    "deny": "OK, no problem. Is there anything else I can help with? Ask me a question, or pick one:",
    "thanks": "You're welcome! Ask me anything else about your business whenever you like.",
    "complaint": ("Sorry, that did not help. Could you ask again in other words? For example “How do I register "
                  "my business?” or “I sell clothes and want to grow”. Or pick one:"),
    "no_more": "That is all I have on that. Ask me another question, or pick one:",
    "more_of_what": "What would you like to know more about? Ask me a question, or pick one:",
}


def _context(tracker: Tracker) -> Context:
    quiet = ("action_listen", "action_extract_slots", "action_session_start")
    last_bot, seen_user = None, False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") not in quiet:
            last_bot = event.get("name")  # the last action that spoke before this message
            break
    shown = tracker.get_slot("trainers_shown")
    return Context(topic=tracker.get_slot("programme"), package=tracker.get_slot("package"),
                   trainers_shown=int(shown or 0), last_bot=last_bot,
                   in_form=tracker.active_loop.get("name") if tracker.active_loop else None)


def _payload_reading(text: str, intent: str | None, entities: dict) -> Reading:
    """What a button payload ("/find_trainer{...}") asks for."""
    kinds = {"find_trainer": "trainers", "find_programme": "finder", "more_trainers": "more_trainers",
             "start_over": "restart", "stop": "stop", "affirm": "affirm", "deny": "deny", "greet": "greet",
             "goodbye": "goodbye", "thank": "thanks"}
    if intent in ("inform", "skip"):  # an old answer button: start the finder with that answer
        return Reading("finder")
    return Reading(kinds.get(intent or "", "unclear"), programme=entities.get("programme"))


class ActionReadTurn(Action):
    """Read the turn; answer it, or start the conversation it asks for."""

    def name(self) -> str:
        return "action_read_turn"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        message = tracker.latest_message or {}
        text = str(message.get("text") or "").strip()
        intent = (message.get("intent") or {}).get("name")
        confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
        entities = {e.get("entity"): e.get("value") for e in message.get("entities") or [] if e.get("entity")}
        context = _context(tracker)
        pages = runtime.programme_pages()
        if text.startswith("/"):
            reading = _payload_reading(text, intent, entities)
        elif localisation.only_asks_for_language(message.get("original_text") or text):
            reading = Reading("greet")  # "en français s'il vous plaît": the greeting, in French
        else:
            reading = turn_reader.read(text, intent, confidence, context, pages, place_named=_names_a_place)
        logger.info("turn read as %s (intent %s %.2f)", reading.kind, intent, confidence)
        events: list[EventType] = []
        if not text.startswith("/") and reading.kind in ("question", "finder", "trainers"):
            place = place_mentioned(text)
            if place is not None:  # "I'm a refugee living in Arua": a later trainer search starts there
                events += [SlotSet("place", place.label()), SlotSet("latitude", place.latitude),
                           SlotSet("longitude", place.longitude)]
        if reading.kind in ("finder", "trainers", "restart", "stop") and context.in_form:
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        handler = getattr(self, f"_{reading.kind}")
        return events + handler(dispatcher, tracker, text, reading, context, pages)

    # --- starting a conversation -------------------------------------------------------------------

    def _finder(self, dispatcher, tracker, text, reading, context, pages) -> list[EventType]:
        return [SlotSet("flow", "finder")]

    def _trainers(self, dispatcher, tracker, text, reading, context, pages) -> list[EventType]:
        """Search trainers for the programme the user chose, if any (never just the topic of an answer)."""
        if reading.programme == "any":  # the "Trainers of any programme" button
            chosen = None
        elif reading.programme:
            chosen = programmes.programme_id(reading.programme, pages)
        elif not text.startswith("/") and context.topic and PRONOUN.search(text) and not turn_reader.changes_topic(text):
            chosen = context.topic  # "can I take it near Gulu?": the programme under discussion
        elif context.last_bot == "action_find_trainers":
            chosen = tracker.get_slot("trainer_programme")  # "in Kano then?": the same search somewhere else
        else:
            chosen = None
        return [SlotSet("flow", "trainers"), SlotSet("trainer_programme", chosen)]

    def _more_trainers(self, dispatcher, tracker, text, reading, context, pages) -> list[EventType]:
        return [SlotSet("flow", "more_trainers")]

    def _trainer_language(self, dispatcher, tracker, text, reading, context, pages) -> list[EventType]:
        """"They speak Somali?": the nearest trainers who speak it, around the place searched."""
        lat, lon = as_float(tracker.get_slot("latitude")), as_float(tracker.get_slot("longitude"))
        label = tracker.get_slot("place")
        if not label or lat is None or lon is None:
            return [SlotSet("flow", "trainers"), SlotSet("trainer_programme", tracker.get_slot("trainer_programme"))]
        reply = trainer_replies.language_reply(runtime.trainer_directory(), pages, lat, lon, label,
                                               tracker.get_slot("trainer_programme"), reading.values["language"])
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
        return [SlotSet("flow", None)]

    def _trainer_details(self, dispatcher, tracker, text, reading, context, pages) -> list[EventType]:
        """"Give me his number": the contacts and languages of the trainers just shown."""
        lat, lon = as_float(tracker.get_slot("latitude")), as_float(tracker.get_slot("longitude"))
        if lat is None or lon is None:
            return [SlotSet("flow", "trainers"), SlotSet("trainer_programme", tracker.get_slot("trainer_programme"))]
        reply = trainer_replies.details_reply(runtime.trainer_directory(), pages, lat, lon,
                                              str(tracker.get_slot("place") or ""),
                                              tracker.get_slot("trainer_programme"), context.trainers_shown,
                                              bool(reading.values.get("first")), text)
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
        return [SlotSet("flow", None)]

    # --- commands and small talk -------------------------------------------------------------------

    def _restart(self, dispatcher, tracker, text, reading, context, pages) -> list[EventType]:
        dispatcher.utter_message(text=REPLIES["restart"], buttons=list(FOLLOW_UPS))
        return [SlotSet(s, None) for s in RESET_SLOTS]

    def _menu(self, dispatcher, tracker, text, reading, context, pages) -> list[EventType]:
        dispatcher.utter_message(text=answering.HELP, buttons=list(FOLLOW_UPS))
        return [SlotSet("flow", None)]

    def _stop(self, dispatcher, tracker, text, reading, context, pages) -> list[EventType]:
        key = "stop_form" if context.in_form else "stop"
        dispatcher.utter_message(text=REPLIES[key], buttons=list(FOLLOW_UPS))
        return [SlotSet("flow", None)]

    def _canned(self, dispatcher, key: str) -> list[EventType]:
        """One of REPLIES, with the two main buttons (none after thanks)."""
        dispatcher.utter_message(text=REPLIES[key], buttons=[] if key == "thanks" else list(FOLLOW_UPS))
        return [SlotSet("flow", None)]

    def _affirm(self, dispatcher, *args) -> list[EventType]:
        return self._canned(dispatcher, "affirm")

    def _deny(self, dispatcher, *args) -> list[EventType]:
        return self._canned(dispatcher, "deny")

    def _complaint(self, dispatcher, *args) -> list[EventType]:
        return self._canned(dispatcher, "complaint")

    def _thanks(self, dispatcher, *args) -> list[EventType]:
        return self._canned(dispatcher, "thanks")

    def _goodbye(self, dispatcher, *args) -> list[EventType]:
        dispatcher.utter_message(response="utter_goodbye")
        return [SlotSet("flow", None)]

    def _bot(self, dispatcher, *args) -> list[EventType]:
        dispatcher.utter_message(response="utter_iamabot")
        return [SlotSet("flow", None)]

    def _greet(self, dispatcher, *args) -> list[EventType]:
        dispatcher.utter_message(response="utter_greet")
        return [SlotSet("flow", None)]

    def _unclear(self, dispatcher, tracker, text, reading, context, pages) -> list[EventType]:
        if context.in_form:  # the form asks its question again after this
            dispatcher.utter_message(text=REPLIES["why_asking"])
        else:
            dispatcher.utter_message(text=answering.UNCLEAR, buttons=list(FOLLOW_UPS))
        return [SlotSet("flow", None)]

    # --- the knowledge answer ------------------------------------------------------------------------

    def _simpler(self, dispatcher, tracker, text, reading, context, pages) -> list[EventType]:
        """"I don't understand": the topic in one plain sentence, else what it is, from the start."""
        topic = _topic(tracker, context)
        if (short := knowledge.in_short(topic, pages)) is not None:
            return self._say(dispatcher, short, topic)
        name = turn_reader.topic_name(pages, context.topic, context.package) or str(context.topic)
        return self._question(dispatcher, tracker, f"What is {name}?", reading, context, pages)

    def _more(self, dispatcher, tracker, text, reading, context, pages) -> list[EventType]:
        """"Tell me more": the rest of the last answer, else the next part of its document."""
        reply, topic = knowledge.more(_topic(tracker, context), pages, runtime.searcher().passages)
        if reply is None:
            key = "no_more" if tracker.get_slot("topic_doc") else "more_of_what"
            dispatcher.utter_message(text=REPLIES[key], buttons=list(FOLLOW_UPS))
            return [SlotSet("flow", None)]
        return self._say(dispatcher, reply, topic)

    def _say(self, dispatcher, reply, topic: knowledge.Topic) -> list[EventType]:
        """Send an answer with its sources; the conversation's topic follows it."""
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
        if reply.sources:
            dispatcher.utter_message(json_message={"sources": reply.sources})
        return [SlotSet("answered", True), SlotSet("programme", topic.programme), SlotSet("package", topic.package),
                SlotSet("topic_doc", topic.document), SlotSet("topic_subject", topic.subject),
                SlotSet("topic_more", topic.more_at), SlotSet("flow", None)]

    def _question(self, dispatcher, tracker, text, reading, context, pages) -> list[EventType]:
        topic = _topic(tracker, context)
        if (context.last_bot == "action_find_trainers" and ABOUT_THE_TRAINERS.search(text)
                and (guide := runtime.guide(OFFICE_GUIDE))):
            topic = knowledge.Topic(guide.programme, None, guide.doc_id)  # "how much do they charge?"
        elif context.last_bot == "action_find_trainers" and (chosen := tracker.get_slot("trainer_programme")):
            topic = knowledge.Topic(chosen)  # "which module do we do first?" after a search for SCORE trainers
        searcher = runtime.searcher()
        language = tracker.get_slot("language")
        own_words = without_greeting(tracker.latest_message.get("original_text") or "")  # their French, Spanish...
        asked = turn_reader.spelled_out(without_greeting(text), pages)

        def search(question: str, about):  # a follow-up looks further down the topic's passages
            words = own_words if own_words and question == asked else question
            response = searcher.search(words, k=20 if about else 8, topic=about, language=language)
            readable = [r for r in response.results if r.language in (language, localisation.DEFAULT)]
            # passages in the user's language or in English, never in a third one
            return dataclasses.replace(response, results=readable) if readable else response

        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if answering.off_topic(asked):  # "btw should i buy bitcoin now": never an answer from "How to buy well"
            dispatcher.utter_message(text=answering.SCOPE, buttons=list(FOLLOW_UPS))
            return [SlotSet("answered", False), SlotSet("flow", None)]
        reply, new_topic, response = knowledge.answer(asked, topic, pages, search, off_topic=intent == "out_of_scope")
        if not reply.answered:
            if reading.values and not turn_reader.is_question(text):  # "I run a small shop": the finder reads the rest
                return [SlotSet("flow", "finder")]
            if not topic.programme and focus.expected(text) and turn_reader.is_follow_up(text):  # "how much is it?"
                dispatcher.utter_message(text=REPLIES["which_programme"], buttons=list(FOLLOW_UPS))
                return [SlotSet("answered", False), SlotSet("flow", None)]
            # Rasa's "off-topic" gives way to a message that clearly speaks of business ("insurance for my shop")
            if not answering.in_scope(text) or intent == "out_of_scope" and not answering.in_scope(text, words=2):
                dispatcher.utter_message(text=answering.SCOPE, buttons=list(FOLLOW_UPS))
            else:
                dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
                best = response.results[0].score if response.results else None
                runtime.records().add_unanswered(tracker.sender_id, text, best)
            return [SlotSet("answered", False), SlotSet("flow", None)]
        used = next((r for r in response.results if (reply.document or "").startswith(f"{r.doc_id}#")),
                    response.results[0] if response.results else None)
        if language and language != localisation.DEFAULT and used and used.language != language:
            reply.text = f"{ENGLISH_ONLY}\n\n{reply.text}"  # the answer is from an English passage
        return self._say(dispatcher, reply, new_topic)


# a greeting before the question ("hola, we are 30 coffee farmers ...") says nothing to the search
GREETING_FIRST = re.compile(r"^\W*(?:hi|hello|hey|hola|buenas|buenos d[ií]as|bonjour|bonsoir|salut|ol[áa]|oi|bom dia|"
                            r"good (?:morning|afternoon|evening)|salaam?|salam|jambo|habari)(?: there)?\b[\s,.!:;-]+(?=\w)", re.IGNORECASE)


def without_greeting(text: str) -> str:
    return GREETING_FIRST.sub("", text) or text


def _topic(tracker: Tracker, context: Context) -> knowledge.Topic:
    more_at = tracker.get_slot("topic_more")
    return knowledge.Topic(context.topic, context.package, tracker.get_slot("topic_doc"),
                           tracker.get_slot("topic_subject"), int(more_at) if more_at is not None else None)


def _names_a_place(text: str) -> bool:
    """Whether a short message names a known town ("Kampala", "kampla", "in Kumasi then")."""
    from index.places import place_in_text, resolve_place

    try:
        result = place_in_text(text) or resolve_place(text.strip(" ,.!?"))
    except Exception:  # the gazetteer is unavailable: the words decide
        logger.exception("could not look up a place")
        return False
    if result.status in ("resolved", "ambiguous"):
        return True
    return bool(result.candidates) and len(text.split()) <= 2  # "Kampaa": the trainer search offers did-you-mean


def place_mentioned(text: str):
    """A town the message names after "in", "near", "from"... ("living in arua, want a shop" -> Arua), or None."""
    from index.places import resolve_place

    for m in re.finditer(f"(?={turn_reader.IN_PLACE.pattern})", text, re.IGNORECASE):  # overlapping: "in the market in Kumasi"
        phrase = m.group(1).strip()
        words = phrase.split()
        for candidate in dict.fromkeys([phrase, phrase.split(",")[0], *(" ".join(words[:n]) for n in (3, 2, 1))]):
            candidate = candidate.strip(" ,")
            if len(candidate) < 3 or answering.in_scope(candidate):
                continue
            try:
                result = resolve_place(candidate)
            except Exception:  # the gazetteer is unavailable: no place
                logger.exception("could not look up a place")
                return None
            if result.status == "resolved" and result.place:
                return result.place
    return None
