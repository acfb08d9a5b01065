"""Reading, validating and chunking the knowledge folder (no model needed)."""

from __future__ import annotations

from pathlib import Path

from index.chunking import MAX_CHARS, chunk_document
from index.knowledge import load_knowledge
from tests.knowledge_fixtures import write_small_knowledge


def test_load_small_folder(tmp_path: Path) -> None:
    knowledge = load_knowledge(write_small_knowledge(tmp_path))
    assert not knowledge.errors
    assert sorted(knowledge.programmes) == ["formalization", "siyb"]
    guide = next(d for d in knowledge.documents if d.doc_id == "guides/record-keeping")
    assert guide.programme == "siyb" and guide.language == "en" and guide.source_url is None


def test_repository_knowledge_is_valid() -> None:
    knowledge = load_knowledge(Path(__file__).parent.parent / "knowledge")
    assert not knowledge.errors, [str(e) for e in knowledge.errors]
    assert len(knowledge.programmes) == 11
    assert len([d for d in knowledge.documents if not d.is_programme]) >= 20


def _errors_for(tmp_path: Path, name: str, text: str) -> list[str]:
    root = write_small_knowledge(tmp_path)
    (root / "guides" / name).write_text(text, encoding="utf-8")
    return [str(e) for e in load_knowledge(root).errors]


def test_bad_front_matter_names_file_line_and_fix(tmp_path: Path) -> None:
    errors = _errors_for(tmp_path, "bad.md", "---\ntitle: Broken\nprogramme: siyb\nsummary: [unclosed\n---\n\nBody\n")
    assert len(errors) == 1
    assert "bad.md:" in errors[0] and "not valid YAML" in errors[0] and "Fix:" in errors[0]


def test_unknown_programme_id_points_at_its_line(tmp_path: Path) -> None:
    errors = _errors_for(tmp_path, "x.md", "---\ntitle: X\nprogramme: siyb-plus\n---\n\nBody text\n")
    assert errors == [f"{tmp_path}/guides/x.md:3: unknown programme id 'siyb-plus'. Fix: use one of: "
                      "siyb, wed, sme-resilience, productivity-ecosystems, score, formalization, greening, sci, "
                      "value-chains, aims, eese"]


def test_empty_body_and_missing_front_matter(tmp_path: Path) -> None:
    assert any("no text after the front matter" in e and "empty.md:5" in e
               for e in _errors_for(tmp_path, "empty.md", "---\ntitle: E\nprogramme: siyb\n---\n\n"))
    assert any("does not start with front matter" in e for e in _errors_for(tmp_path, "plain.md", "Just text\n"))


def test_duplicate_programme_id(tmp_path: Path) -> None:
    root = write_small_knowledge(tmp_path)
    (root / "programmes" / "siyb-copy.md").write_text((root / "programmes" / "siyb.md").read_text())
    errors = [str(e) for e in load_knowledge(root).errors]
    assert any("duplicate programme id 'siyb'" in e and "siyb.md" in e for e in errors)


def test_chunks_follow_sections_and_stay_short(tmp_path: Path) -> None:
    root = write_small_knowledge(tmp_path)
    long_body = "\n\n".join(f"Paragraph {i}. " + "word " * 60 for i in range(10))
    (root / "guides" / "long.md").write_text("---\ntitle: Long\nprogramme: siyb\n---\nIntro "
                                             f"line.\n\n## Big\n\n{long_body}\n")
    doc = next(d for d in load_knowledge(root).documents if d.doc_id == "guides/long")
    chunks = chunk_document(doc)
    assert chunks[0].section == "Overview" and chunks[0].text == "Intro line."
    assert all(c.section == "Big" for c in chunks[1:]) and len(chunks) > 3
    assert all(len(c.text) <= MAX_CHARS for c in chunks)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
