"""The trainer search's replies and place handling: plain functions, no Rasa imports.

`place_step()` reads one user turn of the trainer search (a city typed or picked, a shared location,
or something else) into a resolved place or a clarifying reply; `search_reply()` searches the
directory around it (for the programme the user chose, if any) and `trainers_reply()` writes the
result: up to three trainers within the radius with organisation, programmes, city, distance and
contact, a "Show more trainers" button, a button that drops the programme filter, and, when the
nearest trainer is beyond the radius, its distance, the trainers of any programme nearby and the ILO
country office. "Show more" stays within the radius, then names at most the next nearest trainer
within 1,000 km.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from actions.turn_reader import (
    IN_PLACE,
    OTHER_PLACE,
    place_after_other,
    place_words,
    spoken_language,
)
from index.knowledge import PROGRAMME_IDS
from index.places import (
    Place,
    PlaceResult,
    country_code,
    country_like,
    country_name,
    fold,
    names_in_text,
    nearest_place,
    resolve_place,
)
from index.trainers import DEFAULT_RADIUS_KM, Trainer, TrainerDirectory, is_far, language_name

PAGE_SIZE = 3
MAX_PAYLOAD_BYTES = 64
LOCATION_PREFIX = "your shared location"
MORE_BUTTON = {"title": "Show more trainers", "payload": "/more_trainers"}
ANY_PROGRAMME_BUTTON = {"title": "Trainers of any programme", "payload": '/find_trainer{"programme":"any"}'}
ANY_PROGRAMME = {"any", "all", "any programme", "all programmes"}  # slot values that mean "no filter"
NEXT_NEAREST_MAX_KM = 1000.0  # past the radius, "Show more" names the next trainer only this close
COUNTRY_QUESTION = "How can I take part in the programme in my country?"  # answered by the knowledge action
COUNTRY_LABEL = re.compile(r"^.+ \(around .+\)$")  # a country alone was asked for ("Kenya (around Nairobi)")
COUNTRY_RADIUS_KM = 3000.0  # a search of a whole country lists its trainers this far from its biggest city
COUNTRY_POOL = 200  # nearest trainers looked at to find a country's own
PLACE_QUESTION = "Which city or town are you in? You can also share your location."
STOP_HINT = "Type “find a trainer in” and a town to search somewhere else."

_FILLER = re.compile(r"\b(?:then|please|pls|plz|now|instead|too|also|area|region|side|town|city)\b\W*$", re.IGNORECASE)
_ABOUT_TRAINING = re.compile(r"\b(?:trainers?|training|courses?|teachers?)\b", re.IGNORECASE)
_STOP = re.compile(r"^\W*(?:stop|cancel|quit|exit|never ?mind|forget it|no thanks|i'?m done|abort)\W*$", re.IGNORECASE)
_QUESTION = re.compile(r"\?\s*$|^\s*(?:what|whats|wats|which|who|when|why|how|is|are|can|could|do|does|should|tell me)\b",
                       re.IGNORECASE)
INTERRUPTING_INTENTS = {"help", "bot_challenge", "greet", "thank", "goodbye", "no_answer", "find_programme", "start_over"}
_SKIP = re.compile(r"^\W*(?:skip|pass|next|don'?t know|i don'?t know|not sure|no idea|dunno|anywhere)\W*$", re.IGNORECASE)
NEED_A_PLACE = ("To find trainers near you I need a town or city (or your shared location). Type “stop” if you'd "
                "rather not say.")


@dataclass
class Reply:
    text: str
    buttons: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    request_location: bool = False  # ask the channel for a "share my location" button


def place_question() -> Reply:
    return Reply(PLACE_QUESTION, request_location=True)


def location_label(near: Place) -> str:
    """How a shared location is named in the conversation: "your shared location (near Gulu, Uganda)"."""
    return f"{LOCATION_PREFIX} (near {near.label()})"


def where(label: str) -> str:
    """The place as it reads after "nearest": "Kampala, Uganda" or "you (near Gulu, Uganda)"."""
    return "you" + label[len(LOCATION_PREFIX):] if label.startswith(LOCATION_PREFIX) else label


def place_buttons(places: Sequence[Place]) -> list[dict]:
    """Buttons that pick one of up to three places.

    The payload names the place (`/inform{"place":"Tripoli, Lebanon"}`); when two candidates share a
    label, or the payload would pass 64 bytes, it carries the coordinates instead (as a shared location).
    """
    places = list(places)[:3]
    labels = [p.label() for p in places]
    buttons = []
    for p, label in zip(places, labels):
        payload = '/inform{"place":' + json.dumps(label, ensure_ascii=False) + "}"
        if labels.count(label) > 1 or len(payload.encode()) > MAX_PAYLOAD_BYTES:
            payload = f'/share_location{{"latitude":{p.latitude:.4f},"longitude":{p.longitude:.4f}}}'
            label = f"{label} ({p.latitude:.1f}, {p.longitude:.1f})" if labels.count(label) > 1 else label
        buttons.append({"title": label, "payload": payload})
    return buttons


def ambiguous_reply(query: str, candidates: Sequence[Place]) -> Reply:
    return Reply(f"There is more than one place called “{query}”. Which one do you mean?", place_buttons(candidates))


def unknown_reply(query: str, suggestions: Sequence[Place]) -> Reply:
    if suggestions:
        return Reply(f"I couldn't find a town called “{query}”. Did you mean one of these? If not, type the nearest "
                     "bigger town, with its country, or share your location.", place_buttons(suggestions))
    return Reply(f"I couldn't find a town called “{query}”. Please type the nearest bigger town, with its country "
                 "(for example “Gulu, Uganda”), or share your location.")


@dataclass
class PlaceTurn:
    """What the trainer search sees of the user's latest message."""

    text: str = ""  # "" for payloads
    intent: str | None = None
    confidence: float = 1.0
    place_entity: str | None = None  # a place named in the message (NLU entity or button payload)
    latitude: float | None = None  # a location shared in this message
    longitude: float | None = None
    requested: bool = False  # the form just asked for the place
    opening: bool = False  # this message started the search
    fresh: bool = True  # False when the form comes back after an interruption
    known_label: str | None = None  # the place already known in the conversation
    known_latitude: float | None = None
    known_longitude: float | None = None


