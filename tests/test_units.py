"""Fast unit tests: no model, no index."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer import QUANTITY_QUESTION, ExtractiveAnswerer, Lexicon, _repeats, quote_blocks, regions_named
from assistant.ask import AskError, check_question
from assistant.chunk import plain, sentence_spans
from assistant.cite import compose
from assistant.config import Settings
from assistant.index import SentenceRecord
from assistant.lexicon import plausible_typo
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


def test_a_step_label_is_quoted_with_its_step():
    text = "- **5.** Leerling en ouders gaan in gesprek. Zij maken een plan.\n- **6.** Zij evalueren de afgelopen weken.\n"
    quotes = [text[s.start : s.end] for s in sentence_spans(text)]
    assert quotes == [
        "**5.** Leerling en ouders gaan in gesprek.",
        "Zij maken een plan.",
        "**6.** Zij evalueren de afgelopen weken.",
    ]


def test_chunks_are_cut_between_lines_never_inside_a_step_label():
    """The Utrecht routekaart's steps, chunked small by the real chunking steps:
    llama-index's default sentence step read "**5." as a sentence end, and a chunk
    then ended in "- **5." (the next began with "** Leerling ...")."""
    from llama_index.core import Document

    from assistant.chunk import chunking_transformations, split_sentences

    steps = "\n".join(
        f"- **{i}.** Leerling en ouders bespreken met school en kernpartners stap {i} van het plan. Zij maken afspraken."
        for i in range(1, 9)
    )
    body = "# Routekaart\n\n" + steps + "\n"
    assert "".join(split_sentences(steps)) == steps
    nodes = [Document(text=body, id_="doc", metadata={"title": "Routekaart"})]
    for step in chunking_transformations(str.split, 40, 0):
        nodes = step(nodes)
    assert len(nodes) > 2
    whole = set(steps.split("\n"))
    parts = {part for line in whole for part in (line.rsplit(" Zij", 1)[0], "Zij maken afspraken.")}
    for node in nodes:
        for line in node.get_content().strip().split("\n"):
            # A whole step, or one cut between its two sentences.
            assert not line or line.startswith("#") or line in whole | parts, line


def test_a_paragraph_that_introduces_a_list_stays_in_the_chunk_of_its_list():
    """The Utrecht aanpak: "... op drie hoofdpunten:" ended one chunk and the three
    points began the next, so no quote could say what the points were."""
    from llama_index.core import Document

    from assistant.chunk import chunking_transformations, paragraphs_with_their_lists

    prose = " ".join(f"Zin {i} over de aanpak van thuiszitten in de stad." for i in range(5))  # 50 words
    intro = "Vanuit dat urgentiebesef intensiveren we onze aanpak op drie hoofdpunten:"
    points = "1. Relatie: investeren.\n2. Registratie: signaleren.\n3. Regie: tempo houden."
    text = f"{prose}\n\n{prose[:-50]} {intro}\n\n{points}\n\nSlot."
    assert "".join(paragraphs_with_their_lists(text)) == text
    nodes = [Document(text=f"# Aanpak\n\n{text}\n", id_="doc", metadata={"title": "Aanpak"})]
    # Both paragraphs fit in one chunk of 110 words, the list no longer: a plain
    # paragraph step cuts between the introduction and its list.
    for step in chunking_transformations(str.split, 110, 0):
        nodes = step(nodes)
    assert len(nodes) > 1
    holding = [n.get_content() for n in nodes if intro in n.get_content()]
    assert holding and all("3. Regie" in content for content in holding)


def test_a_chunk_that_starts_inside_a_list_carries_its_introduction():
    """The Drechtsteden brugplaats route: a nested list of options was cut after its
    introducing item, so "1. Verlenging brugplek" began a chunk without saying that
    it is an option, and without its indent."""
    from llama_index.core import Document

    from assistant.answer import quote_blocks
    from assistant.chunk import chunking_transformations

    steps = "\n".join(f"{i}. Stap {i} van de route naar de brugplaats wordt door de school gezet." for i in range(1, 4))
    options = "\n".join(f"      {i}. Optie {i} voor de leerling" for i in range(1, 6))
    body = f"# Route\n\n{steps}\n8. De casemanager arrangeert een adviesgesprek.\n    - Mogelijke opties:\n{options}\n9. Slot.\n"
    nodes = [Document(text=body, id_="doc", metadata={"title": "Route"})]
    for step in chunking_transformations(str.split, 60, 0):  # cut after "1. Optie 1"
        nodes = step(nodes)
    later = [n.get_content() for n in nodes if "Optie 5" in n.get_content() and "Stap 1 " not in n.get_content()]
    assert later, [n.get_content() for n in nodes]
    text = later[0]
    assert text.startswith("    - Mogelijke opties:\n      ")  # carried, with the indents kept
    start = text.index("Optie 5")
    record = _record(text, text[start : text.index("\n", start)])
    assert [text[a:b] for a, b in quote_blocks(text, record)][0] == "Mogelijke opties:"


def test_the_list_introduction_is_carried_in_the_cases_a_review_found():
    from llama_index.core.schema import TextNode

    from assistant.chunk import ListIntroCarry

    def carry(*texts: str, ids=None) -> list[str]:
        nodes = [TextNode(text=t, id_=(ids or [f"doc#1.{i}" for i in range(len(texts))])[i]) for i, t in enumerate(texts)]
        return [n.get_content() for n in ListIntroCarry()(nodes)]

    # The chunk ends on the introduction itself; only its last sentence is carried.
    out = carry("Lange tekst. De school kiest uit de volgende opties:", "- Optie 1", "- Optie 2")
    assert out[1] == "De school kiest uit de volgende opties:\n- Optie 1"
    assert out[2] == "De school kiest uit de volgende opties:\n- Optie 2"
    # A nested list ends, the outer one goes on.
    out = carry("Opties:\n- A:\n  - a1\n  - a2\n- B", "- C")
    assert out[1] == "Opties:\n- C"
    # The same heading path twice in one document is two sections.
    out = carry("Kies uit:\n- een", "- twee", ids=["doc#1.0", "doc#2.0"])
    assert out[1] == "- twee"
    # An item introduces its own items without a colon too; a sentence does not.
    out = carry("15. Route.\n    - Andere opties zijn\n      - Op school", "      - Op het KDC")
    assert out[1] == "    - Andere opties zijn\n      - Op het KDC"
    out = carry("15. Route.\n    - Dit is klaar.\n      - Op school", "      - Op het KDC")
    assert out[1] == "      - Op het KDC"


def test_the_introduction_carried_is_the_one_open_where_the_chunk_starts():
    """With overlap a chunk starts before the previous one's end: what is open at that end
    ("Doelen:") is not what introduces the chunk's first item ("de mentor" is a Deelnemer)."""
    body = ("1. Signaleren door de school.\n2. Actietafel met:\n  - Deelnemers:\n    - de leerling zelf\n"
            "    - de ouders van de leerling\n    - de mentor van school\n  - Doelen:\n    - zicht op de wensen\n"
            "    - afspraken maken\n3. Slot van de route.")
    chunks = _chunked(body, 20, 8)
    starting = [n.get_content() for n in chunks.values() if "\n    - de mentor van school" in n.get_content()
                and "de ouders" not in n.get_content()]
    assert starting and all(t.startswith("2. Actietafel met:\n  - Deelnemers:\n    - de mentor") for t in starting)
    shown, part = _quoted(chunks, "de mentor van school", next(i for i, n in chunks.items()
                                                             if n.get_content() == starting[0]))
    assert [p for _, parts in shown for p in parts] == [
        "Deelnemers:", "de leerling zelf", "de ouders van de leerling", "de mentor van school"] and not part


def test_a_numbered_list_item_is_the_step_of_its_number():
    from assistant.answer import _step_name

    text = "Het plan:\n- **5.** Zij gaan in gesprek. Dan volgt een plan.\n1. De school belt.\n- Geen nummer.\n"
    assert _step_name(text, text.index("Zij gaan")) == " stap 5"
    assert _step_name(text, text.index("Dan volgt")) == " stap 5"
    assert _step_name(text, text.index("De school")) == " stap 1"
    assert _step_name(text, text.index("Geen")) == ""
    assert _step_name(text, text.index("Het plan")) == ""


def test_a_comparison_is_searched_without_the_region_names():
    from assistant.answer import without_regions

    assert without_regions("Bij wie kun je terecht, in Rotterdam en in het Utrechtse vo?") == (
        "Bij wie kun je terecht, in en in het vo?"
    )
    # Ingested regions by their own name; "PPO" names Rotterdam; words that merely contain one stay.
    assert without_regions("Wat doen de PPO coördinatoren in Testregio?", ["Testregio"]) == "Wat doen de coördinatoren in ?"
    assert without_regions("Wat doet een Utrechter?") == "Wat doet een Utrechter?"


def test_everyday_words_are_searched_with_the_documents_terms():
    from assistant.normalise import normalise

    assert normalise("Hoe lang mag zo'n tijdelijke opvangplek duren?").phrases == ["brugplaats"]
    assert normalise("Kan hij naar een tussenplekje?").phrases == ["brugplaats"]
    assert normalise("Wat doet de schoolarts?").phrases == ["jeugdarts"]
    assert normalise("Wat doet de schoolverpleegkundige?").phrases == ["jeugdverpleegkundige"]
    assert normalise("Belt de leerplichtconsulent mij?").phrases == ["leerplichtambtenaar", "contact opnemen"]
    assert normalise("Wie moet ik als eerste bellen?").phrases == ["contact opnemen"]  # "neemt contact op met"
    assert normalise("Wat is het belang van een belangrijk gesprek?").phrases == []
    assert normalise("Is het te laat als hij na de bel binnenkomt?").phrases == ["te laat komen"]  # the bell
    assert normalise("Wat moet er in de mail naar leerplicht staan?").phrases == []
    assert normalise("Hoe vraag ik zo'n robotje aan?").phrases == ["AV1"]  # "robotje AV1"
    assert normalise("Kan een onderwijsrobot helpen?").phrases == ["AV1"]
    assert normalise("Zijn er robotica-lessen?").phrases == []
    assert normalise("Kan ik een goede school kiezen?").phrases == []  # a good school, not a passend one
    # "betrekt de school of instantie de sectordirecteur"
    assert normalise("Wie moet een school dan inschakelen?").phrases == ["betrekken"]
    assert normalise("Wie moet er in Utrecht bij gehaald worden?").phrases == ["betrekken"]
    split = normalise("Hoe haal ik de ouders erbij?")
    assert split.phrases == ["betrekken"] and "ouders" not in split.understood
    assert normalise("Hoe kan hij na ziekte de achterstand bijhalen?").phrases == ["ziekteverzuim"]  # catching up
    good = normalise("En als er nog steeds geen goed aanbod is?")
    assert good.phrases == ["passend"] and "goed" in good.understood and "aanbod" not in good.understood
    assert normalise("Wanneer meld ik laatkomers?").phrases == ["te laat komen"]
    assert normalise("Ze ligt in het ziekenhuis.").phrases == ["ziekteverzuim"]
    assert normalise("Welke vragen loop je na het gesprek na?").phrases == []  # "na" twice is no "nalopen"
    assert normalise("Welke vragen moet je aan het eind nalopen?").phrases == ["checklist"]
    # Naming the term itself, the words that restate it are still no second topic.
    named = normalise("Welke punten moet ik volgens de checklist nalopen?")
    assert named.phrases == [] and "nalopen" in named.understood
    # Everyday idiom for a stuck process and for going higher up; not a pupil stuck at home.
    stuck = normalise("Het traject zit muurvast. Bij wie kan ik aankloppen om het hoger op te pakken?")
    assert stuck.phrases == ["vastlopen", "opschalen"] and {"muurvast", "aankloppen", "hoger"} <= stuck.understood
    assert "vastlopen" not in normalise("Hij zit thuis vast.").phrases
    assert normalise("Wanneer schiet de leerling op met lezen?").phrases == []
    # Keeping an eye on how it goes is monitoren; the words keep counting (a document writes them).
    eye = normalise("Wie houdt in de gaten hoe het met de leerlingen gaat?")
    assert eye.phrases == ["monitoren"] and "gaten" not in eye.understood
    assert normalise("Wie moet dat in de gaten houden?").phrases == ["monitoren"]
    assert normalise("De school heeft in de gaten dat het niet goed gaat.").phrases == []
    assert normalise("Welke houding neemt de school aan als ouders in de gaten hebben dat het misgaat?").phrases == []
    assert normalise("Ik houd van mijn werk, maar ouders hebben in de gaten dat het misgaat.").phrases == []
    # The term as a word of the question, not inside another ("casusregie" names no "regie").
    assert normalise("Wie trekt de kar bij casusregie?").phrases == ["regie"]
    assert normalise("Wie trekt de kar bij een thuiszitter?").phrases == ["regie"]
    assert normalise("Wie is eindverantwoordelijk?").phrases == ["regie"]
    assert normalise("Hoe lang duurt een brugplaats?").phrases == []  # already the documents' word
    # A holiday in school time is luxe verzuim; a school holiday itself is not.
    assert normalise("Ze gaan een week voor de kerstvakantie op wintersport.").phrases == ["vakantie luxe verzuim"]
    assert normalise("Mag een kind eerder met vakantie?").phrases == ["vakantie luxe verzuim"]
    assert normalise("Wanneer begint de zomervakantie?").phrases == []
    assert normalise("Kan hij na de zomervakantie naar het vso?").phrases == []
    assert normalise("Wie mag een plek voor hem afdwingen?").phrases == ["doorzettingsmacht"]
    # Staying away is verzuim; only "zonder geldige reden" makes it ongeoorloofd.
    assert normalise("Wat als hij voor een begrafenis wegblijft?").phrases == ["verzuim"]


def test_words_a_phrase_restates_count_through_the_phrase():
    from assistant.normalise import normalise

    question = normalise("Hoe heet het als een kind een maand aan één stuk zonder geldige reden verzuimt?")
    assert question.phrases == ["aaneengesloten", "ongeoorloofd verzuim"]
    assert {"stuk", "reden", "geldige"} <= question.understood
    lexicon = Lexicon()
    lexicon.df = {"kind": 40, "maand": 9, "red": 7, "aaneengeslot": 2, "ongeoorloofd": 5, "verzuim": 80, "verzuimt": 2}
    text = f"{question.text} ({'; '.join(question.phrases)})"
    terms = lexicon.question_terms(text, understood=question.understood)
    assert terms.terms == {"kind", "maand", "aaneengeslot", "ongeoorloofd", "verzuim", "verzuimt"} and not terms.oov
    assert "red" in lexicon.question_terms(text).terms and lexicon.question_terms(text).oov
    # A word the phrase builds on still counts on its own ("thuiszitten" -> "thuiszitter"), and
    # the words of a phrase that does not restate them ("meld ... bij leerplicht") as well.
    assert not normalise("Het thuiszitten duurt lang.").understood
    assert not normalise("Ze komt te laat.").understood
    assert not normalise("Wanneer meld ik langdurig ziekteverzuim bij leerplicht?").understood


def test_abbreviations_are_expanded_only_in_capitals():
    assert "ontwikkelingsperspectiefplan" in normalise_query("Wie schrijft het OPP?")
    assert "intern begeleider" in normalise_query("wat doet de IB-er")
    assert normalise_query("is dat zo?") == "is dat zo?"
    # The documents' own gloss: "Actietafel: Groot overleg (GO)".
    assert "actietafel" in normalise_query("Binnen hoeveel tijd moet het grote overleg met ouders er zijn?")


def test_a_spelled_out_form_is_also_met_by_its_abbreviation():
    from assistant.normalise import normalise

    question = normalise("Hoe lang duurt een plek op het speciaal basisonderwijs?")
    assert question.spelled == {"SBO": "speciaal basisonderwijs"} and "(SBO)" in question.query
    assert normalise("Wat doet de intern begeleider?").spelled == {"IB": "intern begeleider"}  # one abbreviation
    assert normalise("Wat doet de IB?").spelled == {}  # already abbreviated (and spelled out for the search)
    assert normalise("Naar het voortgezet speciaal onderwijs?").spelled == {"VSO": "voortgezet speciaal onderwijs"}
    assert normalise("Wanneer meld ik bij leerplicht?").spelled == {}  # the documents never write "LP"
    lexicon = Lexicon()
    lexicon.df = {"speciaal": 9, "basisonderwijs": 7, "sbo": 12, "plek": 5, "dur": 4}
    terms = lexicon.question_terms(question.text, spelled_out=question.spelled)
    assert terms.met("speciaal", {"sbo"}) and terms.met("basisonderwijs", {"sbo"})
    assert not lexicon.question_terms(question.text).met("speciaal", {"sbo"})
    assert not terms.met("plek", {"sbo"})


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
    # The Drechtsteden towns the routeboek names are the Drechtsteden, not a topic word.
    assert regions_named("Een kind op onze basisschool in Zwijndrecht blijft weg.") == ["Drechtsteden"]
    assert regions_named("Wanneer meldt een school in Alblasserdam verzuim?") == ["Drechtsteden"]
    assert "zwijndrecht" not in Lexicon().question_terms("Een kind in Zwijndrecht blijft weg.").terms
    # "PPO" (Passend Primair Onderwijs Rotterdam) names the region, like "Rotterdamse".
    assert regions_named("Wie heeft bij PPO de regie over een thuiszitter?") == ["Rotterdam"]
    # Regions of ingested documents are recognised by their own name, in order of mention.
    regions = ["Utrecht", "Rotterdam", "Drechtsteden", "Landelijk", "Groningen", "Zuid-Holland Zuid"]
    assert regions_named("Is het in Groningen anders dan in Utrecht?", regions) == ["Groningen", "Utrecht"]
    assert regions_named("En in zuid-holland zuid?", regions) == ["Zuid-Holland Zuid"]
    assert regions_named("En in Groningen?") == []
    # Asking for every region compares them all, the named ones first.
    assert regions_named("Geldt dat ook voor een kind van vier? Graag per regio.", regions) == regions
    assert regions_named("Hoe is dat in alle regio's, vooral Groningen?", regions) == [
        "Groningen", "Utrecht", "Rotterdam", "Drechtsteden", "Landelijk", "Zuid-Holland Zuid"
    ]
    assert regions_named("Wat doet het samenwerkingsverband in de regio?", regions) == []


def test_a_place_is_other_unless_it_is_a_region_of_the_index():
    question = "Wanneer meldt de school verzuim in Groningen?"
    assert Lexicon().question_terms(question).places == {"groningen"}
    assert Lexicon(regions=["Utrecht", "Groningen"]).question_terms(question).places == set()


