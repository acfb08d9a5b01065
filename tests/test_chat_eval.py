"""The chat evaluation runner (bot/chat_eval.py) and its conversation sets, without any server.

The loader and the checks are tested on small inline files and fake replies; run_conversation and
run_questions talk to an httpx.MockTransport that plays a tiny fake gateway.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import httpx
import pytest
import yaml

from bot import chat_eval
from bot.chat_eval import (
    ConversationFormatError,
    check_reply,
    check_unique_ids,
    language_text,
    load_conversations,
    load_questions,
    report,
    run_conversation,
    run_questions,
)

ROOT = Path(__file__).resolve().parent.parent
TUNED = ROOT / "tests" / "eval" / "conversations.yaml"
HELDOUT = ROOT / "tests" / "eval" / "conversations_heldout.yaml"
GATEWAY = "http://gateway.test"


def write(tmp_path: Path, data, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def conv(id_: str = "c1", turns=None, **extra) -> dict:
    return {"id": id_, "about": "what it tests",
            "turns": turns if turns is not None else [{"say": "hi", "expect": {"no_sources": True}}], **extra}


def message(text: str = "", buttons=(), sources=()) -> dict:
    return {"text": text, "buttons": [{"title": t, "payload": p} for t, p in buttons],
            "sources": [{"title": f"{p} page", "url": None, "programme": p} for p in sources]}


# --- the loader ------------------------------------------------------------------------------------


def test_a_valid_file_loads_with_every_kind_of_turn_and_check(tmp_path) -> None:
    turns = [
        {"say": "wat is SYB", "expect": {"programme": "siyb", "contains": ["business plan"],
                                         "contains_any": ["fee", "free"], "not_contains": ["didn.t catch"],
                                         "buttons": ["trainer"]}},
        {"tap": "Find a trainer", "expect": {"contains_any": ["city", "town"]}},
        {"location": [0.3163, 32.5822], "expect": {"contains": ["Kampala", r"\bkm\b"], "no_sources": True}},
    ]
    loaded = load_conversations(write(tmp_path, {"conversations": [conv("a", turns), conv("b")]}))
    assert [c["id"] for c in loaded] == ["a", "b"] and len(loaded[0]["turns"]) == 3


@pytest.mark.parametrize("turn, message_part", [
    ({"expect": {"no_sources": True}}, "exactly one of say, tap or location"),
    ({"say": "hi", "tap": "x", "expect": {"no_sources": True}}, "exactly one of say, tap or location"),
    ({"say": "hi"}, "'expect' must be a mapping with at least one check"),
    ({"say": "hi", "expect": {}}, "'expect' must be a mapping with at least one check"),
    ({"say": "hi", "expect": {"contain": ["x"]}}, "unknown check(s) ['contain']"),
    ({"say": "hi", "expect": {"programme": "syb"}}, "programme 'syb' is not a programme id"),
    ({"say": "hi", "expect": {"contains": "x"}}, "'contains' must be a non-empty list"),
    ({"say": "hi", "expect": {"buttons": []}}, "'buttons' must be a non-empty list"),
    ({"say": "hi", "expect": {"contains": ["(unclosed"]}}, "does not compile"),
    ({"say": "hi", "expect": {"programme": "wed", "no_sources": True}}, "contradict"),
    ({"say": "hi", "expect": {"no_sources": False}}, "'no_sources' can only be true"),
    ({"say": "  ", "expect": {"no_sources": True}}, "'say' must be a non-empty string"),
    ({"location": [100, 30], "expect": {"no_sources": True}}, "'location' must be [latitude, longitude]"),
    ({"location": "0.3,32.5", "expect": {"no_sources": True}}, "'location' must be [latitude, longitude]"),
    ({"say": "hi", "expects": {}, "expect": {"no_sources": True}}, "unknown key(s) ['expects']"),
])
def test_a_malformed_turn_is_named_by_conversation_and_turn(tmp_path, turn, message_part) -> None:
    good = {"say": "hello", "expect": {"no_sources": True}}
    path = write(tmp_path, {"conversations": [conv("fine"), conv("broken-one", [good, turn])]})
    with pytest.raises(ConversationFormatError) as info:
        load_conversations(path)
    text = str(info.value)
    assert "conversation 'broken-one', turn 2" in text and message_part in text and str(path) in text


@pytest.mark.parametrize("data, message_part", [
    ({"conversations": []}, "top-level 'conversations:' list"),
    ({"convs": [conv()]}, "top-level 'conversations:' list"),
    ({"conversations": [conv("x"), conv("x")]}, "conversation 'x': the id is used twice"),
    ({"conversations": [{"about": "a", "turns": []}]}, "conversation #1: needs an 'id'"),
    ({"conversations": [conv("no-about", about="")]}, "conversation 'no-about': needs 'about'"),
    ({"conversations": [conv("no-turns", [])]}, "conversation 'no-turns': 'turns' must be a non-empty list"),
    ({"conversations": [conv("extra", notes="x")]}, "conversation 'extra': unknown key(s) ['notes']"),
    ({"conversations": [conv("tap-first", [{"tap": "Find", "expect": {"no_sources": True}}])]},
     "conversation 'tap-first', turn 1: the first turn cannot tap"),
    ("conversations: [\n  - id: x\n   about: y", "not valid YAML"),
])
def test_a_malformed_file_gets_a_clear_error(tmp_path, data, message_part) -> None:
    with pytest.raises(ConversationFormatError, match=re.escape(message_part)):
        load_conversations(write(tmp_path, data))


def test_a_missing_file_and_ids_repeated_across_files_are_errors(tmp_path) -> None:
    with pytest.raises(ConversationFormatError, match="cannot read it"):
        load_conversations(tmp_path / "nope.yaml")
    with pytest.raises(ConversationFormatError, match="'same' appears in more than one file"):
        check_unique_ids([conv("same"), conv("a")], [conv("same")])


# --- the checks --------------------------------------------------------------------------------------


def test_programme_is_the_first_source_of_the_first_message_that_has_sources() -> None:
    reply = [message("intro"), message("answer", sources=["wed", "siyb"]), message("more", sources=["siyb"])]
    assert check_reply(reply, {"programme": "wed"}) == []
    assert check_reply(reply, {"programme": "siyb"}) == ["expected programme siyb, first source is wed"]
    assert check_reply([message("no sources")], {"programme": "siyb"}) == [
        "expected programme siyb, the reply has no sources"]


def test_no_sources_fails_when_any_message_carries_a_source() -> None:
    assert check_reply([message("hello"), message("bye")], {"no_sources": True}) == []
    assert check_reply([message("a"), message("b", sources=["greening"])], {"no_sources": True}) == [
        "expected no sources, got greening"]


def test_text_checks_are_case_insensitive_regexes_over_all_messages_joined() -> None:
    reply = [message("Here are the trainers nearest Kampala, Uganda:"), message("1. Sample · 0 km away")]
    assert check_reply(reply, {"contains": ["kampala", r"\bKM\b"]}) == []
    assert check_reply(reply, {"contains": ["Gulu"]}) == ["missing /Gulu/"]
    assert check_reply(reply, {"contains_any": ["Gulu", "uganda"]}) == []
    assert check_reply(reply, {"contains_any": ["Gulu", "Arua"]}) == ["none of /Gulu/, /Arua/"]
    assert check_reply(reply, {"not_contains": ["didn.t catch"]}) == []
    failures = check_reply([message("Sorry, I didn’t catch that.")], {"not_contains": ["didn.t catch"]})
    assert len(failures) == 1 and failures[0].startswith("unwanted /didn.t catch/")


def test_buttons_check_matches_titles_not_payloads_and_an_empty_reply_fails() -> None:
    reply = [message("Where are you?", buttons=[("I need a business idea", '/inform{"stage":"idea"}'),
                                                ("Skip", "/skip")])]
    assert check_reply(reply, {"buttons": ["business idea", "^skip$"]}) == []
    failures = check_reply(reply, {"buttons": ["stage"]})
    assert failures == ["no button /stage/ (buttons: I need a business idea | Skip)"]
    assert check_reply([], {"no_sources": True}) == ["empty reply (no messages)"]


def test_all_failures_of_a_turn_are_reported_together() -> None:
    reply = [message("I couldn't find anything. I've passed your question on to the team.", sources=["siyb"])]
    failures = check_reply(reply, {"no_sources": True, "not_contains": ["passed your question"],
                                   "contains": ["business"]})
    assert len(failures) == 3


# --- playing a conversation through a fake gateway -----------------------------------------------------


class FakeGateway:
    """A tiny stand-in for POST /api/chat: scripted replies per message, every request recorded."""

    def __init__(self, replies: dict[str, list[dict] | int]):
        self.replies = replies
        self.requests: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path == "/api/chat"
        body = json.loads(request.content)
        self.requests.append(body)
        reply = self.replies.get(body["message"], [message("default answer")])
        if isinstance(reply, int):
            return httpx.Response(reply, json={"detail": "the assistant is not available right now"})
        return httpx.Response(200, json={"messages": reply})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


GREETING = [message("Hello! I'm SME Advisor.", buttons=[("Find a programme for me", "/find_programme"),
                                                          ("Find a trainer near me", "/find_trainer")])]
PLACE_QUESTION = [message("Which city or town are you in? You can also share your location.")]
KAMPALA = [message("Here are the trainers nearest Kampala, Uganda:\n\n1. Sample Trainer 1 · Kampala · 0 km away",
                   buttons=[("Show more trainers", "/more_trainers")])]
LOCATION = '/share_location{"latitude": 0.3163, "longitude": 32.5822}'


def test_a_conversation_sends_text_taps_and_locations_from_one_fresh_sender() -> None:
    gateway = FakeGateway({"hi": GREETING, "/find_trainer": PLACE_QUESTION, LOCATION: KAMPALA})
    conversation = conv("trainer-by-location", [
        {"say": "hi", "expect": {"no_sources": True, "buttons": ["programme", "trainer"]}},
        {"tap": "find a TRAINER", "expect": {"contains_any": ["city", "town"]}},
        {"location": [0.3163, 32.5822], "expect": {"contains": ["Kampala", r"\bkm\b"]}},
    ])
    with gateway.client() as client:
        result = run_conversation(client, GATEWAY, conversation)
        again = run_conversation(client, GATEWAY, conversation)
    assert result["passed"] and [t["passed"] for t in result["turns"]] == [True, True, True]
    assert [r["message"] for r in gateway.requests[:3]] == ["hi", "/find_trainer", LOCATION]
    senders = {r["sender"] for r in gateway.requests[:3]}
    assert len(senders) == 1 and "trainer-by-location" in senders.pop()
    assert gateway.requests[3]["sender"] != gateway.requests[0]["sender"], "each run gets a fresh sender"
    assert again["passed"]
    first = result["turns"][0]
    assert set(first) >= {"say", "passed", "failures", "reply"} and first["say"] == "hi"
    assert first["reply"].startswith("Hello! I'm SME Advisor.")
    assert result["turns"][1]["say"] == "[tap] find a TRAINER" and result["turns"][1]["sent"] == "/find_trainer"


def test_a_tap_without_a_matching_button_fails_without_sending_and_later_turns_still_run() -> None:
    gateway = FakeGateway({"hi": GREETING, "what is SYB": [message("SYB: a business plan", sources=["siyb"])]})
    conversation = conv("no-button", [
        {"say": "hi", "expect": {"no_sources": True}},
        {"tap": "Show more", "expect": {"contains": ["km"]}},
        {"say": "what is SYB", "expect": {"programme": "siyb"}},
    ])
    with gateway.client() as client:
        result = run_conversation(client, GATEWAY, conversation)
    assert not result["passed"]
    tap = result["turns"][1]
    assert not tap["passed"] and tap["failures"][0].startswith("no button containing 'Show more'")
    assert "Find a programme for me | Find a trainer near me" in tap["failures"][0]
    assert [r["message"] for r in gateway.requests] == ["hi", "what is SYB"]
    assert result["turns"][2]["passed"]


def test_a_non_200_answer_fails_the_turn_with_its_status_and_failed_checks_are_listed() -> None:
    gateway = FakeGateway({"hello": 503, "bye": [message("Goodbye!", sources=["siyb"])]})
    conversation = conv("errors", [
        {"say": "hello", "expect": {"no_sources": True}},
        # the previous turn got no reply: no buttons
        {"tap": "Find", "expect": {"no_sources": True}},
        {"say": "bye", "expect": {"no_sources": True, "contains": ["good luck"]}},
    ])
    with gateway.client() as client:
        result = run_conversation(client, GATEWAY, conversation)
    turns = result["turns"]
    assert turns[0]["failures"][0].startswith("HTTP 503") and turns[0]["reply"] == ""
    assert turns[1]["failures"][0].startswith("no button containing 'Find'")
    assert turns[2]["failures"] == ["expected no sources, got siyb", "missing /good luck/"]
    assert turns[2]["reply"] == "Goodbye!" and not result["passed"]


def test_an_unreachable_gateway_fails_every_turn_with_a_reason() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(refuse)) as client:
        result = run_conversation(client, GATEWAY, conv("down"))
    assert result["turns"][0]["failures"][0].startswith("request failed: ConnectError")


def test_conversations_run_concurrently_keep_their_order() -> None:
    gateway = FakeGateway({})
    conversations = [conv(f"c{i}", [{"say": f"q{i}", "expect": {"contains": ["default"]}},
                                    {"say": f"r{i}", "expect": {"contains": ["default"]}}]) for i in range(8)]
    with gateway.client() as client:
        results = chat_eval.run_conversations(client, GATEWAY, conversations, concurrency=4)
    assert [r["id"] for r in results] == [f"c{i}" for i in range(8)] and all(r["passed"] for r in results)
    by_sender: dict[str, list[str]] = {}
    for r in gateway.requests:
        by_sender.setdefault(r["sender"], []).append(r["message"])
    assert sorted(by_sender.values()) == sorted([[f"q{i}", f"r{i}"] for i in range(8)])


# --- the question set through the chat -------------------------------------------------------------------


def question_gateway() -> FakeGateway:
    return FakeGateway({
        "how to write business plan": [message("plan", sources=["siyb", "wed"])],
        "register my shop": [message("register", sources=["siyb"])],
        "women loans": [message("intro"), message("loans", sources=["wed"])],
        "weather": [message("Sorry, that is outside what I know.")],
        "joke": [message("a joke", sources=["greening"])],
    })


def test_run_questions_computes_hit_at_1_and_off_topic_without_sources(tmp_path) -> None:
    path = write(tmp_path, {"questions": [{"q": "how to write business plan", "programme": "siyb"},
                                          {"q": "register my shop", "programme": "formalization"},
                                          {"q": "women loans", "programme": "wed"}],
                            "off_topic": ["weather", "joke"]}, "questions.yaml")
    gateway = question_gateway()
    with gateway.client() as client:
        result = run_questions(client, GATEWAY, path)
    assert list(result["parts"]) == ["all"]
    part = result["parts"]["all"]
    assert (part["questions"], part["hit1"], part["off_topic"], part["off_topic_ok"]) == (3, 2, 2, 1)
    assert part["hit1_rate"] == pytest.approx(2 / 3) and part["off_topic_rate"] == 0.5
    assert part["misses"] == [{"q": "register my shop", "expected": "formalization", "got": "siyb"}]
    assert len({r["sender"] for r in gateway.requests}) == 5, "every question from a fresh sender"


def test_a_held_out_marker_splits_the_question_figures_and_hides_held_out_misses(tmp_path) -> None:
    path = write(tmp_path, {"questions": [{"q": "how to write business plan", "programme": "siyb"},
                                          {"q": "register my shop", "programme": "formalization", "heldout": True}],
                            "off_topic": ["weather", {"q": "joke", "heldout": True}],
                            "heldout": {"questions": [{"q": "women loans", "programme": "wed"}]}},
                 "questions.yaml")
    parts = load_questions(path)
    assert [q for q, _ in parts["heldout"]["questions"]] == ["register my shop", "women loans"]
    with question_gateway().client() as client:
        result = run_questions(client, GATEWAY, path)
    tuned, held = result["parts"]["tuned"], result["parts"]["heldout"]
    assert (tuned["hit1"], tuned["questions"], tuned["off_topic_ok"], tuned["off_topic"]) == (1, 1, 1, 1)
    assert (held["hit1"], held["questions"], held["off_topic_ok"], held["off_topic"]) == (1, 2, 0, 1)
    assert held["misses"] == []
    text = report([], [], result)
    assert "held-out" in text and "register my shop" not in text


def test_the_projects_question_set_loads() -> None:
    parts = load_questions(ROOT / "tests" / "eval" / "questions.yaml")
    assert parts and all(p["questions"] or p["off_topic"] for p in parts.values())
    for part in parts.values():
        assert all(set(accepted) <= chat_eval.PROGRAMME_IDS for _, accepted in part["questions"])


# --- the report --------------------------------------------------------------------------------------------


def fake_results(prefix: str, reply: str) -> list[dict]:
    ok = {"say": "hi", "passed": True, "failures": [], "reply": "Hello"}
    bad = {"say": f"{prefix} question", "passed": False, "failures": [f"{prefix}-failure"], "reply": reply}
    return [{"id": f"{prefix}-one", "passed": False, "turns": [ok, bad]},
            {"id": f"{prefix}-two", "passed": True, "turns": [ok, ok]}]


def test_the_report_shows_both_sets_side_by_side_and_failure_details_for_the_tuned_set_only() -> None:
    tuned = fake_results("tuned", "T" * 300)
    heldout = fake_results("heldout", "SECRET HELD-OUT REPLY")
    questions = {"parts": {"all": {"questions": 10, "hit1": 9, "hit1_rate": 0.9, "off_topic": 4,
                                   "off_topic_ok": 3, "off_topic_rate": 0.75, "errors": 0, "misses": []}}}
    text = report(tuned, heldout, questions, url=GATEWAY)
    header = next(line for line in text.splitlines() if "tuned" in line and "held-out" in line)
    assert header.index("tuned") < header.index("held-out")
    turns_row = next(line for line in text.splitlines() if line.startswith("turns passed"))
    assert turns_row.count("3/4") == 2 and "75.0%" in turns_row
    conv_row = next(line for line in text.splitlines() if line.startswith("conversations passed"))
    assert conv_row.count("1/2") == 2
    assert "9/10" in text and "3/4" in text
    assert "tuned-one turn 2" in text and "tuned-failure" in text
    assert "T" * 159 + "…" in text and "T" * 161 not in text
    assert "SECRET" not in text and "heldout-failure" not in text and "heldout-one" not in text
    assert "heldout question" not in text


# --- the shipped conversation sets -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> tuple[list[dict], list[dict]]:
    return load_conversations(TUNED), load_conversations(HELDOUT)


def test_both_shipped_sets_load_with_unique_ids_and_the_agreed_sizes(shipped) -> None:
    tuned, heldout = shipped
    check_unique_ids(tuned, heldout)
    assert len(tuned) == 48 and len(heldout) == 16
    for conversation in tuned + heldout:
        assert 2 <= len(conversation["turns"]) <= 5, conversation["id"]
    assert "HELD-OUT" in HELDOUT.read_text(encoding="utf-8").splitlines()[0].upper()
    assert "TUNED" in TUNED.read_text(encoding="utf-8").splitlines()[0].upper()


def test_trainer_list_checks_name_a_city_of_a_sample_trainer(shipped) -> None:
    with open(ROOT / "knowledge" / "trainers.csv", encoding="utf-8") as f:
        cities = {row["city"] for row in csv.DictReader(f)}
    for conversation in shipped[0] + shipped[1]:
        for n, turn in enumerate(conversation["turns"], 1):
            expect = turn["expect"]
            patterns = (expect.get("contains") or []) + (expect.get("contains_any") or [])
            if not any("km" in p for p in patterns):
                continue
            named = [c for c in cities if any(re.search(p, c, re.IGNORECASE) for p in patterns if "km" not in p)]
            assert named or patterns == [r"\bkm\b"], f"{conversation['id']} turn {n}: no sample trainer city checked"


def test_main_plays_both_sets_and_exits_0(tmp_path, monkeypatch, capsys) -> None:
    gateway = FakeGateway({"hi": GREETING})
    fake_main_client(monkeypatch, gateway)
    tuned = write(tmp_path, {"conversations": [conv("t1", [{"say": "hi", "expect": {"buttons": ["trainer"]}},
                                                           {"tap": "trainer", "expect": {"contains": ["x"]}}])]},
                  "tuned.yaml")
    held = write(tmp_path, {"conversations": [conv("h1", [{"say": "hi", "expect": {"contains": ["nope"]}}])]},
                 "held.yaml")
    code = chat_eval.main(["--url", GATEWAY, "--concurrency", "2", "--conversations", str(tuned),
                           "--heldout", str(held), "--no-questions"])
    out = capsys.readouterr().out
    assert code == 0 and "t1 turn 2" in out and "missing /x/" in out and "h1" not in out and "nope" not in out


def test_main_refuses_a_malformed_file_with_a_one_line_reason(tmp_path, capsys) -> None:
    bad = write(tmp_path, {"conversations": [conv("bad", [{"say": "hi", "expect": {"programme": "xyz"}}])]})
    assert chat_eval.main(["--conversations", str(bad), "--heldout", str(HELDOUT), "--no-questions"]) == 2
    assert "conversation 'bad', turn 1" in capsys.readouterr().err


# --- the answer facts through the chat -----------------------------------------------------------------

FACTS = ROOT / "tests" / "eval" / "facts.yaml"
KNOWLEDGE = ROOT / "knowledge"


def fact(q: str, programme: str = "siyb", pattern: str = r"\b5 days", **extra) -> dict:
    return {"q": q, "programme": programme, "fact": pattern, **extra}


def front_matter_and_body(path: Path) -> tuple[dict, str]:
    _, head, body = path.read_text(encoding="utf-8").split("---", 2)
    return yaml.safe_load(head), body


@pytest.fixture(scope="module")
def shipped_facts() -> list[dict]:
    return yaml.safe_load(FACTS.read_text(encoding="utf-8"))["facts"]


def test_the_shipped_facts_load_with_a_quarter_held_out_and_valid_ids_and_regexes(shipped_facts) -> None:
    parts = chat_eval.load_facts(FACTS)
    assert set(parts) == {"tuned", "heldout"}
    total = len(parts["tuned"]) + len(parts["heldout"])
    assert total == len(shipped_facts) >= 64
    assert len(parts["heldout"]) * 4 == total, "exactly a quarter is held out"
    for item in shipped_facts:
        assert item["programme"] in chat_eval.PROGRAMME_IDS, item["q"]
        re.compile(item["fact"], re.IGNORECASE)
        assert set(item) <= chat_eval.FACT_KEYS and item.get("heldout", False) in (True, False)
    assert {i["programme"] for i in shipped_facts} == chat_eval.PROGRAMME_IDS, "every programme is covered"
    held = {i["programme"] for i in shipped_facts if i.get("heldout")}
    assert len(held) == len(chat_eval.PROGRAMME_IDS), "the held-out items are spread across the programmes"
    assert "HELD" in FACTS.read_text(encoding="utf-8").split("facts:")[0].upper()


def test_every_shipped_fact_is_stated_by_its_source_document_of_that_programme(shipped_facts) -> None:
    guides = 0
    for item in shipped_facts:
        source = KNOWLEDGE / item["source"]
        meta, body = front_matter_and_body(source)
        assert (meta.get("id") or meta.get("programme")) == item["programme"], f"{item['q']}: {source}"
        assert re.search(item["fact"], body, re.IGNORECASE), f"{item['q']}: /{item['fact']}/ not in {source}"
        guides += item["source"].startswith("guides/")
    assert guides >= 16, "the guides are covered too"


def test_no_shipped_fact_question_is_copied_from_the_other_sets(shipped_facts) -> None:
    def norm(text: str) -> str:
        return re.sub(r"\W+", " ", text).strip().casefold()

    questions = yaml.safe_load((ROOT / "tests" / "eval" / "questions.yaml").read_text(encoding="utf-8"))
    others = {norm(q["q"]) for q in questions["questions"]}
    for path in (TUNED, HELDOUT):
        others |= {norm(t["say"]) for c in load_conversations(path) for t in c["turns"] if "say" in t}
    copied = [i["q"] for i in shipped_facts if norm(i["q"]) in others]
    assert not copied
    assert len({norm(i["q"]) for i in shipped_facts}) == len(shipped_facts)


@pytest.mark.parametrize("item, message_part", [
    ("just a string", "must be a mapping with q, programme and fact"),
    ({"programme": "siyb", "fact": "x"}, "needs 'q'"),
    (fact("broken one", programme="syb"), "programme 'syb' is not a programme id"),
    ({"q": "broken one", "programme": "wed"}, "needs 'fact'"),
    (fact("broken one", pattern=""), "needs 'fact'"),
    (fact("broken one", pattern="(unclosed"), "'fact' regex '(unclosed' does not compile"),
    (fact("broken one", heldot=True), "unknown key(s) ['heldot']"),
    (fact("broken one", heldout="yes"), "'heldout' must be true or false"),
    (fact("broken one", source=""), "'source' must be a path"),
    (fact("how long is SYB"), "the same question as fact #1"),
])
def test_a_malformed_fact_is_named_by_its_number_and_question(tmp_path, item, message_part) -> None:
    path = write(tmp_path, {"facts": [fact("how long is SYB"), item]}, "facts.yaml")
    with pytest.raises(chat_eval.FactsFormatError) as info:
        chat_eval.load_facts(path)
    text = str(info.value)
    assert f"{path}: fact #2" in text and message_part in text
    if isinstance(item, dict) and "q" in item:
        assert item["q"][:20] in text


@pytest.mark.parametrize("data, message_part", [
    ({"facts": []}, "top-level 'facts:' list"),
    ({"questions": [fact("a")]}, "top-level 'facts:' list"),
    ("facts: [\n  - q: x\n   programme: y", "not valid YAML"),
])
def test_a_malformed_facts_file_gets_a_clear_error(tmp_path, data, message_part) -> None:
    with pytest.raises(chat_eval.FactsFormatError, match=re.escape(message_part)):
        chat_eval.load_facts(write(tmp_path, data, "facts.yaml"))
    with pytest.raises(chat_eval.FactsFormatError, match="cannot read it"):
        chat_eval.load_facts(tmp_path / "nope.yaml")


def facts_gateway() -> FakeGateway:
    return FakeGateway({
        "how long is syb": [message("SYB takes about 5 days.", sources=["siyb"])],
        "who funds sci": [message("intro"), message("It is funded by Sida (Sweden).", sources=["sci"])],
        "score countries": [message("SCORE started in China and Ghana.", sources=["score"])],
        "eyb since when": [message("SECRET HELD-OUT REPLY about EYB", sources=["wed"])],
        "aims everywhere?": [message("AIMS is not available everywhere.", sources=["aims"])],
        "gyb days": 503,
    })


def facts_file(tmp_path: Path) -> Path:
    return write(tmp_path, {"facts": [
        fact("how long is syb"),
        fact("who funds sci", "sci", r"\bSida\b"),
        fact("score countries", "score", r"(?s)^(?=.*China)(?=.*Colombia)"),
        fact("eyb since when", "siyb", r"\b2003\b", heldout=True),
        fact("aims everywhere?", "aims", "not available everywhere", heldout=True),
        fact("gyb days", "siyb", r"2 to 3 days", heldout=True, source="programmes/siyb.md"),
    ]}, "facts.yaml")


def test_run_facts_scores_fact_recall_and_programme_first_per_part_from_fresh_senders(tmp_path) -> None:
    gateway = facts_gateway()
    with gateway.client() as client:
        result = chat_eval.run_facts(client, GATEWAY, facts_file(tmp_path), concurrency=3)
    tuned, held = result["parts"]["tuned"], result["parts"]["heldout"]
    assert (tuned["questions"], tuned["fact_hits"], tuned["programme_first"], tuned["errors"]) == (3, 2, 3, 0)
    assert (held["questions"], held["fact_hits"], held["programme_first"], held["errors"]) == (3, 1, 1, 1)
    assert tuned["fact_rate"] == pytest.approx(2 / 3) and held["programme_rate"] == pytest.approx(1 / 3)
    assert [m["q"] for m in tuned["misses"]] == ["score countries"]
    miss = tuned["misses"][0]
    assert not miss["fact_ok"] and miss["got"] == "score" and miss["reply"].startswith("SCORE started")
    assert held["misses"] == [] and "SECRET" not in json.dumps(result)
    assert len({r["sender"] for r in gateway.requests}) == 6, "every question from a fresh sender"
    assert sorted(r["message"] for r in gateway.requests) == sorted(
        ["how long is syb", "who funds sci", "score countries", "eyb since when", "aims everywhere?", "gyb days"])


def test_the_report_shows_fact_recall_per_part_and_never_leaks_held_out_text(tmp_path) -> None:
    with facts_gateway().client() as client:
        facts = chat_eval.run_facts(client, GATEWAY, facts_file(tmp_path))
    text = report([], [], None, url=GATEWAY, facts=facts)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("answer facts"))
    assert header.index("tuned") < header.index("held-out")
    recall = next(line for line in lines if line.startswith("fact recall"))
    assert "2/3  66.7%" in recall and "1/3  33.3%" in recall
    first = next(line for line in lines if line.startswith("programme first"))
    assert "3/3 100.0%" in first and "1/3  33.3%" in first
    assert next(line for line in lines if line.startswith("request errors")).split()[-2:] == ["0", "1"]
    assert "- score countries  [score]" in text and "missing fact /(?s)^(?=.*China)(?=.*Colombia)/" in text
    assert "reply: SCORE started in China and Ghana." in text
    for secret in ("eyb since when", "aims everywhere", "gyb days", "SECRET", "2003", "not available everywhere",
                   "2 to 3 days"):
        assert secret not in text


def test_a_facts_file_without_held_out_items_is_one_part(tmp_path) -> None:
    path = write(tmp_path, {"facts": [fact("how long is syb"), fact("who funds sci", "sci", "Sida")]}, "f.yaml")
    assert list(chat_eval.load_facts(path)) == ["all"]
    with facts_gateway().client() as client:
        result = chat_eval.run_facts(client, GATEWAY, path, concurrency=1)
    assert result["parts"]["all"]["fact_hits"] == 2 and "fact recall" in report(None, None, facts=result)


def fake_main_client(monkeypatch, gateway: FakeGateway) -> None:
    real_client = httpx.Client

    def client(*args, **kwargs):
        kwargs.pop("limits", None)
        return real_client(*args, transport=httpx.MockTransport(
            lambda r: httpx.Response(200, json={"status": "ok"}) if r.url.path == "/healthz" else gateway(r)),
            **kwargs)

    monkeypatch.setattr(chat_eval.httpx, "Client", client)
    # the shipped multilingual question set is not played unless a test asks for it
    monkeypatch.setattr(chat_eval, "DEFAULT_MULTILINGUAL", Path("/nonexistent/questions_multilingual.yaml"))


def test_main_plays_the_facts_and_no_facts_skips_them(tmp_path, monkeypatch, capsys) -> None:
    gateway = facts_gateway()
    fake_main_client(monkeypatch, gateway)
    conversations = write(tmp_path, {"conversations": [conv("t1")]}, "tuned.yaml")
    held = write(tmp_path, {"conversations": [conv("h1")]}, "held.yaml")
    common = ["--url", GATEWAY, "--conversations", str(conversations), "--heldout", str(held), "--no-questions"]
    assert chat_eval.main(common + ["--facts", str(facts_file(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "fact recall" in out and "score countries" in out and "eyb since when" not in out and "SECRET" not in out
    sent = len(gateway.requests)
    assert chat_eval.main(common + ["--no-facts"]) == 0
    assert "fact recall" not in capsys.readouterr().out and len(gateway.requests) == sent + 2


def test_main_refuses_a_malformed_facts_file_before_playing_anything(tmp_path, monkeypatch, capsys) -> None:
    gateway = FakeGateway({})
    fake_main_client(monkeypatch, gateway)
    bad = write(tmp_path, {"facts": [fact("ok one"), fact("the bad one", "xyz")]}, "facts.yaml")
    code = chat_eval.main(["--url", GATEWAY, "--conversations", str(TUNED), "--heldout", str(HELDOUT),
                           "--no-questions", "--facts", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "fact #2 ('the bad one')" in err and "programme 'xyz'" in err
    assert gateway.requests == []


# --- the language check -----------------------------------------------------------------------------

FR_REPLY = "Le cours dure environ cinq jours. Chaque organisme fixe ses propres frais, demandez avant de vous inscrire."
ES_REPLY = "El curso dura unos cinco días. Cada proveedor fija su propio precio, pregunte antes de inscribirse."
PT_REPLY = "O curso dura cerca de cinco dias. Cada parceiro define o seu preço, pergunte antes de se inscrever."
EN_REPLY = "The course takes about five days. Each provider sets its own fee, so ask before you sign up."


@pytest.mark.parametrize("text, lang", [(FR_REPLY, "fr"), (ES_REPLY, "es"), (PT_REPLY, "pt"), (EN_REPLY, "en")])
def test_the_language_check_passes_a_reply_in_the_expected_language_and_names_the_detected_one(text, lang) -> None:
    assert check_reply([message(text)], {"language": lang}) == []
    other = "en" if lang != "en" else "fr"
    failures = check_reply([message(text)], {"language": other})
    assert len(failures) == 1 and f"expected a reply in {other}, detected {lang}" in failures[0]


def test_the_language_check_reads_the_text_without_titles_links_contacts_and_acronyms() -> None:
    reply = [message("Le SIYB (GERME) et GET Ahead : voir https://ilo.org/empent/x ou sme@ilo.org, tél. +000 000 0012. "
                     "C-BED, SCORE4Climate et Think.COOP aussi.",
                     buttons=[("Find a trainer near me", "/find_trainer")], sources=["siyb"])]
    text = language_text(reply)
    for gone in ("SIYB", "GERME", "GET Ahead", "https", "ilo.org", "sme@", "0012", "C-BED", "SCORE4Climate",
                 "Think.COOP", "trainer", "page"):
        assert gone not in text, gone
    assert text.startswith("Le") and "voir" in text and "aussi" in text
    # an English sentence made only of names and links says nothing: French prose around them decides
    prose = [message("Start and Improve Your Business (SIYB) https://ilo.org\nC'est la formation de l'OIT pour "
                     "créer et gérer une petite entreprise, en quatre modules.")]
    assert check_reply(prose, {"language": "fr"}) == []


def test_a_reply_with_nothing_to_detect_fails_the_language_check_and_a_bad_language_is_refused(tmp_path) -> None:
    failures = check_reply([message("https://ilo.org SIYB +000 000 0001")], {"language": "fr"})
    assert failures == ["expected a reply in fr, the reply has no words to detect"]
    path = write(tmp_path, {"conversations": [conv("c1", [{"say": "salut", "expect": {"language": "de"}}])]})
    with pytest.raises(ConversationFormatError, match=r"conversation 'c1', turn 1: language 'de'"):
        load_conversations(path)


def test_the_language_check_sits_with_the_other_checks_of_a_turn() -> None:
    failures = check_reply([message(EN_REPLY, sources=["siyb"])],
                           {"programme": "wed", "contains_any": ["cinq"], "language": "fr"})
    assert len(failures) == 3 and failures[-1].startswith("expected a reply in fr, detected en")


# --- the shipped multilingual conversations -------------------------------------------------------------

ML_TUNED = ROOT / "tests" / "eval" / "conversations_multilingual.yaml"
ML_HELDOUT = ROOT / "tests" / "eval" / "conversations_multilingual_heldout.yaml"


def test_the_multilingual_conversations_load_with_8_and_4_per_language_and_a_language_on_every_turn() -> None:
    tuned, heldout = load_conversations(ML_TUNED), load_conversations(ML_HELDOUT)
    check_unique_ids(tuned, heldout, load_conversations(TUNED), load_conversations(HELDOUT))
    for conversations, per_language in ((tuned, 8), (heldout, 4)):
        langs = [c["id"].split("-")[1] for c in conversations]
        assert {lang: langs.count(lang) for lang in set(langs)} == {"fr": per_language, "es": per_language,
                                                                   "pt": per_language}
        for conversation in conversations:
            assert 2 <= len(conversation["turns"]) <= 4, conversation["id"]
            assert all(t["expect"].get("language") in ("en", "fr", "es", "pt") for t in conversation["turns"])
    assert "HELD-OUT" in ML_HELDOUT.read_text(encoding="utf-8").splitlines()[0].upper()
    assert "TUNED" in ML_TUNED.read_text(encoding="utf-8").splitlines()[0].upper()


# --- the multilingual question set through the chat -----------------------------------------------------


def multilingual_gateway() -> FakeGateway:
    return FakeGateway({
        "c'est quoi GERME ?": [message(FR_REPLY, sources=["siyb"])],             # right, in French
        "combien de jours GET Ahead": [message(EN_REPLY, sources=["wed"])],       # right, in English
        "quel temps fait-il": [message("Désolé, je réponds seulement aux questions sur les petites entreprises.")],
        "qué es IMESUN": [message(ES_REPLY, sources=["wed"])],                    # wrong programme, Spanish
        "chiste por favor": [message("Lo siento, solo puedo ayudar con su negocio y los programas de la OIT.",
                                     sources=["siyb"])],                          # off-topic with a source
        "SEGREDO quanto custa": [message(PT_REPLY, sources=["siyb"])],            # held out
        "SEGREDO piada": [message(EN_REPLY)],                                     # held out, English
    })


ML_ITEMS = [
    {"q": "c'est quoi GERME ?", "lang": "fr", "programme": "siyb"},
    {"q": "combien de jours GET Ahead", "lang": "fr", "programme": "wed"},
    {"q": "quel temps fait-il", "lang": "fr", "programme": None},
    {"q": "qué es IMESUN", "lang": "es", "programme": "siyb"},
    {"q": "chiste por favor", "lang": "es", "programme": None},
    {"q": "SEGREDO quanto custa", "lang": "pt", "programme": "siyb", "heldout": True},
    {"q": "SEGREDO piada", "lang": "pt", "programme": None, "heldout": True},
]


def test_the_multilingual_report_counts_source_and_language_per_language_and_part(tmp_path) -> None:
    path = write(tmp_path, ML_ITEMS, "questions_multilingual.yaml")
    gateway = multilingual_gateway()
    with gateway.client() as client:
        result = chat_eval.run_multilingual(client, GATEWAY, path, concurrency=2)
    assert len({r["sender"] for r in gateway.requests}) == len(ML_ITEMS), "every question from a fresh sender"
    tuned, held = result["parts"]["tuned"], result["parts"]["heldout"]
    assert list(tuned["languages"]) == ["fr", "es"] and list(held["languages"]) == ["pt"]
    fr, es, pt = tuned["languages"]["fr"], tuned["languages"]["es"], held["languages"]["pt"]
    assert (fr["n"], fr["source_ok"], fr["lang_ok"], fr["both"]) == (3, 3, 2, 2)
    assert (fr["topic"], fr["topic_ok"], fr["off"], fr["off_ok"]) == (2, 2, 1, 1)
    assert (es["n"], es["source_ok"], es["lang_ok"], es["both"]) == (2, 0, 2, 0)
    assert (pt["n"], pt["topic_ok"], pt["off_ok"], pt["lang_ok"], pt["both"]) == (2, 1, 1, 1, 1)
    assert [m["q"] for m in tuned["misses"]] == ["combien de jours GET Ahead", "qué es IMESUN", "chiste por favor"]
    assert held["misses"] == []
    text = report([], [], multilingual=result)
    header = next(line for line in text.splitlines() if line.startswith("multilingual questions"))
    assert header.index("tuned") < header.index("held-out")
    row = next(line for line in text.splitlines() if line.startswith("fr: reply in fr"))
    assert "2/3" in row
    row = next(line for line in text.splitlines() if line.startswith("es: right programme first"))
    assert "0/1" in row and row.rstrip().endswith("-")
    assert "qué es IMESUN" in text and "expected siyb, got wed" in text and "reply in en" in text
    assert "SEGREDO" not in text and "pt:" in text


def test_a_multilingual_set_without_held_out_items_is_one_part_and_errors_are_counted(tmp_path) -> None:
    items = [{"q": "c'est quoi GERME ?", "lang": "fr", "programme": "siyb"}, {"q": "down", "lang": "fr", "programme": None}]
    gateway = FakeGateway({"c'est quoi GERME ?": [message(FR_REPLY, sources=["siyb"])], "down": 503})
    with gateway.client() as client:
        result = chat_eval.run_multilingual(client, GATEWAY, write(tmp_path, {"questions": items}, "ml.yaml"))
    assert list(result["parts"]) == ["all"]
    part = result["parts"]["all"]
    assert part["errors"] == 1 and part["languages"]["fr"]["both"] == 1 and part["languages"]["fr"]["off_ok"] == 0
    assert part["misses"][0]["got"].startswith("HTTP 503")
    assert "request errors" in report([], None, multilingual=result)


@pytest.mark.parametrize("item, message_part", [
    ({"q": "hola", "lang": "de", "programme": "siyb"}, "lang 'de'"),
    ({"q": "hola", "lang": "es"}, "needs 'programme'"),
    ({"q": "hola", "lang": "es", "programme": "syb"}, "programme 'syb' is not a programme id"),
    ({"q": "hola", "lang": "es", "programme": None, "heldout": "yes"}, "'heldout' must be true or false"),
    ({"q": "hola", "lang": "es", "programme": None, "language": "es"}, "unknown key(s) ['language']"),
    ({"lang": "es", "programme": None}, "needs 'q'"),
])
def test_a_malformed_multilingual_question_is_named_by_its_number(tmp_path, item, message_part) -> None:
    path = write(tmp_path, [{"q": "ok", "lang": "fr", "programme": None}, item], "ml.yaml")
    with pytest.raises(chat_eval.MultilingualFormatError) as err:
        chat_eval.load_multilingual(path)
    assert "question #2" in str(err.value) and message_part in str(err.value)


def test_main_plays_the_multilingual_set_when_it_exists_and_no_multilingual_skips_it(tmp_path, monkeypatch, capsys) -> None:
    gateway = multilingual_gateway()
    fake_main_client(monkeypatch, gateway)
    conversations = write(tmp_path, {"conversations": [conv("t1")]}, "tuned.yaml")
    held = write(tmp_path, {"conversations": [conv("h1")]}, "held.yaml")
    ml = write(tmp_path, ML_ITEMS, "ml.yaml")
    common = ["--url", GATEWAY, "--conversations", str(conversations), "--heldout", str(held), "--no-questions",
              "--no-facts"]
    assert chat_eval.main(common + ["--multilingual", str(ml)]) == 0
    out = capsys.readouterr().out
    assert "multilingual questions" in out and "es: right programme first" in out and "SEGREDO" not in out
    assert len(gateway.requests) == 2 + len(ML_ITEMS)
    assert chat_eval.main(common + ["--multilingual", str(ml), "--no-multilingual"]) == 0
    assert "multilingual questions" not in capsys.readouterr().out and len(gateway.requests) == 2 + len(ML_ITEMS) + 2
    assert chat_eval.main(common) == 0, "a missing default file is skipped"
    assert "multilingual questions" not in capsys.readouterr().out
    bad = write(tmp_path, [{"q": "x", "lang": "xx", "programme": None}], "bad.yaml")
    sent = len(gateway.requests)
    assert chat_eval.main(common + ["--multilingual", str(bad)]) == 2
    assert "question #1" in capsys.readouterr().err and len(gateway.requests) == sent