@dataclass
class PlaceStep:
    label: str | None = None  # the place to search around (None: ask for it)
    latitude: float | None = None
    longitude: float | None = None
    say: list[Reply] = field(default_factory=list)
    interrupt: bool = False  # not about the place: let the dialogue policies handle the message


def _valid(lat: float | None, lon: float | None) -> bool:
    try:
        return lat is not None and lon is not None and -90 <= float(lat) <= 90 and -180 <= float(lon) <= 180
    except (TypeError, ValueError):
        return False




def place_in_text(text: str) -> str | None:
    """The place a sentence names after "in", "near", ... ("who teaches SYB in Kampala" -> "Kampala")."""
    m = IN_PLACE.search(text)
    return m.group(1).strip() if m else None


def country_named(text: str) -> str | None:
    """The country a message names among its words ("Kenia, trainers for refugees in Lodwa" -> KE), if one."""
    words = re.findall(r"[a-zà-ÿ']+", text.lower())
    found = {code for n in (2, 1) for i in range(len(words) - n + 1)
             if len(phrase := " ".join(words[i:i + n])) >= 4 and (code := country_code(phrase) or country_like(phrase))}
    return found.pop() if len(found) == 1 else None


def resolve(query: str, resolver: Callable[[str], PlaceResult] = resolve_place,
            country: str | None = None) -> PlaceStep:
    """A place for the text, or the reply that asks which one (ambiguous) or says it is unknown. `country`:
    the country the message names, which settles a town typed with a slip ("Lodwa" in Kenya: Lodwar)."""
    result = resolver(query)
    if result.status != "resolved" and country and result.candidates:
        inside = [c for c in result.candidates if c.country == country]
        if len(inside) == 1:
            return PlaceStep(inside[0].label(), inside[0].latitude, inside[0].longitude)
    if result.status == "resolved" and result.place:
        p = result.place
        return PlaceStep(p.label(), p.latitude, p.longitude)
    if result.status == "ambiguous" and result.candidates and (code := country_code(query.strip(" ,.!?"))):
        return _whole_country(code, result.candidates[0])  # "in kenya": around its biggest city; a town narrows it
    if result.status != "resolved" and (code := country_like(query.strip(" ,.!?"))):  # "Indonesa", "Kenia"
        again = resolver(country_name(code))
        if again.status == "ambiguous" and again.candidates:
            return _whole_country(code, again.candidates[0])
    if result.status == "ambiguous":
        return PlaceStep(say=[ambiguous_reply(query, result.candidates)])
    return PlaceStep(say=[unknown_reply(query, result.candidates)])