def test_lexicon_stems_dutch_and_drops_question_words():
    stems = Lexicon().stems("Wanneer moet ik het verzuim melden bij leerplicht?")
    assert "wanner" not in stems and "wanneer" not in stems
    assert {"verzuim", "meld", "leerplicht"} <= stems


def test_region_words_and_number_words_in_question_terms():
    terms = Lexicon().question_terms("Wat gebeurt er in Utrecht als er na acht weken nog steeds niets is?")
    assert not {"utrecht", "gebeurt", "sted", "acht"} & (terms.terms | terms.oov)
    assert Lexicon().stems("na acht weken") == Lexicon().stems("na 8 weken")
    # A separable verb split by "te" meets its joined form; modal verbs are filler.
    assert Lexicon().stems("Wie kunnen ze inschakelen?") <= Lexicon().stems("om een arts in te schakelen")
    assert Lexicon().question_terms("Wat wil je weten?").terms | Lexicon().question_terms("Wat wil je weten?").oov == set()
    # A region of an ingested document is no topic word either.
    assert "groning" not in Lexicon(regions=["Groningen"]).question_terms("Verzuim in Groningen?").terms


NESTED = """Bij twijfel wordt de directeur geraadpleegd.
9. De melding van verzuim door de IB-er vindt plaats als er sprake is van:
    - verzuim van zestien uur lestijd in een periode van vier weken.
    - negen keer te laat komen.
10. De IB-er kan leerplicht ook vragen om mee te denken:
    - Welke afspraken zijn er gemaakt?"""


def _record(text: str, sentence: str) -> SentenceRecord:
    start = text.index(sentence)
    return SentenceRecord("c", start, start + len(sentence), sentence, [])


def test_the_paragraph_opening_a_section_is_quoted_with_the_list_after_it():
    text = ("### Fase 2 Oudergesprek en opstellen plan van aanpak\n\n"
            "Je bent aanwezig bij gesprek met ouders en school.\n\n"
            "- Inventariseert wensen en behoeften ouders.\n"
            "- Bespreekt opties en consequenties.\n")
    record = _record(text, "Je bent aanwezig bij gesprek met ouders en school.")
    shown = [text[a:b] for a, b in quote_blocks(text, record, whole_list=True)]
    assert shown == ["Je bent aanwezig bij gesprek met ouders en school.",
                     "Inventariseert wensen en behoeften ouders.", "Bespreekt opties en consequenties."]
    # Only for a section the question names, and only for the paragraph that opens it.
    assert [text[a:b] for a, b in quote_blocks(text, record)] == shown[:1]
    long = text.replace("- Bespreekt", "- " + "Bespreekt opties en consequenties. " * 25 + "\n- Bespreekt")
    assert [long[a:b] for a, b in quote_blocks(long, _record(long, "Je bent aanwezig bij gesprek met ouders en school."),
                                              whole_list=True)] == shown[:1]  # longer than a quote may be
    later = text.replace("\n\nJe bent", "\n\nEerst iets anders.\n\nJe bent")
    assert [later[a:b] for a, b in quote_blocks(later, _record(later, "Je bent aanwezig bij gesprek met ouders en school."),
                                                whole_list=True)] == shown[:1]
    # An answer shows a short list of short tasks after it even when the section is not named;
    # not a list of longer steps (the procedure that follows a section's first sentence).
    assert [text[a:b] for a, b in quote_blocks(text, record, siblings=True)] == shown
    steps = text.replace("- Bespreekt opties en consequenties.", "- Bespreekt " + "opties en consequenties, " * 5 + "enz.")
    assert [steps[a:b] for a, b in quote_blocks(steps, _record(steps, "Je bent aanwezig bij gesprek met ouders en school."),
                                                siblings=True)] == shown[:1]


def test_an_item_introducing_a_nested_list_is_quoted_with_its_items():
    blocks = quote_blocks(NESTED, _record(NESTED, "De melding van verzuim door de IB-er vindt plaats als er sprake is van:"))
    parts = [NESTED[a:b] for a, b in blocks]
    assert parts == [
        "De melding van verzuim door de IB-er vindt plaats als er sprake is van:",
        "verzuim van zestien uur lestijd in een periode van vier weken.",
        "negen keer te laat komen.",
    ]


def test_an_item_introducing_a_nested_list_from_its_first_sentence_is_quoted_with_its_items():
    # The first sentence of the item was found; the item is quoted to its end, the ":" that
    # closes it introduces the items it needs (Ingrado's "Ontwerpen" point).
    text = ("- **Ontwerpen** – Ontwerp een aantal 'standaard-arrangementen' om thuiszitters in beweging te krijgen. "
            "In een ontwerp is onder meer aandacht voor:\n"
            "  - wie het initiatief neemt/de regie voert;\n"
            "  - onder welke voorwaarden de leerling geplaatst wordt.\n"
            "- **Communiceren** – Zorg voor heldere communicatie.")
    record = _record(text, "**Ontwerpen** – Ontwerp een aantal 'standaard-arrangementen' om thuiszitters in beweging te krijgen.")
    parts = [text[a:b] for a, b in quote_blocks(text, record)]
    assert parts[1:] == ["wie het initiatief neemt/de regie voert;", "onder welke voorwaarden de leerling geplaatst wordt."]
    assert parts[0].endswith("aandacht voor:")


def test_a_nested_item_is_quoted_under_the_item_that_introduces_it():
    blocks = quote_blocks(NESTED, _record(NESTED, "negen keer te laat komen."))
    assert [NESTED[a:b] for a, b in blocks] == [
        "De melding van verzuim door de IB-er vindt plaats als er sprake is van:",
        "negen keer te laat komen.",
    ]


def test_an_answer_shows_a_short_list_of_tasks_under_its_numbered_label():
    text = ("**3.4** Tussenfase wachtlijst.\n\n"
            "- Je adviseert en denkt mee over passend programma bij wachtlijst.\n"
            "- Oplossingen buiten het onderwijs zijn niet jouw verantwoordelijkheid.\n\n"
            "**3.5** Als het proces vastloopt, schaal dan op.")
    record = _record(text, "Je adviseert en denkt mee over passend programma bij wachtlijst.")
    assert [text[a:b] for a, b in quote_blocks(text, record, siblings=True)] == [
        "**3.4** Tussenfase wachtlijst.", "Je adviseert en denkt mee over passend programma bij wachtlijst.",
        "Oplossingen buiten het onderwijs zijn niet jouw verantwoordelijkheid."]
    # Scored on its own; and not a list of longer steps, nor a list under a sentence.
    assert [text[a:b] for a, b in quote_blocks(text, record)] == [record.text]
    steps = text.replace("- Oplossingen", "- " + "Oplossingen en meer, " * 6 + "zo.\n- Oplossingen")
    assert [steps[a:b] for a, b in quote_blocks(steps, _record(steps, record.text), siblings=True)] == [record.text]
    prose = text.replace("**3.4** Tussenfase wachtlijst.", "Zo werkt de school in deze fase met het kind.")
    count = text.replace("**3.4** Tussenfase wachtlijst.", "**25** leerlingen.")  # a bold count, no label
    assert [count[a:b] for a, b in quote_blocks(count, _record(count, record.text), siblings=True)] == [record.text]
    assert [prose[a:b] for a, b in quote_blocks(prose, _record(prose, record.text), siblings=True)] == [record.text]


def test_a_nested_item_is_quoted_under_the_step_it_works_out():
    text = ("7. De school van herkomst zorgt dat zij op de hoogte blijft van de vorderingen van de leerling.\n"
            "    - Wekelijks opvragen van stand van zaken door middel van mail aan de IB-er van het SBO.\n"
            "8. De casemanager arrangeert na 4 weken een tussenevaluatie.")
    blocks = quote_blocks(text, _record(text, "Wekelijks opvragen van stand van zaken"))
    assert [text[a:b] for a, b in blocks] == [
        "De school van herkomst zorgt dat zij op de hoogte blijft van de vorderingen van de leerling.",
        "Wekelijks opvragen van stand van zaken door middel van mail aan de IB-er van het SBO.",
    ]
    long = text.replace("de leerling.\n", "de leerling" + ", en meer" * 60 + ".\n")
    blocks = quote_blocks(long, _record(long, "Wekelijks opvragen van stand van zaken"))
    assert [long[a:b] for a, b in blocks] == ["Wekelijks opvragen van stand van zaken door middel van mail aan de IB-er van het SBO."]


def test_an_answer_shows_a_nested_item_with_the_rest_of_its_short_list():
    # Scored on its own line, shown with its siblings: one item of a nested list hides the rule.
    blocks = quote_blocks(NESTED, _record(NESTED, "negen keer te laat komen."), siblings=True)
    assert [NESTED[a:b] for a, b in blocks] == [
        "De melding van verzuim door de IB-er vindt plaats als er sprake is van:",
        "verzuim van zestien uur lestijd in een periode van vier weken.",
        "negen keer te laat komen.",
    ]


def test_a_long_nested_list_still_shows_only_the_item():
    items = "".join(f"    - criterium {k}: " + "lange uitleg " * 8 + "\n" for k in range(6))
    text = "1. De melding vindt plaats als er sprake is van:\n" + items + "2. Daarna belt de school."
    sentence = "criterium 3: " + ("lange uitleg " * 8).strip()
    blocks = quote_blocks(text, _record(text, sentence), siblings=True)
    assert [text[a:b].strip() for a, b in blocks] == ["De melding vindt plaats als er sprake is van:", sentence]


def test_a_nested_list_that_may_go_on_in_the_next_chunk_shows_only_the_item():
    # The chunk ends inside "Mogelijke opties:": three of its five options would look like all.
    text = "8. Mogelijke opties:\n    - Verlenging brugplek\n    - Verwijzing SO\n    - Terugplaatsing"
    blocks = quote_blocks(text, _record(text, "Verwijzing SO"), siblings=True)
    assert [text[a:b] for a, b in blocks] == ["Mogelijke opties:", "Verwijzing SO"]


def _chunked(body: str, size: int, overlap: int = 0) -> dict:
    """The chunks the real pipeline makes of a document with `body` as its one section,
    by id; words are tokens."""
    from llama_index.core import Document

    from assistant.chunk import chunking_transformations

    nodes = [Document(text=f"# Route\n\n{body}", id_="doc", metadata={"title": "Route"})]
    for step in chunking_transformations(str.split, size, overlap):
        nodes = step(nodes)
    return {n.id_: n for n in nodes}


def _quoted(chunks: dict, sentence: str, cid: str | None = None, whole_list: bool = False):
    """What an answer shows for `sentence` scored in chunk `cid` (else the last chunk that
    has it): [(chunk id, parts)], and whether that is said to be part of a list."""
    from types import SimpleNamespace

    from llama_index.core.schema import NodeWithScore

    from assistant.answer import Scored

    cid = cid or [i for i, n in chunks.items() if sentence in n.get_content()][-1]
    scored = Scored(_record(chunks[cid].get_content(), sentence), NodeWithScore(node=chunks[cid], score=1.0),
                    0, 0.9, 1.0, whole_list=whole_list)
    pieces, part = ExtractiveAnswerer(Settings(), Lexicon())._shown(scored, SimpleNamespace(chunk=chunks.get), {})
    return [(node.node_id, [node.get_content()[a:b] for a, b in ranges]) for node, ranges in pieces], part


STEPS = ("1. Signaleren van de leerling door de school.\n2. Contact met de ouders van de leerling.\n"
         "3. Actietafel met:\n  - Leerling\n  - Doelen:\n    - Zicht op de wensen\n    - Zicht op de situatie\n"
         "    - Afspraken maken\n4. Gesprek met de ouders en de school.\n5. Evaluatie van het plan.")


def test_a_section_is_put_back_together_from_its_chunks():
    from assistant.section import rebuild

    chunks = _chunked(STEPS, 22, 6)
    assert len(chunks) > 3
    assert chunks["doc#0.3"].get_content().startswith("3. Actietafel met:\n  - Doelen:\n")  # carried lines
    for node in chunks.values():
        section = rebuild(node, chunks.get)
        assert section.text == "# Route\n\n" + STEPS  # the white space the splitter strips comes back
        part = section.part(node.node_id)
        assert node.get_content()[part.carried :] == section.text[part.start : part.end]
    section = rebuild(chunks["doc#0.3"], chunks.get)
    carried = chunks["doc#0.3"].get_content().index("Doelen:")
    assert section.text[section.position("doc#0.3", carried) :].startswith("Doelen:\n    - Zicht op de wensen")
    # Chunks without their offsets, or whose overlaps do not match, are not put together.
    broken = dict(chunks)
    broken["doc#0.2"] = _chunk("doc#0.2", "iets anders")
    assert rebuild(chunks["doc#0.3"], broken.get) is None
    assert rebuild(_chunk("doc#0.0", "x"), {"doc#0.0": _chunk("doc#0.0", "x")}.get) is None


def test_a_list_its_chunks_cut_apart_is_shown_whole_from_the_chunks_that_have_it():
    """Utrecht's actietafel: the chunk that ranked starts inside "Doelen:" and carries only
    the lines introducing it; three of the four aims looked like all of them."""
    shown, part = _quoted(_chunked(STEPS, 22, 6), "Zicht op de situatie", "doc#0.3")
    assert shown == [("doc#0.2", ["Doelen:", "Zicht op de wensen", "Zicht op de situatie"]),
                     ("doc#0.3", ["Afspraken maken"])] and not part
    # In one chunk when one has it all.
    shown, part = _quoted(_chunked(STEPS, 30, 6), "Zicht op de situatie")
    assert len(shown) == 1 and shown[0][1] == ["Doelen:", "Zicht op de wensen", "Zicht op de situatie", "Afspraken maken"]
    # The item that introduces them: with all of them, at every depth.
    shown, part = _quoted(_chunked(STEPS, 30, 6), "3. Actietafel met:", "doc#0.1")
    assert [p for _, parts in shown for p in parts] == [
        "3. Actietafel met:", "Leerling", "Doelen:", "Zicht op de wensen", "Zicht op de situatie", "Afspraken maken"]


def test_items_with_the_same_text_are_told_apart_by_their_place():
    body = ("1. Vragen:\n  - Is er een plan?\n    - Ja\n    - Nee\n  - Is er hulp?\n    - Ja\n    - Nee\n"
            "2. Slot van de route voor de school.")
    chunks = _chunked(body, 16, 4)
    assert len(chunks) > 1
    shown, part = _quoted(chunks, "1. Vragen:", "doc#0.0")
    assert [p for _, parts in shown for p in parts] == [
        "1. Vragen:", "Is er een plan?", "Ja", "Nee", "Is er hulp?", "Ja", "Nee"] and not part


def test_a_nested_list_is_told_apart_from_another_with_the_same_introduction():
    body = ("4. Actietafel:\n  - Doelen:\n    - Aandacht voor de leerling\n    - Begeleiding van de ouders\n"
            "5. Evaluatie:\n  - Doelen:\n    - Wensen van de ouders\n    - Kansen van de leerling\n"
            "    - Yoga op school\n6. Slot van de route.")
    chunks = _chunked(body, 24, 0)
    shown, part = _quoted(chunks, "Kansen van de leerling")
    assert [p for _, parts in shown for p in parts] == [
        "Doelen:", "Wensen van de ouders", "Kansen van de leerling", "Yoga op school"] and not part


def test_a_whole_list_is_not_said_to_be_a_part():
    # The chunk before ends inside another list; the next one starts with a paragraph.
    body = ("3. De school belt:\n  - de ouders van de leerling\n  - de leerplichtambtenaar\n"
            "4. Actietafel met:\n  - Leerling\n  - Ouders\n\nNa de actietafel beslist het team wat er gebeurt.")
    chunks = _chunked(body, 16, 0)
    assert any(n.get_content().startswith("4. Actietafel met:") for n in chunks.values())
    for sentence in ("Ouders", "4. Actietafel met:", "de leerplichtambtenaar"):
        shown, part = _quoted(chunks, sentence)
        assert len(shown) == 1 and not part


def test_a_list_too_long_to_show_whole_is_said_to_be_a_part():
    steps = "\n".join(f"{k}. Stap {k}: " + "de school doet hier weer iets anders en schrijft het op " * 2
                      for k in range(1, 9))
    assert len(steps) > 900  # (MAX_BLOCK_CHARS)
    chunks = _chunked(steps, 80, 0)
    cid = next(i for i, n in chunks.items() if "Stap 5:" in n.get_content() and "Stap 1:" not in n.get_content())
    sentence = next(line[3:] for line in chunks[cid].get_content().split("\n") if line.startswith("5. "))
    shown, part = _quoted(chunks, sentence, cid, whole_list=True)
    assert len(shown) == 1 and len(shown[0][1]) > 1 and part  # the steps of its chunk, not all eight
    shown, part = _quoted(chunks, sentence, cid)
    assert shown[0][1] == [sentence] and not part  # one step: no list shown


def test_a_paragraph_introducing_a_list_too_long_to_show_whole_says_so():
    items = "\n".join(f"{k}. Advies {k}: " + "maak het onderwijs passend voor ieder kind " * 2 for k in range(1, 11))
    chunks = _chunked(f"Dit werd aangevuld met nieuwe adviezen in 2021:\n\n{items}\n\nSlot.", 400, 0)
    assert len(chunks) == 1
    shown, part = _quoted(chunks, "Dit werd aangevuld met nieuwe adviezen in 2021:")
    assert 1 < len(shown[0][1]) < 11 and part  # the introduction and the items that fit
    short = "\n".join(f"{k}. Advies {k}." for k in range(1, 4))
    shown, part = _quoted(_chunked(f"De adviezen:\n\n{short}\n\nSlot.", 400, 0), "De adviezen:")
    assert len(shown[0][1]) == 4 and not part


def test_carried_introductions_are_found_in_the_section():
    # A carried item without its trailing white space; a paragraph's last sentence.
    body = STEPS.replace("  - Doelen:\n", "  - Doelen:  \n")
    shown, part = _quoted(_chunked(body, 23, 6), "Zicht op de situatie", "doc#0.3")
    assert [p.strip() for _, parts in shown for p in parts] == [
        "Doelen:", "Zicht op de wensen", "Zicht op de situatie", "Afspraken maken"] and not part
    body = ("De school kijkt eerst naar de situatie. Daarna kiest het team uit deze opties:\n"
            "- verlenging van de brugplek op school\n- verwijzing naar het speciaal onderwijs\n"
            "- behandeling bij de zorgaanbieder\n- terugplaatsing in de eigen klas\n\nNa de keuze volgt een evaluatie.")
    chunks = _chunked(body, 20, 0)
    assert any(n.get_content().startswith("Daarna kiest") for n in chunks.values())  # carried
    for cid in chunks:
        if "Daarna kiest" in chunks[cid].get_content():
            shown, part = _quoted(chunks, "Daarna kiest het team uit deze opties:", cid)
            assert [p for _, parts in shown for p in parts][1:] == [
                "verlenging van de brugplek op school", "verwijzing naar het speciaal onderwijs",
                "behandeling bij de zorgaanbieder", "terugplaatsing in de eigen klas"] and not part


