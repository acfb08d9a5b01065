"""The trainer search's place handling and replies (actions/trainer_replies.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from actions import trainer_replies as tr
from actions.trainer_replies import (
    PlaceTurn,
    language_reply,
    place_step,
    search_reply,
    trainers_reply,
)
from index.knowledge import load_knowledge
from index.places import Place, PlaceResult, resolve_place
from index.trainers import DEFAULT_RADIUS_KM, Trainer, TrainerDirectory

ROOT = Path(__file__).resolve().parent.parent
NAMES = {"siyb": "SIYB", "wed": "WED", "aims": "AIMS", "score": "SCORE"}
KAMPALA = (0.3476, 32.5825)


@pytest.fixture(scope="module")
def directory():
    d, errors = TrainerDirectory.from_csv(ROOT / "knowledge" / "trainers.csv")
    assert not errors
    return d


@pytest.fixture(scope="module")
def pages():
    return load_knowledge(ROOT / "knowledge").programmes


# --- places ---------------------------------------------------------------------------------------

def test_a_typed_city_is_resolved():
    s = place_step(PlaceTurn(text="Kampala", intent="inform", requested=True))
    assert s.label == "Kampala, Uganda" and abs(s.latitude - 0.3163) < 0.1 and not s.say


def test_a_city_named_in_the_opening_message_is_used():
    assert place_step(PlaceTurn(text="find a trainer in Kampala", intent="find_trainer", opening=True)).label == \
        "Kampala, Uganda"
    assert place_step(PlaceTurn(text="x", intent="find_trainer", place_entity="Lima, Peru", opening=True)).label == \
        "Lima, Peru"
    assert place_step(PlaceTurn(text="find a trainer near me", intent="find_trainer", opening=True)).label is None
    # the NLU kept only the first word of the place: the words after it complete it
    assert place_step(PlaceTurn(text="dar es salam trainer for SCORE pls", intent="find_trainer",
                                place_entity="dar", opening=True)).label == "Dar es Salaam, Tanzania"


def test_a_shared_location_needs_no_city_name():
    s = place_step(PlaceTurn(text="/share_location", intent="share_location", latitude=2.7746, longitude=32.299))
    assert s.label == "your shared location (near Gulu, Uganda)" and (s.latitude, s.longitude) == (2.7746, 32.299)
    assert tr.where(s.label) == "you (near Gulu, Uganda)"


def test_an_ambiguous_place_offers_up_to_three_candidates():
    s = place_step(PlaceTurn(text="Santa Cruz", intent="inform", requested=True))
    assert s.label is None and "more than one place" in s.say[0].text
    assert 2 <= len(s.say[0].buttons) <= 3
    first = s.say[0].buttons[0]
    assert first["payload"] == '/inform{"place":"Santa Cruz de la Sierra, Bolivia"}'
    assert place_step(PlaceTurn(intent="inform", place_entity="Santa Cruz de la Sierra, Bolivia",
                                requested=True)).label == "Santa Cruz de la Sierra, Bolivia"


def test_candidates_with_the_same_label_carry_their_coordinates():
    same = [Place("Springfield", "US", 39.8, -89.6), Place("Springfield", "US", 37.2, -93.3)]
    buttons = tr.place_buttons(same)
    assert all(b["payload"].startswith("/share_location{") and len(b["payload"].encode()) <= 64 for b in buttons)
    assert json.loads(buttons[0]["payload"][len("/share_location"):]) == {"latitude": 39.8, "longitude": -89.6}
    assert buttons[0]["title"] != buttons[1]["title"]


def test_an_unknown_place_is_said_and_re_asked_with_suggestions():
    s = place_step(PlaceTurn(text="Xyzzyville", intent="nlu_fallback", requested=True))
    assert s.label is None and not s.interrupt and "couldn't find" in s.say[0].text
    s = place_step(PlaceTurn(text="Kampaa", intent="inform", requested=True))
    assert s.say[0].buttons[0]["title"] == "Kampala, Uganda"


def test_stop_and_questions_interrupt_the_place_question():
    assert place_step(PlaceTurn(text="stop", intent="stop", requested=True)).interrupt
    assert place_step(PlaceTurn(text="what is SYB?", intent="ask_question", requested=True)).interrupt
    again = place_step(PlaceTurn(text="find a trainer", intent="find_trainer", requested=True))
    assert not again.interrupt and again.label is None and not again.say


def test_skipping_the_place_explains_why_it_is_needed():
    for turn in (PlaceTurn(text="/skip", intent="skip", requested=True), PlaceTurn(text="not sure", requested=True)):
        s = place_step(turn)
        assert s.label is None and not s.interrupt and "need a town" in s.say[0].text


def test_the_place_of_an_earlier_search_is_reused():
    s = place_step(PlaceTurn(text="/find_trainer", intent="find_trainer", opening=True, known_label="Gulu, Uganda"))
    assert s.label == "Gulu, Uganda"
    s = place_step(PlaceTurn(opening=True, known_label="your shared location (near Gulu, Uganda)",
                             known_latitude=2.7, known_longitude=32.3))
    assert (s.label, s.latitude) == ("your shared location (near Gulu, Uganda)", 2.7)


def test_a_fake_resolver_is_honoured():
    fake = lambda text: PlaceResult(text, "resolved", Place("Here", "UG", 1.0, 2.0), ())  # noqa: E731
    assert place_step(PlaceTurn(text="anything", requested=True), resolver=fake).label == "Here, Uganda"


# --- results --------------------------------------------------------------------------------------

def test_nearby_trainers_with_organisation_programmes_city_distance_and_contact(directory):
    found = directory.near(*KAMPALA, programme="siyb", limit=4)
    reply, shown = trainers_reply(found, "Kampala, Uganda", "siyb", NAMES, country="UG")
    assert reply.text.startswith("Here are the SIYB trainers nearest Kampala, Uganda:")
    assert "**1. Sample Trainer 1**, Sample Business Development Services (sample data)" in reply.text
    assert "Teaches SIYB, WED · Kampala, Uganda · 3 km away" in reply.text
    assert "phone +000 000 0001" in reply.text and "sample.trainer01@example.org" in reply.text
    assert "@sample_trainer_01" in reply.text
    assert shown == 2  # Kampala and Gulu are within the radius; Mombasa waits for "Show more"
    assert reply.buttons[0] == tr.MORE_BUTTON


def test_show_more_continues_where_the_last_page_stopped(directory):
    # Was: a page of "More SIYB trainers near Kampala" listing Mombasa, Dar es Salaam and Addis Ababa
    # (925-1,185 km). Now "more" stays within the radius, then names only the next nearest (<= 1,000 km).
    found = directory.near(*KAMPALA, programme="siyb", limit=2 + 4)
    reply, shown = trainers_reply(found[2:], "Kampala, Uganda", "siyb", NAMES, offset=2, country="UG")
    assert reply.text.startswith("That's all the SIYB trainers I know of within 300 km of Kampala, Uganda.")
    assert f"The next nearest is {found[2][1]:.0f} km away" in reply.text and "**3. " in reply.text
    assert "Mombasa" in reply.text
    assert "Dar es Salaam" not in reply.text and "Addis Ababa" not in reply.text
    assert shown == 1 and tr.MORE_BUTTON not in reply.buttons
    done, none = trainers_reply([], "Kampala, Uganda", "siyb", NAMES, offset=20, country="UG")
    assert none == 0 and "That's all" in done.text


def test_no_trainer_within_the_radius_gives_the_distance_and_the_ilo_office(directory):
    found = directory.near(-1.2864, 36.8172, programme="aims", limit=4)  # Nairobi: nearest AIMS is Lodwar
    assert found[0][1] > DEFAULT_RADIUS_KM
    office = {"title": "How to reach an ILO programme in your country", "url": "https://x", "programme": "siyb"}
    reply, shown = trainers_reply(found, "Nairobi, Kenya", "aims", NAMES, country="KE", office_source=office)
    assert f"no AIMS trainer within {DEFAULT_RADIUS_KM:.0f} km of Nairobi, Kenya" in reply.text
    assert f"{found[0][1]:.0f} km away" in reply.text and "Lodwar" in reply.text
    assert "ILO country or regional office that covers Kenya" in reply.text
    assert reply.sources == [office] and shown == 1
    assert reply.buttons[-1]["payload"] == tr.COUNTRY_QUESTION


def test_an_empty_directory_for_a_programme_says_so():
    reply, shown = trainers_reply([], "Lima, Peru", "aims", NAMES, country="PE")
    assert "don't have any AIMS trainers" in reply.text and shown == 0


def test_every_trainer_reply_has_a_button_so_rest_keeps_it_one_message(directory):
    found = directory.near(*KAMPALA, limit=2)
    reply, _ = trainers_reply(found[:1], "Kampala, Uganda", None, NAMES)
    assert reply.buttons and reply.text.startswith("Here are the trainers nearest")


def test_distance_text():
    assert tr.distance_text(0.4) == "less than 1 km away" and tr.distance_text(12.6) == "13 km away"


# --- the whole search (search_reply) on small directories ---------------------------------------------

KM_PER_DEGREE = 6371.0088 * 3.141592653589793 / 180
HERE = "Testville, Uganda"
OFFICE = {"title": "How to reach an ILO programme in your country", "url": "https://x", "programme": "siyb"}
DISTANCE = re.compile(r"(\d[\d,]*) km away")


def _at(km: float, programmes: str = "siyb", tid: str | None = None) -> Trainer:
    """A trainer `km` north of (0, 0), with phone, email and Telegram."""
    tid = tid or f"K{km:g}"
    return Trainer(tid, f"Trainer {tid}", "Org", tuple(programmes.split(";")), f"Town{km:g}", "UG", km / KM_PER_DEGREE,
                   0.0, ("en",), "+256 700 000000", f"{tid.lower()}@example.org", f"@trainer_{tid.lower()}")


def _search(trainers, programme=None, offset=0, pages=NAMES):
    return search_reply(TrainerDirectory(trainers), pages, 0.0, 0.0, HERE, programme, offset, OFFICE, "UG")


def _pages(trainers, programme=None, pages=NAMES, limit=12):
    """Every reply of a search and its "Show more" requests, until one shows nobody."""
    out, offset = [], 0
    for _ in range(limit):
        reply, shown = _search(trainers, programme, offset, pages)
        out.append((reply, shown))
        if not shown:
            break
        offset += shown
    return out


def _km(text: str) -> list[float]:
    return [float(m.replace(",", "")) for m in DISTANCE.findall(text)]


def test_without_a_filter_every_programme_is_listed_and_no_filter_is_offered():
    reply, shown = _search([_at(10, "siyb"), _at(20, "wed")])
    assert reply.text.startswith(f"Here are the trainers nearest {HERE}:") and shown == 2
    assert "Trainer K10" in reply.text and "Trainer K20" in reply.text
    assert tr.ANY_PROGRAMME_BUTTON not in reply.buttons


@pytest.mark.parametrize("value", [None, "", "  ", "any", "ANY", "all", "nonsense"])
def test_any_or_empty_or_unknown_means_no_filter(value):
    assert tr.trainer_filter(value) is None
    reply, shown = _search([_at(10, "siyb"), _at(20, "wed")], value)
    assert reply.text.startswith(f"Here are the trainers nearest {HERE}:") and shown == 2


def test_a_chosen_programme_is_said_and_can_be_dropped():
    reply, shown = _search([_at(10, "siyb"), _at(20, "wed"), _at(30, "wed;aims")], "wed")
    assert reply.text.startswith(f"Here are the WED trainers nearest {HERE}:") and shown == 2
    assert "Trainer K10" not in reply.text and "Trainer K20" in reply.text and "Trainer K30" in reply.text
    assert {"title": "Trainers of any programme", "payload": '/find_trainer{"programme":"any"}'} in reply.buttons
    assert reply.buttons[-1]["payload"] == tr.COUNTRY_QUESTION


def test_programme_names_and_aliases_come_from_the_pages(pages):
    assert tr.trainer_filter("SYB", pages) == "siyb" and tr.trainer_filter("GET Ahead", pages) == "wed"
    assert tr.trainer_filter("wed") == "wed" and tr.trainer_filter("any", pages) is None
    reply, _ = _search([_at(10, "siyb")], "Start Your Business", pages=pages)
    assert reply.text.startswith(f"Here are the SIYB trainers nearest {HERE}:")


def test_a_far_chosen_programme_gives_its_distance_and_who_is_near_of_any_programme():
    reply, shown = _search([_at(10, "siyb"), _at(20, "aims"), _at(500, "wed")], "wed")
    text = reply.text
    assert text.startswith(f"Sorry, there is no WED trainer within 300 km of {HERE}. The nearest I know of is "
                           "500 km away:")
    assert f"Trainers of any programme within 300 km of {HERE}:" in text
    near = text.split("Trainers of any programme within")[1]
    assert "Trainer K10" in near and "Trainer K20" in near and "Trainer K500" not in near
    assert "phone +256 700 000000" in near and "k10@example.org" in near and "@trainer_k10" in near  # contacts
    assert "ILO country or regional office that covers Uganda" in text and reply.sources == [OFFICE]
    assert shown == 1 and tr.ANY_PROGRAMME_BUTTON in reply.buttons and tr.MORE_BUTTON not in reply.buttons


def test_a_far_chosen_programme_with_nobody_near_points_to_the_office():
    reply, shown = _search([_at(400, "siyb"), _at(500, "wed")], "wed")
    assert "no WED trainer within 300 km" in reply.text and "Trainers of any programme" not in reply.text
    assert "ILO country or regional office" in reply.text and shown == 1


def test_a_programme_nobody_teaches_still_lists_who_is_near():
    reply, shown = _search([_at(10, "siyb")], "aims")
    assert "don't have any AIMS trainers" in reply.text and "Trainers of any programme within 300 km" in reply.text
    assert "Trainer K10" in reply.text and shown == 0 and tr.ANY_PROGRAMME_BUTTON in reply.buttons


def test_show_more_pages_within_the_radius_then_names_only_a_close_next_trainer():
    trainers = [_at(km) for km in (10, 20, 30, 40, 50, 60, 70, 900, 3000)]
    replies = _pages(trainers)
    assert [shown for _, shown in replies] == [3, 3, 1, 1, 0]
    first, second, third, beyond, done = (r for r, _ in replies)
    assert first.text.startswith(f"Here are the trainers nearest {HERE}:") and tr.MORE_BUTTON in first.buttons
    assert second.text.startswith(f"More trainers near {HERE}:") and "**4. " in second.text
    assert third.text.startswith(f"More trainers near {HERE}:") and "**7. " in third.text
    assert tr.MORE_BUTTON in third.buttons  # the next (900 km) is close enough to name
    assert beyond.text.startswith(f"That's all the trainers I know of within 300 km of {HERE}. The next nearest is "
                                  "900 km away:")
    assert "**8. Trainer K900**" in beyond.text and tr.MORE_BUTTON not in beyond.buttons
    assert done.text.startswith(f"That's all the trainers I know of within 300 km of {HERE}.")
    assert "ILO country or regional office that covers Uganda" in done.text and done.sources == [OFFICE]
    assert all("K3000" not in r.text and max(_km(r.text), default=0) <= 1000 for r, _ in replies)


def test_no_show_more_when_the_next_trainer_is_far_beyond_the_radius():
    reply, shown = _search([_at(10), _at(2500)])
    assert shown == 1 and tr.MORE_BUTTON not in reply.buttons and tr.STOP_HINT in reply.text
    more, none = _search([_at(10), _at(2500)], offset=1)  # typed "show more" anyway
    assert none == 0 and "That's all the trainers I know of within 300 km" in more.text and "2500" not in more.text
    assert "ILO country or regional office" in more.text


def test_show_more_after_a_far_programme_stays_close():
    trainers = [_at(10, "siyb"), _at(500, "wed"), _at(800, "wed"), _at(2000, "wed")]
    replies = _pages(trainers, "wed")
    assert [shown for _, shown in replies] == [1, 1, 0]
    assert "The next nearest is 800 km away" in replies[1][0].text
    assert all("K2000" not in r.text for r, _ in replies)


# --- the whole search on the sample directory ----------------------------------------------------------

def _city(directory, pages, city, programme=None, offset=0):
    p = resolve_place(city).place
    return search_reply(directory, pages, p.latitude, p.longitude, p.label(), programme, offset, OFFICE)


def test_lagos_with_a_wed_filter_shows_the_siyb_trainer_in_lagos(directory, pages):
    reply, shown = _city(directory, pages, "Lagos", "wed")
    assert reply.text.startswith("Sorry, there is no WED trainer within 300 km of Lagos, Nigeria.")
    assert "Tamale, Ghana · 570 km away" in reply.text  # the nearest WED trainer, with its distance
    near = reply.text.split("Trainers of any programme within 300 km of Lagos, Nigeria:")[1]
    assert "Sample Trainer 17" in near and "Lagos, Nigeria · less than 1 km away" in near
    assert "sample.trainer17@example.org" in near and "@sample_trainer_17" in near
    assert "ILO country or regional office that covers Nigeria" in reply.text
    assert tr.ANY_PROGRAMME_BUTTON in reply.buttons and shown == 1
    any_reply, _ = _city(directory, pages, "Lagos", "any")
    assert any_reply.text.startswith("Here are the trainers nearest Lagos, Nigeria:")
    assert "**1. Sample Trainer 17**" in any_reply.text


@pytest.mark.parametrize("programme", [None, "wed", "siyb"])
def test_kumasi_show_more_never_goes_thousands_of_km(directory, pages, programme):
    p = resolve_place("Kumasi").place
    replies, offset = [], 0
    for _ in range(10):
        reply, shown = search_reply(directory, pages, p.latitude, p.longitude, p.label(), programme, offset, OFFICE)
        replies.append(reply)
        if not shown:
            break
        offset += shown
    assert not replies[-1].buttons.count(tr.MORE_BUTTON) and "ILO country or regional office" in replies[-1].text
    for reply in replies:
        assert max(_km(reply.text), default=0) <= 1000, reply.text
        assert not any(city in reply.text for city in ("Kano", "Dakar", "Saint-Louis", "Kampala", "Recife"))


def test_kampala_show_more_is_within_the_radius_then_the_next_nearest(directory, pages):
    first, shown = _city(directory, pages, "Kampala")
    assert shown == 3 and [c for c in ("Kampala, Uganda ·", "Mbarara", "Gulu") if c in first.text] == \
        ["Kampala, Uganda ·", "Mbarara", "Gulu"]
    assert tr.MORE_BUTTON in first.buttons
    more, one = _city(directory, pages, "Kampala", offset=3)
    assert one == 1 and more.text.startswith("That's all the trainers I know of within 300 km of Kampala, Uganda.")
    assert "Arua, Uganda · 353 km away" in more.text


# --- the action reads the trainer filter, never the conversation's topic ------------------------------

def _run_action(monkeypatch, directory, pages, slots, intent="find_trainer"):
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions import runtime
    from actions.trainer_search import ActionFindTrainers

    monkeypatch.setattr(runtime, "programme_pages", lambda: pages)
    monkeypatch.setattr(runtime, "trainer_directory", lambda: directory)
    monkeypatch.setattr(runtime, "guide", lambda doc_id: None)
    lagos = resolve_place("Lagos").place
    slots = {"place": lagos.label(), "latitude": lagos.latitude, "longitude": lagos.longitude, **slots}
    if intent == "more_trainers":  # action_read_turn read "more" and set the flow just before
        slots, events = {**slots, "flow": "more_trainers"}, [{"event": "action", "name": "action_read_turn"}]
    else:
        events = [{"event": "action", "name": "trainer_search_form"}]
    tracker = Tracker("t", slots, {"intent": {"name": intent}, "entities": [], "text": ""}, events, False, None, {},
                      events[-1]["name"])
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionFindTrainers().run(dispatcher, tracker, {}))
    return dispatcher.messages[0], {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_the_action_ignores_the_topic_programme(monkeypatch, directory, pages):
    message, slots = _run_action(monkeypatch, directory, pages, {"programme": "wed"})
    assert message["text"].startswith("Here are the trainers nearest Lagos, Nigeria:")
    assert "**1. Sample Trainer 17**" in message["text"] and slots == {"trainers_shown": 1}
    assert tr.ANY_PROGRAMME_BUTTON not in message["buttons"]


def test_the_action_filters_by_trainer_programme(monkeypatch, directory, pages):
    message, slots = _run_action(monkeypatch, directory, pages, {"programme": "siyb", "trainer_programme": "wed"})
    assert message["text"].startswith("Sorry, there is no WED trainer within 300 km of Lagos, Nigeria.")
    assert "Sample Trainer 17" in message["text"] and tr.ANY_PROGRAMME_BUTTON in message["buttons"]
    message, slots = _run_action(monkeypatch, directory, pages, {"trainer_programme": "SYB"})
    assert message["text"].startswith("Here are the SIYB trainers nearest Lagos, Nigeria:")
    assert slots == {"trainers_shown": 1, "trainer_programme": "siyb"}
    for value in ("any", ""):
        message, slots = _run_action(monkeypatch, directory, pages, {"programme": "wed", "trainer_programme": value})
        assert message["text"].startswith("Here are the trainers nearest Lagos, Nigeria:")
        assert "trainer_programme" not in slots


def test_the_action_shows_more_from_where_it_stopped(monkeypatch, directory, pages):
    message, slots = _run_action(monkeypatch, directory, pages, {"trainers_shown": 1.0}, intent="more_trainers")
    assert message["text"].startswith("That's all the trainers I know of within 300 km of Lagos, Nigeria.")
    assert "Accra, Ghana · 410 km away" in message["text"] and slots == {"trainers_shown": 2}


def test_a_country_alone_searches_around_its_biggest_city():
    step = place_step(PlaceTurn(text="any business trainer in kenya", intent="find_trainer", opening=True))
    assert step.label == "Kenya (around Nairobi)" and step.latitude is not None


def test_near_us_uses_the_place_named_earlier():
    step = place_step(PlaceTurn(text="any SCORE trainer near us", intent="find_trainer", opening=True,
                                known_label="Hanoi, Viet Nam", known_latitude=21.02, known_longitude=105.84))
    assert step.label == "Hanoi, Viet Nam" and not step.say


def test_trainer_blocks_name_the_languages(directory, pages):
    reply, _ = search_reply(directory, pages, 3.1191, 35.5973, "Lodwar, Kenya", None)
    assert "Speaks English, Swahili, Somali" in reply.text


def test_the_nearest_trainers_who_speak_a_language(directory, pages):
    reply = language_reply(directory, pages, 3.1191, 35.5973, "Lodwar, Kenya", None, "so")
    assert "who speak Somali" in reply.text and "Lodwar" in reply.text
    none = language_reply(directory, pages, 3.1191, 35.5973, "Lodwar, Kenya", "score", "qu")
    assert none.text.startswith("No SCORE trainer in the directory lists Quechua")


def test_a_country_alone_lists_that_countrys_trainers_however_far(directory, pages):
    step = tr.resolve("pakistan")
    assert step.label and step.label.startswith("Pakistan (around")
    reply, shown = search_reply(directory, pages, step.latitude, step.longitude, step.label, "score")
    assert "Sample Trainer 48" in reply.text and "Karachi" in reply.text and "India" not in reply.text, reply.text
    details = tr.details_reply(directory, pages, step.latitude, step.longitude, step.label, "score", shown, True)
    assert "Sample Trainer 48" in details.text and "sample.trainer48@" in details.text


def test_contacts_of_the_trainers_shown(directory, pages):
    details = tr.details_reply(directory, pages, *KAMPALA, "Kampala, Uganda", None, 2, False)
    assert "Sample Trainer 1" in details.text and "Speaks English, Luganda" in details.text
    assert details.text.count("**") == 4, "the two trainers shown, no more"


def test_a_country_typed_with_a_slip_is_that_country_and_a_language_question_is_not_a_town():
    assert tr.resolve("Indonesa").label == "Indonesia (around Jakarta)"
    assert tr.resolve("Kenia").label.startswith("Kenya (around")
    step = place_step(PlaceTurn(text="speak somali?", requested="place", fresh=True, opening=False))
    assert step.interrupt


def test_the_trainer_named_by_city_name_or_place_in_the_list_gets_the_contacts(directory, pages):
    bahir_dar = (11.5936, 37.39)  # the SIYB trainer nearest is in Addis; the list also showed any programme's
    details = tr.details_reply(directory, pages, *bahir_dar, "Bahir Dar, Ethiopia", "siyb", 1, False,
                               "email for the bahir dar one")
    assert "Sample Trainer 14" in details.text and "Sample Trainer 13" not in details.text
    kampala = tr.details_reply(directory, pages, *KAMPALA, "Kampala, Uganda", None, 2, False, "the second one pls")
    assert kampala.text.count("**") == 2, kampala.text
    everyone = tr.details_reply(directory, pages, *KAMPALA, "Kampala, Uganda", None, 2, False, "their numbers")
    assert everyone.text.count("**") == 4


def test_the_answer_to_which_town_may_name_the_town_anywhere():
    step = place_step(PlaceTurn(text="ok then bolivia, la paz side", requested="place", fresh=True, opening=False))
    assert step.label == "La Paz, Bolivia", step


def test_a_request_naming_a_country_among_other_words_searches_that_country():
    turn = PlaceTurn(text="salam, i need get ahead trainer in egypt for my sister, arabic speaking", fresh=True,
                     opening=True)
    assert place_step(turn).label.startswith("Egypt (around"), place_step(turn)


def test_a_question_without_a_place_in_answer_to_which_town_is_not_taken_for_a_town():
    step = place_step(PlaceTurn(text="whats the email", requested="place", fresh=True, opening=False,
                                intent="trainer_details"))
    assert step.interrupt


def test_his_email_after_none_of_that_programme_nearby_gives_the_nearby_one_of_any_programme_too(directory, pages):
    la_paz = tr.resolve("La Paz, Bolivia")  # the nearest SIYB trainer is in Cusco; the list also showed La Paz's
    details = tr.details_reply(directory, pages, la_paz.latitude, la_paz.longitude, la_paz.label, "siyb", 1, True,
                               "his email?")
    assert "sample.trainer39@" in details.text and "sample.trainer36@" in details.text, details.text
    assert details.text.index("Sample Trainer 39") < details.text.index("Sample Trainer 36"), "the nearest first"
