"""The finder's recommendation replies (actions/recommending.py) over the real programme pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions import programmes, recommending
from actions.finder import RESTART_HINT, SKIPPED
from actions.recommending import Choice, choose, compose
from index.knowledge import load_knowledge
from index.routing import Recommendation

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pages():
    return load_knowledge(ROOT / "knowledge").programmes


def rec(programme: str, package: str | None = None) -> Recommendation:
    return Recommendation(programme, package, 1.0, "")


def values(**kw):
    return {"stage": None, "need": None, "group": None, "sector": None, **kw}


@pytest.mark.parametrize("stage, package", [("idea", "gyb"), ("starting", "syb"), ("running", "iyb"), ("growing", "eyb")])
def test_the_siyb_package_is_the_one_whose_front_matter_stages_hold_the_users_stage(pages, stage, package):
    chosen = choose([rec("siyb", "syb")], values(stage=stage), pages)
    assert chosen[0] == Choice("siyb", package)
    assert stage in pages["siyb"].meta["packages"][package]["stages"]


def test_programmes_not_for_the_users_stage_are_dropped(pages):
    chosen = choose([rec("eese"), rec("siyb", "gyb")], values(stage="idea"), pages)
    assert [c.programme for c in chosen] == ["siyb"]


def test_a_programme_for_the_users_group_is_never_left_out(pages):
    chosen = choose([rec("siyb", "iyb")], values(stage="running", need="manage", group="women"), pages)
    assert [c.programme for c in chosen] == ["siyb", "wed"]
    assert "women" in pages["wed"].meta["groups"]


def test_the_programme_made_for_the_users_group_leads_for_a_need_every_course_covers(pages):
    router_order = [rec("siyb", "iyb"), rec("wed")]
    woman = values(stage="running", need="manage", group="women")
    assert [c.programme for c in choose(router_order, woman, pages)] == ["wed", "siyb"]
    registering = values(stage="running", need="formalise", group="women")  # a specialist need keeps its programme
    assert [c.programme for c in choose([rec("formalization"), rec("wed")], registering, pages)][0] == "formalization"


def test_at_most_three_and_never_none(pages):
    many = [rec(p) for p in ("score", "sme-resilience", "greening", "formalization")]
    assert len(choose(many, values(stage="running"), pages)) == 3
    assert choose([], values(stage="organisation"), pages) == [Choice("eese")]
    assert choose([], values(stage="idea"), pages) == [Choice("siyb", "gyb")]
    assert choose([], values(stage=SKIPPED), pages) == [Choice("siyb")]


def test_a_recommendation_says_why_what_and_how_with_buttons_and_source(pages):
    v = values(stage="idea", need="idea", group="none")
    replies = compose([Choice("siyb", "gyb")], v, pages)
    assert len(replies) == 2 and "no business idea yet" in replies[0].text
    r = replies[1]
    # how to correct it, after the programmes
    assert r.text.endswith(RESTART_HINT) and "start again" not in r.text
    assert r.text.startswith("**1. Generate Your Business Idea (GYB)**, part of Start and Improve Your Business")
    assert "Why it fits:" in r.text and pages["siyb"].meta["packages"]["gyb"]["summary"] in r.text
    assert "What you get:" in r.text and "one concrete business idea" in r.text
    assert "How to join:" in r.text and "ILO country office" in r.text and "national partner" in r.text
    assert r.buttons == [{"title": "Tell me more about GYB", "payload": "What is Generate Your Business Idea?"},
                         {"title": "Find a trainer for SIYB", "payload": '/find_trainer{"programme":"siyb"}'}]
    assert r.sources == [{"title": pages["siyb"].meta["name"], "url": pages["siyb"].meta["url"], "programme": "siyb"}]


def test_why_names_the_stage_need_and_group_that_fit(pages):
    v = values(stage="running", need="formalise", group="informal")
    text = recommending.why(pages["formalization"], None, v)
    assert "already running" in text and "register" in text and "informal businesses" in text
    assert pages["formalization"].meta["summary"] in text
    # a need that is not in the programme's keywords is not claimed as a reason
    assert "register" not in recommending.why(pages["greening"], None, v)


@pytest.mark.parametrize("pid", ["aims", "eese", "formalization", "greening", "productivity-ecosystems", "sci", "score",
                                 "siyb", "sme-resilience", "value-chains", "wed"])
def test_every_programme_page_gives_a_complete_reply_with_short_payloads(pages, pid):
    reply = recommending.recommendation_reply(1, Choice(pid), values(stage="organisation", need="policy"), pages)
    assert "What you get:" in reply.text and "How to join:" in reply.text
    for b in reply.buttons:
        assert len(b["payload"].encode()) <= 64
    assert reply.buttons[0]["payload"].startswith("What is ") and reply.buttons[0]["payload"].endswith("?")


def test_programme_ids_from_what_people_call_them(pages):
    assert programmes.programme_id("SYB", pages) == "siyb"
    assert programmes.programme_id("get ahead", pages) == "wed"
    assert programmes.programme_id("Value Chain Development", pages) == "value-chains"
    assert programmes.programme_id("score", pages) == "score"
    assert programmes.programme_id("any", pages) is None and programmes.programme_id(None, pages) is None


def test_skipped_answers_still_get_a_reply(pages):
    replies = compose([Choice("siyb")], values(stage=SKIPPED, need=SKIPPED, group=SKIPPED), pages)
    assert "skipped" in replies[0].text and len(replies) == 2