def test_a_list_under_a_heading_too_long_to_show_says_so_also_for_an_introducing_step():
    steps = "\n".join(f"{k}. Stap {k} waarbij de school " + "iets doet en het opschrijft in het dossier " * 3
                      + (":\n  - eerste geval\n  - tweede geval" if k == 5 else ".") for k in range(1, 10))
    chunks = _chunked(steps, 90, 0)
    cid = next(i for i, n in chunks.items() if "5. Stap 5" in n.get_content())
    line = next(x for x in chunks[cid].get_content().split("\n") if x.startswith("5. "))[3:]
    shown, part = _quoted(chunks, line, cid, whole_list=True)
    assert "eerste geval" in shown[0][1] and part


def test_a_section_too_long_to_put_together_is_quoted_from_its_chunk_as_part_of_a_list(monkeypatch):
    import assistant.section

    body = ("Eerste alinea van de route voor de school.\n\n1. Stap een van de route.\n2. Mogelijke opties:\n"
            "  - Optie A voor de leerling\n  - Optie B voor de leerling\n  - Optie C voor de leerling\n"
            "3. Slot van de route.")
    chunks = _chunked(body, 14, 0)
    shown, part = _quoted(chunks, "Optie A voor de leerling")
    assert [p for _, parts in shown for p in parts][-3:] == [
        "Optie A voor de leerling", "Optie B voor de leerling", "Optie C voor de leerling"] and not part
    monkeypatch.setattr(assistant.section, "MAX_PARTS", 3)
    shown, part = _quoted(chunks, "Optie A voor de leerling")
    assert len(shown) == 1 and part  # (its chunk alone cannot tell whether the list goes on)


def test_the_step_after_drops_only_the_introduction_the_quote_before_shows():
    from types import SimpleNamespace

    from llama_index.core.schema import NodeWithScore

    from assistant.answer import Scored

    body = ("1. Is er een plan met de ouders:\n  - Ja\n  - Nee, bel de leerplichtambtenaar\n"
            "2. Is er hulp voor de leerling:\n  - Ja\n  - Nee, bel het samenwerkingsverband\n3. Slot van de route.")
    chunks = _chunked(body, 200, 0)
    node = chunks["doc#0.0"]
    answerer, evidence, quotes = ExtractiveAnswerer(Settings(), Lexicon()), SimpleNamespace(chunk=chunks.get), []
    for sentence, new_only in (("1. Is er een plan met de ouders:", False), ("2. Is er hulp voor de leerling:", True)):
        scored = Scored(_record(node.get_content(), sentence), NodeWithScore(node=node, score=1.0), 0, 0.9, 1.0)
        answerer._add_quote(quotes, answerer._shown(scored, evidence, {}), new_only=new_only)
    assert quotes[1][0].parts == ["2. Is er hulp voor de leerling:", "Ja", "Nee, bel het samenwerkingsverband"]


def test_how_soon_puts_first_a_close_quote_that_gives_a_term():
    from llama_index.core.schema import NodeWithScore

    from assistant.answer import Scored

    body = ("Indien na 8 weken geen aanbod is, volgt opschaling.\n\n"
            "Het team komt in actie als zij niet binnen 10 weken een besluit nemen.\n\n"
            "Binnen 5 dagen actietafel\n\nDe actietafel heeft voorrang.")
    chunks = _chunked(body, 200, 0)
    node = next(iter(chunks.values()))
    sentences = ["Indien na 8 weken geen aanbod is, volgt opschaling.",
                 "Het team komt in actie als zij niet binnen 10 weken een besluit nemen.",
                 "Binnen 5 dagen actietafel", "De actietafel heeft voorrang."]
    ranked = [Scored(_record(node.get_content(), s), NodeWithScore(node=node, score=1.0), 0, 0.9, 1.0 - 0.02 * i)
              for i, s in enumerate(sentences)]
    answerer = ExtractiveAnswerer(Settings(), Lexicon())
    # "Na 8 weken" says what follows later and "niet binnen 10 weken" what follows a term that passed.
    first = answerer._prefer_answering("Hoe snel moet er een actietafel zijn?", ranked)[0]
    assert first.record.text == "Binnen 5 dagen actietafel"
    assert answerer._prefer_answering("Wat gebeurt er na de actietafel?", ranked) == ranked
    # A candidate far below the best is not put first.
    low = Scored(ranked[2].record, ranked[2].node, 0, 0.9, 0.5)
    assert answerer._prefer_answering("Hoe snel moet er een actietafel zijn?", [ranked[0], low])[0] is ranked[0]
    # "Direct" or "zo spoedig mogelijk" is a term too.
    from assistant.answer import GIVES_TERM
    assert GIVES_TERM.search("De school meldt dit direct.") and GIVES_TERM.search("zo spoedig mogelijk geplaatst")
    assert not GIVES_TERM.search("De leerling mist lessen.")
    assert not GIVES_TERM.search("Dit hoeft niet direct.") and not GIVES_TERM.search("De direct betrokkenen praten.")


def test_a_chunk_is_placed_after_the_one_before_in_its_section():
    from assistant.section import rebuild

    # The last chunk's text is also in the chunk before it: it is placed after that one's end.
    body = "Zie paragraaf 2.4. De school doet stap 0.\n\nZie paragraaf 2.4."
    chunks = _chunked(body, 17, 0)
    last = list(chunks.values())[-1]
    assert last.get_content() == "Zie paragraaf 2.4." and len(chunks) == 2
    assert rebuild(last, chunks.get).text == "# Route\n\n" + body


def test_a_quote_of_part_of_a_list_says_so():
    from assistant.cite import PART_OF_LIST_NOTE, Quote

    node = _chunk("doc#3.1", "- Stap 3\n- Stap 4")
    node.metadata.update(region="Drechtsteden", title="Routeboek")
    answer = compose("Welke stappen?", [Quote(node=node, parts=["Stap 3", "Stap 4"], part_of_list=True)])
    assert answer.answer.count(PART_OF_LIST_NOTE) == 1


def test_a_repeated_line_is_marked_where_it_was_quoted():
    from assistant.cite import Quote

    # "School" is a line of its own and also starts the line before: the second is quoted.
    text = "- 2. School en ouders hebben contact\n- 4. Actietafel met:\n    - Leerling\n    - School"
    node = _chunk("doc#2.0", text)
    node.metadata.update(region="Utrecht", title="Routekaart")
    at = text.rindex("School")
    answer = compose("Wie zitten aan de actietafel?", [Quote(node, ["4. Actietafel met:", "School"],
                                                             starts=[text.index("4."), at])])
    citation = answer.citations[0]
    (_, _), (start, end) = citation.quote_spans()
    assert citation.text[start:end] == "School" and start == citation.text.rindex("School") > citation.text.index("School")
    # A one-letter line after blank lines: the place is counted with the blank lines.
    answers = _chunk("doc#2.1", "Ja\n\nJa")
    answers.metadata.update(region="Utrecht", title="Routekaart")
    assert compose("?", [Quote(answers, ["Ja"], starts=[4])]).citations[0].quote_spans() == [(4, 6)]
    # Without the places (a quote made elsewhere), the first occurrence, as before.
    bare = compose("?", [Quote(node, ["School"])]).citations[0]
    assert bare.quote_spans() == [(bare.text.index("School"), bare.text.index("School") + len("School"))]


def test_an_answer_marks_each_quoted_line_where_the_answer_took_it():
    # Through the answerer: the parts it quotes carry where they are in their chunk.
    chunks = _chunked("- 2. School en ouders hebben contact\n- 4. Actietafel met:\n    - Leerling\n    - School\n"
                      "    - Kernpartners", 200)
    from assistant.answer import Scored
    from types import SimpleNamespace

    from llama_index.core.schema import NodeWithScore

    (cid, node), = chunks.items()
    answerer = ExtractiveAnswerer(Settings(), Lexicon())
    scored = Scored(_record(node.get_content(), "4. Actietafel met:"), NodeWithScore(node=node, score=1.0), 0, 0.9, 1.0)
    quotes: list = []
    answerer._add_quote(quotes, answerer._shown(scored, SimpleNamespace(chunk=chunks.get), {}))
    node.metadata.update(region="Utrecht", title="Routekaart")
    citation = compose("Wie zitten aan de actietafel?", [q for group in quotes for q in group]).citations[0]
    assert "School" in citation.quotes
    marked = [citation.text[a:b] for a, b in citation.quote_spans()]
    assert marked == citation.quotes
    school = citation.quote_spans()[citation.quotes.index("School")][0]
    assert school == citation.text.rindex("School")


def test_a_list_that_goes_on_is_shown_without_its_heading_again():
    from assistant.cite import LIST_GOES_ON_LEAD, Quote

    first, second = _chunk("doc#3.0", "Opties zijn:\n- A"), _chunk("doc#3.1", "- B\n- C")
    for node in (first, second):
        node.metadata.update(region="Utrecht", title="Route", section="Hoofdstuk 2 > Overbrugging")
    answer = compose("Welke opties?", [Quote(first, ["Opties zijn:", "A"]), Quote(second, ["B", "C"], lead=LIST_GOES_ON_LEAD)])
    assert answer.answer.count("onder „Overbrugging”") == 1
    assert "- De lijst gaat verder: „B”\n  - „C” [2]" in answer.answer


def test_items_of_one_list_are_shown_at_one_level_and_an_introduction_above_its_items():
    from assistant.cite import LIST_GOES_ON_LEAD, Quote

    text = "- Ouders denken mee.\n- Ouders hebben rechten.\n- Actietafel met:\n  - School\n- Signaleren\n- Overleggen\n"
    node = _chunk("doc#4.0", text)
    node.metadata.update(region="Rotterdam", title="Wie doet wat", section="Wie doet wat? > Ouders")

    def shown(parts: list[str], **kw) -> str:
        return compose("?", [Quote(node, parts, starts=[text.index(p) for p in parts], **kw)]).answer

    # No item introduces its sibling: both under the heading, neither above the other.
    assert "onder „Ouders”:\n  - „Ouders denken mee.”\n  - „Ouders hebben rechten.” [1]" in shown(
        ["Ouders denken mee.", "Ouders hebben rechten."])
    assert "De lijst gaat verder:\n  - „Ouders denken mee.”\n  - „Ouders hebben rechten.” [1]" in shown(
        ["Ouders denken mee.", "Ouders hebben rechten."], lead=LIST_GOES_ON_LEAD)
    assert "onder „Ouders”:\n  - „Signaleren”\n  - „Overleggen” [1]" in shown(["Signaleren", "Overleggen"])
    # An item that introduces a nested list stands above its items.
    assert "onder „Ouders”: „Actietafel met:”\n  - „School” [1]" in shown(["Actietafel met:", "School"])


def test_a_quote_repeated_by_an_earlier_one_is_shown_once():
    from assistant.answer import _without_repeats
    from assistant.cite import LIST_GOES_ON_LEAD, Quote

    node, other = _chunk("doc#1.0", "a b"), _chunk("doc#1.1", "a b c")
    head, more = Quote(node, ["a"]), Quote(other, ["c"], lead=LIST_GOES_ON_LEAD)
    whole = Quote(node, ["a", "b"])
    # A list and its continuation stay together; a plain quote another shows in full goes.
    assert _without_repeats([[head, more], [whole], [head, more]]) == [[head, more], [whole]]
    assert _without_repeats([[head], [whole]]) == [[whole]]
    # ... also when a list shown across two chunks has all it shows.
    assert _without_repeats([[whole, more], [Quote(other, ["a", "c"])]]) == [[whole, more]]
    # ... and the same text taken from another line of the passage is a repeat too.
    assert _without_repeats([[Quote(node, ["a"], starts=[0])], [Quote(node, ["a"], starts=[2])]]) == [[Quote(node, ["a"])]]


def test_a_nested_item_that_introduces_a_list_shows_its_own_items_not_its_siblings():
    text = ("4. Actietafel met:\n    - Leerling\n    - Doelen:\n        - Zicht op de situatie\n"
            "        - Afspraken maken\n5. Gesprek.")
    blocks = quote_blocks(text, _record(text, "Doelen:"), siblings=True)
    assert [text[a:b] for a, b in blocks] == ["Actietafel met:", "Doelen:", "Zicht op de situatie", "Afspraken maken"]


def test_an_item_introducing_a_list_is_quoted_with_the_items_its_items_introduce():
    # "Doelen:" without its aims said nothing of what the aims were.
    text = ("4. Actietafel met:\n    - Leerling\n    - Doelen:\n        - Zicht op de situatie\n"
            "        - Afspraken maken\n5. Gesprek.")
    blocks = quote_blocks(text, _record(text, "4. Actietafel met:"))
    assert [text[a:b] for a, b in blocks] == [
        "4. Actietafel met:", "Leerling", "Doelen:", "Zicht op de situatie", "Afspraken maken"]


def test_an_introduction_reaches_its_list_through_a_label_line():
    text = (
        "Meldcode huiselijk geweld en kindermishandeling binnen de ondersteuningsroute:\n\n"
        "Stappen meldcode:\n\n1. Signaleren\n2. Collegiale consultatie\n\nDaarna volgt meer.\n"
    )
    intro = "Meldcode huiselijk geweld en kindermishandeling binnen de ondersteuningsroute:"
    assert [text[a:b] for a, b in quote_blocks(text, _record(text, intro))] == [
        intro, "Stappen meldcode:", "Signaleren", "Collegiale consultatie",
    ]
    # A label with prose (no list) after it is not pulled in.
    prose = intro + "\n\nStappen meldcode:\n\nDaarna volgt meer.\n"
    assert [prose[a:b] for a, b in quote_blocks(prose, _record(prose, intro))] == [intro]


def test_a_paragraph_is_quoted_with_the_colon_line_that_introduces_it():
    intro = "Als de wachttijd naar een andere onderwijssoort langer is dan vier weken, geldt vanaf de vijfde week:"
    rule = "Als na vier weken inzet van de school blijkt dat plaatsing op zich laat wachten, kan een brugplaats worden overwogen."
    other = "De leerling blijft ingeschreven op de school van herkomst."
    text = f"Inleiding.\n\n{intro}\n\n{rule} Dit gebeurt in overleg.\n\n{other}\n"

    def quoted(sentence: str) -> list[str]:
        return [text[a:b] for a, b in quote_blocks(text, _record(text, sentence))]

    # The rule holds under its condition; the condition is quoted with what it introduces.
    assert quoted(rule) == [intro, rule + " Dit gebeurt in overleg."]
    assert quoted("Dit gebeurt in overleg.")[0] == intro
    assert quoted(intro) == [intro, rule + " Dit gebeurt in overleg."]
    # Only the paragraph right after the colon: the next one stands on its own.
    assert quoted(other) == [other]
    # A colon before a list, a heading or another label is not this.
    listed = f"{intro}\n\n- {rule}\n"
    assert [listed[a:b] for a, b in quote_blocks(listed, _record(listed, intro))] == [intro, rule]
    headed = f"{intro}\n\n## Kop\n\n{rule}\n"
    assert [headed[a:b] for a, b in quote_blocks(headed, _record(headed, rule))] == [rule]
    assert [headed[a:b] for a, b in quote_blocks(headed, _record(headed, intro))] == [intro]
    # A long paragraph after the colon is cut at its first sentence.
    long = f"{intro}\n\n{rule} " + "Meer tekst over de brugplaats en wat daar gebeurt. " * 20 + "\n"
    assert [long[a:b] for a, b in quote_blocks(long, _record(long, intro))] == [intro, rule]


def test_a_repeated_rule_is_recognised_and_a_different_one_is_not():
    first = "meldt volledig verzuim van leerling vanaf 5 jaar bij leerplicht".split()
    assert _repeats("school meldt volledig verzuim van leerling vanaf 5 jaar bij leerplicht".split(), first)
    assert not _repeats("meldt volledig ongeoorloofd verzuim van de leerling bij ppo rotterdam".split(), first)
    # The same sentence with another number is another rule.
    kdc = "de brugplaatsing is voor beperkte tijd ca 6 weken tot het moment dat de leerling geplaatst wordt".split()
    sbo = "de brugplaatsing is voor een beperkte tijd maximaal 8 weken tot het moment dat de leerling geplaatst wordt".split()
    assert not _repeats(sbo, kdc)
    assert _repeats([w for w in kdc if w != "ca"], kdc)


