"""The guided conversations through the real running processes: programme finder and trainer search.
"""

from __future__ import annotations

import csv
import re
import uuid
from pathlib import Path

import httpx
import pytest

from bot.chat import location_message
from index.knowledge import load_knowledge

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parent.parent
DISTANCE = re.compile(r"\b(?:\d+ km|less than 1 km) away\b")


def chat(stack, sender: str, message: str) -> list[dict]:
    r = httpx.post(f"{stack.gateway_url}/api/chat", json={"sender": sender, "message": message}, timeout=90)
    assert r.status_code == 200, r.text
    messages = r.json()["messages"]
    assert messages, f"no reply to {message!r}"
    return messages


def payloads(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in m["buttons"]]


def text(messages: list[dict]) -> str:
    return "\n".join(m["text"] for m in messages)


@pytest.fixture(scope="module")
def pages():
    return load_knowledge(ROOT / "knowledge").programmes


@pytest.fixture(scope="module")
def sample_trainers() -> dict[str, dict]:
    with open(ROOT / "knowledge" / "trainers.csv", encoding="utf-8") as f:
        return {row["name"]: row for row in csv.DictReader(f)}


def run_finder_to_gyb(stack, sender: str) -> list[dict]:
    first = chat(stack, sender, "which programme is right for me?")
    assert '/inform{"stage":"idea"}' in payloads(first) and "/skip" in payloads(first)
    need = chat(stack, sender, '/inform{"stage":"idea"}')
    assert '/inform{"need":"idea"}' in payloads(need)
    group = chat(stack, sender, '/inform{"need":"idea"}')
    assert '/inform{"group":"women"}' in payloads(group)
    return chat(stack, sender, '/inform{"group":"none"}')


def test_the_finder_recommends_what_the_front_matter_says(stack, pages) -> None:
    recommendation = run_finder_to_gyb(stack, f"test-{uuid.uuid4()}")
    gyb = pages["siyb"].meta["packages"]["gyb"]
    assert "idea" in gyb["stages"]  # idea stage -> GYB, by the programme page's front matter
    best = next(m for m in recommendation if m["sources"])
    assert f"{gyb['name']} (GYB)" in best["text"] and gyb["summary"] in best["text"]
    assert "What you get:" in best["text"] and "How to join:" in best["text"] and "ILO country office" in best["text"]
    assert best["sources"][0]["programme"] == "siyb" and best["sources"][0]["url"] == pages["siyb"].meta["url"]
    assert '/find_trainer{"programme":"siyb"}' in payloads([best])
    assert "What is Generate Your Business Idea?" in payloads([best])


def test_tell_me_more_is_answered_by_the_knowledge_action(stack) -> None:
    answer = chat(stack, f"test-{uuid.uuid4()}", "What is Generate Your Business Idea?")
    assert "Generate Your Business Idea" in answer[0]["text"] and answer[0]["sources"][0]["programme"] == "siyb"


def test_a_first_message_that_says_enough_gets_a_recommendation_without_questions(stack, pages) -> None:
    reply = chat(stack, f"test-{uuid.uuid4()}", "I have a shop and want to register it, which programme is for me?")
    assert "Where are you with your business?" not in text(reply)
    programmes = [m["sources"][0]["programme"] for m in reply if m["sources"]]
    assert programmes[0] == "formalization"
    assert "running" in pages["formalization"].meta["stages"]


def test_skip_stop_and_a_free_text_answer(stack) -> None:
    sender = f"test-{uuid.uuid4()}"
    chat(stack, sender, "what training fits me")
    unclear = chat(stack, sender, "asdf qwerty")
    assert "didn't catch" in unclear[0]["text"] and '/inform{"stage":"idea"}' in payloads(unclear)
    need = chat(stack, sender, "i sell vegetables, my stall is running since 5 years")
    assert "What do you need most" in text(need)
    group = chat(stack, sender, "skip")
    assert "describe you" in text(group)
    stopped = chat(stack, sender, "stop")
    assert "stopped the programme finder" in stopped[0]["text"] and "find a programme" in stopped[0]["text"]
    after = chat(stack, sender, "What is Start Your Business?")  # the knowledge answers work again
    assert after[0]["sources"] and after[0]["sources"][0]["programme"] == "siyb"


