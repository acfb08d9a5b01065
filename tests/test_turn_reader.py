"""How one typed turn is read (actions/turn_reader.py), with the real programme pages and gazetteer."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions import turn_reader as tr
from actions.conversation import _names_a_place
from index.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pages():
    return load_knowledge(ROOT / "knowledge").programmes


def read(text: str, pages, intent: str | None = None, confidence: float = 0.5, **context) -> tr.Reading:
    return tr.read(text, intent, confidence, tr.Context(**context), pages, place_named=_names_a_place)


@pytest.mark.parametrize("text, kind", [
    # real questions are answered, whatever Rasa's intent says
    ("Should I register my informal business?", "question"),
    ("is there online course?", "question"),
    ("cost", "question"),
    ("what is a master trainer", "question"),
    ("how do I become a GET Ahead trainer", "question"),
    ("which countries?", "question"),
    ("IYB vs SYB?", "question"),
    ("Can men join GET Ahead?", "question"),
    ("tell me a joke", "question"),  # the answer decides it is out of scope
    # requests for a trainer, with or without a place
    ("I sell vegetables at the market in Kumasi and I want to keep better records. Who can train me?", "trainers"),
    ("find a trainer near me", "trainers"),
    ("any SIYB trainer in Nairobi?", "trainers"),
    ("in Kumasi then", "trainers"), ("in kano then?", "trainers"),
    ("is it in nigeria", "question"),  # about the programme under discussion, not a trainer search
    ("Kampala", "trainers"),
    ("where can I take SYB in Nairobi?", "trainers"),
    ("where can I take it?", "question"),  # answered from the topic: how to take part
    # the programme finder, asked for or described
    ("which programme is right for me?", "finder"),
    ("I have an idea, not started yet", "finder"),  # only says where the business stands: the finder asks the rest
    ("electricity bill is killing my welding workshop!!", "question"),  # a problem to answer
    ("electricity bill too high at my bakery, its eating all my profit. help", "question"),  # ... with a plea
    ("hello. im a widow with small tailoring shop, i want more customers, business is slow now. please help",
     "finder"),  # a profile with a general need: the programme that fits, however she ends
    ("is there any online course on helping small businesses survive a crisis like covid", "question"),  # on a topic
    ("any ilo guide on this", "question"),  # asks for the guide on the topic, not for a programme finder
    ("any training on saving and budget", "question"),  # a course on a topic: the answer names it
    ("i want to start a green business, ideas pls", "question"),  # asks for ideas: the guide's list
    ("I sell vegetables in a market and want to grow", "finder"),
    ("my clothing factory in Ho Chi Minh City throws lot of fabric, we want cut waste", "question"),  # tips
    ("am 24 yrs from gulu, finished school no job. i have small savings want to do business but i dont know "
     "what business to do. help", "finder"),  # a profile, however long
    ("i want start business but no idea what to do", "finder"),  # not knowing what to do says where they stand
    # commands, yes/no and small talk
    ("restart", "restart"), ("start over", "restart"), ("Start again please", "restart"),
    ("menu", "menu"), ("cancel", "stop"), ("yes", "affirm"), ("no", "deny"), ("thanks!", "thanks"),
    ("ok thanks bye", "thanks"), ("bye", "goodbye"), ("hi", "greet"),
    ("asdfgh jkl", "unclear"), ("???", "unclear"),
])
def test_turns_are_read_for_what_they_ask(pages, text: str, kind: str) -> None:
    assert read(text, pages).kind == kind


def test_the_nlu_intent_does_not_overrule_the_words(pages) -> None:
    assert read("what is a master trainer", pages, intent="find_trainer", confidence=0.95).kind == "question"
    assert read("which countries?", pages, intent="find_programme", confidence=0.95).kind == "question"
    assert read("c-bed training need a trainer or teacher to run it?", pages, intent="find_trainer",
                confidence=0.95).kind == "question"
    assert read("find me someone to train my staff", pages, intent="find_trainer", confidence=0.95).kind == "trainers"
    assert read("who is teaching it", pages, intent="bot_challenge", confidence=0.95).kind == "question"
    assert read("who are you", pages, intent="bot_challenge", confidence=0.95).kind == "bot"
    assert read("am i talking to a real person?", pages).kind == "bot"
    assert read("who made you", pages, intent="out_of_scope", confidence=0.6).kind == "bot"


@pytest.mark.parametrize("text, kind, after_trainers", [
    ("nairobi kenya SIYB trainer?", "trainers", False),  # a place and a trainer word, no "in"
    ("dhaka bangladesh trainer list", "trainers", False),
    ("what is a SCORE trainer", "question", False),
    ("ok what about dar es salaam, i go there sometimes", "trainers", True),
    ("and in peru? my cousin lives there", "trainers", True),
    ("i need for GET Ahead women training", "trainers", True),  # the same search, for that programme
    ("how far from bogota", "trainer_details", True),  # the trainers shown, with their distances
    ("salamat! is there somebody in manila who teach it", "trainers", False),
    ("I run a small company, our sales went up 40% in 2 years. Is there ILO program for firms like us?", "finder",
     False),
])
def test_trainer_requests_and_descriptions_in_context(pages, text: str, kind: str, after_trainers: bool) -> None:
    context = {"last_bot": "action_find_trainers", "trainers_shown": 3} if after_trainers else {}
    assert read(text, pages, **context).kind == kind


def test_more_means_more_trainers_only_after_a_trainer_list(pages) -> None:
    assert read("show more", pages, trainers_shown=3).kind == "more_trainers"
    assert read("more", pages, last_bot="action_find_trainers").kind == "more_trainers"
    assert read("more", pages).kind != "more_trainers"


def test_tell_me_more_continues_the_answer_not_the_trainer_list(pages) -> None:
    assert read("Tell me more", pages).kind == "more"
    assert read("more details pls", pages).kind == "more"
    assert read("more", pages, trainers_shown=3, last_bot="action_read_turn").kind == "more"
    assert read("more", pages, trainers_shown=3, last_bot="action_find_trainers").kind == "more_trainers"


@pytest.mark.parametrize("text", ["ur not answering!!", "you dont answer my question", "useless bot", "bad answer",
                                  "you are not helping me", "are you there?"])
def test_complaints_get_an_apology_and_a_way_forward(pages, text: str) -> None:
    assert read(text, pages).kind == "complaint"


def test_another_place_after_a_trainer_list_is_a_new_search(pages) -> None:
    place = lambda t: "dar es salaam" in t.lower()  # noqa: E731
    assert tr.read("what about dar es salaam", None, 0.5, tr.Context(last_bot="action_find_trainers"), pages,
                   place_named=place).kind == "trainers"
    assert tr.read("what about dar es salaam", None, 0.5, tr.Context(), pages, place_named=place).kind == "question"


def test_the_subject_of_a_question_keeps_the_names_it_carries(pages) -> None:
    from actions.knowledge import subject_of

    assert subject_of("what is GET ahead training", pages) == "GET ahead"
    assert subject_of("tell me about R204 pls", pages) == "R204"


def test_programmes_and_packages_named_in_a_turn(pages) -> None:
    assert tr.named("What is Start Your Business?", pages) == ("siyb", "syb")
    assert tr.named("can men join GET Ahead", pages) == ("wed", None)
    assert tr.named("any SIYB trainer in Nairobi?", pages)[0] == "siyb"
    assert tr.named("how do I keep records?", pages) == (None, None)


def test_a_self_description_carries_the_finder_answers(pages) -> None:
    assert read("I have an idea, not started yet", pages).values == {"stage": "starting"}
    grow = read("I sell vegetables in a market and want to grow", pages).values
    assert grow["stage"] == "running" and grow["need"] == "grow"  # running and wanting to grow, not "growing"
    assert read("I am a refugee and want to open a shop", pages).values["group"] == "refugees"


@pytest.mark.parametrize("text", ["how much does it cost?", "how long does the training take?", "how do we request it?",
                                  "what about for women?", "can my husband join?", "who funds it?", "since when?",
                                  "which countries?", "is it free", "ok back to the course, how many days is it",
                                  "is automotive included in SA?"])
def test_follow_ups_need_the_topic(text: str) -> None:
    assert tr.is_follow_up(text)


@pytest.mark.parametrize("text", ["how do I register my business", "What is Start Your Business?",
                                  "how can I market my tailoring business", "what is the WED assessment"])
def test_self_contained_questions_are_not_follow_ups(text: str) -> None:
    assert not tr.is_follow_up(text)


def test_the_topic_reads_as_the_package_or_programme_name(pages) -> None:
    assert tr.topic_name(pages, "siyb", "syb") == "Start Your Business (SYB)"
    assert tr.topic_name(pages, "score", None) == pages["score"].meta["name"]


@pytest.mark.parametrize("text, stage", [
    ("I sell vegetables at the market and keep records", "running"),
    ("I have an idea, not started yet", "starting"),
    ("I want to do my own business but dont know which one", "idea"),
    ("my business is growing fast", "growing"),
])
def test_the_finder_and_route_read_the_stage_the_same_way(text: str, stage: str) -> None:
    from index.routing import Router
    from index.routing_cues import detect_stages
    from index.vocabulary import read_stage

    assert read_stage(text) == [stage]
    assert Router._main_stage(text, detect_stages(text)) == {stage}


@pytest.mark.parametrize("text,programme,package", [
    ("what is get ahed", "wed", None), ("start your busines training", "siyb", "syb"),
    ("improve you business", "siyb", "iyb"), ("formalisation of my shop", "formalization", None),
    ("start my business", None, None), ("the store is closed", None, None)])
def test_programme_names_with_one_slip(pages, text: str, programme: str | None, package: str | None) -> None:
    assert tr.named(text, pages) == (programme, package)


@pytest.mark.parametrize("text", ["only GET Ahead pls, its for women group", "only SIYB trainers", "just SCORE ones",
                                  "SYB only", "what about GET Ahead"])
def test_a_trainer_list_narrowed_to_one_programme(pages, text: str) -> None:
    reading = read(text, pages, last_bot="action_find_trainers")
    assert reading.kind == "trainers" and reading.programme is not None


def test_a_question_about_a_programme_after_a_trainer_list_is_still_a_question(pages) -> None:
    assert read("how long is GET Ahead?", pages, last_bot="action_find_trainers").kind == "question"


@pytest.mark.parametrize("text,code", [("they speak somali?", "so"), ("any who speaks french", "fr"),
                                       ("swahili-speaking trainer?", "sw"), ("any in arabic?", "ar")])
def test_a_trainer_list_asked_for_a_language(pages, text: str, code: str) -> None:
    reading = read(text, pages, last_bot="action_find_trainers")
    assert reading.kind == "trainer_language" and reading.values == {"language": code}


def test_a_language_question_about_a_programme_is_not_a_trainer_search(pages) -> None:
    assert read("is GET Ahead available in french?", pages, trainers_shown=3).kind == "question"


@pytest.mark.parametrize("text", ["i dont understand, explain more simple pls", "what do you mean",
                                  "can you explain it in simple words"])
def test_asking_for_it_simpler_goes_back_to_what_the_topic_is(pages, text: str) -> None:
    assert read(text, pages, topic="sci").kind == "simpler"
    assert read(text, pages).kind != "simpler"


@pytest.mark.parametrize("text", ["which module we must do first", "how many days each"])
def test_short_follow_ups_about_modules_and_each(text: str) -> None:
    assert tr.is_follow_up(text)


@pytest.mark.parametrize("text,stage", [
    ("i want open car wash near the bus park, i have the idea and small money saved. which training", "starting"),
    ("my husband have small fish pond, he want grow bigger and sell to supermarket in town. which course for him",
     "growing"),
    ("i sell phone accessories in my shop 3 years now, which course make me manage better", "running"),
    ("hello. im a widow with small tailoring shop in mbarara, 2 girls work with me. i want more customers", "running")])
def test_which_course_with_a_description_of_the_business_goes_to_the_finder(pages, text: str, stage: str) -> None:
    reading = read(text, pages)
    assert reading.kind == "finder" and reading.values["stage"] == stage


def test_which_course_about_a_named_programme_is_a_question(pages) -> None:
    assert read("what training does SCORE offer for my factory", pages).kind == "question"


def test_a_growing_shop_asking_which_course_is_recommended_at_once(pages) -> None:
    reading = read("my shop grow big now, 12 workers. wat course for expand?", pages)
    assert reading.kind == "finder" and reading.values["stage"] == "growing" and reading.values["need"] == "grow"


def test_a_widow_running_her_late_husbands_shop(pages) -> None:
    values = tr.describes_self("good day. my husband died last year, now i run his grain shop in Tamale. i want more "
                               "customers")
    assert values["stage"] == "running" and values["group"] == "women"


@pytest.mark.parametrize("text", ["any in another town", "someone in other town?", "more trainers in another city",
                                  "any elsewhere"])
def test_another_town_after_a_list_asks_for_more_trainers(pages, text: str) -> None:
    assert read(text, pages, last_bot="action_find_trainers", trainers_shown=2).kind == "more_trainers"


def test_contacts_and_languages_of_the_trainers_shown(pages) -> None:
    after_list = dict(last_bot="action_find_trainers", trainers_shown=2)
    number = read("ok give me his number", pages, **after_list)
    assert number.kind == "trainer_details" and number.values == {"first": "yes"}
    assert read("what language the trainer speak", pages, **after_list).kind == "trainer_details"
    assert read("they speak somali?", pages, **after_list).kind == "trainer_language"
    assert read("ok give me his number", pages).kind != "trainer_details", "no list shown: nothing to give"


def test_a_change_of_topic_is_not_a_follow_up() -> None:
    assert tr.is_follow_up("is it must?")
    assert not tr.is_follow_up("different question: social security for my 2 workers, is it must?")
    assert not tr.refers_back("another thing. workers in my workshop get injured, what can i do about it")


def test_an_association_asking_what_the_ilo_can_do_starts_the_finder_and_someone_in_a_town_is_a_trainer(pages):
    said = "we are business association in Kyrgyzstan, we want push the government to cut red tape. what ILO can do for us"
    assert read(said, pages).kind == "finder"
    assert read("somebody in kano who can help", pages).kind == "trainers"
    assert read("who can give SCORE training in india", pages).kind == "trainers"
    # a question about a thing that says no trainer is near is not a request for one
    assert read("wat is c-bed? we dont have any trainer in our village near kisumu", pages).kind == "question"
    said = "we are a traders association and want to lobby govt about red tape, what does ilo have"
    assert read(said, pages).kind == "finder"


def test_what_alone_explains_the_question_in_a_form_and_the_topic_after_an_answer(pages) -> None:
    assert read("what?", pages, in_form="programme_finder_form").kind == "unclear"
    assert read("huh?", pages, topic="siyb", last_bot="action_read_turn").kind == "simpler"


def test_off_topic_subjects_are_never_answered_from_the_materials() -> None:
    from actions.answering import off_topic

    assert off_topic("btw should i buy bitcoin now") and off_topic("do you like arsenal")
    assert not off_topic("the weather destroyed my crops, what can I do")
    assert not off_topic("I want to open a football pitch business, how do I write a business plan")
    for text in ("who will win afcon this year", "who will win the champions league this yr",
                 "wats the best smartphone under 100 dollar", "also give me recipe for thieboudienne",
                 "i have bad headache and fever since 2 days, what medicine i should take"):
        assert off_topic(text), text
    assert off_topic("also my head is paining since morning, which tablet i take")
    assert off_topic("is it true neymar going back to santos?")
    for text in ("my bakery recipes, how to price them", "i repair smartphones, how to get more customers",
                 "i sell cooked food, how to cook in bulk for my business customers"):
        assert not off_topic(text), text


def test_the_second_one_after_a_comparison_is_that_side(pages) -> None:
    from actions.knowledge import _side_meant

    subject = "SCORE vs Productivity Ecosystems"
    assert _side_meant("ok the second one, in which countries", subject, pages)[0] == "productivity-ecosystems"
    assert _side_meant("and the first one?", subject, pages)[0] == "score"
    assert _side_meant("which countries", subject, pages) is None


def test_after_a_list_a_group_a_wider_search_and_refugees_from_a_country(pages) -> None:
    after_list = dict(last_bot="action_find_trainers", trainers_shown=2)
    assert read("only for women business training", pages, **after_list).programme == "wed"
    assert read("for refugees from venezuela", pages, **after_list).programme == "aims"
    assert read("too far. any trainer in lahore, any program ok", pages, **after_list).programme == "any"
    assert tr.IN_PLACE.search("for refugees from venezuela") is None


def test_a_name_written_another_right_way_is_left_as_it_is(pages) -> None:
    assert tr.spelled_out("what is Enterprise Formalization", pages) == "what is Enterprise Formalization"
    assert tr.spelled_out("wat is get ahed", pages) == "what is get ahead"


def test_a_question_of_fact_is_not_a_complaint_and_a_country_named_settles_a_town(pages) -> None:
    assert read("did it work anywhere?", pages, intent="no_answer", confidence=0.95).kind == "question"
    from actions import trainer_replies

    assert trainer_replies.country_named("Kenia, trainers for refugees in Lodwa") == "KE"
    assert trainer_replies.resolve("Lodwa", country="KE").label == "Lodwar, Kenya"


def test_a_factory_asking_for_any_ilo_help_gets_a_recommendation_and_a_flood_is_a_crisis(pages) -> None:
    said = "We r garment factory with 120 workers in Dhaka. many defects and workers leaving. any ILO help for us?"
    reading = read(said, pages)
    assert reading.kind == "finder" and reading.values["need"] == "productivity"
    assert tr.describes_self("my shop got flooded last week, all the stock gone. what i do now")["need"] == "crisis"
    assert tr.describes_self("we are cocoa farmers, middle men cheat us on price every season")["need"] == "markets"


@pytest.mark.parametrize("text", ["also my son asks: what is photosynthesis? for his homework",
                                  "who wins the cricket tonight"])
def test_subjects_never_ours_are_off_topic(text: str) -> None:
    from actions.answering import off_topic

    assert off_topic(text)


def test_a_programme_is_named_by_its_name_before_for_and_a_comparison_side_by_its_number(pages) -> None:
    from actions import knowledge

    assert tr.named("and the Systems Change Initiative, who funds it?", pages)[0] == "sci"
    assert [p for p, _, _ in knowledge.compared(
        "difference between ILO value chain development and the Systems Change Initiative?", pages)] == [
        "value-chains", "sci"]
    assert knowledge.ORDINAL.search("the 2nd one, can one company apply alone?")


@pytest.mark.parametrize("text, kind", [
    ("and the cost", "question"),  # names a need, yet says nothing about the user: a follow-up, not a profile
    ("score programme ilo", "question"),  # Rasa's "find a programme", but it names one: about SCORE
    ("i want to start keeping records for my chapati business, no idea how", "question"),  # asks how
    ("ok another thing. my cousin want open barber shop too but he dont know how to make business plan", "finder"),
])
def test_a_need_without_a_person_or_a_how_is_a_question(pages, text: str, kind: str) -> None:
    intent = "find_programme" if "programme" in text else "ask_question"
    assert read(text, pages, intent=intent, confidence=0.98, topic="wed", last_bot="action_read_turn").kind == kind


def test_no_idea_how_is_not_wanting_an_idea_and_starting_to_keep_records_is_not_starting_a_business() -> None:
    from index.vocabulary import read_needs, read_stage

    assert "idea" not in read_needs("i want to keep records, no idea how")
    assert read_stage("i want to start keeping records") == []
    assert read_stage("i want to start a bakery") == ["starting"]


@pytest.mark.parametrize("text", ["which countrys", "if we decide yes, then what",
                                  "i already know i want to open salon so which one"])
def test_short_follow_ups_with_a_slip_or_pointing_back(text: str) -> None:
    assert tr.is_follow_up(tr.spelled_out(text))


@pytest.mark.parametrize("text", ["wat about mombassa", "other city cuzco", "do you have any in bosnia"])
def test_another_place_after_a_trainer_list_with_slips_and_countries(pages, text: str) -> None:
    assert read(tr.as_read(text), pages, last_bot="action_find_trainers", trainers_shown=3).kind == "trainers"


@pytest.mark.parametrize("text, values", [
    ("hello am grace from kisumu i do tailoring from my house since 4 yrs, my husband dont help with house work. "
     "i want my busness to grow, what training is there for someone like me", {"stage": "running", "group": "women"}),
    ("i run hardwere shop 6 years now. i never know if i make profit, no records. my friend say ilo has training "
     "for shop owners??", {"stage": "running", "need": "manage"}),
    ("my bakery has 12 staff and turnover going up every year, we want second branch. which one", {"stage": "growing"}),
])
def test_a_description_that_asks_which_training_gets_a_recommendation(pages, text: str, values: dict) -> None:
    reading = read(text, pages, intent="ask_question", confidence=0.99)
    assert reading.kind == "finder" and values.items() <= reading.values.items()


@pytest.mark.parametrize("text, programme", [
    ("ok then lahor", None), ("fine bolivia then", None),  # another place after a list, with filler words
    ("which of the uganda ones do the refugee program", "aims"),  # the listed trainers, for a group's programme
])
def test_after_a_trainer_list_another_place_or_a_filter_of_the_list(pages, text: str, programme) -> None:
    reading = read(text, pages, trainers_shown=3, last_bot="action_find_trainers")
    assert (reading.kind, reading.programme) == ("trainers", programme)


@pytest.mark.parametrize("text, kind", [
    ("n water? we waste alot", "question"),  # "alot" is "a lot", not the town of Alot
    ("so if there is a trainer in my town which is better", "question"),  # a condition, not a request
    ("cheap ways to make my welding workshop safer for the boys", "question"),  # asks for ways, not a profile
])
def test_texting_a_condition_and_ways_to_are_questions(pages, text: str, kind: str) -> None:
    assert read(text, pages, topic="greening").kind == kind


def test_texting_shorthand_for_tomorrow_people_and_about() -> None:
    assert tr.spelled_out("will it rain tmrw, ppl talk bout it tho") == "will it rain tomorrow, people talk about it though"
    assert tr.as_read("hw cn i cut it, 3 yrs") == "how can i cut it, 3 years"


def test_a_place_after_a_trainer_list_or_beside_a_trainer_word_is_a_search_there(pages) -> None:
    after_list = dict(last_bot="action_read_turn", trainers_shown=2)  # the list, then "how do i contact"
    assert read("someone in osh? bishkek too far for us", pages, **after_list).kind == "trainers"
    assert read("my cousin in cucuta colombia also need one", pages, **after_list).kind == "trainers"
    women = read("and one for women in tamale?", pages, **after_list)
    assert women.kind == "trainers" and women.programme == "wed"
    assert read("score trainer india? we have garment unit, 60 tailors", pages).kind == "trainers"
    # a question about a programme's countries is still a question; no list, no search
    assert read("is SYB in kenya?", pages, **after_list).kind == "question"
    assert read("my cousin in cucuta colombia also need one", pages).kind != "trainers"


def test_for_next_time_refers_back_to_what_happened() -> None:
    assert tr.is_follow_up("how to be ready for next time")


def test_dont_no_is_dont_know(pages) -> None:
    reading = read("im in dakar, i want to start business but dont no wat to do. i have small savings", pages)
    assert reading.kind == "finder" and reading.values["stage"] == "idea", reading
