"""Which passage and which part of it answer a question (actions/focus.py)."""

from __future__ import annotations

import pytest

from actions import focus
from index.search import SearchResult


def result(section: str, text: str, score: float, programme: str = "siyb") -> SearchResult:
    return SearchResult(programme, f"programmes/{programme}", "Title", section, text, score, None)


def test_the_kind_of_fact_a_question_asks_for() -> None:
    kinds = lambda q: [k.name for k in focus.expected(q)]  # noqa: E731
    assert kinds("how long is it?") == ["duration"]
    assert kinds("how much does it cost?") == ["cost"]
    assert kinds("since when?") == ["year"]
    assert kinds("who funds it") == ["funder"] and {"funder", "cost"} <= set(kinds("who pays for it"))
    assert kinds("which countries?") == ["countries"]
    assert "men" in kinds("can my husband join?")
    assert kinds("What is Start Your Business?") == []
    assert kinds("What is Improve Your Business (IYB)?") == [], "a programme's name is not a question about results"
    assert kinds("Does GET Ahead actually increase profits?") == ["results"]
    assert kinds("is it in nigeria") == ["countries"]
    assert kinds("has SIYB actually helped anyone? numbers pls") == ["results"]
    assert kinds("who made the course") == ["maker"] and "maker" in kinds("the continuity plan tool, who published it")
    assert kinds("wats the difference between cbed and siyb") == ["comparison"]
    assert kinds("can i take only one") == ["module"] and kinds("can i take only one day off") == []
    assert kinds("bank says i need a business plan. what to put in it") == ["content"]
    assert kinds("bank want business plan for loan, i never wrote one. what to put") == ["content"]
    # who asks is not whom the question is about, unless they ask whether they can join
    assert kinds("im woman with small boutique, bank refuse loan, what can i do") == []
    assert kinds("as a woman can i join SYB") == ["women"]


def test_where_it_started_is_stated_with_a_region() -> None:
    place = next(k for k in focus.FACT_KINDS if k.name == "place")
    assert place.sentence.search("GYB was first developed in 1998 in southern and eastern Africa.")
    assert place.sentence.search("It was piloted in Cambodia in August 2017.")


def test_who_made_it_and_who_leads_it_are_stated_in_so_many_words() -> None:
    maker = next(k for k in focus.FACT_KINDS if k.name == "maker")
    assert maker.sentence.search("The ILO Bureau for Employers' Activities published it in April 2020.")
    assert maker.sentence.search('"Supporting SMEs" is a free online course from the ITCILO, in Turin.')
    assert not maker.sentence.search("The continuity-plan tool is a free download from the ILO.")
    teacher = next(k for k in focus.FACT_KINDS if k.name == "teacher")
    assert teacher.sentence.search("There is no expert leading. Members take turns to read aloud.")


def test_country_lists_with_accents_and_the_gambia_are_facts() -> None:
    countries = next(k for k in focus.FACT_KINDS if k.name == "countries")
    assert countries.sentence.search("FYB has been used in Côte d'Ivoire, The Gambia and Senegal.")


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


def test_a_cut_never_falls_inside_a_list() -> None:
    intro = "Registering a business has steps. " * 8
    steps = "\n".join(f"{n}. Step number {n} of the registration, with some words." for n in range(1, 9))
    body, more_at = focus.window("what is it?", f"{intro.strip()}\n\nThe steps are:\n{steps}\n\nAfter that, wait.", limit=400)
    assert body.endswith("with some words.") and "8. Step" in body, "a short list is shown whole"
    assert more_at is not None
    long_steps = "\n".join(f"- item {n} " + "word " * 40 for n in range(12))
    body, more_at = focus.window("what is it?", f"{intro.strip()}\n\nThe items:\n{long_steps}", limit=400)
    assert "The items:" not in body and more_at is not None, "a long list waits for 'Tell me more'"