def _whole_country(code: str, biggest: Place) -> PlaceStep:
    """A search of a whole country, around its biggest city; its label is what COUNTRY_LABEL recognises."""
    return PlaceStep(f"{country_name(code)} (around {biggest.name})", biggest.latitude, biggest.longitude)


def _candidates(turn: PlaceTurn, text: str) -> list[str]:
    """Readings of the message that may name the place, most complete first.

    A typed answer is tried whole first ("Santa Cruz, Bolivia"), then what follows "in"/"near", then the
    NLU entity (which may hold only part of a name); a button payload carries exactly its entity.
    """
    if not text:
        return [turn.place_entity] if turn.place_entity else []
    short = len(text.split()) <= 4
    out = [text] if turn.requested and not turn.opening or short and not _QUESTION.search(text) else []
    if (other := OTHER_PLACE.match(text)) and len(text.split()) <= 7 and not _ABOUT_TRAINING.search(text):
        out.append(text[other.end():].strip(" ,.!?"))  # "what about Dar es Salaam?", not "any SCORE trainer near us"
    if head := place_after_other(text):
        out.append(head)  # "ok what about dar es salaam, i go there sometimes"
    if short or re.search(r"\btrainers?\b", text, re.IGNORECASE):
        out.append(place_words(text))  # "nairobi kenya SIYB trainer?" -> "nairobi kenya"
    for m in re.finditer(f"(?={IN_PLACE.pattern})", text, re.IGNORECASE):  # every "in X", "near Y": "in kenya ... near nairobi"
        inside = m.group(1).strip()
        out += [inside, _FILLER.sub("", inside).strip(" ,.!?"), inside.split(",")[0].strip()]
    if turn.place_entity:
        out += _extended(turn.place_entity, text) + [turn.place_entity]
    if turn.requested or turn.opening:  # the answer to "which town?" or the request: any place it names ("ok then
        out += names_in_text(text)  # bolivia, la paz side", "trainer in egypt for my sister, arabic speaking")
    return list(dict.fromkeys(c for c in out if c))


def _extended(entity: str, text: str, words: int = 2) -> list[str]:
    """The entity with the words after it in the text, longest first: the NLU may keep only "dar" of
    "dar es salam trainer"; the gazetteer tells which reading is a place."""
    m = re.search(rf"\b{re.escape(entity)}((?:\s+[^\W\d_]+){{1,{words}}})", text, re.IGNORECASE)
    if not m:
        return []
    tail = m.group(1).split()
    return [" ".join([m.group(0)[:len(entity)], *tail[:n]]) for n in range(len(tail), 0, -1)]


def place_step(turn: PlaceTurn, resolver: Callable[[str], PlaceResult] = resolve_place,
               nearest: Callable[[float, float], Place] = nearest_place) -> PlaceStep:
    """Read one turn of the trainer search into a place, a clarifying reply, or an interruption."""
    text = "" if turn.text.startswith("/") else turn.text.strip()
    if turn.fresh and _valid(turn.latitude, turn.longitude):
        lat, lon = float(turn.latitude), float(turn.longitude)
        return PlaceStep(location_label(nearest(lat, lon)), lat, lon)
    answering = turn.fresh and turn.requested and not turn.opening
    if answering and (turn.intent == "stop" and turn.confidence >= 0.5 or _STOP.match(text)):
        return PlaceStep(interrupt=True)
    if answering and turn.intent == "share_location":  # a location message without coordinates
        return PlaceStep(say=[Reply("Sorry, your location didn't come through. Please type your town.")])
    if answering and (turn.intent == "skip" and not turn.place_entity or _SKIP.match(text)):
        return PlaceStep(say=[Reply(NEED_A_PLACE)])
    candidates = _candidates(turn, text) if turn.fresh else []
    unresolved: PlaceStep | None = None
    country = country_named(text) if text else None
    for candidate in candidates:
        step = resolve(candidate, resolver, country)
        if step.label:
            return step
        unresolved = unresolved or step
    if unresolved and answering:
        if turn.intent == "find_trainer" and not turn.place_entity:  # "find a trainer" again: just ask again
            return PlaceStep()
        if turn.intent in INTERRUPTING_INTENTS or _QUESTION.search(text) and (
                turn.intent == "ask_question" or spoken_language(text) or not names_in_text(text)):
            return PlaceStep(interrupt=True)  # "speak somali?", "whats the email": not a town
        return unresolved
    if unresolved and (turn.place_entity or turn.opening and place_in_text(text)):
        return unresolved  # a place was named but is unknown or ambiguous: say so, then ask
    if turn.known_label:  # searched or named before in this conversation: search there again
        if _valid(turn.known_latitude, turn.known_longitude):
            return PlaceStep(turn.known_label, float(turn.known_latitude), float(turn.known_longitude))
        if not turn.known_label.startswith(LOCATION_PREFIX):
            step = resolve(turn.known_label, resolver)
            if step.label:
                return step
    return PlaceStep()