def test_how_many_questions_need_a_number_before_the_noun_or_its_unit():
    from assistant.answer import ExtractiveAnswerer

    counts = ExtractiveAnswerer(Settings(), Lexicon())._counts_asked_noun
    assert counts("Binnen hoeveel tijd is er overleg?", "Binnen een week vindt er overleg plaats.")
    assert counts("Hoeveel formatie krijgt de school?", "Zij krijgen ieder 0,5 fte voor een assistent.")
    assert counts("Hoeveel actiepunten noemt de routekaart?", "De routekaart noemt 10 punten.")
    assert not counts("Hoeveel thuiszitters zijn er?", "Het aantal thuiszitters daalt sinds 2019.")
    assert not counts("Hoeveel tijd kost het?", "Dat kost veel tijd.")
    # "Hoeveel mag ...?" names no noun to count: any number answers, none (nor "een") does not.
    assert not counts("Hoeveel mag een leerling missen?", "Het missen van onderwijs is een bedreiging.")
    assert counts("Hoeveel mag een leerling missen?", "Verzuim van 16 uur lestijd in vier weken wordt gemeld.")
    for quote in ("Sinds 2019 telt elk uur.", "Volgens artikel 5 telt elk uur.", "Wie min of meer thuis zit, telt."):
        assert not counts("Hoeveel mag een leerling missen?", quote), quote  # a year, a label, "min"
    # A function word before the noun leaves the noun to count ("andere scholen", "van de thuiszitters").
    assert not counts("Hoeveel andere scholen doen mee?", "Sinds 2019 doen er meer scholen mee.")
    # "een aantal uur" and "een paar weken" leave the number open (a KDC's hours are not given).
    assert not counts("Hoeveel uur per week krijgt hij les?", "Vanuit het SWV wordt een aantal uur onderwijs geregeld.")
    assert not counts("Binnen hoeveel tijd is er overleg?", "Binnen een paar weken vindt er overleg plaats.")
    assert counts("Hoeveel uur per week krijgt hij les?", "Hij krijgt een uur per dag les.")
    # A list item's number counts nothing; a bare number at a line's start does.
    assert not counts("Hoeveel thuiszitters zijn er?", "Aangeboden door de kernpartners **1.** (Dreigende) thuiszitter")
    assert not counts("Hoeveel thuiszitters zijn er?", "1. Thuiszitter wordt gemeld\n3.2 Thuiszitter gaat naar school")
    assert counts("Hoeveel thuiszitters zijn er?", "- 5 thuiszitters in 2023\n**3.4** Zo niet")
    assert counts("Hoeveel thuiszitters zijn er?", "Er zijn **25** thuiszitters in de regio.")
    assert counts("Hoeveel thuiszitters zijn er?", "- 1.200 thuiszitters in 2023")
    assert not counts("Hoeveel thuiszitters zijn er?", "1) Thuiszitter wordt gesignaleerd")
    # Nor does a label's: the heading a quote is shown under ("Fase 1 Melding thuiszitter").
    assert not counts("Hoeveel thuiszitters zijn er?", "Bespreekt de thuiszitter.\nFase 1 Melding thuiszitter")
    assert not counts("Hoeveel leerlingen zijn er?", "Zie artikel 5 leerlingen met een vrijstelling.")
    assert counts("Hoeveel thuiszitters zijn er?", "In fase 1 gaat het om 12 thuiszitters.")
    # An adjective before the noun, and a compound counted in its head's units.
    text = "wanneer de leerling in een periode van twee weken 25 procent van de schooltijd heeft gemist;"
    assert counts("Vanaf hoeveel gemiste schooltijd is verzuim problematisch?", text)
    assert not counts("Vanaf hoeveel gemiste schooltijd is verzuim problematisch?", "Verzuim wordt problematisch genoemd.")
    assert not counts("Hoeveel gemiste lessen zijn er?", "De gemiste lessen worden in 2024 ingehaald.")
    # A noun that ends in -e is no adjective to skip when the next word is a function word.
    assert not counts("Hoeveel formatie is er voor een thuiszitter?", "De school krijgt extra ondersteuning.")
    # Pupils are counted as "kinderen" too; the article "een" counts only a unit.
    assert counts("Hoeveel leerlingen kunnen er tegelijk terecht?", "Er is plek voor maximaal vier kinderen.")
    assert not counts("Hoeveel leerlingen kunnen er tegelijk terecht?", "Als een leerling vier weken thuis zit.")
    # Only what the question asks counts: a told "hoeveel" asks for no number.
    told = "Niemand heeft zicht op hoeveel kinderen er thuiszitten. Wat raadt de routekaart aan?"
    assert counts(told, "Zorg voor actuele en betrouwbare gegevens.")
    assert not counts("Wij weten het niet. Hoeveel kinderen zitten er thuis?", "Zorg voor actuele gegevens.")
    assert not counts("hoeveel kinderen zitten er thuis", "Zorg voor actuele gegevens.")  # no "?" at all
    assert not counts("Hoeveel kinderen zitten er thuis?! Wat raadt de routekaart aan?", "Zorg voor gegevens.")
    # The number further back, before the words that describe the noun, within its clause.
    team = "Het team bestaat uit twee door het onderwijs en de gemeente gemandateerde leden en een voorzitter."
    assert counts("Hoeveel leden heeft het team?", team)
    assert not counts("Hoeveel leden heeft het team?", "Het team is er al twee jaar. De gemandateerde leden beslissen.")
    assert not counts("Hoeveel leden heeft het team?", "Er is een door de gemeente gemandateerde leden.")
    # Neither a year nor a determiner or quantifier, nor a number that counts another noun.
    assert not counts("Hoeveel thuiszitters waren er?", "In 2023 is er voor de aangemelde thuiszitters een plek.")
    assert not counts("Hoeveel thuiszitters waren er?", "Bij 3 van de scholen is voor iedere thuiszitter een plek.")
    assert not counts("Hoeveel leden heeft het team?", "Het team komt 4 keer per jaar bijeen met verschillende leden.")
    assert not counts("Hoeveel leerlingen zijn er?", "In 3 gemeenten zijn er voor de aangemelde leerlingen plekken.")
    assert not counts("Hoeveel leden heeft het team?", "Uit 2 van de scholen komen de eerste leden.")  # an ordinal
    assert counts("Hoeveel leden heeft het team?", "Er zijn 3 door de scholen aangestelde leden.")


def test_unknown_compounds_are_read_as_their_known_parts():
    lexicon = Lexicon()
    lexicon.df = {"thuiszitter": 40, "aanpak": 30, "beleid": 5}
    assert lexicon.split_compound("thuiszittersaanpak") == ("thuiszitter", "aanpak")
    assert lexicon.split_compound("thuiszittersdefinitie") == ("thuiszitter",)  # "definitie" is filler
    assert lexicon.split_compound("kinderbijslag") == ()
    lexicon.df.update({"art": 3, "verklar": 6})  # "arts", "verklaring"
    assert lexicon.split_compound("artsenverklaring") == ("art", "verklar")  # linking -en-
    assert "aanpak" in lexicon.question_terms("Geldt de thuiszittersaanpak ook hier?").terms
    # A compound the corpus knows is also met by its parts in a passage.
    lexicon = Lexicon()
    lexicon.df = {"thuiszittersaanpak": 1, "thuiszitter": 40, "aanpak": 30}
    terms = lexicon.question_terms("Geldt de thuiszittersaanpak ook hier?")
    assert terms.coverage(lexicon, {"aanpak", "thuiszitter"}) == 1.0
    assert terms.coverage(lexicon, {"aanpak"}) == 0.0


def test_a_split_separable_verb_is_read_as_the_documents_write_it():
    lexicon = Lexicon()
    lexicon.df = {"aanvrag": 11, "aangevraagd": 2, "av1": 6, "robot": 1, "leerling": 90, "schol": 80,
                  "vraag": 12, "inzet": 14, "brugplat": 8}
    assert lexicon.separable_verbs("Hoe vraag ik een AV1-robot aan voor een leerling?") == [
        ("vraag", ("aanvrag", "aangevraagd"), "aan")
    ]
    terms = lexicon.question_terms("Hoe vraag ik een AV1-robot aan voor een leerling?")
    assert "aanvrag" in terms.terms and "vraag" not in terms.terms
    # Met by either form: "de aanvraag" or "wordt aangevraagd".
    assert terms.met("aanvrag", {"aangevraagd"}) and terms.met("aanvrag", {"aanvrag"})
    assert [v for v, _, _ in lexicon.separable_verbs("Wanneer zet je een brugplaats in?")] == ["zet"]
    # The particle counts in the joined verb only: "mee" of "werken niet mee" is no topic of its own.
    lexicon.df.update({"meewerk": 3, "mee": 20, "ouder": 60})
    werken = lexicon.question_terms("Wat als ouders niet werken mee aan de oplossing?")
    assert "meewerk" in werken.terms and "mee" not in werken.terms
    # A particle also closes its clause before the next clause ("..., waarmee ...").
    assert [v for v, _, _ in lexicon.separable_verbs("Hoe vraag ik zo'n robot aan waarmee een kind les volgt?")] == ["vraag"]
    # "aan" before an article is a preposition, not a particle.
    assert lexicon.separable_verbs("Welke vraag stel ik aan de school?") == []
    assert "aanvrag" not in lexicon.question_terms("Welke vraag stel ik aan de school?").terms


def test_quantifiers_of_a_comparison_are_no_topic_words():
    terms = Lexicon().question_terms("Wanneer is een leerling in elk van beide regio's officieel een thuiszitter?")
    assert not {"elk", "beid"} & (terms.terms | terms.oov)


def test_a_passage_that_splits_a_separable_verb_meets_the_joined_verb():
    lexicon = Lexicon()
    lexicon.df = {"aanmeld": 9, "meld": 20, "ouder": 60, "kind": 50, "schol": 80, "schriftelijk": 3}
    terms = lexicon.question_terms("Wie meldt het kind aan bij een andere school?")
    assert "aanmeld" in terms.terms
    passage = "Ouders melden hun kind schriftelijk bij 1 school aan."
    assert not terms.met("aanmeld", lexicon.stems(passage))
    assert terms.met("aanmeld", lexicon.passage_stems(passage))
    assert lexicon.passage_stems("Ouders melden het verzuim.") == lexicon.stems("Ouders melden het verzuim.")


def test_a_typing_error_is_corrected_but_a_near_word_of_another_meaning_is_not():
    lexicon = Lexicon()
    lexicon.df = {"leerplicht": 50, "thuiszitter": 40, "inschrijv": 14, "informatie": 9, "opgehaald": 1,
                  "leerling": 90, "escaleert": 2, "ontleend": 1, "schrijft": 1, "uitgeschrev": 2, "neemt": 10}
    assert lexicon.correct("leerplicth") == "leerplicht"  # two letters swapped
    assert lexicon.correct("thuiszitetr") == "thuiszitter"
    assert lexicon.correct("escaler") == "escaleert"  # another ending ("escaleren")
    assert lexicon.correct("ontlen") == "ontleend"  # "ontlenen": the long vowel written single
    # Close to a corpus word by difflib's ratio, but another word: taking it would answer
    # another question ("mag ik haar uitschrijven?" is not about inschrijven).
    assert lexicon.correct("uitschrijv") is None
    assert lexicon.correct("formatie") is None
    assert lexicon.correct("opgeschaald") is None
    assert lexicon.correct("leerlijn") is None
    # The documents write "uitschrijven" and "overnemen" split: "De school schrijft de leerling uit".
    terms = lexicon.question_terms("Mag ik Sanne al uitschrijven?")
    assert "uitschrijv" in terms.terms and terms.met("uitschrijv", {"schrijft"})
    assert not terms.met("uitschrijv", {"inschrijv"})
    assert lexicon.split_infinitive("overnemen") == ("neemt",)
    # Snowball stems "meldt" to "meld", as "melding": "afmelden" is not met by every passage about melden.
    lexicon.df.update({"meld": 22, "stelt": 3})
    assert lexicon.split_infinitive("afmelden") == ()
    assert lexicon.split_infinitive("uitstellen") == ("stelt",)  # a doubled consonant is single before -t
    # A typing error, not another word made from the same stem.
    assert not plausible_typo("hulpverlening", "hulpverlener")


def test_a_noun_in_atie_is_also_met_by_its_verb():
    lexicon = Lexicon()
    lexicon.df = {"evaluatie": 3, "evaluer": 1, "evalueert": 1, "plan": 20, "organisatie": 4, "organiseert": 2}
    assert lexicon.atie_forms("evaluatie") == ("evaluer", "evalueert")
    terms = lexicon.question_terms("Wat na de evaluatie van het plan?")
    assert terms.met("evaluatie", {"evaluer"})
    # Not a noun that names a thing ("welke organisaties": not "organiseert"), nor a verb.
    assert lexicon.atie_forms("organisaties") == () and lexicon.atie_forms("evalueert") == ()


def test_content_words_whose_stem_is_a_stop_word_stay_topic_words():
    lexicon = Lexicon()
    lexicon.df = {"over": 3, "verzuim": 90, "overheid": 2}
    # Snowball stems "overig" to "over" (a stop word); it is still what the question is about.
    assert lexicon.question_terms("Wat valt onder 'overig verzuim'?").terms == {"over", "verzuim"}
    assert "het" not in lexicon.question_terms("Hoe heet de regisseur?").terms
    # "hadden" stems to the stop word "had": a function word, not a word the documents lack.
    terms = lexicon.question_terms("Wat hadden de ouders over verzuim moeten doen?")
    assert "had" not in terms.oov and "verzuim" in terms.terms


def test_a_kind_of_value_is_met_by_its_unit_and_percentages_by_procent():
    lexicon = Lexicon()
    lexicon.df = {"leeftijd": 2, "jar": 10, "thuiszitter": 40, "procent": 1, "advies": 5}
    terms = lexicon.question_terms("Welke leeftijden vallen onder de definitie van thuiszitter?")
    assert terms.terms == {"leeftijd", "thuiszitter"}  # "vallen" is filler
    assert terms.coverage(lexicon, lexicon.stems("een thuiszitter (5 – 16 jaar)")) == 1.0
    assert terms.coverage(lexicon, lexicon.stems("een thuiszitter")) < 1.0
    terms = lexicon.question_terms("Welke percentages noemt het advies?")
    assert "procent" in terms.terms and "percentages" not in terms.oov
    assert terms.met("procent", lexicon.stems("daling van 1% per jaar"))


def test_a_question_for_a_contact_detail_needs_a_quote_that_shows_it():
    from assistant.answer import DETAILS

    def shows(question: str, quote: str) -> bool:
        return all(shown.search(quote) for asked, shown, _ in DETAILS if asked.search(question))

    assert not shows("Wat is het e-mailadres van PPO?", "PPO Rotterdam streeft naar zo min mogelijk thuiszitters.")
    assert shows("Wat is het e-mailadres van PPO?", "Mail naar info@ppo.nl voor vragen.")
    assert not shows("Wat is het telefoonnummer van leerplicht?", "Leerplicht registreert de thuiszitter.")
    assert shows("Wat is het telefoonnummer van leerplicht?", "Bel leerplicht op 010-1234567.")
    assert not shows("Op welk nummer kan ik leerplicht bellen?", "Leerplicht registreert de thuiszitter.")
    assert not shows("Hoe heet de leerplichtambtenaar van Dordrecht?", "Elke gemeente heeft een eigen leerplichtambtenaar.")
    assert shows("Wie heeft de regie?", "De school heeft de regie.")  # not a question for a detail
    assert not shows("wat is het mailadres van de taskforce?", "De Taskforce neemt de casus over.")
    # An amount of money, or opening hours, only from a quote that gives one.
    for question in ("Wat kost een brugplaats op het sbo?", "Wat krijgt de regisseur per uur betaald?",
                     "Hoe hoog is de boete voor luxe verzuim?", "Hoeveel geld krijgt de school?"):
        assert not shows(question, "De brugplaats wordt bekostigd door het samenwerkingsverband."), question
        assert shows(question, "De bijdrage is € 250 per maand."), question
    assert shows("Wat is het CCE en wat kost het?", "Het CCE adviseert kosteloos.")  # that it is free answers it
    assert shows("Wie betaalt de brugplaats?", "De brugplaats wordt bekostigd door het samenwerkingsverband.")
    assert not shows("Wat zijn de openingstijden van het KDC?", "Het KDC biedt dagbesteding.")
    assert not shows("Wat zijn de openingstijden van het KDC?", "Het KDC biedt 16 uur per week (artikel 11.12).")
    assert shows("Wat zijn de openingstijden van het KDC?", "Het KDC is open van 8.30 tot 16.00.")
    # Questions that mention mail, pay or opening without asking for the detail.
    for question in ("Kan ik de melding per mail doen?", "Wie betaalt het salaris van de intern begeleider?",
                     "Wanneer wordt een dossier geopend?", "Stelt de school het op prijs als ouders meedenken?",
                     "Wie moet ik als eerste bellen?"):
        assert shows(question, "De school meldt het verzuim."), question
    assert not shows("Wat is het uurtarief van de jeugdarts?", "De jeugdarts ziet de leerling.")
    assert shows("Wat kost een brugplaats?", "De kosten zijn EUR 250 per maand.")
    assert not shows("Wanneer is de volgende bijeenkomst van de Taskforce?", "De Taskforce bespreekt casussen.")
    assert shows("Wanneer is de volgende bijeenkomst van de Taskforce?", "De Taskforce komt elke dinsdag bijeen.")
    assert shows("Wanneer is de volgende stap nodig?", "De school meldt het verzuim.")
    assert shows("Hoe laat ik de school weten dat mijn kind ziek is?", "De school meldt het verzuim.")  # laten
    assert not shows("Hoe laat begint de school?", "Zie artikel 11.12 van de wet.")
    assert shows("Hoe laat begint de school?", "De school begint om 8.30 uur.")
    assert not shows("Hoe laat gaat de school uit?", "De school meldt het verzuim.")
    assert shows("Hoe laat gaat de school uit?", "De school gaat om 15.15 uit.")
    # Any "hoe lang" asks for a length of time or what it lasts until; an age gives neither.
    assert not shows("Hoe lang mag een leerling te laat komen?", "De school meldt het verzuim.")
    assert not shows("Hoe lang mogen wij verzuimgegevens bewaren volgens de AVG?",
                     "Meldt volledig verzuim van leerling (vanaf 4 jaar) bij de schoolcontactpersoon.")
    assert not shows("Hoe lang is een leerling leerplichtig?", "Een leerplichtige (5 – 16 jaar) jongere.")
    assert shows("Hoe lang is een leerling leerplichtig?", "Leerplichtig tot en met het schooljaar waarin hij 16 wordt.")
    assert shows("Hoe lang blijft de school verantwoordelijk?",
                 "De school blijft verantwoordelijk tot een passende oplossing is gevonden.")
    # "Hoe lang duurt ...?" asks for a length of time: a quote that only names the thing gives none.
    herstart = "De leerling krijgt een passend arrangement van PPO (zoals Herstart)."
    assert not shows("Hoe lang duurt het Herstart-arrangement van PPO?", herstart)
    assert shows("Hoe lang duurt een brugplaatsing?", "De brugplaatsing is voor beperkte tijd, ca. 6 weken.")
    assert shows("Hoe lang mag het traject maximaal duren?", "Duur van het traject tot passend aanbod maximaal 3 maanden")
    for quote in ("Het gesprek duurt ongeveer 1,5 uur.", "De plaatsing duurt maximaal een schooljaar.",
                  "Het traject duurt dertien weken.", "Dat duurt anderhalf jaar.", "Binnen 24 uur."):
        assert shows("Hoe lang duurt het?", quote), quote
    assert not shows("Hoe lang blijft de school verantwoordelijk? En als het langer duurt?", herstart)
    # Not a length: an age in other words, a "tot" that is no "until"; and a "hoe lang" that is told, not asked.
    for quote in ("Voor kinderen van 5 tot 16 jaar.", "Leerlingen tussen de 5 en 16 jaar.", "Dit leidt tot een melding.",
                  "Vanaf  4 jaar.", "Kinderen van 4 jaar en ouder."):
        assert not shows("Hoe lang bewaren we de gegevens?", quote), quote
    assert shows("Hoe lang geldt een vrijstelling?", "Een vrijstelling geldt voor de duur van een schooljaar.")
    # A (didactic) age in months is no length of time either.
    goal = "Als een leerling een didactische leeftijd heeft tussen 55 en 70 maanden, kan het OT advies uitbrengen."
    assert not shows("Hoe lang mag een leerling maximaal bij GOAL blijven?", goal)
    assert shows("Hoe lang mag een leerling maximaal bij GOAL blijven?", "Het verblijf duurt maximaal 3 maanden.")
    # Nor the age at which something happens; how long a pupil has been at home is a length.
    assert not shows("Voor hoe lang geldt een vrijstelling?", "Kinderen gaan al naar school als ze 4 jaar zijn.")
    assert shows("Voor hoe lang geldt een vrijstelling?", "Als de leerling al 2 jaar thuiszit, volgt een gesprek.")
    assert shows("Voor hoe lang geldt een vrijstelling?", "Op deze leeftijd geldt maximaal 6 maanden verlof.")
    assert shows("Voor hoe lang geldt een vrijstelling?", "Nadat hij 2 jaar is thuisgebleven, volgt een gesprek.")
    assert shows("Ik weet niet hoe lang hij nog thuis blijft. Wie moet ik bellen?", "Bel de leerplichtambtenaar.")
    # "In welk jaar ...?" asks for a year (not "vanaf welk jaar", an age, nor a grade).
    assert shows("Vanaf welk jaar is een kind leerplichtig?", "Een kind is leerplichtig vanaf 5 jaar.")
    assert shows("In welk jaar zit hij als hij 12 is?", "In groep 8.")
    assert not shows("In welk jaar moest dat doel gehaald zijn?", "Geen kind zit langer dan drie maanden thuis.")
    assert shows("In welk jaar moest dat doel gehaald zijn?", "In 2023 is voor iedere thuiszitter een aanbod gevonden.")
    # A penalty is a detail too; asking whether a step may be taken is not.
    duo = "Een school is verplicht om ongeoorloofd verzuim digitaal te melden bij DUO."
    assert not shows("Welke straf krijgt een school die ongeoorloofd verzuim niet meldt bij DUO?", duo)
    assert not shows("Wordt de school dan gestraft?", duo)
    assert shows("Wat voor sanctie volgt er?", "Leerplicht kan een sanctie opleggen aan ouders.")
    assert shows("Kan leerplicht een proces-verbaal opmaken?", duo)
    # So is an objection or complaint procedure; a health complaint or "een beroep doen op" is none.
    decision = "De DB neemt vervolgens een doorzettingsbesluit dat leidt tot een plaatsing."
    assert not shows("Kunnen ouders bezwaar maken tegen het doorzettingsbesluit?", decision)
    assert not shows("Waar kunnen ouders een klacht over de school indienen?", decision)
    assert shows("Kunnen ouders bezwaar maken tegen het doorzettingsbesluit?", "Ouders kunnen bezwaar aantekenen bij het SWV.")
    assert shows("Waar kunnen ouders een klacht indienen?", "Ouders kunnen de ombudspersoon laten meedenken.")
    assert shows("Emma kan door angstklachten niet naar school. Wie vraagt de vrijstelling aan?", decision)
    assert not shows("Kunnen ouders in beroep gaan?", "Een beroep op vrijstelling kan gedaan worden met het formulier.")
    # A benefit is named by the passage that answers, or the passage does not answer.
    parents = "Leerlingen die dreigend thuiszitten verliezen gaandeweg de verbinding met de school."
    assert not shows("Verliezen ouders kinderbijslag als hun kind spijbelt?", parents)
    assert not shows("Wordt de zorgtoeslag stopgezet bij luxe verzuim?", parents)
    assert shows("Verliezen ouders kinderbijslag als hun kind spijbelt?", "De SVB kan de kinderbijslag stopzetten.")
    # Today's figures: a rule's number does not say how long the waiting list is now.
    rule = "Binnen vier weken wordt duidelijk of onderwijs nog mogelijk is."
    for now in ("Hoe lang is de wachtlijst voor het speciaal onderwijs op dit moment?", "Hoe lang is de wachtlijst nu?",
                "Hoeveel thuiszitters zijn er momenteel in Utrecht?", "Weet je hoeveel thuiszitters er op dit moment zijn?",
                "Wat is de huidige wachttijd voor het SBO?", "Wat is momenteel de wachttijd voor het SO?",
                "Wat is het aantal thuiszitters op dit moment?", "Hoeveel thuiszitters zijn er, op dit moment?"):
        assert not shows(now, rule), now
    assert not shows("Hoeveel thuiszitters zijn er momenteel in Utrecht?", "Er zijn 12 thuiszitters per 1000 leerlingen.")
    assert shows("Hoeveel thuiszitters zijn er momenteel?", "Momenteel zijn er 40 thuiszitters.")
    # ... but "now" describing the pupil, a modal, a condition or a limit asks for a rule.
    for asks_rule in ("Mijn leerling zit op dit moment thuis, hoe lang mag dat?",
                      "Hoeveel uur mag een leerling momenteel missen?",
                      "Op het moment dat een leerling thuiszit, hoeveel weken heeft school?",
                      "Hoe lang is een leerling op dit moment al thuis voordat hij thuiszitter heet?",
                      "Hoeveel uur onderwijs krijgt een leerling die op dit moment thuiszit?",
                      "Hoeveel dagen verzuim is momenteel de grens voor een melding?",
                      "Hoe lang is de meldtermijn op dit moment?",
                      "Hoeveel weken heeft de school voor een leerling die op dit moment niet naar school gaat?",
                      "De leerling staat op een wachtlijst voor het SO. Wat is nu de volgende stap?",
                      "Nu de leerling op de wachtlijst staat, wat moet school doen?", "Wat nu?"):
        assert shows(asks_rule, rule), asks_rule
    # The length of a waiting list is a state even without "nu": a quote answers it only when
    # it gives a waiting list or time a duration; asking for the rule ("mag", "als") is not this.
    for wait in ("Hoe lang is de wachtlijst voor het speciaal onderwijs in de Drechtsteden?",
                 "Hoe groot is de wachtlijst voor het SBO?", "hoe lang duurt de wachttijd naar het SO",
                 "Hoe lang is een wachtlijst voor het SO gemiddeld?"):
        assert not shows(wait, rule), wait
        assert not shows(wait, "Wanneer er wachtlijsten zijn, kan een brugplaats worden ingezet."), wait
        assert shows(wait, "Als de wachttijd naar een andere onderwijssoort langer is dan vier weken, geldt:"), wait
        assert shows(wait, "Er geldt zes weken wachttijd."), wait
    for asks_rule in ("Hoe lang mag de wachttijd voor het SO zijn?", "Hoe lang is de wachttijd als er geen plek is?",
                      "Hoe lang duurt een brugplaatsing?", "Hoe lang duurt een brugplaatsing bij een wachtlijst?"):
        assert shows(asks_rule, rule), asks_rule


