"""The programme finder's questions and answer reading (actions/finder.py) and the forms' turn
helpers."""

from __future__ import annotations

import json

import pytest
from rasa_sdk import Tracker

from actions import finder
from actions.finder import SKIPPED, Turn, step
from actions.turns import is_opening, own_words_since, user_just_spoke

EMPTY = {s: None for s in finder.SLOTS}


def answer(values: dict, slot: str, text: str, intent: str | None = "inform", confidence: float = 0.9) -> finder.Step:
    return step({**EMPTY, **values}, Turn(text=text, intent=intent, confidence=confidence, requested=slot))


# --- questions ------------------------------------------------------------------------------------

@pytest.mark.parametrize("slot", finder.SLOTS)
def test_every_question_has_buttons_a_skip_and_short_payloads(slot):
    q = finder.question(slot, EMPTY)
    assert q.text and q.buttons[-1] == {"title": "Skip", "payload": "/skip"}
    assert len(q.buttons) <= 9
    for b in q.buttons:
        assert len(b["payload"].encode()) <= 64
        if b["payload"].startswith("/inform"):
            entity = json.loads(b["payload"][len("/inform"):])
            assert set(entity) == {slot} and entity[slot] in finder.CHOICES[slot]


def test_need_choices_follow_the_stage_and_organisations_get_their_own_wording():
    idea = [b["payload"] for b in finder.question("need", {**EMPTY, "stage": "idea"}).buttons]
    assert '/inform{"need":"idea"}' in idea and '/inform{"need":"crisis"}' not in idea
    org = finder.question("need", {**EMPTY, "stage": "organisation"})
    assert "organisation" in org.text and any('"policy"' in b["payload"] for b in org.buttons)
    assert "work mainly with" in finder.question("group", {**EMPTY, "stage": "organisation"}).text


def test_only_the_first_question_of_a_run_has_the_introduction():
    assert finder.question("need", EMPTY, first=True).text.startswith(finder.INTRO)
    assert finder.question("stage", EMPTY).text == "Where are you with your business?"


# --- reading free text ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, stage", [
    ("I have no business idea yet", "idea"),
    ("I want to start a business but I don't know what business", "idea"),
    ("I have an idea, not started yet", "starting"),
    ("I want to open a bakery", "starting"),
    ("I run a small shop", "running"),
    ("my stall is running since 5 years", "running"),
    ("I run a shop and want to open a second shop", "growing"),
    ("my bakery in Accra has 12 staff and we want to open a 2nd branch", "growing"),  # not "want to open": starting
    ("im a woman selling vegetables in market in Tamale, i want to grow", "running"),
    ("My business is growing", "growing"),
    ("we are an NGO that supports women", "organisation"),
    ("We support businesses (organisation)", "organisation"),
    ("idea", "idea"),
])
def test_read_stage(text, stage):
    assert finder.read_stage(text) == [stage]


def test_a_farmer_who_grows_tomatoes_is_not_a_growing_business():
    assert finder.read_stage("I grow tomatoes on my farm") == ["running"]


def test_sales_going_up_is_a_growing_business():
    assert finder.read_stage("we are 18 workers, our sales went up 40% in last 2 years") == ["growing"]


def test_a_growth_target_is_a_growing_business_but_wanting_to_grow_alone_is_not():
    assert finder.read_stage("transport company, profit is steady, i want grow to 10 buses") == ["growing"]
    assert finder.read_stage("I sell vegetables in a market and want to grow") == ["running"]


def test_years_now_and_processing_say_the_business_runs():
    assert finder.read_stage("i run hardware shop 3 yrs now") == ["running"]
    assert finder.read_stage("i process cassava to gari, sales are good") == ["running"]


def test_savings_are_not_a_business_and_a_sector_ruled_out_is_not_read():
    assert finder.read_stage("finished school no job. i have small savings, i dont know what business to do") == ["idea"]
    assert finder.read_sector("i have small grocery shop not factory") == "trade"
    assert finder.read_sector("we have a factory") == "manufacturing"


def test_cues_match_whole_words_only():
    assert finder.read_groups("I run a camping business") == []  # not "camp"
    assert finder.read_needs("I sell costumes") == []  # not "cost"
    # a person's project is not an organisation
    assert finder.read_stage("my project is a bakery") == []
    assert finder.read_stage("we are a development project") == ["organisation"]


@pytest.mark.parametrize("text, needs", [
    ("I need a business plan for the bank loan", ["plan"]),
    ("my costs and my records are a mess", ["manage"]),
    ("I want to register my business", ["formalise"]),
    ("save energy", ["green"]),
    ("we lost everything in the flood", ["crisis"]),
    ("better prices from buyers", ["markets"]),
    ("policy reform", ["policy"]),
    ("grow my sales", ["grow"]),
    ("I want to register and go green", ["formalise", "green"]),
])
def test_read_needs(text, needs):
    assert finder.read_needs(text) == needs


