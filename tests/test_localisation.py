"""The four languages at the action server's edge: the turn's language, the English gloss the
conversation code reads, and the bot's wording from the message catalogue
(actions/messages.yaml)."""

from __future__ import annotations

import re

import pytest
import yaml

from actions import gloss, localisation
from actions.localisation import (
    CATALOGUE,
    LANGUAGES,
    Catalogue,
    localise,
    prepare,
    say,
    turn_language,
)


def test_every_catalogue_entry_has_all_four_languages_and_the_same_names():
    entries = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["messages"]
    assert len(entries) > 50
    english = [e["en"] for e in entries]
    assert len(english) == len(set(english)), "an English text is in the catalogue twice"
    for entry in entries:
        names = set(re.findall(r"\{(\w+)\}", entry["en"]))
        for lang in LANGUAGES:
            assert entry.get(lang), f"{entry['en']!r} has no {lang} text"
            assert set(re.findall(r"\{(\w+)\}", entry[lang])) == names, f"{entry['en']!r} in {lang}"


def test_the_bots_own_texts_are_in_the_catalogue():
    from actions import answering, conversation, finder_questions, trainer_replies

    book = localisation.catalogue()
    for text in (
        answering.SCOPE,
        answering.UNCLEAR,
        finder_questions.INTRO,
        finder_questions.WHY_ASKING,
        finder_questions.RESTART_HINT,
        trainer_replies.PLACE_QUESTION,
        trainer_replies.NEED_A_PLACE,
        conversation.ENGLISH_ONLY,
        *conversation.REPLIES.values(),
        *(b["title"] for b in answering.FOLLOW_UPS),
        *finder_questions.STAGE_LABELS.values(),
        *finder_questions.NEED_LABELS.values(),
        *finder_questions.GROUP_LABELS.values(),
        *finder_questions.SECTOR_LABELS.values(),
    ):
        assert text in book.exact, text
    for line in answering.HELP.split("\n"):
        assert line in book.exact, line


@pytest.mark.parametrize(
    ("text", "remembered", "hint", "expected"),
    [
        ("Bonjour, je veux créer une petite entreprise de couture à Dakar", None, None, "fr"),
        ("¿Cuánto cuesta el curso?", "en", None, "es"),
        ("quanto custa o curso?", None, None, "pt"),
        ("How much does SYB cost?", "fr", None, "en"),
        ("ok", "fr", None, "fr"),  # tells no language: the conversation's
        ("Kampala", None, "pt-BR", "pt"),  # nothing known yet: the channel's hint
        ("SYB?", None, None, "en"),
        ("/find_trainer", "es", None, "es"),  # a button payload
        ("Tell me more", "es", None, "es"),  # a button's English text sent back
        ("in Spanish please", "fr", None, "es"),  # asked for
        ("en français s'il vous plaît", "en", None, "fr"),
    ],
)
def test_the_language_of_a_turn(text, remembered, hint, expected):
    assert turn_language(text, remembered, hint) == expected


def test_only_a_language_request():
    assert localisation.only_asks_for_language("en español por favor")
    assert localisation.only_asks_for_language("can you speak French?")
    assert not localisation.only_asks_for_language("combien coûte la formation en français ?")


@pytest.mark.parametrize(
    ("lang", "text", "wanted"),
    [
        ("fr", "combien ça coûte ?", r"how much does it cost"),
        ("fr", "Combien de temps dure la formation ?", r"how long"),
        ("fr", "je cherche un formateur à Dakar", r"find a trainer in Dakar"),
        ("fr", "je cherche un formateur a dakar", r"trainer in dakar"),
        ("fr", "c'est quoi GERME ?", r"what is GERME"),
        ("es", "buscar un capacitador en Bogotá", r"find a trainer in Bogotá"),
        ("es", "todavía no he empezado, tengo una idea", r"not started yet.*i have an idea"),
        ("es", "¿mi hermana puede participar?", r"sister can join"),
        (
            "pt",
            "Tenho uma loja em São Paulo e quero crescer",
            r"i run a business in São Paulo and i want grow",
        ),
        ("pt", "obrigado", r"^thanks$"),
    ],
)
def test_the_english_gloss_keeps_what_the_readers_look_for(lang, text, wanted):
    assert re.search(wanted, gloss.to_english(text, lang)), gloss.to_english(text, lang)