def test_find_a_trainer_after_a_recommendation_in_kampala(stack, sample_trainers) -> None:
    sender = f"test-{uuid.uuid4()}"
    run_finder_to_gyb(stack, sender)
    ask = chat(stack, sender, '/find_trainer{"programme":"siyb"}')
    assert "Which city or town" in ask[0]["text"] and ask[0].get("request_location") is True
    found = chat(stack, sender, "Kampala")
    reply = found[0]["text"]
    assert reply.startswith("Here are the SIYB trainers nearest Kampala, Uganda")
    first = re.search(r"\*\*1\. (.+?)\*\*", reply).group(1)
    row = sample_trainers[first]
    assert "siyb" in row["programmes"].split(";") and row["city"] == "Kampala" and "(sample data)" in row["organisation"]
    assert row["email"] in reply and DISTANCE.search(reply)


def test_a_trainer_search_with_the_city_given_upfront_then_more(stack) -> None:
    sender = f"test-{uuid.uuid4()}"
    found = chat(stack, sender, "find a trainer in Kampala")
    assert "Kampala, Uganda" in found[0]["text"] and DISTANCE.search(found[0]["text"])
    assert "/more_trainers" in payloads(found)
    # only 3 trainers within 300 km: the next one, named with its distance
    more = chat(stack, sender, "/more_trainers")
    assert "trainers I know of within 300 km of Kampala, Uganda" in more[0]["text"] and DISTANCE.search(more[0]["text"])
    assert all(int(km) < 1000 for km in re.findall(r"(\d+) km away", more[0]["text"]))


def test_a_shared_location_works(stack, sample_trainers) -> None:
    sender = f"test-{uuid.uuid4()}"
    ask = chat(stack, sender, "find a trainer near me")
    assert ask[0].get("request_location") is True
    found = chat(stack, sender, location_message(2.7746, 32.2990))  # Gulu
    reply = found[0]["text"]
    assert "nearest you (near Gulu, Uganda)" in reply
    first = re.search(r"\*\*1\. (.+?)\*\*", reply).group(1)
    assert sample_trainers[first]["city"] == "Gulu" and "less than 1 km away" in reply


def test_an_unknown_place_is_re_asked(stack) -> None:
    sender = f"test-{uuid.uuid4()}"
    chat(stack, sender, "/find_trainer")
    unknown = chat(stack, sender, "Xyzzyville")
    assert "couldn't find a town called “Xyzzyville”" in unknown[0]["text"]
    assert "Which city or town" in text(unknown)
    found = chat(stack, sender, "Gulu")
    assert "Gulu, Uganda" in found[0]["text"]


def test_no_trainer_within_the_radius_offers_the_ilo_office(stack) -> None:
    sender = f"test-{uuid.uuid4()}"
    found = chat(stack, sender, '/find_trainer{"programme":"aims"}')
    assert "Which city or town" in found[0]["text"]
    far = chat(stack, sender, "Nairobi")
    reply = far[0]["text"]
    assert "no AIMS trainer within 300 km of Nairobi, Kenya" in reply and DISTANCE.search(reply)
    assert "ILO country or regional office that covers Kenya" in reply and far[0]["sources"]


def test_starting_a_guided_conversation_while_the_action_server_is_down_gets_an_apology(stack) -> None:
    sender = f"test-{uuid.uuid4()}"
    stack.stack.stop(only=["actions"])
    try:
        for message in ("which programme is right for me?", "find a trainer near me"):
            reply = chat(stack, f"{sender}-{message[:5]}", message)
            assert "can't look that up right now" in reply[0]["text"]
    finally:
        stack.stack.start(only=["actions"])
        stack.stack.wait_ready(only=["actions"])
    assert "Where are you with your business?" in text(chat(stack, sender, "which programme is right for me?"))
