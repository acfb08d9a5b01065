"""Which passage and which part of it answer a question (actions/focus.py)."""

from __future__ import annotations

from actions import focus
from index.search import SearchResult


def result(section: str, text: str, score: float, programme: str = "siyb") -> SearchResult:
    return SearchResult(programme, f"programmes/{programme}", "Title", section, text, score, None)


def test_the_kind_of_fact_a_question_asks_for() -> None:
    kinds = lambda q: [k.name for k in focus.expected(q)]  # noqa: E731
    assert kinds("how long is it?") == ["duration"]
    assert kinds("how much does it cost?") == ["cost"]
    assert kinds("since when?") == ["year"]
    assert kinds("who funds it") == ["funder"] and "funder" in kinds("who pay for it")
    assert kinds("which countries?") == ["countries"]
    assert "men" in kinds("can my husband join?")
    assert kinds("What is Start Your Business?") == []


def test_the_passage_that_states_the_fact_is_chosen_within_the_programme() -> None:
    general = result("Start Your Business (SYB)", "SYB is for people with an idea. They write a business plan.", 0.9)
    fees = result("How to take part", "Ask a partner. Each provider sets its own fee.", 0.6)
    other = result("Fees for WED", "WED courses are free of charge.", 0.95, programme="wed")
    assert focus.choose("how much does it cost?", [general, fees, other], programme="siyb") is fees
    assert focus.choose("What is Start Your Business?", [general, fees]) is general
    assert focus.choose("how much does it cost?", [other, general, fees]) is other  # the best result's programme


def test_the_window_keeps_whole_sentences_and_starts_near_a_late_fact() -> None:
    text = ("SYB is a course. " * 30).strip() + " The course takes about 5 days. It ends with a plan."
    body, more = focus.window("how long is it?", text, limit=120)
    assert "5 days" in body and body.endswith((".", "plan."))
    assert body.split()[0][0].isupper(), "starts at a sentence"
    assert len(body) <= 120 + 40
    whole, more_whole = focus.window("what is it?", "One. Two.", limit=700)
    assert whole == "One. Two." and not more_whole


def test_lists_stay_lists() -> None:
    text = "Steps to register:\n- get a name\n- pay the fee\n- open an account"
    body, _ = focus.window("how do I register?", text)
    assert body == text
    units = focus.units("Intro.\n\nSteps:\n- one\n- two")
    assert [(u.before, u.text) for u in units] == [("\n\n", "Intro."), ("\n\n", "Steps:"), ("\n", "- one"), ("\n", "- two")]