def test_a_close_second_from_the_same_passage_is_quoted_unless_already_in_the_quote():
    from llama_index.core.schema import NodeWithScore, TextNode

    from assistant.answer import ExtractiveAnswerer, Scored

    text = ("GOAL is bedoeld voor leerlingen in het VO.\n\n"
            "GOAL is een tijdelijke onderwijsopvangvoorziening van het SWV. Zij duurt kort.")
    node = NodeWithScore(node=TextNode(text=text, id_="c", metadata={"region": "Drechtsteden"}), score=1.0)

    def scored(sentence: str, score: float) -> Scored:
        return Scored(_record(text, sentence), node, 0, score, score)

    answerer = ExtractiveAnswerer(Settings(), Lexicon())
    best = scored("GOAL is bedoeld voor leerlingen in het VO.", 1.00)
    other_paragraph = scored("GOAL is een tijdelijke onderwijsopvangvoorziening van het SWV.", 0.98)
    chosen = answerer._select([best, other_paragraph], named=[])
    assert [c.record.text for c in chosen] == [best.record.text, other_paragraph.record.text]
    # A sentence inside an already chosen quote's block is not quoted a second time.
    inside = scored("Zij duurt kort.", 0.97)
    chosen = answerer._select([best, other_paragraph, inside], named=[])
    assert inside not in chosen


def _scored_in_region(region: str, sentence: str, score: float):
    """A scored sentence that is a whole passage of `region`."""
    from llama_index.core.schema import NodeWithScore, TextNode

    from assistant.answer import Scored

    node = NodeWithScore(node=TextNode(text=sentence, id_=f"{region}-{score}", metadata={"region": region}))
    return Scored(_record(sentence, sentence), node, 0, score, score)


def test_quotes_are_filled_best_first_across_regions_and_seconds():
    from assistant.answer import ExtractiveAnswerer

    scored = _scored_in_region

    ranked = [
        scored("Drechtsteden", "De school meldt verzuim van zestien uur in vier weken.", 1.00),
        scored("Drechtsteden", "Het verzuimregister verbindt school en leerplicht.", 0.97),
        scored("Rotterdam", "Meldt volledig verzuim bij Leerplicht.", 0.93),
        scored("Utrecht", "Een thuiszitter wordt direct gemeld.", 0.92),
        scored("Landelijk", "Gemeenten maken afspraken.", 0.80),  # too far below the best
    ]
    chosen = ExtractiveAnswerer(Settings(max_quotes=3), Lexicon())._select(ranked, named=[])
    assert [c.score for c in chosen] == [1.00, 0.97, 0.93]
    chosen = ExtractiveAnswerer(Settings(max_quotes=5), Lexicon())._select(ranked, named=[])
    assert [c.score for c in chosen] == [1.00, 0.97, 0.93, 0.92]
    # A comparison quotes each named region, however low it scores.
    chosen = ExtractiveAnswerer(Settings(max_quotes=3), Lexicon())._select(ranked, named=["Landelijk", "Rotterdam"])
    assert {c.node.node.metadata["region"] for c in chosen} >= {"Landelijk", "Rotterdam"}


def test_a_comparison_has_room_for_a_close_second_in_each_named_region():
    from assistant.answer import ExtractiveAnswerer

    scored = _scored_in_region

    ranked = [
        scored("Drechtsteden", "Leerlingen van 4 jaar zijn nog niet leerplichtig.", 0.99),
        scored("Utrecht", "Leerplichtig tot het schooljaar waarin ze 16 jaar oud worden.", 0.98),
        scored("Utrecht", "Daarna geldt de kwalificatieplicht tot 18 jaar.", 0.97),
        scored("Drechtsteden", "De leerplicht geldt voor kinderen tussen 5 en 16 jaar.", 0.96),
        scored("Utrecht", "Een thuiszitter wordt direct gemeld.", 0.90),  # not close to its region's best
    ]
    chosen = ExtractiveAnswerer(Settings(max_quotes=3), Lexicon())._select(ranked, named=["Utrecht", "Drechtsteden"])
    assert [c.score for c in chosen] == [0.98, 0.97, 0.99, 0.96]  # in the question's region order
    # At most two per region, so a third close rule of one region leaves room for the other's second.
    third = scored("Utrecht", "Daarna volgt een startkwalificatie.", 0.965)
    chosen = ExtractiveAnswerer(Settings(max_quotes=3), Lexicon())._select(
        sorted(ranked + [third], key=lambda c: -c.score), named=["Utrecht", "Drechtsteden"]
    )
    assert [c.score for c in chosen] == [0.98, 0.97, 0.99, 0.96]
    # Without a comparison the answer keeps to max_quotes.
    chosen = ExtractiveAnswerer(Settings(max_quotes=3), Lexicon())._select(ranked, named=[])
    assert len(chosen) == 3


def test_an_abbreviation_and_its_spelled_out_form_count_as_one_concept():
    from assistant.normalise import normalise

    searched = normalise("Hoe meldt de SCP een leerling aan voor het SBO?")
    assert searched.abbreviations == {"SCP": "schoolcontactpersoon", "SBO": "speciaal basisonderwijs"}
    assert searched.phrases == []
    assert searched.query.endswith("(schoolcontactpersoon; speciaal basisonderwijs)")
    lexicon = Lexicon()
    lexicon.df = {"sbo": 20, "speciaal": 10, "basisonderwijs": 10, "aanmeld": 5}
    terms = lexicon.question_terms("Hoe meld je aan voor het SBO?", aliases={"SBO": "speciaal basisonderwijs"})
    assert terms.coverage(lexicon, {"sbo"}) == terms.coverage(lexicon, {"speciaal", "basisonderwijs"}) > 0
    assert terms.coverage(lexicon, {"speciaal"}) == 0
    # An abbreviation the documents never use is met by its spelled-out form.
    terms = lexicon.question_terms("Wat doet het SWV?", aliases={"SWV": "speciaal basisonderwijs"})
    assert "swv" not in terms.oov and {"speciaal", "basisonderwijs"} <= terms.terms


def test_the_glossary_finds_the_ways_the_documents_define_a_term():
    from assistant.glossary import asks_definition, defined_term

    assert defined_term("- **Thuiszitter**: Verzuim van meer dan 3 dagen per week") == "Thuiszitter"
    assert defined_term("**OPP**: Ontwikkelings Perspectief Plan") == "OPP"
    assert defined_term("Een thuiszitter is een leerplichtige leerling die meer dan vier weken ...") == "thuiszitter"
    assert defined_term("We spreken van een thuiszitter als het gaat om een leerplichtige (5 – 16 jaar)") == "thuiszitter"
    assert defined_term("Onder maatwerk verstaan we een geïntegreerd onderwijs-jeugdhulp arrangement.") == "maatwerk"
    assert defined_term("De school meldt het verzuim bij DUO.") is None
    assert defined_term("Doorzettingsmacht impliceert het mandaat tot ingrijpen.") == "Doorzettingsmacht"
    assert asks_definition("Wanneer is een leerling in de Drechtsteden officieel een thuiszitter?")
    assert asks_definition("Hoe verschilt de thuiszittersdefinitie van Utrecht van die van de Drechtsteden?")
    assert asks_definition("Daan zit al 5 weken thuis, is hij een thuiszitter?")
    assert asks_definition("Wat is een OPP?")
    assert asks_definition("Wat wordt in de Utrechtse routekaart bedoeld met passend aanbod?")
    assert asks_definition("Wat is het verschil tussen hoe PPO Rotterdam en de gemeente Utrecht een thuiszitter definiëren?")
    assert asks_definition("Tellen vierjarigen die niet naar school komen mee als thuiszitter?")
    assert not asks_definition("Telt de wachttijd mee voor de vier weken?")
    assert asks_definition("Wat bedoelt het routeboek van de Drechtsteden met absoluut verzuim?")
    assert not asks_definition("Voor wie is een vrijstelling bedoeld? Met wie overleg ik?")
    assert asks_definition("Een collega heeft het over een 'actietafel'. Wat is dat eigenlijk?")
    assert asks_definition("Wanneer telt een kind als thuiszitter in Rotterdam?")
    assert asks_definition("wat is het BREN waar de jeugdprofessional een casus kan inbrengen?")
    assert not asks_definition("Wat is de termijn voor een thuiszitter in Rotterdam?")
    assert not asks_definition("Wat is de termijn waarbinnen de school een thuiszitter moet melden?")
    assert not asks_definition("Is de brugplaats bedoeld voor leerlingen met autisme?")
    assert not asks_definition("Wie meldt het verzuim bij DUO?")
    # What a term stands for ("**Consulent**: Adviseur passend onderwijs voor primair onderwijs").
    assert asks_definition("Is een consulent passend onderwijs er voor het po of het vo?")
    assert not asks_definition("Zijn de ouders er voor verantwoordelijk?")
    assert not asks_definition("Is de brugplaats er voor alle leerlingen?")  # who it is for


def test_a_glossary_lookup_keeps_the_most_specific_term_per_region():
    from assistant.glossary import Glossary

    lexicon = Lexicon()
    lexicon.df = {"verzuim": 90, "over": 3, "lux": 2, "thuiszitter": 40, "opp": 9, "ontwikkelingsperspectiefplan": 2}
    chunks = [
        ("d#1", "- **Verzuim**: Ongeoorloofd verzuim van 16 uur\n- **Overig verzuim**: minder dan 16 uur\n"
                "- **Thuiszitter**: Verzuim van meer dan 3 dagen per week", "Drechtsteden"),
        ("r#0", "Een thuiszitter is een leerplichtige leerling die meer dan vier weken niet naar school gaat.", "Rotterdam"),
        ("u#7", "**OPP**: Ontwikkelings Perspectief Plan", "Utrecht"),
        ("u#4", "Het Ontwikkelingsperspectiefplan (OPP) is een hulpmiddel.", "Utrecht"),
    ]
    glossary = Glossary.build(chunks, lexicon.stems)

    def found(question: str, regions=None, aliases=None) -> set[tuple[str, str]]:
        terms = lexicon.question_terms(question, aliases=aliases)
        return {(e.chunk_id, " ".join(sorted(e.stems))) for e in glossary.lookup(terms, regions)}

    assert found("Wat valt onder 'overig verzuim'?") == {("d#1", "over verzuim")}  # not plain "verzuim"
    assert found("Wanneer is een leerling een thuiszitter?") == {("d#1", "thuiszitter"), ("r#0", "thuiszitter")}
    assert found("Wanneer is een leerling een thuiszitter?", regions=["Rotterdam"]) == {("r#0", "thuiszitter")}
    # An abbreviation and its spelled-out form are one term: both definitions count, in document order.
    opp = glossary.lookup(lexicon.question_terms("Wat is een OPP?", aliases={"OPP": "ontwikkelingsperspectiefplan"}))
    assert [e.chunk_id for e in opp] == ["u#7", "u#4"]


def test_a_term_defined_in_many_chunks_leads_with_a_few_per_region():
    from assistant.glossary import Entry, Glossary, defining_chunks

    thuiszitter = frozenset({"thuiszitter"})
    entries = [Entry(thuiszitter, f"{region[0]}#{i}", region) for i in range(300) for region in ("Utrecht", "Rotterdam")]
    entries += [Entry(frozenset({"over", "verzuim"}), "d#1", "Drechtsteden"), Entry(thuiszitter, "u#0", "Utrecht")]
    glossary = Glossary(entries)
    lexicon = Lexicon()
    lexicon.df = {"thuiszitter": 40, "over": 3, "verzuim": 90}
    found = glossary.lookup(lexicon.question_terms("Wanneer is een leerling een thuiszitter?"))
    assert len(found) == 601 and found[:3] == entries[:3] and found[-1].chunk_id == "u#0"  # document order
    assert defining_chunks(found, per_region=2) == ["U#0", "R#0", "U#1", "R#1"]
    assert defining_chunks(glossary.lookup(lexicon.question_terms("Wat is een thuiszitter?"), ["Rotterdam"]),
                           per_region=3) == ["R#0", "R#1", "R#2"]