@pytest.mark.parametrize("text, groups", [
    ("I'm a woman", ["women"]), ("I am a refugee woman", ["women", "refugees"]),
    ("my shop is not registered", ["informal"]), ("no", ["none"]), ("None of these", ["none"]),
    ("I'm a man", ["none"]), ("hmm", []),
])
def test_read_groups(text, groups):
    assert sorted(finder.read_groups(text)) == sorted(groups)


def test_skip_and_stop_words():
    assert finder.is_skip("skip") and finder.is_skip("I don't know") and finder.is_skip("not sure")
    assert not finder.is_skip("I don't know what business to start")
    assert finder.is_stop("stop") and finder.is_stop("Cancel!") and finder.is_stop("never mind")
    assert not finder.is_stop("I want to stop smoking in my shop")


# --- one turn -------------------------------------------------------------------------------------

def test_the_opening_message_fills_what_it_says_and_nothing_else():
    s = step(EMPTY, Turn(text="I'm a refugee, which programme is for me?", intent="find_programme", opening=True))
    assert s.values["group"] == "refugees" and s.values["stage"] is None and s.values["need"] is None
    assert s.next_slot == "stage" and not s.say


@pytest.mark.parametrize("text, stage", [
    ("I'm a refugee and want to open a shop", "starting"),
    ("i have idea to open poultry farm in my village but never run business before. which course?", "starting"),
    ("i want start business but no idea what to do", "idea"),
    ("i have small grocery shop, what training for me", "running"),
    ("Our bakery started with 3 people, now we are 22 staff and want to open a second branch", "growing"),
])
def test_an_opening_that_gives_the_stage_recommends_at_once(text, stage):
    s = step(EMPTY, Turn(text=text, intent="find_programme", opening=True))
    assert s.values["stage"] == stage and s.next_slot is None and not s.say


def test_a_generic_opening_asks_the_stage_and_forgets_an_earlier_run():
    old = {"stage": "running", "need": "grow", "group": "none", "sector": None}
    s = step(old, Turn(text="which programme is right for me?", intent="find_programme", opening=True))
    assert s.values == EMPTY and s.next_slot == "stage"


def test_an_opening_that_says_enough_recommends_straight_away():
    s = step(EMPTY, Turn(text="I have a shop and want to register it", intent="find_programme", opening=True))
    assert s.values["stage"] == "running" and s.values["need"] == "formalise" and s.next_slot is None


def test_buttons_fill_slots_and_the_next_question_follows():
    s = step(EMPTY, Turn(text='/inform{"stage":"idea"}', intent="inform", entities={"stage": "idea"},
                         requested="stage"))
    assert s.values["stage"] == "idea" and s.next_slot == "need"
    s = step({**EMPTY, "stage": "idea", "need": "idea"},
             Turn(text='/inform{"group":"none"}', intent="inform", entities={"group": "none"}, requested="group"))
    assert s.next_slot is None  # no sector question for someone without a business


def test_sector_is_asked_only_when_it_matters():
    done = {**EMPTY, "stage": "running", "need": "manage", "group": "women"}
    assert finder.next_slot(done) is None
    assert finder.next_slot({**done, "stage": "organisation"}) == "sector"
    assert finder.next_slot({**done, "need": "productivity"}) == "sector"


def test_a_free_text_answer_is_read_and_can_answer_several_questions():
    s = answer({}, "stage", "i sell vegetables, my stall is running since 5 years", intent="nlu_fallback", confidence=0.3)
    assert s.values["stage"] == "running" and s.values["sector"] == "agriculture" and s.next_slot == "need"


def test_skip_by_button_or_by_word():
    s = step({**EMPTY, "stage": "running"}, Turn(text="/skip", intent="skip", requested="need"))
    assert s.values["need"] == SKIPPED and s.next_slot == "group"
    assert answer({"stage": "running"}, "need", "don't know", intent="skip").values["need"] == SKIPPED


def test_stop_and_questions_interrupt_the_form():
    assert answer({}, "stage", "stop", intent="stop").interrupt
    assert answer({}, "stage", "please stop", intent="nlu_fallback", confidence=0.2).interrupt
    assert answer({}, "stage", "what is SYB?", intent="ask_question").interrupt
    assert answer({}, "need", "hello", intent="greet").interrupt
    # it is an answer
    assert not answer({}, "stage", "how to grow my business?", intent="ask_question").interrupt


def test_an_unknown_answer_gets_a_clarifying_re_ask():
    s = answer({}, "stage", "asdf qwerty", intent="nlu_fallback", confidence=0.2)
    assert not s.interrupt and s.values["stage"] is None and s.next_slot == "stage"
    assert "didn't catch" in s.say[0].text