def test_tell_me_more_continues_the_passage_then_the_document() -> None:
    from actions.answering import continuation

    doc = "guides/register"
    passages = [SearchResult("formalization", doc, "Registering", f"Part {n}", text, 0.0, None)
                for n, text in ((1, "One. " * 200), (2, "Two follows."))]
    shown, at = focus.window("", passages[0].text, 100)
    rest = continuation(passages, f"{doc}#Part 1", at)
    assert rest.text.startswith("**Part 1**") and rest.more_at is not None and rest.more_at > at
    nxt = continuation(passages, f"{doc}#Part 1", None)
    assert nxt.text == "**Part 2**\n\nTwo follows." and nxt.more_at is None and nxt.document == f"{doc}#Part 2"
    assert continuation(passages, f"{doc}#Part 2", None) is None


def test_the_heading_names_the_programme_when_the_section_hides_it() -> None:
    from actions.answering import heading

    names = {"siyb": "SIYB"}
    assert heading(result("How to take part", "x", 1.0), names) == "SIYB - How to take part"
    assert heading(result("SIYB in numbers", "x", 1.0), names) == "SIYB in numbers"
    guide = SearchResult("siyb", "guides/costing-and-pricing", "Costing", "Direct and indirect costs", "x", 1.0, None)
    assert heading(guide, names) == "SIYB - Direct and indirect costs", "a guide's answer says whose material it is"


def test_a_group_named_asks_about_that_group_not_who_a_course_is_for() -> None:
    kinds = lambda q: [k.name for k in focus.expected(q)]  # noqa: E731
    assert kinds("can my wife join with me") == ["women"]
    assert kinds("how many day") == ["duration"]
    syb = result("Start Your Business (SYB)", "SYB is the SIYB package for people who already have an idea.", 0.9)
    assert not focus.fits(syb, focus.expected("can my wife join with me"))


def test_a_yes_no_question_leads_with_the_sentence_that_settles_it() -> None:
    text = ("WED serves women who plan to open a micro or small business. Many are from low-income settings. "
            "Men can join GET Ahead courses too.")
    body, _ = focus.window("can men join GET Ahead?", text)
    assert body.startswith("Men can join GET Ahead courses too.") and "WED serves women" in body


def test_a_passage_the_user_has_read_is_shown_from_the_sentence_that_answers() -> None:
    text = ("IYB is for owners of running businesses. It has six modules:\n- Marketing\n- Costing\n\n"
            "An owner can take only the modules they need, one at a time, or the full course of about 7 days.")
    body, _ = focus.window("can i take only one module", text, lead=True)
    assert body.startswith("An owner can take only the modules they need")
    body, _ = focus.window("and full course how long", text, lead=True)
    assert body.startswith("An owner can take only") and "7 days" in body
    assert focus.window("can i take only one module", text)[0].startswith("An owner can take only"), (
        "unread too: the paragraph that answers comes first")
    assert focus.window("what is IYB", text)[0].startswith("IYB is for owners"), "an open question: from the start"


def test_what_a_term_means_is_not_a_question_about_fees() -> None:
    kinds = lambda q: [k.name for k in focus.expected(q)]  # noqa: E731
    assert kinds("ok back to price. what is indirect cost") == [] and kinds("what are fixed costs") == []
    assert kinds("what is the price of SYB") == ["cost"] and kinds("what is the course fee") == ["cost"]
    assert kinds("is it a law i must follow?") == ["binding"] and kinds("what are the steps") == ["steps"]


def test_the_sentence_in_an_intro_paragraph_that_answers_is_found() -> None:
    text = ("R204 is the ILO's standard on the informal economy. It is guidance for governments, not a binding treaty. "
            "It has three aims:\n- help workers move to the formal economy;\n- stop formal jobs becoming informal.")
    body, _ = focus.window("is it a law i must follow?", text, lead=True)
    assert body.startswith("It is guidance for governments, not a binding treaty.") and "stop formal jobs" in body


def test_pricing_ones_own_product_is_not_a_question_about_fees_and_where_it_is_done_asks_the_format() -> None:
    kinds = lambda q: [k.name for k in focus.expected(q)]  # noqa: E731
    assert kinds("haha ok. i do tailoring, how to calculate price of one dress") == []
    assert kinds("how much should i charge for my bread") == []
    assert kinds("what is the price of the training") == ["cost"]
    assert kinds("where is it done") == ["format"]
    # one's own pay in a cost is costing, not a course's fee
    assert kinds("must i count my own salary? i dont pay myself") == []
    assert kinds("shud i count my own pay also") == []