def test_a_list_under_a_heading_the_question_names_is_quoted_whole():
    from assistant.answer import ExtractiveAnswerer, quote_blocks

    text = (
        "### PPO thuiszitter coördinatoren\n\n"
        "- Denken mee met schoolcontactpersoon bij casuïstiek.\n"
        "- Melden leerling aan bij Taskforce indien nodig.\n"
        "- Houden aantal thuiszitters bij.\n\n"
        "Daarna volgt de leerplicht."
    )
    record = _record(text, "Melden leerling aan bij Taskforce indien nodig.")
    quoted = lambda blocks: " | ".join(text[a:b] for a, b in blocks)
    assert quoted(quote_blocks(text, record)) == "Melden leerling aan bij Taskforce indien nodig."
    assert quoted(quote_blocks(text, record, whole_list=True)) == (
        "Denken mee met schoolcontactpersoon bij casuïstiek. | Melden leerling aan bij Taskforce indien nodig. | "
        "Houden aantal thuiszitters bij."
    )
    lexicon = Lexicon()
    lexicon.df = {s: 5 for s in lexicon.stems(text + " Wie doet wat? School > Fase 0 Voortraject")}
    answerer = ExtractiveAnswerer(Settings(), lexicon)
    asked = lexicon.question_terms("Wat doen de PPO thuiszitter coördinatoren?").stems()
    assert answerer._names_section(asked, "PPO thuiszitter coördinatoren")
    assert answerer._names_section(lexicon.question_terms("Wat doet de school in het voortraject?").stems(),
                                   "Wie doet wat? School > Fase 0 Voortraject")
    assert not answerer._names_section(asked, "Wie doet wat? School > Fase 0 Voortraject")


def test_a_count_in_the_shown_heading_answers_how_many_but_a_section_number_does_not():
    from llama_index.core.schema import NodeWithScore, TextNode

    from assistant.answer import ExtractiveAnswerer, Scored

    def shown(section: str, sentence: str) -> str:
        node = NodeWithScore(node=TextNode(text=sentence, id_=section, metadata={"section": section}))
        return answerer._shown_text(Scored(_record(sentence, sentence), node, 0, 0.9, 0.9))

    lexicon = Lexicon()
    lexicon.df = {"categorie": 3, "thuiszitter": 40, "situatie": 4}
    answerer = ExtractiveAnswerer(Settings(), lexicon)
    text = shown("3.1 Info leerplicht > Vier categorieën", "In de volgende situaties kan het voorkomen:")
    assert answerer._counts_asked_noun("Hoeveel categorieën zijn er?", text)
    text = shown("Hoofdstuk 3 > 3.3 Doe-agenda thuiszitters", "In 2023 is voor iedere thuiszitter een aanbod.")
    assert not answerer._counts_asked_noun("Hoeveel thuiszitters waren er in 2023?", text)
    # A heading that opens with a count is not a numbered one.
    text = shown("10 punten voor gemeenten en samenwerkingsverbanden", "Geef aandacht aan deze acties.")
    assert answerer._counts_asked_noun("Hoeveel actiepunten noemt de routekaart?", text)


def test_a_number_is_a_topic_word_only_with_its_unit_or_label():
    from assistant.lexicon import bare_numbers

    assert bare_numbers("Luuk is 4 en komt bijna nooit op school.") == {"4"}
    assert bare_numbers("Hij zit al vijf weken thuis, in stap 5, groep 7 en 8, tussen 5 en 16 jaar.") == set()
    assert bare_numbers("Voor leerlingen van 5 t/m 12 jaar, of 5 tot en met 12 jaar.") == set()
    assert bare_numbers("De kinderen zijn 4 en 6, moeten ze naar school?") == {"4", "6"}
    lexicon = Lexicon()
    lexicon.df = {"4": 30, "thuiszitter": 40, "wek": 50}
    assert "4" not in lexicon.question_terms("Luuk is 4. Is hij een thuiszitter?").terms
    assert "4" in lexicon.question_terms("Is hij na 4 weken een thuiszitter?").terms
    # An age spelled out in the same question counts: "kind van vier (4 jaar)".
    assert bare_numbers("Luuk is 4, een kind van vier (4 jaar)") == set()


def test_an_age_is_read_as_its_number_and_unit():
    from assistant.lexicon import tokens
    from assistant.normalise import normalise

    assert tokens("vierjarige leerlingen, een 4-jarige, zesjarigen") == [
        "4", "jaar", "leerlingen", "een", "4", "jaar", "6", "jaar"
    ]
    assert tokens("Hij is jarig") == ["hij", "is", "jarig"]
    assert normalise("Geldt dit ook voor een kind van vier?").phrases == ["4 jaar", "vierjarige"]
    assert normalise("Mijn leerling van 11 zit thuis").phrases == ["thuiszitter", "11 jaar", "elfjarige"]
    # An age that has its unit already, a range, or a number that is not an age: nothing added.
    assert normalise("een zoontje van vijf dat niet naar school wil").phrases == ["5 jaar", "vijfjarige"]
    assert normalise("Een kind van één, wat nu?").phrases == ["1 jaar", "éénjarige"]
    for question in ("Een leerling van 4 jaar", "kinderen van 4 tot 12", "een kind van 5 t/m 12 jaar",
                     "leerlingen van 8 scholen", "de leerlingen van 1 september", "een kind van 2,5",
                     "Luuk is 4"):
        assert not any("jaar" in p for p in normalise(question).phrases), question


def test_a_sentence_that_refers_back_is_quoted_from_the_one_it_refers_to():
    text = ("De meeste kinderen gaan al naar school als ze 4 jaar zijn. Maar zij vallen dan nog niet onder de "
            "leerplicht. Zij zijn dan ook niet te kwalificeren als een thuiszitter. Soms krijgt een kind vrijstelling.")
    blocks = quote_blocks(text, _record(text, "Zij zijn dan ook niet te kwalificeren als een thuiszitter."))
    assert text[blocks[0][0] : blocks[0][1]].startswith("De meeste kinderen gaan al naar school als ze 4 jaar zijn.")
    blocks = quote_blocks(text, _record(text, "Soms krijgt een kind vrijstelling."))
    assert text[blocks[0][0] : blocks[0][1]] == "Soms krijgt een kind vrijstelling."
    # "Voor hen": who they are, the sentence before says.
    text = ("Er zijn kinderen die vanwege psychische of lichamelijke behoeften geen onderwijs kunnen volgen. "
            "Voor hen wordt er een beroep gedaan op een vrijstelling. Voor het vo geldt iets anders.")
    blocks = quote_blocks(text, _record(text, "Voor hen wordt er een beroep gedaan op een vrijstelling."))
    assert text[blocks[0][0] : blocks[0][1]].startswith("Er zijn kinderen die vanwege psychische")
    blocks = quote_blocks(text, _record(text, "Voor het vo geldt iets anders."))
    assert text[blocks[0][0] : blocks[0][1]] == "Voor het vo geldt iets anders."  # no pronoun: no reference


def test_a_negated_question_prefers_the_negated_rule():
    import numpy as np
    from llama_index.core.schema import NodeWithScore, TextNode

    from assistant.answer import Evidence, ExtractiveAnswerer
    from assistant.index import SentenceRecord
    from assistant.normalise import normalise

    text = ("Als er gehoor wordt gegeven aan de oproep, volgt een gesprek.\n\n"
            "Indien er geen gehoor wordt gegeven (ook niet na herhaalde oproep) volgt een DUO-melding.")
    vector = np.ones(4, dtype=np.float32) / 2
    records = [SentenceRecord("c", text.index(t), text.index(t) + len(t), t, vector) for t in text.split("\n\n")]
    node = NodeWithScore(node=TextNode(text=text, id_="c", metadata={"region": "Drechtsteden"}), score=1.0)
    lexicon = Lexicon()
    lexicon.df = {"ouder": 50, "oproep": 2, "gehor": 2}

    def best(question: str) -> str:
        evidence = Evidence(question, normalise(question), vector, [node], {"c": records})
        terms = lexicon.question_terms(question)
        return ExtractiveAnswerer(Settings(), lexicon)._score(evidence, terms, [])[0].record.text

    assert best("Ouders komen niet opdagen na een oproep. Wat nu?").startswith("Indien er geen gehoor")
    assert best("Ouders komen na een oproep. Wat nu?").startswith("Als er gehoor")


def test_a_quote_put_first_for_the_route_asked_does_not_turn_an_answer_into_a_refusal(monkeypatch):
    import numpy as np
    from llama_index.core.schema import NodeWithScore, TextNode

    from assistant.answer import Evidence, ExtractiveAnswerer
    from assistant.index import SentenceRecord
    from assistant.normalise import normalise

    route = "De aanvraag van een AV1 gaat via de coördinator."
    place = "Een plek op het SBO regelt de school met de sectordirecteur."
    vector = np.ones(4, dtype=np.float32) / 2

    def answer(question: str, sentences: list[str]):
        text = "\n\n".join(sentences)
        records = [SentenceRecord("c", text.index(t), text.index(t) + len(t), t, vector) for t in sentences]
        node = NodeWithScore(node=TextNode(text=text, id_="c", metadata={"region": "Drechtsteden"}), score=1.0)
        lexicon = Lexicon()
        lexicon.n_docs, lexicon.df = 100, {"aanvrag": 3, "coordinator": 5, "plek": 10, "sbo": 10, "tijdelijk": 5,
                                           "regel": 10, "sectordirecteur": 3, "school": 90, "gat": 30, "av1": 2}
        lexicon.max_idf = lexicon.idf_of_df(1) + 1.0
        evidence = Evidence(question, normalise(question), vector, [node], {"c": records})
        return ExtractiveAnswerer(Settings(min_coverage=0.25, min_sentence_cosine=0.5), lexicon).answer(evidence)

    # "Hoe regel ik ...?" asks for the route of a request: a close quote that gives one leads ...
    shown = answer("Hoe regel ik een AV1?", ["Een AV1 is een robot.", route])
    assert not shown.refused and shown.answer.index("De aanvraag van een AV1") < shown.answer.index("Een AV1 is")
    # ... unless it covers too little of the question to answer, while the best one does (this
    # rule alone: without the nearly-as-close fallback, which would also pick the best one).
    monkeypatch.setattr(ExtractiveAnswerer, "_near_covering", lambda self, e, t, ranked, signals: (ranked, signals))
    shown = answer("Hoe regel ik een plek op het SBO?", [place, route])
    assert not shown.refused and "Een plek op het SBO" in shown.answer


def test_a_sentence_nearly_as_close_that_covers_the_question_answers_for_a_best_that_covers_too_little():
    import numpy as np
    from llama_index.core.schema import NodeWithScore, TextNode

    from assistant.answer import Evidence, ExtractiveAnswerer
    from assistant.index import SentenceRecord
    from assistant.normalise import normalise

    closest = "Ingrado en Gedragswerk ondersteunen gemeenten."
    covering = "Samenwerken met regionale werkgevers helpt thuiszitters een opleiding af te ronden."
    query = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)

    def at(cosine: float) -> np.ndarray:
        return np.array([cosine, (1 - cosine**2) ** 0.5, 0.0, 0.0], dtype=np.float32)

    def answer(question: str, covering_cosine: float, second: str = covering, after: str = "", first: str = closest):
        text = f"{first}\n\n{second}{after}"
        records = [SentenceRecord("c", text.index(t), text.index(t) + len(t), t, at(c))
                   for t, c in ((first, 0.995), (second, covering_cosine))]
        node = NodeWithScore(node=TextNode(text=text, id_="c", metadata={"region": "Landelijk"}), score=1.0)
        lexicon = Lexicon()
        lexicon.n_docs, lexicon.df = 100, {"rol": 20, "werkgever": 2, "thuiszitter": 80, "regional": 5,
                                           "gemeent": 30, "ondersteun": 20, "ingrado": 3, "gedragswerk": 3,
                                           "leerling": 60, "schol": 90, "stad": 40, "zomer": 40, "vrag": 50, "sind": 60}
        lexicon.max_idf = lexicon.idf_of_df(1) + 1.0
        evidence = Evidence(question, normalise(question), query, [node], {"c": records})
        return ExtractiveAnswerer(Settings(min_coverage=0.25, min_sentence_cosine=0.8), lexicon).answer(evidence)

    # The closest sentence shares no word asked about; one scored 0.005 behind it covers the question.
    shown = answer("Welke rol hebben werkgevers bij thuiszitters?", 0.915)
    assert not shown.refused and shown.answer.index("Samenwerken met regionale werkgevers") < shown.answer.find("Ingrado")
    # Further behind, it is not the question's answer: refused.
    assert answer("Welke rol hebben werkgevers bij thuiszitters?", 0.88).refused
    # Nearly as close but covering less than 1.4 times the floor (0.33: "rol", "thuiszitters"): refused.
    assert answer("Welke rol hebben werkgevers bij thuiszitters?", 0.94, "Thuiszitters hebben een rol.").refused
    # A long question's floor is lower (see `refusal_reason`), and so is what covers it well:
    # 1.4 times its own floor. The same covering sentence, after a told situation of 20 words.
    # (26 words: floor 0.19, covering it well 0.27; "Werkgevers hebben een rol bij thuiszitters." 0.28.)
    long = ("Op onze school in de stad zitten sinds de zomer steeds meer leerlingen thuis, en ik vraag me dus "
            "iets. Welke rol hebben werkgevers bij thuiszitters?")
    assert not answer(long, 0.945, "Werkgevers hebben een rol bij thuiszitters.").refused
    assert answer(long, 0.945, "Werkgevers en thuiszitters.").refused  # 0.20: above the floor, not well
    # A detail asked ("hoe lang") the covering sentence must give itself, not an item of the list it opens.
    question, first = "Hoe lang duurt de rol van werkgevers bij thuiszitters?", "Ingrado steunt gemeenten al 2 jaar."
    assert not answer(question, 0.915, "De rol van werkgevers bij thuiszitters duurt 4 weken.", first=first).refused
    assert answer(question, 0.915, "De rol van werkgevers bij thuiszitters:", "\n\n- Duur: 4 weken", first=first).refused


def test_a_refusal_explains_only_what_it_checked():
    from assistant.answer import Signals, explain_refusal

    assert explain_refusal(Signals(0.9, 1.0, 0.0, ("amsterdam",))) == "De documenten die ik ken gaan niet over Amsterdam."
    assert explain_refusal(Signals(0.9, 1.0, 0.0, ("haag",))) == "De documenten die ik ken gaan niet over Den Haag."
    detail = Signals(0.9, 1.0, 0.0, (), missing=("telefoonnummers",))
    assert explain_refusal(detail) == "De passage die het best bij de vraag past, noemt geen telefoonnummers."
    # Rotterdam and the Drechtsteden lie in Zuid-Holland.
    assert Lexicon().question_terms("Wie meldt een thuiszitter in Zuid-Holland?").places == set()
    assert Lexicon().question_terms("Wie meldt een thuiszitter in Noord-Holland?").places == {"holland"}
    assert "aantal" in explain_refusal(Signals(0.9, 1.0, 0.0, (), counts=False))
    assert explain_refusal(Signals(0.7, 0.1, 0.5, ())) == ""  # too far off: nothing more to say
    primary = Signals(0.9, 1.0, 0.0, (), primary_only="Drechtsteden")
    assert explain_refusal(primary) == ("In de Drechtsteden gaan de documenten die ik ken alleen over het primair "
                                        "onderwijs, niet over het voortgezet onderwijs.")


def test_a_question_about_secondary_education_is_told_from_one_about_primary():
    from assistant.sector import asks_secondary, covers_secondary

    for question in ("Welke procedure volgt een middelbare school als een leerling thuiszit?",
                     "Wat doet een vo-school bij verzuim?", "Mijn leerling zit in havo 3 en komt niet meer.",
                     "Wie meldt verzuim in het voortgezet onderwijs?", "Geldt dit ook in het vo?"):
        assert asks_secondary(question), question
    assert asks_secondary("Geldt dit op het gymnasium?") and asks_secondary("Wat als een mavo-leerling thuiszit?")
    for question in ("Wanneer komt het Interventieteam VO in actie?",  # a body's name, not the school type
                     "Een jongen uit groep 8 gaat straks naar de middelbare school. Kan hij naar GOAL?",
                     "Is een consulent er voor het po of het vo?", "Wie meldt verzuim op de basisschool?",
                     "Geldt dit voor basisscholen en middelbare scholen?", "Wat als groepen 7 en 8 op het vo letten?",
                     "Wat doen we bij de overstap naar het voortgezet onderwijs?",
                     "Mijn dochter van 11 gaat volgend jaar naar de middelbare school.",
                     "Hoe ziet het VO-aanbod eruit?"):
        assert not asks_secondary(question), question
    assert covers_secondary({"sector": "PO + VO"}) and not covers_secondary({"sector": "PO"})
    assert covers_secondary({"sector": "VSO"}) and not covers_secondary({"sector": "SO"})
    assert covers_secondary({})  # a document that says nothing is not ruled out


def test_a_past_participle_the_corpus_lacks_is_read_as_its_verb():
    lexicon = Lexicon()
    lexicon.df = {"monitor": 5, "rapporter": 1, "hal": 1, "resultat": 3}
    assert lexicon.participle_stem("gemonitord") == "monitor"
    assert lexicon.participle_stem("gerapporteerd") == "rapporter"
    assert lexicon.participle_stem("gehaald") == "hal"
    assert lexicon.participle_stem("gestopt") is None  # no such verb in the documents
    terms = lexicon.question_terms("Hoe vaak worden de resultaten gemonitord?")
    assert terms.terms == {"monitor", "resultat"} and not terms.oov


def test_a_past_participle_the_corpus_has_is_also_met_by_its_verb():
    lexicon = Lexicon()
    lexicon.df = {"gemeld": 2, "meld": 9, "thuiszit": 4}
    terms = lexicon.question_terms("We hebben het thuiszitten gemeld.")
    assert terms.terms == {"gemeld", "thuiszit"}
    assert terms.met("gemeld", {"meld"}) and terms.met("gemeld", {"gemeld"})
    assert not terms.met("thuiszit", {"meld"})
    lexicon.df.update({"bied": 20, "gebied": 3})
    assert not lexicon.question_terms("In welk gebied?").met("gebied", {"bied"})  # no participle of "bieden"


def test_past_forms_of_strong_verbs_are_read_as_their_infinitive():
    lexicon = Lexicon()
    assert lexicon.stems("Ze zat thuis en kwam niet") == lexicon.stems("Ze zitten thuis en komen niet")
    assert lexicon.stems("een plek gevonden") == lexicon.stems("een plek vinden")
    assert lexicon.words("het werd besloot") == lexicon.words("het werd besluiten") == ["besluiten"]  # "werd" is a function word
    # Forms that are mostly other words stay as they are.
    assert lexicon.words("In welke gevallen moet de school vroeg signaleren?") == ["gevallen", "school", "vroeg", "signaleren"]


def test_pronominal_adverbs_are_function_words():
    words = Lexicon().words("Wat kan het buurtteam doen voor een gezin waarvan het kind daarna thuis zit?")
    assert "waarvan" not in words and "daarna" not in words
    assert {"buurtteam", "gezin", "kind"} <= set(words)