# --- results --------------------------------------------------------------------------------------


def distance_text(km: float) -> str:
    return "less than 1 km away" if km < 1 else f"{km:.0f} km away"


def contact_text(trainer: Trainer) -> str:
    """How to reach a trainer: "phone ... · email ... · Telegram ...", or the country office."""
    contact = [f"phone {trainer.phone}" if trainer.phone else "", f"email {trainer.email}" if trainer.email else "",
               f"Telegram {trainer.telegram}" if trainer.telegram else ""]
    return " · ".join(c for c in contact if c) or "through the ILO country office"


def languages_text(trainer: Trainer) -> str:
    return ", ".join(language_name(code) for code in trainer.languages)


def trainer_block(number: int | None, trainer: Trainer, km: float, names: Mapping[str, str]) -> str:
    """One trainer: name, organisation, programmes, city, distance and how to contact them (number None: no number)."""
    programmes = ", ".join(names.get(p, p.upper()) for p in trainer.programmes)
    head = f"{number}. {trainer.name}" if number is not None else trainer.name
    lines = [f"**{head}**, {trainer.organisation or 'independent trainer'}",
             f"Teaches {programmes} · {trainer.city}, {country_name(trainer.country)} · {distance_text(km)}",
             "Speaks " + languages_text(trainer),
             "Contact: " + contact_text(trainer)]
    return "\n".join(lines)


def office_text(country: str | None) -> str:
    where_ = f"that covers {country_name(country)}" if country else "for your country"
    return (f"The ILO country or regional office {where_} knows the national partners and certified trainers "
            "near you, and can put you in touch.")


def trainer_filter(value: str | None, pages: Mapping[str, object] | None = None) -> str | None:
    """The programme id a trainer search filters by, from the `trainer_programme` slot or a message's entity.

    None (any programme) for no value, "any"/"all", or a value that names no known programme; ids are
    accepted as they are, and with programme pages (index.knowledge.Documents) also their names and
    acronyms ("SYB", "GET Ahead").
    """
    if value is None:
        return None
    key = re.sub(r"\s+", " ", str(value)).strip().lower()
    if not key or key in ANY_PROGRAMME:
        return None
    if key in PROGRAMME_IDS:
        return key
    documents = {pid: doc for pid, doc in (pages or {}).items() if not isinstance(doc, str)}
    if documents:
        from actions.programmes import programme_id

        pid = programme_id(key, documents)
        return pid if pid in PROGRAMME_IDS else None
    return None


def programme_names(pages: Mapping[str, object]) -> dict[str, str]:
    """Programme id -> the short name replies use ("wed" -> "WED"); `pages` holds Documents or names."""
    from actions.programmes import short_name

    return {pid: doc if isinstance(doc, str) else short_name(doc) for pid, doc in pages.items()}