def test_english_is_not_glossed():
    assert gloss.to_english("Combien? I sell in Dakar", "en") == "Combien? I sell in Dakar"


def test_messages_and_buttons_are_localised_line_by_line():
    responses = [
        {"text": "Which city or town are you in? You can also share your location.", "buttons": []},
        {
            "text": "Here are the SIYB trainers nearest Dakar, Senegal:\n\n1. Awa Diop\n"
            "Teaches SIYB · Dakar, Senegal · 2 km",
            "buttons": [
                {"title": "Show more trainers", "payload": "/more_trainers"},
                {"title": "Find a trainer for WED", "payload": "/find_trainer"},
            ],
        },
        {"text": "A passage from knowledge/ that stays as it is."},
    ]
    localise(responses, "fr")
    assert (
        responses[0]["text"]
        == "Dans quelle ville êtes-vous ? Vous pouvez aussi partager votre position."
    )
    lines = responses[1]["text"].split("\n")
    assert lines[0] == "Voici les formateurs SIYB les plus proches de Dakar, Senegal :"
    assert lines[2] == "1. Awa Diop" and lines[3].startswith("Enseigne SIYB · Dakar, Senegal")
    assert [b["title"] for b in responses[1]["buttons"]] == [
        "Voir plus de formateurs",
        "Trouver un formateur WED",
    ]
    assert [b["payload"] for b in responses[1]["buttons"]] == ["/more_trainers", "/find_trainer"]
    assert responses[2]["text"] == "A passage from knowledge/ that stays as it is."
    assert localise([{"text": "Show more trainers"}], "en") == [{"text": "Show more trainers"}]


def test_templates_prefer_the_most_specific_entry(tmp_path):
    path = tmp_path / "messages.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "messages": [
                    {"en": "{x} trainers", "fr": "formateurs {x}", "es": "-", "pt": "-"},
                    {
                        "en": "More {x} near {y}:",
                        "fr": "D'autres {x} près de {y} :",
                        "es": "-",
                        "pt": "-",
                    },
                    {"en": "trainers", "fr": "formateurs", "es": "-", "pt": "-"},
                ]
            }
        ),
        encoding="utf-8",
    )
    book = Catalogue.load(path)
    assert (
        book.text("More SCORE trainers near Lima, Peru:", "fr")
        == "D'autres formateurs SCORE près de Lima, Peru :"
    )
    assert book.text("More trainers near Lima:", "fr") == "D'autres formateurs près de Lima :"


def test_say_and_an_unknown_language():
    assert say("Skip", "es") == "Saltar"
    assert say("Skip", "de") == "Skip"


def test_prepare_gives_the_action_an_english_reading_and_the_language_slot():
    call = {
        "tracker": {
            "slots": {"language": "en"},
            "latest_message": {"text": "combien ça coûte ?"},
            "events": [
                {"event": "user", "text": "combien ça coûte ?", "metadata": {"language": "en"}}
            ],
        }
    }
    assert prepare(call) == "fr"
    message = call["tracker"]["latest_message"]
    assert message == {"text": "how much does it cost ?", "original_text": "combien ça coûte ?"}
    assert call["tracker"]["slots"]["language"] == "fr"
    assert (
        prepare(call) == "fr" and message["text"] == "how much does it cost ?"
    )  # a second action of the turn
    english = {
        "tracker": {
            "slots": {},
            "latest_message": {"text": "Kampala"},
            "events": [{"event": "user", "text": "Kampala", "metadata": {"language": "fr"}}],
        }
    }
    assert prepare(english) == "fr"  # the widget's data-lang, nothing else known
    assert english["tracker"]["latest_message"]["text"] == "Kampala"


