"""The trainer search's place handling and replies (actions/trainer_replies.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actions import trainer_replies as tr
from actions.trainer_replies import PlaceTurn, place_step, trainers_reply
from index.places import Place, PlaceResult
from index.trainers import DEFAULT_RADIUS_KM, TrainerDirectory

ROOT = Path(__file__).resolve().parent.parent
NAMES = {"siyb": "SIYB", "wed": "WED", "aims": "AIMS", "score": "SCORE"}
KAMPALA = (0.3476, 32.5825)


@pytest.fixture(scope="module")
def directory():
    d, errors = TrainerDirectory.from_csv(ROOT / "knowledge" / "trainers.csv")
    assert not errors
    return d


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
    s = place_step(PlaceTurn(text="Kampla", intent="inform", requested=True))
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
    found = directory.near(*KAMPALA, programme="siyb", limit=2 + 4)
    reply, shown = trainers_reply(found[2:], "Kampala, Uganda", "siyb", NAMES, offset=2, country="UG")
    assert reply.text.startswith("More SIYB trainers near Kampala, Uganda:") and "**3. " in reply.text
    assert shown == 3
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