def trainers_reply(found: Sequence[tuple[Trainer, float]], label: str, programme: str | None,
                   names: Mapping[str, str], offset: int = 0, country: str | None = None,
                   office_source: dict | None = None, radius_km: float = DEFAULT_RADIUS_KM,
                   nearby_any: Sequence[tuple[Trainer, float]] = (),
                   next_max_km: float = NEXT_NEAREST_MAX_KM) -> tuple[Reply, int]:
    """The reply for one page of a search, and how many trainers of `found` it shows.

    `found`: the trainers after the `offset` already shown, nearest first with their km (pass one more
    than a page, so the reply knows whether to offer "Show more trainers"). `programme`: the filter the
    user chose (None: any programme); `nearby_any`: trainers of any programme within the radius, listed
    when a filtered new search has nobody within it.

    Pages list only trainers within `radius_km`. A new search whose nearest trainer is beyond it shows
    that one, with its distance, and the ILO country office. A "Show more" request with nobody more
    within the radius says that was everyone within it, and names the next nearest trainer only if it
    is within `next_max_km`, else points to the office. "Show more trainers" is offered only on a page
    of trainers within the radius, and only when a further request has someone within `next_max_km`.
    """
    what = f"{names.get(programme, programme.upper())} trainers" if programme else "trainers"
    place = where(label)
    sources = [office_source] if office_source else []
    office_button = {"title": "How to reach a programme in my country", "payload": COUNTRY_QUESTION}
    drop = [ANY_PROGRAMME_BUTTON] if programme else []

    def any_programme() -> str:  # the filtered search found nobody near: who is near, of any programme
        if not programme or not nearby_any:
            return ""
        blocks = [trainer_block(None, t, km, names) for t, km in nearby_any[:PAGE_SIZE]]
        return (f"\n\nTrainers of any programme within {radius_km:.0f} km of {place}:\n\n" + "\n\n".join(blocks))

    within = [(t, km) for t, km in found if not is_far(km, radius_km)]
    if not offset and not found:
        text = f"I don't have any {what} in my directory yet.{any_programme()}\n\n{office_text(country)}"
        return Reply(text, drop + [office_button], sources), 0
    if not offset and not within:
        block = trainer_block(1, *found[0], names)
        text = (f"Sorry, there is no {what[:-1]} within {radius_km:.0f} km of {place}. The nearest I know of is "
                f"{distance_text(found[0][1])}:\n\n{block}{any_programme()}\n\n{office_text(country)}")
        return Reply(text, drop + [office_button], sources), 1
    if not within:  # "Show more" with nobody more within the radius
        text = f"That's all the {what} I know of within {radius_km:.0f} km of {place}."
        if found and found[0][1] <= next_max_km:
            block = trainer_block(offset + 1, *found[0], names)
            text += f" The next nearest is {distance_text(found[0][1])}:\n\n{block}\n\n{STOP_HINT}"
            return Reply(text, drop + [office_button]), 1
        return Reply(f"{text} {office_text(country)}", drop + [office_button], sources), 0
    page = within[:PAGE_SIZE]
    rest = found[len(page):]
    more = [MORE_BUTTON] if rest and rest[0][1] <= next_max_km else []
    heading = f"Here are the {what} nearest {place}:" if not offset else f"More {what} near {place}:"
    blocks = [trainer_block(offset + i, t, km, names) for i, (t, km) in enumerate(page, 1)]
    note = "" if more else f"\n\n{STOP_HINT}"
    # Always a button: Rasa's REST channel keeps a text with buttons in one message (it splits others).
    return Reply(heading + "\n\n" + "\n\n".join(blocks) + note, more + drop + [office_button]), len(page)


def search_reply(directory: TrainerDirectory, pages: Mapping[str, object], latitude: float, longitude: float,
                 label: str, programme: str | None, offset: int = 0, office_source: dict | None = None,
                 country: str | None = None, radius_km: float = DEFAULT_RADIUS_KM) -> tuple[Reply, int]:
    """Search the directory around a place and write the reply: the reply and how many trainers it shows.

    `pages`: the programme pages ({id: Document}, or {id: short name}) for names and aliases;
    `programme`: the filter the user chose or confirmed (an id, a name such as "SYB", or None/"any" for
    any programme); `offset`: how many trainers earlier pages of this search showed ("Show more");
    `country`: the ISO code of the place (looked up from the coordinates when None), for the ILO office.
    """
    programme = trainer_filter(programme, pages)
    names = programme_names(pages)
    if country is None:
        country = nearest_place(latitude, longitude).country
    found = _nearest(directory, latitude, longitude, label, programme, country, offset + PAGE_SIZE + 1)
    if COUNTRY_LABEL.match(label):
        radius_km = max(radius_km, COUNTRY_RADIUS_KM)
    nearby_any: list[tuple[Trainer, float]] = []
    if programme and not offset and (not found or is_far(found[0][1], radius_km)):
        nearby_any = directory.near(latitude, longitude, limit=PAGE_SIZE, radius_km=radius_km)
    reply, shown = trainers_reply(found[offset:], label, programme, names, offset, country, office_source, radius_km,
                                  nearby_any)
    doc = pages.get(programme) if programme else None
    if doc is not None and not isinstance(doc, str):  # a search for one programme cites its page
        from actions.programmes import source

        reply.sources = [source(doc)] + [s for s in reply.sources if s.get("programme") != programme]
    return reply, shown