def test_a_passage_compound_names_its_last_part_for_the_refusal_check():
    lexicon = Lexicon()
    lexicon.df = {"onderwijs": 40, "plek": 10, "onderwijsplek": 3, "passend": 30, "zitten": 5, "zit": 20}
    # "Een passende onderwijsplek" is a plek: the coverage that decides a refusal counts it ...
    assert "plek" in lexicon.passage_stems("een passende onderwijsplek", heads=True)
    # ... the ranking does not (a "casusregie" would outrank "de regie" a question asks about).
    assert "plek" not in lexicon.passage_stems("een passende onderwijsplek")
    assert lexicon.compound_head("onderwijs") is None  # no compound
    lexicon.df.update({"vor": 50, "kom": 40, "thuiszit": 30, "ter": 2})
    # Formed with a particle ("voorkomen": no "komen"); a last part of four letters and a
    # three-letter stem is no word of its own ("thuiszitters": no "ter").
    assert lexicon.compound_head("voorkomen") is None and lexicon.compound_head("thuiszitters") is None


def test_past_auxiliaries_pronouns_and_contractions_are_function_words():
    lexicon = Lexicon()
    lexicon.df = {"moet": 40, "doel": 3, "jar": 12, "kind": 30, "zestiend": 1}
    # "moest" stems to "moet", a word the documents use: still no topic of the question.
    terms = lexicon.question_terms("Zowel Utrecht als Rotterdam: in welk jaar moest dat doel volgens hen gehaald zijn?")
    assert {"moet", "hen", "zowel"}.isdisjoint(terms.terms | terms.oov) and {"doel", "jar"} <= terms.terms
    assert "gehad" not in lexicon.words("We hebben net een actietafel gehad.")  # "hebben"'s participle
    assert lexicon.words("Zijn ze waarschijnlijk allemaal ziek?") == ["ziek"]  # filler
    # "er is sprake van" says "there is": "Wanneer is er sprake van luxe verzuim?" asks about luxe verzuim
    # only (its definition, "**Luxe verzuim**: ...", covers all of it).
    assert lexicon.words("Wanneer is er sprake van luxe verzuim?") == ["luxe", "verzuim"]
    assert lexicon.words("Mag ‘t ook?") == lexicon.words("Mag 't ook?")  # a typographic apostrophe
    # "z'n" is "zijn", not a word "z"; "'t" is "het".
    assert lexicon.words("Houdt dat op na z'n zestiende, of mag 't kind thuis blijven?") == [
        "houdt", "zestiende", "kind", "thuis", "blijven"]


def test_an_apostrophe_s_plural_is_one_word():
    assert Lexicon().words("Wat doen gemeenten en swv's?") == ["gemeenten", "swv"]


def test_words_that_say_what_a_document_says_are_not_topic_words():
    # "zo'n" is "zo een" (no word "n"), "één" is the number, and "verstaat", "bedoelt",
    # "noemt" ask what a document says, which says nothing about the topic.
    lexicon = Lexicon()
    assert lexicon.words("Hoe lang duurt zo'n plek op één school?") == ["duurt", "plek", "1", "school"]
    assert lexicon.words("Eén school") == ["1", "school"]
    # Words that say what kind of question it is: a comparison.
    assert lexicon.words("De regie bij PPO naast (of vergeleken met) de landelijke routekaart?") == [
        "regie", "ppo", "landelijke", "routekaart"
    ]
    assert lexicon.words("Wat verstaat PPO onder een thuiszitter, en wat noemt het routeboek zo?") == [
        "ppo", "thuiszitter", "routeboek"
    ]


def test_a_quoted_definition_still_needs_half_the_coverage_floor():
    from assistant.answer import ExtractiveAnswerer, Signals

    answerer = ExtractiveAnswerer(Settings(min_coverage=0.25), Lexicon())
    case = Signals(cosine=0.85, coverage=0.20, oov_share=0.0, places=(), defines=True)
    assert answerer.refusal_reason(case) is None  # "is hij dan een thuiszitter?"
    only_named = Signals(cosine=0.85, coverage=0.01, oov_share=0.0, places=(), defines=True)
    assert answerer.refusal_reason(only_named)  # "Wanneer is een thuiszitter jarig?"
    assert answerer.refusal_reason(Signals(cosine=0.85, coverage=0.20, oov_share=0.0, places=()))


def test_a_chunk_found_only_by_its_nearest_sentence_needs_more_coverage():
    import numpy as np
    from llama_index.core.schema import NodeWithScore, TextNode

    from assistant.answer import Evidence, ExtractiveAnswerer
    from assistant.index import SentenceRecord
    from assistant.normalise import normalise

    text = "De leerling mag negen keer te laat komen."
    vector = np.ones(4, dtype=np.float32) / 2
    records = {"c": [SentenceRecord("c", 0, len(text), text, vector)]}
    node = NodeWithScore(node=TextNode(text=text, id_="c", metadata={"region": "Drechtsteden"}), score=1.0)
    lexicon = Lexicon()
    lexicon.n_docs, lexicon.df = 100, {"leerling": 50, "lat": 20, "kom": 40, "ochtend": 1, "maandag": 1}
    lexicon.max_idf = lexicon.idf_of_df(1) + 1.0
    answerer = ExtractiveAnswerer(Settings(min_coverage=0.25), lexicon)

    def scored(question: str, by_sentence: frozenset) -> list:
        evidence = Evidence(question, normalise(question), vector, [node], records, by_sentence=by_sentence)
        return answerer._score(evidence, lexicon.question_terms(question), [])

    # Covers 0.28 of the question (not "maandag ochtend"): enough for a retrieved chunk, too
    # little for one only the sentence search found (the floor is 1.5 x 0.25).
    question = "Mag een leerling maandag ochtend te laat komen?"
    assert scored(question, frozenset())
    assert not scored(question, frozenset({"c"}))
    # Covering most of the question, it counts either way.
    assert scored("Hoe vaak mag een leerling te laat komen?", frozenset({"c"}))


def test_a_quote_with_every_asked_word_is_not_refused_for_embedding_far():
    from assistant.answer import ExtractiveAnswerer, Signals

    answerer = ExtractiveAnswerer(Settings(min_sentence_cosine=0.80), Lexicon())
    # "Wie heeft de regie?" -> "School van inschrijving is en blijft degene die de regie heeft."
    assert answerer.refusal_reason(Signals(cosine=0.78, coverage=1.0, oov_share=0.0, places=())) is None
    assert answerer.refusal_reason(Signals(cosine=0.76, coverage=1.0, oov_share=0.0, places=()))  # a little only
    assert answerer.refusal_reason(Signals(cosine=0.78, coverage=0.9, oov_share=0.0, places=()))
    assert answerer.refusal_reason(Signals(cosine=0.78, coverage=1.0, oov_share=0.2, places=()))


def test_a_long_question_that_tells_a_situation_needs_less_of_its_words_in_the_quote():
    from assistant.answer import COVERAGE_WORDS, ExtractiveAnswerer, Signals

    answerer = ExtractiveAnswerer(Settings(min_sentence_cosine=0.80, min_coverage=0.25), Lexicon())

    def refused(coverage: float, words: int) -> bool:
        return answerer.refusal_reason(Signals(cosine=0.87, coverage=coverage, oov_share=0.0, places=(),
                                               words=words)) is not None

    # Up to COVERAGE_WORDS words, the whole floor; then it falls with the length.
    assert refused(0.24, 8) and refused(0.24, COVERAGE_WORDS) and not refused(0.25, COVERAGE_WORDS)
    assert not refused(0.24, 30) and not refused(0.17, 30) and refused(0.16, 30)
    assert refused(0.24, 0)  # length unknown: the whole floor
    assert not refused(0.13, 80) and refused(0.12, 80)  # never below half of it


def test_a_duration_question_prefers_a_quote_that_gives_a_duration():
    from assistant.answer import DURATION_QUESTION, DURATION_SPAN

    for question in ("Hoe lang duurt een brugplaatsing?", "Hoe recent moet de verklaring van de arts zijn?",
                     "Binnen welke termijn moet er een aanbod zijn?", "hoelang mag dat?"):
        assert DURATION_QUESTION.search(question), question
    assert not DURATION_QUESTION.search("Wie heeft de regie over een thuiszitter?")
    for quote in ("De brugplaatsing is voor beperkte tijd, ca. 6 weken.", "niet ouder dan drie maanden",
                  "na vier schoolweken"):
        assert DURATION_SPAN.search(quote), quote
    assert not DURATION_SPAN.search("een leerling uit groep 8 met 16 uur verzuim")


def test_a_frequency_question_prefers_a_quote_that_gives_a_frequency():
    from assistant.answer import FREQUENCY_QUESTION, FREQUENCY_SPAN

    for question in ("Hoe vaak mag een leerling te laat komen?", "Hoeveel keer per jaar is er overleg?",
                     "hoevaak wordt dat gemonitord?"):
        assert FREQUENCY_QUESTION.search(question), question
    assert not FREQUENCY_QUESTION.search("Hoe lang duurt een brugplaatsing?")
    for quote in ("negen keer te laat komen", "We monitoren de resultaten maandelijks.",
                  "kwartaalrapportages naar de inspectie", "een gesprek per week"):
        assert FREQUENCY_SPAN.search(quote), quote
    assert not FREQUENCY_SPAN.search("binnen vier weken na de melding")


def test_a_verb_form_with_t_meets_its_other_forms_both_ways():
    lexicon = Lexicon()
    lexicon.df = {"komt": 3, "kom": 9, "dur": 4, "duurt": 2, "laatst": 2, "lat": 5, "thuiszit": 4}
    terms = lexicon.question_terms("Hoe lang duurt het voordat hij weer komt?")
    assert terms.met("duurt", {"dur"}) and terms.met("komt", {"kom"})
    back = lexicon.question_terms("Wanneer komen ze terug?")
    assert back.met("kom", {"komt"})
    assert not lexicon.question_terms("Wat is het laatste gesprek?").met("laatst", {"lat"})  # a superlative
    assert not terms.met("komt", {"thuiszit"})


def _chunk(chunk_id: str, text: str, section: str = "Stappen"):
    from llama_index.core.schema import TextNode

    return TextNode(id_=chunk_id, text=text, metadata={"section": section})


def _next_place(node, start, following):
    """Where the next step begins (`step_after(...).place`)."""
    from assistant.next_step import step_after

    return step_after(node, start, following).place


def test_a_next_step_is_the_next_numbered_item_or_phase():
    from assistant.chunk import following_ids
    from assistant.next_step import asks_next_step

    for question in ("Wat is de volgende stap?", "Wat gebeurt er daarna?", "Ouders komen niet. Wat nu?",
                     "En als er nog steeds geen aanbod is, wat dan?", "wat moet ik dan doen?"):
        assert asks_next_step(question), question
    for question in ("Wie heeft de regie?", "Hoe lang duurt een brugplaatsing?", "Wanneer meld ik dan?"):
        assert not asks_next_step(question), question
    assert following_ids("doc#4.0") == ["doc#4.1", "doc#5.0"]

    steps = "Stappen:\n1. De school meldt.\n   - een detail\n2. De IB-er belt.\n2. Of de directeur belt.\n3. Het OT besluit.\n\nNa de lijst."
    chunks = {"doc#1.0": _chunk("doc#1.0", steps)}
    at = _next_place(chunks["doc#1.0"], steps.index("De IB-er"), chunks.get)
    assert steps[at.start:].startswith("3. Het OT")  # the next number, past a second "2."
    assert _next_place(chunks["doc#1.0"], steps.index("De school"), chunks.get).start == steps.index("2. De IB-er")
    assert _next_place(chunks["doc#1.0"], steps.index("Het OT"), chunks.get) is None  # the last step
    assert _next_place(chunks["doc#1.0"], steps.index("Na de lijst"), chunks.get) is None  # prose

    # The chunk ends inside step 3: the next part of the section repeats it whole.
    first = "1. Eerst.\n2. Dan.\n3. Zo niet dan beslist de DB."
    whole = "3. Zo niet dan beslist de DB. De DB neemt een doorzettingsbesluit.\n4. Klaar."
    chunks = {"doc#2.0": _chunk("doc#2.0", first), "doc#2.1": _chunk("doc#2.1", whole)}
    at = _next_place(chunks["doc#2.0"], first.index("Dan"), chunks.get)
    assert at.node.node_id == "doc#2.1" and at.start == 0
    # Step 4 is only in the next part.
    assert _next_place(chunks["doc#2.0"], first.index("Zo niet"), chunks.get).node.node_id == "doc#2.1"

    # Phases under headings: Fase 1 -> the first line of Fase 2, past Fase 1's second part.
    chunks = {
        "doc#3.0": _chunk("doc#3.0", "- **School:** Meldt.", "Aanpak > Fase 1 Melding"),
        "doc#3.1": _chunk("doc#3.1", "- **Ouders:** Tekenen.", "Aanpak > Fase 1 Melding"),
        "doc#4.0": _chunk("doc#4.0", "### Fase 2 Gesprek\n\n- **School:** Organiseert gesprek.", "Aanpak > Fase 2 Gesprek"),
        "doc#5.0": _chunk("doc#5.0", "Iets anders.", "Bijlage"),
    }
    at = _next_place(chunks["doc#3.0"], 2, chunks.get)
    assert at.node.node_id == "doc#4.0" and chunks["doc#4.0"].text[at.start:].startswith("- **School:** Organiseert")
    assert _next_place(chunks["doc#4.0"], 30, chunks.get) is None  # no Fase 3 in this part of the document
    # Chapter numbers are no phases.
    chunks = {"doc#6.0": _chunk("doc#6.0", "Gesprek.", "1.5 Gesprek"), "doc#7.0": _chunk("doc#7.0", "Stopt.", "1.6 Stopt")}
    assert _next_place(chunks["doc#6.0"], 0, chunks.get) is None


def test_the_next_step_comes_with_the_branches_numbered_like_it():
    # A flowchart written as a list numbers its branches alike: after step 1 comes one of the
    # two steps 2 (past the first one's explanation), never step 3 or a deeper item.
    from assistant.next_step import step_after

    steps = ("1. De school meldt.\n2. Geen aanbod.\n   - een toelichting\n2. Wel een aanbod.\n"
             "   3. een genest punt\n3. Opschalen.")
    chunks = {"doc#1.0": _chunk("doc#1.0", steps)}
    after = step_after(chunks["doc#1.0"], 0, chunks.get)
    assert after.place.start == steps.index("2. Geen")
    assert [p.start for p in after.alternatives] == [steps.index("2. Wel")]
    # The last branch has none after it, and a single next step has none at all.
    assert step_after(chunks["doc#1.0"], steps.index("Geen"), chunks.get).place.start == steps.index("3. Opschalen")
    assert step_after(chunks["doc#1.0"], steps.index("Geen"), chunks.get).alternatives == ()
    # A phase heading is one step: no alternatives.
    assert step_after(chunks["doc#1.0"], steps.index("Opschalen"), chunks.get).alternatives == ()


def test_the_last_step_of_a_list_or_of_the_phases_is_known_as_the_last():
    from assistant.next_step import After as StepAfter
    from assistant.next_step import step_after

    steps = "Stappen:\n1. De school meldt.\n2. Het OT besluit.\n\nNa de lijst."
    chunks = {"doc#1.0": _chunk("doc#1.0", steps)}
    assert step_after(chunks["doc#1.0"], steps.index("Het OT"), chunks.get).last  # a paragraph ends the list
    assert not step_after(chunks["doc#1.0"], steps.index("De school"), chunks.get).last  # step 2 follows
    assert not step_after(chunks["doc#1.0"], steps.index("Na de lijst"), chunks.get).last  # prose is no step
    # The list goes on past the chunk's end: the section's next part decides.
    ends = {"doc#2.0": _chunk("doc#2.0", "1. Eerst.\n2. Dan."), "doc#2.1": _chunk("doc#2.1", "2. Dan.\n\nKlaar.")}
    assert step_after(ends["doc#2.0"], 10, ends.get).last
    goes_on = {"doc#3.0": _chunk("doc#3.0", "1. Eerst.\n2. Dan."), "doc#3.1": _chunk("doc#3.1", "2. Dan.\n5. Later.")}
    assert not step_after(goes_on["doc#3.0"], 10, goes_on.get).last  # further than can be seen: left open
    # An item's indented explanation ends the chunk: the next part holds step 2.
    explained = {"doc#9.0": _chunk("doc#9.0", "1. Eerst.\n\n    Toelichting."),
                 "doc#9.1": _chunk("doc#9.1", "    Toelichting.\n\n2. Dan.")}
    after = step_after(explained["doc#9.0"], 3, explained.get)
    assert after.place is not None and after.place.node.node_id == "doc#9.1" and not after.last
    # The next part holds the rest of the last item, then a paragraph: the list ended there.
    ended = {"doc#11.0": _chunk("doc#11.0", "1. Eerst.\n2. Laatste stap.\n\n    Toelichting"),
             "doc#11.1": _chunk("doc#11.1", "    Toelichting.\n\nDe lijst is klaar. Iets anders:\n\n3. Een ander punt.")}
    assert step_after(ended["doc#11.0"], ended["doc#11.0"].text.index("Laatste"), ended.get) == StepAfter(
        None, last=True, step=True)
    # The overlap starts before the list's introduction: read on after the item's own line.
    before = {"doc#12.0": _chunk("doc#12.0", "De school werkt zo. De stappen:\nStappen:\n1. Meldt.\n2. Het OT besluit."),
              "doc#12.1": _chunk("doc#12.1", "De stappen:\nStappen:\n1. Meldt.\n2. Het OT besluit.\n3. Leerplicht.")}
    after = step_after(before["doc#12.0"], before["doc#12.0"].text.index("Het OT"), before.get)
    assert after.place.node.node_id == "doc#12.1" and before["doc#12.1"].text[after.place.start:] == "3. Leerplicht."
    # A numbered list nested in a step lists options, not steps: no next step, and not the last.
    nested = "8. Opties:\n      1. Verlenging\n      2. Behandeling\n9. De school verwijst.\n\nKlaar."
    options = {"doc#10.0": _chunk("doc#10.0", nested)}
    assert step_after(options["doc#10.0"], nested.index("Verlenging"), options.get) == StepAfter(None)
    assert step_after(options["doc#10.0"], nested.index("Behandeling"), options.get) == StepAfter(None)
    # The last phase: the next chunk belongs to another part of the document.
    phases = {
        "doc#4.0": _chunk("doc#4.0", "- **School:** Meldt.", "Aanpak > Fase 1 Melding"),
        "doc#5.0": _chunk("doc#5.0", "- **School:** Sluit af.", "Aanpak > Fase 2 Afronden"),
        "doc#6.0": _chunk("doc#6.0", "Iets anders.", "Bijlage"),
    }
    assert not step_after(phases["doc#4.0"], 2, phases.get).last
    assert step_after(phases["doc#5.0"], 2, phases.get).last
    chapters = {"doc#7.0": _chunk("doc#7.0", "Gesprek.", "1.5 Gesprek"), "doc#8.0": _chunk("doc#8.0", "Stopt.", "1.6 Stopt")}
    assert step_after(chapters["doc#7.0"], 0, chapters.get) == StepAfter(None)  # no step at all


