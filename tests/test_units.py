"""Fast unit tests: no model, no index."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer import QUANTITY_QUESTION, Lexicon, regions_named
from assistant.ask import AskError, check_question
from assistant.chunk import plain, sentence_spans
from assistant.config import Settings
from assistant.load import DocumentLoadError, load_corpus, load_document
from assistant.normalise import normalise_query

GOOD = """---
title: "Testboek"
organisation: "Testorganisatie"
region: Rotterdam
sector: [PO]
source: "test.txt"
---
# Testboek

## 1 Melden

De school meldt na 16 uur in 4 weken.
"""


def test_settings_read_prefixed_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("ASSISTANT_TOP_K", "7")
    s = Settings(_env_file=None)
    assert s.data_dir == (tmp_path / "d").resolve()
    assert s.top_k == 7
    assert s.host == "127.0.0.1"
    assert s.chroma_dir.parent == s.data_dir and s.index_dir.parent == s.data_dir


def test_two_data_dirs_share_nothing(tmp_path):
    a, b = Settings(_env_file=None, data_dir=tmp_path / "a"), Settings(_env_file=None, data_dir=tmp_path / "b")
    for attr in ("chroma_dir", "index_dir", "feedback_file", "default_model_dir"):
        assert getattr(a, attr) != getattr(b, attr)


def test_load_keeps_going_past_a_bad_document(tmp_path):
    (tmp_path / "goed.md").write_text(GOOD)
    # A region must be one plain name (documents may bring new regions, not lists of them).
    (tmp_path / "kapot.md").write_text(GOOD.replace("region: Rotterdam", "region: [Rotterdam, Utrecht]"))
    (tmp_path / "leeg.md").write_text(GOOD.split("# Testboek")[0])
    result = load_corpus(tmp_path)
    assert [d.id_ for d in result.documents] == ["goed"]
    messages = sorted(str(f) for f in result.failures)
    assert "not a plain name" in messages[0] and "has no text" in messages[1]


def test_document_metadata_is_flat_and_excluded_from_embedding(tmp_path):
    path = tmp_path / "goed.md"
    path.write_text(GOOD)
    doc = load_document(path)
    assert doc.metadata["region"] == "Rotterdam" and doc.metadata["sector"] == "PO"
    assert doc.metadata["heading"] == "Testboek"
    assert "organisation" in doc.excluded_embed_metadata_keys
    assert "region" not in doc.excluded_embed_metadata_keys
    with pytest.raises(DocumentLoadError):
        path.write_text(GOOD.replace('title: "Testboek"\n', ""))
        load_document(path)


def test_the_real_corpus_loads_without_failures():
    result = load_corpus(Path(__file__).resolve().parent.parent / "corpus")
    assert len(result.documents) == 5 and not result.failures
    assert {d.metadata["region"] for d in result.documents} == {
        "Utrecht", "Rotterdam", "Drechtsteden", "Landelijk"
    }


def test_sentence_spans_keep_abbreviations_and_skip_headings():
    text = "## Kop\nDe school meldt bijv. het verzuim na 16 uur in 4 weken. Daarna volgt o.a. een gesprek.\n- **School:** Meldt het verzuim.\n"
    quotes = [text[s.start : s.end] for s in sentence_spans(text)]
    assert quotes == [
        "De school meldt bijv. het verzuim na 16 uur in 4 weken.",
        "Daarna volgt o.a. een gesprek.",
        "**School:** Meldt het verzuim.",
    ]
    assert plain(quotes[2]) == "School: Meldt het verzuim."


def test_abbreviations_are_expanded_only_in_capitals():
    assert "ontwikkelingsperspectiefplan" in normalise_query("Wie schrijft het OPP?")
    assert "intern begeleider" in normalise_query("wat doet de IB-er")
    assert normalise_query("is dat zo?") == "is dat zo?"


def test_question_checks_give_english_and_dutch_messages():
    settings = Settings(_env_file=None)
    assert check_question("  Wanneer\tmeld ik?\x00 ", settings) == "Wanneer meld ik?"
    for bad, code in [("", "empty"), ("  ?! ", "empty"), ("a" * 2001, "too_long")]:
        with pytest.raises(AskError) as info:
            check_question(bad, settings)
        assert info.value.code == code and info.value.dutch and info.value.english


def test_quantity_questions_and_region_mentions():
    assert QUANTITY_QUESTION.search("Hoe lang duurt een brugplaatsing?")
    assert QUANTITY_QUESTION.search("wanneer meld ik")
    assert not QUANTITY_QUESTION.search("Wie heeft de regie?")
    assert regions_named("Geldt dat in Dordrecht en in Rotterdam?") == ["Drechtsteden", "Rotterdam"]
    # Regions of ingested documents are recognised by their own name, in order of mention.
    regions = ["Utrecht", "Rotterdam", "Drechtsteden", "Landelijk", "Groningen", "Zuid-Holland Zuid"]
    assert regions_named("Is het in Groningen anders dan in Utrecht?", regions) == ["Groningen", "Utrecht"]
    assert regions_named("En in zuid-holland zuid?", regions) == ["Zuid-Holland Zuid"]
    assert regions_named("En in Groningen?") == []


def test_a_place_is_other_unless_it_is_a_region_of_the_index():
    question = "Wanneer meldt de school verzuim in Groningen?"
    assert Lexicon().question_terms(question).places == {"groningen"}
    assert Lexicon(regions=["Utrecht", "Groningen"]).question_terms(question).places == set()


def test_lexicon_stems_dutch_and_drops_question_words():
    stems = Lexicon().stems("Wanneer moet ik het verzuim melden bij leerplicht?")
    assert "wanner" not in stems and "wanneer" not in stems
    assert {"verzuim", "meld", "leerplicht"} <= stems