def test_how_many_of_a_thing_and_where_the_first_one_was_held() -> None:
    count = focus.expected("how many modules it have")
    assert [k.name for k in count] == ["count"]
    assert focus.fits(result("Green versions", "SIYGCB: 13 modules for building contractors.", 0.5), count)
    assert not focus.fits(result("What it is", "Greening SMEs helps firms use less energy.", 0.5), count)
    place = focus.expected("where they did the first one")
    assert [k.name for k in place] == ["place"]
    assert focus.fits(result("Green versions", "The first training was held in Johannesburg in 2014.", 0.5), place)
    countries = next(k for k in focus.FACT_KINDS if k.name == "countries")
    assert not countries.section.search("Where the ILO can help with waste"), "not a section of countries"


def test_a_fact_in_a_sentence_is_preferred_to_a_checklist_item_naming_it() -> None:
    text = ("To find a course:\n1. Ask a local provider.\n2. Ask about dates, language and fees before you sign up.\n\n"
            "Each provider sets its own fee. In some countries the government pays part of the cost.")
    assert focus.window("is there any cost", text)[0].startswith("Each provider sets its own fee.")


@pytest.mark.parametrize("question, kinds", [
    ("is GET Ahead only for women?", ["men"]),  # whether men can join
    ("my phone repair shop open 2 years, so i take IYB. what modules it has", ["content"]),  # a phone repairer
    ("what they teach in it", ["content"]),
    ("can i do it by phone", ["online"]),
    ("Is GET Ahead good for me?", ["who"]),
    ("My husband wants to join. Is it possible?", ["men"]),
    ("I sell ceviche in Lima. My daughter says I must be formal to get a loan. How to do it?", []),  # not about her
    ("where do i do it", ["join", "where_to"]),
    ("we have a hotel. Heard about SCORE, does it work for hotels?", ["who"]),  # whom it suits, not its results
    ("does it really work?", ["results"]),
    ("where they used it", ["place"]),
    ("thanks. and to register the duka with govt, how?", ["steps"]),
])
def test_the_fact_a_question_asks_for(question: str, kinds: list[str]) -> None:
    assert [k.name for k in focus.expected(question)] == kinds


def test_selection_ways_and_which_takes_longer_are_kinds_of_fact() -> None:
    kinds = lambda q: [k.name for k in focus.expected(q)]  # noqa: E731
    assert kinds("how do they pick who gets in") == ["selection"]
    assert kinds("electricity bill killing our bakery, how to cut it") == ["ways"]
    assert kinds("which one takes longer") == ["duration"]
    assert kinds("is it everywhere") == ["countries"]


def test_how_to_cut_a_bill_picks_the_list_of_ways_over_why_it_pays() -> None:
    why = result("Why saving energy and water pays", "Saving energy lowers your costs. Bills are big running costs.", 0.55)
    ways = result("Quick ways to save energy", "Simple steps:\n- Switch off machines.\n- Use LED bulbs.", 0.35)
    assert focus.choose("electricity bill killing our bakery, how to cut it", [why, ways]) is ways


def test_no_trainer_near_prefers_the_passage_made_for_that_case() -> None:
    chain = result("How SIYB trainers are organised", "SIYB is spread through a chain of trainers.", 0.55)
    cbed = SearchResult("siyb", "guides/c-bed", "Community-based business training (C-BED) when no trainers are "
                        "available", "What C-BED is", "C-BED helps people learn business without a trainer.", 0.5, None)
    assert focus.choose("we are far in the village, no trainers come here at all, can we still learn", [chain, cbed]) is cbed
    assert focus.choose("how are SIYB trainers organised", [chain, cbed]) is chain