def test_finish_localises_the_actions_answer():
    result = {
        "events": [],
        "responses": [{"text": "Skip", "buttons": [{"title": "Skip", "payload": "/skip"}]}],
    }
    assert localisation.finish(result, "pt")["responses"] == [
        {"text": "Saltar", "buttons": [{"title": "Saltar", "payload": "/skip"}]}
    ]
    assert localisation.finish(None, "pt") is None


def test_finish_reads_rasa_sdks_run_result():
    from rasa_sdk.executor import ActionExecutorRunResult

    result = ActionExecutorRunResult(events=[], responses=[{"text": "Skip", "buttons": []}])
    assert localisation.finish(result, "fr").responses == [{"text": "Passer", "buttons": []}]


def test_localising_never_changes_the_actions_shared_buttons():
    from actions.answering import FOLLOW_UPS

    before = [dict(b) for b in FOLLOW_UPS]
    localise([{"text": "x", "buttons": list(FOLLOW_UPS)}], "fr")
    assert before == FOLLOW_UPS


def test_a_typed_translated_button_label_reads_as_its_english_line():
    call = {
        "tracker": {
            "slots": {"language": "es"},
            "latest_message": {"text": "agricultura y alimentos"},
            "events": [],
        }
    }
    assert prepare(call) == "es"
    assert call["tracker"]["latest_message"]["text"] == "Farming & food"


def test_a_recommendation_for_a_french_user_describes_the_programme_from_its_french_page():
    from pathlib import Path

    from actions import recommending
    from index.chunking import chunk_document
    from index.knowledge import load_knowledge

    knowledge = load_knowledge(Path("knowledge"))
    pages = knowledge.programmes
    assert any(d.doc_id == "fr/siyb" for d in knowledge.documents), "knowledge/fr/siyb.md exists"

    def passages(doc_id: str) -> list:  # as Searcher.passages: the document's chunks in order
        return [c for d in knowledge.documents if d.doc_id == doc_id for c in chunk_document(d)]

    intro = recommending.translated_intro(passages, "fr", "siyb", "gyb")
    assert intro and intro.startswith("GYB"), intro
    assert recommending.translated_intro(passages, "fr", "no-such-programme", None) is None
    values = {"stage": "idea", "need": "idea", "group": None, "sector": None}
    def french(pid: str, pkg: str | None) -> str | None:
        return recommending.translated_intro(passages, "fr", pid, pkg)

    replies = recommending.compose([recommending.Choice("siyb", "gyb")], values, pages, french)
    text = say(replies[1].text, "fr")
    assert intro in text and "Pourquoi il vous convient" in text, text
    assert "Comment participer" in text, text
    assert "What you get" not in text


def test_a_word_or_two_never_switches_the_conversations_language():
    assert turn_language("merci beaucoup", "en") == "en"
    assert turn_language("merci beaucoup", None) == "fr"
    assert turn_language("combien ça coûte ?", "en") == "fr"
    assert turn_language("who pays for it", None) == "en"


def test_a_place_name_never_switches_the_language_but_a_sentence_does():
    assert turn_language("dar es salam", "en") == "en"  # three words, none of them Spanish words
    assert turn_language("dar es salam trainer for SCORE pls", None) == "en"
    assert turn_language("cuánto cuesta el curso", "en") == "es"


def test_a_greeting_before_a_question_is_left_out_of_the_search():
    from actions.conversation import without_greeting

    assert without_greeting("hola, we are 30 coffee farmers") == "we are 30 coffee farmers"
    assert without_greeting("Bonjour, je veux créer") == "je veux créer"
    assert without_greeting("hi there, how much is SYB?") == "how much is SYB?"
    assert without_greeting("hello") == "hello"