def test_a_next_step_question_is_searched_by_the_situation_it_describes():
    from assistant.next_step import situation

    regions = {"utrecht", "utrechtse", "rotterdam", "ppo"}  # as the lexicon's region words
    assert situation("Hij is gemeld. Wat doet PPO daarna in Rotterdam?", regions) == "Hij is gemeld. doet PPO"
    # The asking question keeps only its words other than question and region words.
    assert situation("School schakelt kernpartners in. Wat is in Utrecht de volgende stap?", regions) == (
        "School schakelt kernpartners in.")
    assert situation("Een leerling zit al drie weken thuis. Wat moet de school nu doen?", regions) == (
        "Een leerling zit al drie weken thuis. school")
    assert situation("Hij zit thuis. Ouders willen niet meewerken, wat nu?", regions) == (
        "Hij zit thuis. Ouders willen niet meewerken")
    assert situation("Ouders komen niet opdagen, ook niet na een tweede oproep. Wat nu?", regions) == (
        "Ouders komen niet opdagen, ook niet na een tweede oproep.")
    assert situation("Ouders komen niet opdagen. Wat nu?!", regions) == "Ouders komen niet opdagen."  # as asking()
    # Only a question asks: "daarna" in a description describes.
    described = "De IB-er heeft het besproken met ouders en daarna met het kernteam. Het verzuim loopt op. Wat nu?"
    assert situation(described, regions) == (
        "De IB-er heeft het besproken met ouders en daarna met het kernteam. Het verzuim loopt op.")
    # Nothing else said, or nothing asks: the question stays whole.
    for question in ("Wat is de volgende stap na een melding bij leerplicht?", "En dan? Wat nu?",
                     "Hij is gemeld en daarna besproken."):
        assert situation(question, regions) == question


def test_a_quote_with_a_lead_says_what_it_is_to_the_one_before():
    from assistant.cite import Quote, compose

    node = _chunk("doc#1.0", "1. Eerst.\n2. Dan.", "Fase 1 Melding")
    node.metadata.update(region="Rotterdam", organisation="PPO Rotterdam")
    answer = compose("Wat is de volgende stap?", [Quote(node, ["1. Eerst."]), Quote(node, ["2. Dan."], lead="Daarna")])
    assert "- Daarna, onder „Fase 1 Melding”: „2. Dan.”" in answer.answer
    assert answer.next_steps == [("Rotterdam", "2. Dan.")]  # the situation of a follow-up "en dan?"
    # After the last step: the answer says so, and an "en dan?" stays at that step.
    answer = compose("Wat is de volgende stap?", [Quote(node, ["1. Eerst."]),
                                                  Quote(node, ["2. Dan."], lead="Daarna", last_step=True)])
    assert "„2. Dan.” [1] (hierna noemt het document geen volgende stap)" in answer.answer
    answer = compose("Wat is de volgende stap?", [Quote(node, ["2. Dan."], last_step=True)])
    assert answer.next_steps == [("Rotterdam", "2. Dan.")] and "geen volgende stap" in answer.answer
    # A quote left without parts (all of it already shown) is no quote, and no crash.
    assert "Daarna" not in compose("?", [Quote(node, ["1. Eerst."]), Quote(node, ["  "], lead="Daarna")]).answer


def test_a_next_step_is_found_past_the_rest_of_an_item_and_never_quoted_twice():
    from assistant.next_step import asks_next_step

    assert not asks_next_step("Wat moet de school daarnaast doen?")  # "daarnaast" is no "daarna"
    assert not asks_next_step("Wat nummer heeft de stap?")
    # The next chunk starts inside item 2 (the splitter's overlap): step 3 is after it.
    first = "1. Eerst.\n2. Leerplicht nodigt ouders uit. Dat gebeurt schriftelijk."
    rest = "Dat gebeurt schriftelijk.\n3. Het gesprek."
    chunks = {"doc#1.0": _chunk("doc#1.0", first, "Fase 1 Melding"), "doc#1.1": _chunk("doc#1.1", rest, "Fase 1 Melding")}
    at = _next_place(chunks["doc#1.0"], first.index("Leerplicht"), chunks.get)
    assert at.node.node_id == "doc#1.1" and rest[at.start:].startswith("3. Het gesprek")


def test_a_separable_verbs_participle_meets_its_joined_and_split_forms():
    lexicon = Lexicon()
    lexicon.df = {"ingeschakeld": 2, "inschakel": 3, "schakelt": 2, "schakel": 4, "kernpartner": 9, "nodig": 30}
    assert lexicon.separable_participle("ingeschakeld") == ("inschakel", "schakelt")
    terms = lexicon.question_terms("Heeft de school de kernpartners ingeschakeld?")
    assert terms.met("ingeschakeld", {"schakelt", "kernpartner"}) and terms.met("ingeschakeld", {"inschakel"})
    assert not terms.met("ingeschakeld", {"schakel"})  # a bare stem may be another word
    assert lexicon.separable_participle("uitgenodigd") == ()  # "nodig" is no form of "uitnodigen"
    assert lexicon.separable_participle("gemeld") == ()  # no particle
    # A finite form that stems to the bare verb is left out: "meldt" stems to "meld" (melding).
    lexicon = Lexicon()
    lexicon.df = {"aangemeld": 2, "aanmeld": 3, "meld": 22, "melding": 9, "afgerond": 2, "afrond": 2, "rond": 12}
    assert lexicon.separable_participle("aangemeld") == ("aanmeld",)
    assert lexicon.separable_participle("afgerond") == ("afrond",)
    assert not lexicon.question_terms("Is de leerling aangemeld?").met("aangemeld", {"meld"})
    # A long vowel: the infinitive drops its second letter ("opschalen"), the finite form keeps it.
    lexicon = Lexicon()
    lexicon.df = {"opschal": 4, "schaalt": 2, "schalt": 2, "deelt": 3, "indel": 2}
    assert lexicon.separable_participle("opgeschaald") == ("opschal", "schaalt")
    assert lexicon.separable_participle("ingedeeld") == ("indel", "deelt")
    # A strong verb's participle: "vastgelopen" is met by "vastlopen" and "(als het proces) vastloopt",
    # not by "loopt" alone.
    lexicon = Lexicon()
    lexicon.df = {"vastlop": 2, "vastloopt": 3, "loopt": 9, "lop": 5, "casus": 8}
    assert lexicon.separable_participle("vastgelopen") == ("vastlop", "vastloopt")
    terms = lexicon.question_terms("Wat als de casus is vastgelopen?")
    assert terms.met("vastgelop", {"vastloopt"}) and not terms.met("vastgelop", {"loopt"}) and not terms.oov


def test_a_finite_verb_the_documents_lack_is_met_by_its_participle():
    lexicon = Lexicon()
    lexicon.df = {"gemist": 2, "geregeld": 3, "leerling": 40, "dag": 20, "gemeent": 30, "gedeelt": 4, "gebied": 5,
                  "gedeeld": 2, "gemeld": 9}
    assert lexicon.finite_participle("mist") == "gemist" and lexicon.finite_participle("regelt") == "geregeld"
    assert lexicon.finite_participle("verzuimt") is None and lexicon.finite_participle("dag") is None
    # 't kofschip picks the ending: "deelt" is gedeeld (not "gedeelt", gedeeltelijk), "meent" no "gemeente".
    assert lexicon.finite_participle("deelt") == "gedeeld" and lexicon.finite_participle("meent") is None
    assert lexicon.finite_participle("meldt") == "gemeld" and lexicon.finite_participle("biedt") is None  # gebied
    terms = lexicon.question_terms("Een leerling mist steeds losse dagen.")
    assert {"gemist", "leerling", "dag"} <= terms.terms


def test_a_diminutive_is_read_as_its_noun():
    lexicon = Lexicon()
    lexicon.df = {"lijst": 4, "schol": 50, "bal": 2, "plek": 9}
    assert lexicon.diminutive_stem("lijstje") == "lijst" and lexicon.diminutive_stem("schooltje") == "schol"
    assert lexicon.diminutive_stem("balletje") == "bal" and lexicon.diminutive_stem("plekjes") == "plek"
    assert lexicon.diminutive_stem("meisje") is None  # no noun of the documents under it
    terms = lexicon.question_terms("Staat er een lijstje op het schooltje?")
    assert terms.terms == {"lijst", "schol"} and not terms.oov


def test_a_plural_snowball_keeps_apart_is_read_as_its_singular():
    lexicon = Lexicon()
    lexicon.df = {"fas": 23, "plan": 12, "casus": 8, "aanpak": 40, "kent": 5, "wij": 9, "prij": 2}
    assert lexicon.plural_stem("fases") == "fas"
    assert lexicon.plural_stem("plannen") == "plan" and lexicon.plural_stem("casussen") == "casus"
    assert lexicon.plural_stem("cases") is None and lexicon.plural_stem("ouders") is None  # no such noun here
    assert lexicon.plural_stem("wijs") is None and lexicon.plural_stem("prijs") is None  # singulars in -s
    terms = lexicon.question_terms("Welke fases kent de aanpak?")
    assert "fas" in terms.terms and not terms.oov


def test_a_separable_verbs_infinitive_meets_its_split_finite_form():
    lexicon = Lexicon()
    lexicon.df = {"aanvrag": 5, "vrag": 20, "vraagt": 4, "vrijstell": 6, "ouder": 60}
    terms = lexicon.question_terms("Wie moet de vrijstelling aanvragen?")
    # "De vrijstelling ... vraagt de ouder aan via de leerplichtambtenaar."
    assert terms.met("aanvrag", {"vraagt", "vrijstell", "ouder"}) and terms.met("aanvrag", {"aanvrag"})
    assert not terms.met("aanvrag", {"vrag"})  # the bare stem: "vragen" is not "aanvragen"
    # Only an infinitive: "aanbod" is no verb, though "bod" and "bodt" are known.
    lexicon = Lexicon()
    lexicon.df = {"aanbod": 5, "bod": 3, "bodt": 2}
    assert not lexicon.question_terms("Wat is het aanbod?").forms


def test_a_heading_label_the_question_names():
    from assistant.normalise import label_pattern, normalise

    assert normalise("Wat doet de school in fase 1 in Rotterdam?").labels == ("fase 1",)
    assert normalise("Wat staat er in Hoofdstuk twee en in hoofdstuk 2?").labels == ("hoofdstuk 2",)
    assert normalise("Wat gebeurt er in stap 5 en fase 3?").labels == ("stap 5", "fase 3")
    assert normalise("Na 5 weken in de eerste fase?").labels == ()
    fase_1 = label_pattern("fase 1")
    assert fase_1.search("Wie doet wat? School > Fase 1 Melding thuiszitter")
    assert not fase_1.search("Fase 10 Evaluatie") and not fase_1.search("Fase 3 Oplossingen")
    assert not label_pattern("hoofdstuk 2").search("Hoofdstuk 2.4 Brugplaats")


def test_a_place_name_that_is_also_a_dutch_word_is_a_place_only_with_a_capital():
    lexicon = Lexicon()
    assert not lexicon.question_terms("Dat zal leiden tot een doorzettingsbesluit. Wat is de volgende stap?").places
    assert lexicon.question_terms("Hoe werkt het in Leiden?").places == {"leiden"}
    assert lexicon.question_terms("hoe werkt het in amsterdam?").places == {"amsterdam"}


def test_two_quotes_of_one_paragraph_become_one_in_the_documents_order():
    from llama_index.core.schema import TextNode

    from assistant.answer import _one_per_paragraph
    from assistant.cite import Quote

    text = ("Eerste zin over Stichtse Vecht. Tweede zin: het Regionaal Bureau Leerplicht is actief. "
            "Derde zin over het wijkteam.\nEen andere alinea.")
    node = TextNode(id_="c", text=text)

    def quote(sentence: str, **kw) -> list[Quote]:
        return [Quote(node=node, parts=[sentence], starts=[text.index(sentence)], **kw)]

    merged = _one_per_paragraph([quote("Derde zin over het wijkteam."), quote("Eerste zin over Stichtse Vecht.")])
    assert [q.parts for g in merged for q in g] == [[text.split("\n")[0]]]  # with the sentence between them
    # Another paragraph, or a quote shown as the next step, stays a quote of its own.
    apart = _one_per_paragraph([quote("Eerste zin over Stichtse Vecht."), quote("Een andere alinea.")])
    assert len(apart) == 2
    step = _one_per_paragraph([quote("Eerste zin over Stichtse Vecht."), quote("Derde zin over het wijkteam.", lead="Daarna")])
    assert len(step) == 2
    before = _one_per_paragraph([quote("Derde zin over het wijkteam.", lead="Daarna"), quote("Eerste zin over Stichtse Vecht.")])
    assert [q.parts for g in before for q in g] == [["Derde zin over het wijkteam."], ["Eerste zin over Stichtse Vecht."]]


def test_an_answer_shows_a_sentence_with_the_rest_of_a_longer_paragraph():
    text = ("Het team komt in actie als school en ouders er niet binnen 10 weken uitkomen. " + "Tussenzin. " * 40
            + "Het team voorziet binnen 48 uur in een plan.\nVolgende alinea.")
    record = _record(text, "Het team komt in actie als school en ouders er niet binnen 10 weken uitkomen.")
    scored = [text[a:b] for a, b in quote_blocks(text, record)]
    shown = [text[a:b] for a, b in quote_blocks(text, record, siblings=True)]
    assert scored == [record.text]  # what is scored stays the sentence (a longer block would cover more words)
    assert shown == [text.split("\n")[0]]


def test_a_te_infinitive_of_a_separable_verb_is_the_documents_verb():
    lexicon = Lexicon()
    lexicon.df = {"opvang": 5, "tijdelijk": 8, "sbo": 20, "meld": 30}
    # "op te laten vangen" is "opvangen"; "vangen" alone is no word of the question.
    terms = lexicon.question_terms("Kunnen we hem tijdelijk op te laten vangen op het SBO?")
    assert "opvang" in terms.terms and not terms.oov
    # The word after an auxiliary may be no verb: "door te gaan tegen ..." is doorgaan.
    lexicon.df["doorgan"] = 3
    assert "doorgan" in lexicon.question_terms("Mogen we door te gaan tegen de afspraak in?").terms
    # A joined form the documents lack keeps the verb ("om te melden" is no "ommelden").
    assert "meld" in lexicon.question_terms("Wie moet ik bellen om te melden?").terms
    assert "ommeld" not in lexicon.question_terms("Wie moet ik bellen om te melden?").oov


def test_an_empty_sentence_collection_preloads_to_an_empty_search():
    from assistant.index import SentenceStore

    class Empty:
        def count(self):
            return 0

        def get(self, **_):
            return {"ids": [], "documents": [], "metadatas": [], "embeddings": []}

    store = SentenceStore(Empty(), 1)
    assert store.preload()
    assert store.nearest([0.1, 0.2], 8) == []


def test_a_quote_that_refers_back_starts_at_the_whole_sentence_before():
    # "evt." is no sentence end: the quote starts at "De leerplichtambtenaar", not "andere partijen)".
    text = ("De leerplichtambtenaar houdt zicht of iedereen (kind, ouders, school en evt. andere partijen) zijn best "
            "doet. Zij zijn dan ook aanspreekbaar op de afspraken.")
    record = _record(text, "Zij zijn dan ook aanspreekbaar op de afspraken.")
    assert [text[a:b] for a, b in quote_blocks(text, record)][0].startswith("De leerplichtambtenaar houdt zicht")


def test_fusion_counts_a_passage_one_retriever_missed_as_ranked_after_its_last_hit():
    from llama_index.core.llms import MockLLM
    from llama_index.core.retrievers import QueryFusionRetriever
    from llama_index.core.schema import NodeWithScore, TextNode

    from assistant.retrieve import MissingRankFusionRetriever

    def hits(ids: list[str]) -> list[NodeWithScore]:
        return [NodeWithScore(node=TextNode(text=i, id_=i), score=1.0 - 0.01 * r) for r, i in enumerate(ids)]

    # BM25 ranks "soorten" first; the dense side, twelve deep, never returns it. Five passages
    # both rank halfway ("b1".."b5") used to push it out of the first five.
    both = [f"b{i}" for i in range(1, 6)]
    dense = [f"d{i}" for i in range(1, 6)] + both + ["d6", "d7"]
    lexical = ["soorten"] + [f"l{i}" for i in range(1, 5)] + both + ["l5", "l6"]
    results = {("q", 0): hits(dense), ("q", 1): hits(lexical)}
    fusion = dict(retrievers=[], retriever_weights=[0.5, 0.5], llm=MockLLM(), num_queries=1, use_async=False)
    plain = [n.node.node_id for n in QueryFusionRetriever(**fusion)._reciprocal_rerank_fusion(
        {key: hits([n.node.node_id for n in value]) for key, value in results.items()})]
    assert plain.index("soorten") >= 5  # llama-index's: absent counts nothing
    ours = [n.node.node_id for n in MissingRankFusionRetriever(**fusion)._reciprocal_rerank_fusion(results)]
    assert ours.index("soorten") < 5
    # Found by both at the same ranks, the order is the plain fusion's.
    assert [i for i in ours if i in both] == [i for i in plain if i in both]


def test_bm25_returns_no_zero_score_padding_from_other_regions():
    from llama_index.core.schema import QueryBundle, TextNode

    from assistant.index import BM25_TOKEN_PATTERN, dutch_stemmer
    from assistant.retrieve import CachedBM25Retriever, region_filter

    nodes = [TextNode(text=t, id_=f"n{i}", metadata={"region": r}) for i, (t, r) in enumerate([
        ("De leerling meldt zich ziek bij de school.", "Utrecht"),
        ("Het plan van aanpak wordt besproken.", "Utrecht"),
        ("Brugplaats op het SBO voor acht weken.", "Drechtsteden"),
        ("De actietafel komt binnen vijf dagen bijeen.", "Drechtsteden"),
    ])]
    retriever = CachedBM25Retriever(nodes=nodes, node_cache={}, stemmer=dutch_stemmer(),
                                    token_pattern=BM25_TOKEN_PATTERN, similarity_top_k=3,
                                    filters=region_filter("Utrecht"))
    # bm25s fills k with zero-score hits, masked-out regions included: none of them is a hit.
    hits = retriever.retrieve(QueryBundle(query_str="ziek melden"))
    assert [n.node.metadata["region"] for n in hits] == ["Utrecht"] and hits[0].score > 0
