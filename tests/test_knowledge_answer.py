"""Plain helpers of the knowledge answer (actions/knowledge.py), with the real programme pages."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from actions import knowledge
from index.knowledge import load_knowledge
from index.search import SearchResponse, SearchResult

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pages():
    return load_knowledge(ROOT / "knowledge").programmes


@pytest.mark.parametrize("question, defines", [
    # where the user heard of it is not part of the name
    ("what's this score thing people keep talking about", True),
    ("what is this get ahead training i heard about at the market", True),
    ("what does eese mean", True), ("what does SCORE stand for", True),
    ("what is the email for the greening team?", False),
    # what the user says of themselves first does not hide the question
    ("Good afternoon. I am with a garment makers association in Ghana. What is the Productivity "
     "Ecosystems programme?", True),
    ("our business association wants to push the govt about red tape. what is EESE?", True),
])
def test_what_a_programme_is_asked_in_many_ways(pages, question: str, defines: bool) -> None:
    assert knowledge._defines(question, pages) is defines


def passage(programme: str, doc: str, section: str, text: str = "Some text.",
            score: float = 0.5) -> SearchResult:
    return SearchResult(programme, doc, "Title", section, text, score, None)


def test_and_water_after_ways_to_save_energy_is_the_parallel_section() -> None:
    why = passage("greening", "guides/saving", "Why saving energy and water pays")
    energy = passage("greening", "guides/saving", "Quick ways to save energy")
    water = passage("greening", "guides/saving", "Quick ways to save water")
    response = SearchResponse("and water?", [why, energy, water], True)
    shown = "guides/saving#Quick ways to save energy"
    assert knowledge._parallel(response, "and water? we waste a lot", shown) is water
    elsewhere = "guides/other#Quick ways to save energy"
    assert knowledge._parallel(response, "and water?", elsewhere) is None


def test_a_follow_up_keeps_its_topic_when_the_topic_has_the_words_that_find_another() -> None:
    plan = passage("siyb", "guides/plan", "Steps to write a business plan",
                   "Write your business plan step by step.", 0.63)
    continuity = passage("sme-resilience", "guides/continuity", "The six-step continuity plan",
                         "The ILO six-step business continuity plan is a free tool.", 0.79)
    after_shock = SearchResponse("q", [continuity], True)
    assert knowledge._topic_has_its_words("is there a plan template i can use", plan, after_shock,
                                          "sme-resilience")
    page = passage("siyb", "programmes/siyb", "What it is",
                   "SIYB is a training system with a business plan tool.", 0.8)
    siyb = SearchResponse("q", [page], True)
    question = "what is that continuity plan tool of ILO"
    assert not knowledge._topic_has_its_words(question, continuity, siyb, "siyb")


@pytest.mark.parametrize("question, package, after", [
    ("ok and once i have the idea?", "gyb", "Start Your Business (SYB)"),
    ("and after i get my idea then wat", None, "Start Your Business (SYB)"),
    ("ok and after that one what next", "gyb", "Start Your Business (SYB)"),
    ("then what", "syb", "Improve Your Business (IYB)"),
    ("what comes next", "iyb", "Expand Your Business (EYB)"),
    ("then what", "eyb", None),  # the last rung: nothing comes after it
    ("how many days", "gyb", None),  # not a question about what comes next
    ("and to grow bigger later?", "iyb", "Expand Your Business (EYB)"),  # the stage it names
    ("and how long for a growing firm", "syb", None),  # asks for a fact, not for another package
])
def test_what_comes_after_a_siyb_package_is_the_next_package(pages, question, package, after):
    topic = knowledge.Topic("siyb", package)
    assert knowledge.next_package(question, topic, pages) == after


def test_what_comes_next_after_another_programme_is_not_a_siyb_package(pages) -> None:
    assert knowledge.next_package("then what", knowledge.Topic("score"), pages) is None
    assert knowledge.next_package("once i have the idea?", knowledge.Topic("wed"), pages) is None


def test_a_question_right_after_an_answer_stays_on_its_topic_unless_another_is_much_closer():
    topic = knowledge.Topic("siyb", document="guides/costing#What costing means")
    social = passage("formalization", "guides/social-security", "Social security for workers",
                     score=0.41)
    bonus = knowledge.TOPIC_BONUS  # what the search adds to the topic's passages
    costing = passage("siyb", "guides/costing", "Common costing mistakes", score=0.33 + bonus)
    far = passage("siyb", "guides/costing", "Common costing mistakes", score=0.25 + bonus)
    first = passage("siyb", "guides/costing", "Common costing mistakes", score=0.45 + bonus)

    def search_finding(*results):
        return lambda question, about: SearchResponse(question, list(results), True)

    close = knowledge._close_to_topic
    assert close("must i count my own salary?", topic, search_finding(social, costing))
    assert not close("how do i pay social security?", topic, search_finding(social, far))
    # the topic's programme first: the usual answer already keeps it
    assert not close("q", topic, search_finding(first, social))


def test_three_or_more_parts_of_one_programme_compared_get_the_passage_naming_all(pages) -> None:
    each = passage("siyb", "programmes/siyb", "Who it is for",
                   "Each package fits one stage: no idea yet, GYB; an idea, SYB; running, IYB; "
                   "growing, EYB.", 0.6)
    one = passage("siyb", "programmes/siyb", "Expand Your Business (EYB)", "EYB grows firms.", 0.7)
    search = lambda question, topic: SearchResponse(question, [one, each], True)  # noqa: E731
    question = "wats the difference btw GYB SYB IYB and EYB"
    sides = knowledge.compared(question, pages)
    assert [package for _, package, _ in sides] == ["gyb", "syb", "iyb", "eyb"]
    reply, topic, _ = knowledge.overview(question, sides, pages, search)
    assert reply.document == "programmes/siyb#Who it is for" and topic.programme == "siyb"
    two = knowledge.compared("IYB vs SYB?", pages)
    assert knowledge.overview("IYB vs SYB?", two, pages, search) is None


def test_who_the_asker_is_is_not_what_a_follow_up_is_about() -> None:
    assert knowledge._own_words("can i as a small trader join it") == 0
    assert knowledge._own_words("does ilo have a program for this") == 0
    assert knowledge._own_words("and what about social security") == 2


def test_a_guide_well_ahead_that_states_the_fact_beats_the_named_programmes_page() -> None:
    question = "i want to become siyb trainer how"
    guide = "guides/becoming-an-siyb-trainer"
    steps = passage("siyb", guide, "Steps to become an SIYB trainer",
                    "1. Ask a partner.\n2. Take the training of trainers.", 0.92)
    page = passage("siyb", "programmes/siyb", "How to take part",
                   "1. Ask a provider.\n2. Ask the ILO.", 0.91)
    levels = passage("siyb", guide, "The SIYB trainer levels", score=0.79)
    own = SearchResponse(question, [steps, levels], True)  # the page's passage is further down
    assert knowledge._guide_states_it_better(own, page, question, "siyb")
    close = SearchResponse(question, [steps, dataclasses.replace(page, score=0.88)], True)
    assert not knowledge._guide_states_it_better(close, page, question, "siyb")


def test_a_fact_the_passage_does_not_state_is_said_to_be_missing_before_what_it_says() -> None:
    from actions.answering import compose_answer

    eyb = passage("siyb", "programmes/siyb", "Expand Your Business (EYB)",
                  "EYB is for firms with growth potential. It combines training with support.", 0.8)
    response = SearchResponse("how long is it", [eyb], True, "en")
    reply = compose_answer(response, "how long is it", "siyb")
    assert "don't say how long it takes" in reply.text and "growth potential" in reply.text
    syb = passage("siyb", "programmes/siyb", "Start Your Business (SYB)", "It takes about 5 days.")
    question = "how long is it"
    stated = compose_answer(SearchResponse(question, [syb], True, "en"), question, "siyb")
    assert "don't say" not in stated.text
    french = compose_answer(SearchResponse(question, [eyb], True, "fr"), question, "siyb")
    assert "don't say" not in french.text  # kinds of fact are read from English words only