def test_an_answer_naming_two_needs_asks_which_one():
    s = answer({"stage": "running"}, "need", "I want to register and go green")
    assert s.values["need"] is None and s.next_slot == "need"
    assert {b["payload"] for b in s.say[0].buttons} == {'/inform{"need":"formalise"}', '/inform{"need":"green"}'}


def test_a_contradiction_between_stage_and_need_is_clarified():
    s = answer({"stage": "idea"}, "need", "recover from the floods")
    assert s.values["need"] is None and s.next_slot == "need"
    assert "hasn't started" in s.say[0].text and s.say[0].buttons[0]["payload"] == '/inform{"stage":"running"}'


def test_a_starter_who_needs_an_idea_is_at_the_idea_stage():
    s = answer({"stage": "starting"}, "need", "a business idea")
    assert s.values["stage"] == "idea" and s.values["need"] == "idea"


def test_coming_back_after_an_interruption_only_asks_again():
    s = step({**EMPTY, "stage": "growing"}, Turn(text="what is SYB?", intent="ask_question", requested="need",
                                                 fresh=False))
    assert not s.interrupt and s.values["stage"] == "growing" and s.next_slot == "need" and not s.say


def test_describe_composes_answers_and_own_words():
    text = finder.describe({"stage": "idea", "need": SKIPPED, "group": "women,refugees", "sector": None},
                           ["I live in a camp"])
    assert "no business idea" in text and "woman" in text and "refugee" in text and text.endswith("I live in a camp")
    assert finder.describe({s: SKIPPED for s in finder.SLOTS}) == ""
    assert finder.tells_something("I'm a refugee") and not finder.tells_something("which programme is right for me?")


# --- reading the tracker (actions/turns.py) -------------------------------------------------------

def _tracker(events: list[dict], text: str = "hello") -> Tracker:
    return Tracker("u", {}, {"text": text, "intent": {"name": "inform", "confidence": 0.9}, "entities": []},
                   events, False, None, {}, "action_listen")


FORM = finder.FORM
SYNTHETIC = [{"event": "slot", "name": "requested_slot", "value": None}, {"event": "action", "name": FORM}]


def test_opening_fresh_and_interrupted_turns_are_told_apart():
    opening = [{"event": "action", "name": "action_listen"}, {"event": "user", "text": "hi"},
               {"event": "user_featurization"}, {"event": "active_loop", "name": FORM}] + SYNTHETIC
    t = _tracker(opening)
    assert is_opening(t, FORM) and user_just_spoke(t, FORM)
    answer_turn = opening[:-2] + [{"event": "action", "name": FORM}, {"event": "action", "name": "action_listen"},
                                  {"event": "user", "text": "idea"}] + SYNTHETIC
    t = _tracker(answer_turn)
    assert not is_opening(t, FORM) and user_just_spoke(t, FORM)
    back = answer_turn[:-2] + [{"event": "action_execution_rejected", "name": FORM},
                               {"event": "action", "name": "action_answer_question"},
                               {"event": "bot", "text": "..."}] + SYNTHETIC
    assert not user_just_spoke(_tracker(back), FORM)


def test_own_words_start_at_the_message_that_opened_the_form():
    events = [{"event": "user", "text": "hello"}, {"event": "user", "text": "I'm a refugee"},
              {"event": "active_loop", "name": FORM}, {"event": "user", "text": '/inform{"stage":"idea"}'},
              {"event": "user", "text": "I sell tomatoes"}, {"event": "active_loop", "name": None}]
    assert own_words_since(_tracker(events), FORM) == ["I'm a refugee", "I sell tomatoes"]


def test_a_question_without_an_answer_inside_the_finder_is_handed_on_whatever_the_intent():
    from actions import finder as f

    step = f.step({"stage": "growing"}, f.Turn(text="who can join", intent="inform", confidence=0.6,
                                               requested="need", opening=False, fresh=True))
    assert step.interrupt


def test_a_running_business_and_its_owners_group_recommend_straight_away():
    s = step(EMPTY, Turn(text="my husband died last year, now i run his grain shop alone. which training for me?",
                         intent="find_programme", opening=True))
    assert s.values["stage"] == "running" and s.values["group"] == "women" and s.next_slot is None


def test_off_topic_and_what_inside_the_finder():
    from actions import finder

    empty = {"stage": None, "need": None, "group": None, "sector": None}
    off = finder.step(empty, finder.Turn(text="btw should i buy bitcoin now", requested="stage", fresh=True))
    assert off.interrupt, "an off-topic message is handed over, not 'didn't catch'"
    assert finder.PARDON.match("what?") and finder.PARDON.match("i dont understand")
    assert finder.read_stage("we are 30 coffee farmers in Peru") == ["running"]