def test_a_how_to_question_gets_the_passage_that_tells_how_over_one_that_says_why() -> None:
    why = result("Why business records matter", "Without records you cannot know your profit.", 0.755)
    steps = result("Steps to start keeping records", "1. Keep business money apart. 2. Write every sale.", 0.681)
    for question in ("hw do i keep records 4 my biz, i just forget evrything",
                     "me i sell spare parts, which records i must keep", "i want to become siyb trainer hw"):
        assert focus.choose(question, [why, steps]) is steps, question
    # other questions keep the closest passage
    assert focus.choose("why keep records", [why, steps]) is why
    assert focus.choose("how long does it take to keep records", [why, steps]) is why


def test_who_pays_for_a_programme_in_other_words_asks_for_its_funders() -> None:
    for question in ("who is paying for it", "who gave the money for it", "who is supporting it"):
        assert "funder" in [k.name for k in focus.expected(question)], question


def test_what_comes_after_a_step_is_the_end_of_its_list() -> None:
    assert focus.after_step("after registration anything else to do?") == "regis"
    assert focus.after_step("after registering is there more to do") == "regis"
    assert focus.after_step("after that what") is None and focus.after_step("what happens after the course") is None
    steps = ("Registering usually involves these steps:\n1. Find the right office.\n2. Choose a legal form.\n"
             "3. Pay the registration fee.\n4. Get a tax number.\n5. Get any licence.\n6. Register as an employer.")
    body, _ = focus.window("after registration anything else to do?", steps)
    assert body.startswith("4. Get a tax number.") and "6. Register as an employer." in body, body


def test_taking_only_some_parts_of_a_course_asks_how_its_modules_are_taken() -> None:
    for question in ("can i take only record keeping part", "can i do only the records and costing parts?",
                     "cn i do only the parts i need"):
        assert [k.name for k in focus.expected(question)] == ["module"], question
    module = focus.expected("can i take only record keeping part")
    assert focus.fits(result("Where the ILO can help", "You can take the record-keeping module alone.", 0.5), module)


def test_who_leads_or_teaches_it_asks_for_the_teacher_not_for_who_may_join() -> None:
    for question in ("who leads it? no trainer here", "so who teach us", "who is teaching it?"):
        assert [k.name for k in focus.expected(question)] == ["teacher"], question
    teacher = focus.expected("so who teach us")
    assert focus.fits(result("How a C-BED session works", "A C-BED session has no teacher.", 0.5), teacher)
    assert [k.name for k in focus.expected("who is running this, ILO alone?")] == ["partner"]


def test_how_they_choose_who_joins_asks_for_the_selection() -> None:
    assert [k.name for k in focus.expected("how they choose which company can join")] == ["selection"]
    assert [k.name for k in focus.expected("how to choose a business idea")] == []


def test_who_runs_it_asks_for_the_partners_behind_a_programme() -> None:
    partner = focus.expected("who is running this, ILO alone?")
    assert [k.name for k in partner] == ["partner"]
    assert focus.fits(result("What it is", "AIMS is an approach that the ILO built together with UNHCR.", 0.5),
                      partner)
    assert focus.expected("who is running a business") == []


def test_a_how_to_after_a_description_and_household_bills_are_not_course_fees() -> None:
    said = ("me and my wife run mobile money kiosk + small shop, all money go in one purse and school fees come "
            "from shop money. how to stop this mess")
    assert "cost" not in [k.name for k in focus.expected(said)]
    why = result("Why separate household and business money", "Mixing money hides the profit.", 0.703)
    steps = result("Steps to separate your money", "1. Use two places for money.", 0.701)
    assert focus.choose(said, [why, steps]) is steps


def test_money_the_user_cannot_pay_is_not_a_course_fee() -> None:
    assert focus.expected("supplier want his money next week, i cant pay") == []
    assert [k.name for k in focus.expected("do i pay for the training")] == ["cost"]


def test_a_question_for_an_ilo_tool_gets_the_section_named_for_the_tool() -> None:
    steps = result("General steps to protect your business", "These steps are not the ILO tool itself.", 0.635)
    tool = result("The ILO six-step business continuity plan", "A free tool for small firms.", 0.549)
    assert focus.choose("any ILO tool to plan for next typhoon", [steps, tool]) is tool
    assert focus.choose("how to protect my business next time", [steps, tool]) is steps