def language_reply(directory: TrainerDirectory, pages: Mapping[str, object], latitude: float, longitude: float,
                   label: str, programme: str | None, language: str) -> Reply:
    """"They speak Somali?" after a list: the nearest trainers (of the chosen programme, if any) who speak it."""
    programme = trainer_filter(programme, pages)
    names = programme_names(pages)
    spoken = language_name(language)
    of = f" {names.get(programme, programme.upper())}" if programme else ""
    found = directory.near(latitude, longitude, programme=programme, language=language, limit=PAGE_SIZE)
    if not found:
        country = nearest_place(latitude, longitude).country
        return Reply(f"No{of} trainer in the directory lists {spoken}. {office_text(country)}",
                     [ANY_PROGRAMME_BUTTON] if programme else [])
    blocks = [trainer_block(i, t, km, names) for i, (t, km) in enumerate(found, 1)]
    return Reply(f"The nearest{of} trainers who speak {spoken}, from {where(label)}:\n\n" + "\n\n".join(blocks))


def _nearest(directory: TrainerDirectory, latitude: float, longitude: float, label: str, programme: str | None,
             country: str | None, limit: int) -> list[tuple[Trainer, float]]:
    """The trainers a search lists, nearest first; for a country alone ("only in Pakistan"), that country's."""
    if not COUNTRY_LABEL.match(label):
        return directory.near(latitude, longitude, programme=programme, limit=limit)
    pool = directory.near(latitude, longitude, programme=programme, limit=max(COUNTRY_POOL, limit))
    own = [(t, km) for t, km in pool if t.country == country][:limit]
    return own or pool[:limit]  # nobody in that country: the nearest, with their distance


def details_reply(directory: TrainerDirectory, pages: Mapping[str, object], latitude: float, longitude: float,
                  label: str, programme: str | None, shown: int, first_only: bool, text: str = "") -> Reply:
    """"Give me his number", "what language they speak?" after a list: how to reach the trainers shown and the
    languages they speak (only the first, for "his"/"her"/"the first one"; only the one named by city, name or
    place in the list, for "the chennai one", "the second one")."""
    country = nearest_place(latitude, longitude).country
    found = _nearest(directory, latitude, longitude, label, trainer_filter(programme, pages), country, max(shown, 1))
    if not found:
        return no_place_reply()
    # the list may also have shown trainers of any programme nearby
    nearby = _nearest(directory, latitude, longitude, label, None, country, PAGE_SIZE)
    named = _named_trainers(text, found + nearby)
    found = named or (found[:1] if first_only else found[:shown or PAGE_SIZE])
    if not named and first_only and found[0][1] > DEFAULT_RADIUS_KM and nearby and nearby[0][1] <= DEFAULT_RADIUS_KM:
        found = [nearby[0], *found]  # "his email?" after "none within 300 km ... of any programme nearby": both
    lines = []
    for i, (t, km) in enumerate(found, 1):
        spoken = languages_text(t) or "not listed"
        lines.append(f"**{i}. {t.name}** ({t.city}, {distance_text(km)}): {contact_text(t)}\nSpeaks {spoken}")
    head = "You can contact this trainer directly:" if len(found) == 1 else "You can contact these trainers directly:"
    return Reply(head + "\n\n" + "\n\n".join(lines) + "\n\nSay which language you need (“any who speak French?”) "
                 "and I'll look for trainers who speak it.", [MORE_BUTTON])


_ORDINALS = {"second": 1, "2nd": 1, "two": 1, "2": 1, "third": 2, "3rd": 2, "three": 2, "3": 2}
_NTH = re.compile(r"\b(?:the |number |no\.? ?|#)(second|2nd|third|3rd|two|three|2|3)(?: one| trainer)?\b", re.IGNORECASE)


def _named_trainers(text: str, found: Sequence[tuple[Trainer, float]]) -> list[tuple[Trainer, float]]:
    """The trainers of a list a message points at: by city ("the chennai one"), name ("sample trainer 26") or
    place in the list ("the second one"); empty when it names none."""
    words = f" {fold(text)} "
    unique = list({t.id: (t, km) for t, km in found}.values())
    by_name = [(t, km) for t, km in unique if f" {fold(t.name)} " in words]
    by_city = [(t, km) for t, km in unique if t.city and f" {fold(t.city)} " in words]
    if by_name or by_city:
        return (by_name or by_city)[:PAGE_SIZE]
    if (m := _NTH.search(text)) and (i := _ORDINALS[m.group(1).lower()]) < len(found):
        return [found[i]]
    return []


def no_place_reply() -> Reply:
    """For "show more trainers" before any search."""
    return Reply("Tell me where you are first, then I'll find trainers near you.",
                 [{"title": "Find a trainer near me", "payload": "/find_trainer"}])
