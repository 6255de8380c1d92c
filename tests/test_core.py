"""The core path against the real model, the real Chroma store and the real corpus."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import make_settings

pytestmark = pytest.mark.slow

TINY = """---
title: "Proefprotocol Testdorp"
organisation: "Testverband"
region: {region}
sector: [PO]
source: "proef.txt"
---
# Proefprotocol Testdorp

## 1 Melden

{body}
"""


def write_doc(folder: Path, name: str, body: str, region: str = "Landelijk") -> None:
    (folder / f"{name}.md").write_text(TINY.format(region=region, body=body), encoding="utf-8")


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test on any connection attempt that is not loopback."""
    attempts: list = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def loopback(address) -> bool:
        host = address[0] if isinstance(address, tuple) else address
        return isinstance(host, str) and (host in ("localhost", "::1") or host.startswith("127.") or host.startswith("/"))

    def guarded_connect(sock, address):
        if sock.family != socket.AF_UNIX and not loopback(address):
            attempts.append(address)
            raise OSError(f"network blocked in test: {address}")
        return real_connect(sock, address)

    def guarded_connect_ex(sock, address):
        if sock.family != socket.AF_UNIX and not loopback(address):
            attempts.append(address)
            return 111
        return real_connect_ex(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host is not None and not loopback((host,)):
            attempts.append(host)
            raise socket.gaierror(f"name resolution blocked in test: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield attempts
    assert attempts == [], f"network access attempted: {attempts}"


def test_answers_quote_verbatim_with_numbered_citations(assistant):
    answer = assistant.ask("Wanneer meld ik bij leerplicht?")
    assert not answer.refused
    assert "[1]" in answer.answer and answer.citations
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for citation in answer.citations:
        assert citation.region in answer.answer or citation.region == "Drechtsteden"
        for quote in citation.quotes:
            assert quote in citation.text  # verbatim from the cited passage
            assert quote in answer.answer


def test_leerplicht_rule_is_quoted_from_drechtsteden(assistant):
    answer = assistant.ask("Wanneer meld ik bij leerplicht?")
    assert not answer.refused
    assert "16 uur" in answer.answer or "zestien uur" in answer.answer
    assert "vier weken" in answer.answer or "4 weken" in answer.answer
    drechtsteden = [c for c in answer.citations if c.region == "Drechtsteden"]
    assert any("zestien uur" in q or "16 uur" in q for c in drechtsteden for q in c.quotes)
    # Each region's rule is said once: no quote repeats another one's sentence.
    quotes = [q for c in answer.citations for q in c.quotes]
    assert len(quotes) == len(set(quotes))


def test_out_of_domain_questions_are_refused(assistant):
    for question in ["Wat is de hoofdstad van Frankrijk?", "Schrijf een gedicht over de zee.",
                     "Hoeveel paracetamol mag een kind van 8?",
                     "Wat is het telefoonnummer van het samenwerkingsverband in de Drechtsteden?",
                     "Wat is de naam van de contactpersoon van PPO Rotterdam?"]:
        answer = assistant.ask(question)
        assert answer.refused, (question, answer.answer)
        assert "staat niet in de documenten" in answer.answer
        assert answer.citations == []



def test_a_refusal_says_what_the_documents_lack_when_it_knows(assistant):
    place = assistant.ask("Wanneer meld ik een thuiszitter in Amsterdam?")
    assert place.refused and "De documenten die ik ken gaan niet over Amsterdam." in place.answer
    phone = assistant.ask("Wat is het telefoonnummer van het samenwerkingsverband in de Drechtsteden?")
    assert phone.refused and "noemt geen telefoonnummers" in phone.answer
    count = assistant.ask("Hoeveel thuiszitters zijn er in Utrecht?")
    assert count.refused and "noemt daar geen aantal" in count.answer
    off_topic = assistant.ask("Schrijf een gedicht over de zee.")
    assert off_topic.refused and "noemt" not in off_topic.answer.split("\n\n")[0]
    # Rotterdam's PPO brochure is for primary schools: its rules are not a secondary school's.
    secondary = assistant.ask("Welke procedure volgt Koers VO in Rotterdam als een leerling van de middelbare "
                              "school al weken thuiszit?")
    assert secondary.refused and "alleen over het primair onderwijs" in secondary.answer
    chosen = assistant.ask("Wat moet een middelbare school doen als een leerling weken thuiszit?", region="Drechtsteden")
    assert chosen.refused and "In de Drechtsteden gaan de documenten" in chosen.answer  # the region chosen in the app
    # The region searched is the one chosen, whatever region the question names.
    other = assistant.ask("Wat doet een middelbare school in Utrecht als een leerling thuiszit?", region="Rotterdam")
    assert other.refused and "In Rotterdam gaan de documenten" in other.answer and "In Utrecht" not in other.answer
    # Without a region, a question about the vo is answered from documents that cover it only.
    vo = assistant.ask("Wat gebeurt er als een leerling van de middelbare school al vier weken thuiszit?")
    assert not vo.refused and vo.citations
    assert {c.region for c in vo.citations} <= {"Utrecht", "Landelijk"}
    # A pupil in groep 8 is in primary school, whatever the question says of secondary schools.
    goal = assistant.ask("Kan een leerling uit groep 8 naar GOAL, de opvang voor het voortgezet onderwijs?")
    assert "Drechtsteden" in {c.region for c in goal.citations}


def test_region_filter_limits_citations(assistant):
    question = "Wanneer is een leerling een thuiszitter?"
    for region in ("Rotterdam", "Drechtsteden"):
        answer = assistant.ask(question, region=region)
        assert not answer.refused
        assert {c.region for c in answer.citations} == {region}
        assert {r for _, _, r in answer.retrieved} == {region}


def test_comparison_names_each_region(assistant):
    answer = assistant.ask("Wat is een thuiszitter in Rotterdam en wat in de Drechtsteden?")
    assert {"Rotterdam", "Drechtsteden"} <= {c.region for c in answer.citations}
    assert "In Rotterdam" in answer.answer and "In de Drechtsteden" in answer.answer
    # In the order the question names them, whatever scored best.
    assert answer.answer.index("In Rotterdam") < answer.answer.index("In de Drechtsteden")
    reverse = assistant.ask("Wie heeft de regie bij een thuiszitter in de Drechtsteden, en wie in Rotterdam?")
    assert reverse.answer.index("In de Drechtsteden") < reverse.answer.index("In Rotterdam")


def test_a_definition_is_found_in_a_definitions_list(assistant):
    # The Drechtsteden definitions list is one chunk about six kinds of verzuim; neither
    # retriever ranks it near the top for "thuiszitter": the glossary brings it in.
    answer = assistant.ask("Wanneer is een leerling in de Drechtsteden officieel een thuiszitter?")
    assert not answer.refused
    assert "meer dan 3 dagen per week dat langer dan 4 weken duurt" in answer.answer
    assert "**Thuiszitter**: Verzuim van meer dan 3 dagen" in answer.retrieved[0][1]  # the definition leads
    comparison = assistant.ask("Hoe verschilt de thuiszittersdefinitie van Utrecht van die van de Drechtsteden?")
    assert "langer dan vier weken ongeoorloofd verzuimt" in comparison.answer
    assert "meer dan 3 dagen per week" in comparison.answer
    # A case put as a question is answered with the definition it has to meet.
    case = assistant.ask("Daan zit al 5 weken thuis in Rotterdam, is hij een thuiszitter?")
    assert "meer dan vier weken achtereenvolgend niet naar school" in case.answer
    glossary = assistant.index.load_glossary()
    assert any(e.region == "Drechtsteden" and e.stems == {"thuiszitter"} for e in glossary.entries)


def test_the_definition_leads_when_the_question_also_says_more(assistant):
    # "waar de jeugdprofessional een casus kan inbrengen" matches another sentence
    # better, but the question asks what the BREN is: its definition is quoted first.
    answer = assistant.ask("wat is het BREN waar de jeugdprofessional een casus kan inbrengen?")
    assert not answer.refused
    assert answer.answer.index("Bovenregionaal Expertisenetwerk") < answer.answer.index("casus inbrengen bij het BREN")


def test_a_next_step_question_also_quotes_the_step_after_the_one_it_describes(assistant):
    # Step 2 of the Drechtsteden doorzettingsmacht list matches the situation; step 3
    # (which the chunker split over two chunks) is the answer, quoted whole.
    answer = assistant.ask("Als de sectordirecteur met alle partijen om tafel heeft gezeten en er komt "
                           "nog steeds geen aanpak, wat gebeurt er dan?")
    assert not answer.refused
    after = answer.answer.index("Daarna")
    assert answer.answer.index("De sectordirecteur onderzoekt") < after < answer.answer.index("doorzettingsbesluit")
    assert answer.answer.count("Zo niet dan legt") == 1
    # Rotterdam's phases are headings: after "Fase 1 Melding thuiszitter" comes Fase 2.
    phases = assistant.ask("We hebben het thuiszitten gemeld bij leerplicht en bij PPO. Wat is in Rotterdam de volgende stap?")
    assert "Daarna, onder „Fase 2 Oudergesprek en opstellen plan van aanpak”" in phases.answer
    # A quoted step read as the situation: searched without "Wat is ... de volgende stap?".
    utrecht = assistant.ask("School schakelt kernpartners in. Wat is in Utrecht de volgende stap?")
    assert not utrecht.refused and "Daarna: „4. Actietafel met:”" in utrecht.answer
    # The routekaart's step 7 has two branches, numbered alike: both are the next step.
    branches = assistant.ask("Leerling, ouders, school en kernpartners hebben het plan besproken en de afgelopen "
                             "weken geëvalueerd. Wat is in Utrecht de volgende stap?")
    assert re.search(r"Daarna: „7\. Geen passend aanbod” \[\d\]\n- Of: „7\. Passend aanbod onderwijs", branches.answer)
    assert branches.next_steps == [("Utrecht", "7. Geen passend aanbod")]
    # The last step of the Utrecht routekaart: the answer says no step follows.
    last = assistant.ask("We moeten opschalen. Wat is in Utrecht de volgende stap?")
    assert re.search(r"„8\. Opschalen” \[\d\] \(hierna noemt het document geen volgende stap\)", last.answer)
    assert last.next_steps == [("Utrecht", "8. Opschalen")]
    # Options nested in a step are no steps: all five are shown (from the chunk that holds
    # them all), none of them as "Daarna".
    options = assistant.ask("De overbruggingsperiode op het sbo loopt bijna af. Welke kanten kan het daarna op?")
    opties = options.answer[options.answer.index("Mogelijke opties:"):]
    for option in ("Verlenging brugplek", "Verwijzing SO/SBO/SBO+", "Terugplaatsing school van herkomst",
                   "Herplaatsen andere school voor regulier onderwijs", "Behandeling"):
        assert f"„{option}”" in opties
    assert "Daarna" not in options.answer
    # The same question without asking for what comes next gets no "Daarna".
    assert "Daarna" not in assistant.ask("Wie doet wat als een thuiszitter gemeld is bij leerplicht in Rotterdam?").answer


def test_near_sentences_finds_the_chunk_of_the_nearest_line(assistant):
    vector = assistant.embed_model.encode_queries(["negen keer te laat komen"])[0].tolist()
    found = assistant.retriever.near_sentences(vector, regions=["Drechtsteden"])
    assert found and all(n.node.metadata["region"] == "Drechtsteden" for n, _ in found)
    ids = [n.node.node_id for n, _ in found]
    assert len(ids) == len(set(ids)) <= 3
    # Each chunk comes with the indexes of its near sentences; one of them is the line.
    lines = [assistant.chunk_sentences(n.node.node_id)[i].text for n, indexes in found for i in indexes]
    assert len(lines) <= 8 and any(line.startswith("negen keer te laat komen") for line in lines)
    rest = assistant.retriever.near_sentences(vector, regions=["Drechtsteden"], exclude={ids[0]})
    assert ids[0] not in [n.node.node_id for n, _ in rest]


def _nearest_by_brute_force(collection, vector, regions: list[str], n: int) -> list[str]:
    got = collection.get(include=["embeddings", "metadatas"])
    matrix = np.asarray(got["embeddings"], dtype=np.float32)
    similarity = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)) @ (vector / np.linalg.norm(vector))
    ranked = [i for i in np.argsort(-similarity) if got["metadatas"][i]["region"] in regions]
    return [got["ids"][i] for i in ranked[:n]]


def test_near_sentences_of_a_region_are_the_exact_nearest(assistant, monkeypatch):
    """Preloaded, the nearest sentences of the asked regions are exact; through Chroma's
    approximate search (over-fetch kept to the regions) they stay in the regions and
    miss at most one of them."""
    sentences = assistant.index.sentences
    for question in ["Hoe vaak mag een leerling te laat komen?", "Wie heeft de regie?"]:
        vector = assistant.embed_model.encode_queries([question])[0]
        for regions in (["Utrecht"], ["Rotterdam", "Landelijk"], ["Drechtsteden"]):
            exact = _nearest_by_brute_force(sentences, vector, regions, 8)
            ours = [f"{n.node.node_id}/{i}" for n, indexes in
                    assistant.retriever.near_sentences(vector.tolist(), regions=regions, chunks=99) for i in indexes]
            assert sorted(ours) == sorted(exact), (question, regions)
            with monkeypatch.context() as m:
                m.setattr(assistant.retriever, "sentence_store", None)
                approximate = [f"{n.node.node_id}/{i}" for n, indexes in
                               assistant.retriever.near_sentences(vector.tolist(), regions=regions, chunks=99)
                               for i in indexes]
            assert len(set(approximate) & set(exact)) >= 7, (question, regions)
            assert {m["region"] for m in sentences.get(ids=approximate, include=["metadatas"])["metadatas"]} <= set(regions)


def test_a_line_deep_in_a_long_list_is_found_by_its_sentence(assistant):
    from dataclasses import replace

    # The list item "negen keer te laat komen" sits in a long chunk neither retriever
    # ranks for this question; its sentence is among the nearest.
    question = ("Lotte uit groep 5 komt bijna elke ochtend te laat. Hoe vaak mag dat gebeuren voordat we het "
                "moeten melden? Onze school valt onder het swv Drechtsteden.")
    evidence = assistant.evidence(question)
    near = [n for n in evidence.nodes if n.node.node_id in evidence.by_sentence]
    assert any("negen keer te laat komen" in n.node.get_content() for n in near)
    answer = assistant.ask(question)
    assert not answer.refused
    assert "negen keer te laat komen" in answer.answer
    fused_only = [n for n in evidence.nodes if n.node.node_id not in evidence.by_sentence]
    assert assistant.answerer.answer(replace(evidence, nodes=fused_only, by_sentence=frozenset())).refused
    # A question the documents do not answer stays refused: its nearest sentence ("tien
    # dagen afwezig") covers too little of it.
    assert assistant.ask("Hoeveel dagen mag een basisschool een leerling maximaal schorsen?").refused


def test_a_question_about_a_phase_is_answered_from_that_phase(assistant):
    from assistant.normalise import label_pattern

    under = assistant.retriever.under_label(label_pattern("fase 1"), regions=["Rotterdam"])
    assert under and all("Fase 1" in n.metadata["section"] and n.metadata["region"] == "Rotterdam" for n in under)
    assert not assistant.retriever.under_label(label_pattern("fase 1"), regions=["Utrecht"])
    # Neither retriever tells "fase 1" from "fase 3": this was answered from Fase 3.
    answer = assistant.ask("Wat doet de school in fase 1 in Rotterdam?")
    assert not answer.refused
    assert "onder „Fase 1 Melding thuiszitter”" in answer.answer and "Fase 3" not in answer.answer
    assert "Meldt volledig verzuim van leerling" in answer.answer
    # An item's own number ("**3.2** Leerling gaat ...") is no "2" of "fase twee".
    second = assistant.ask("Wat doet de school in fase twee in Rotterdam?")
    assert "onder „Fase 2" in second.answer and "Fase 3" not in second.answer


def test_a_list_cut_by_the_chunks_is_shown_whole_or_said_to_be_a_part(assistant):
    from assistant.cite import LIST_GOES_ON_LEAD, PART_OF_LIST_NOTE

    # The chunk that ranks starts inside "Doelen:"; the one before has all four aims.
    answer = assistant.ask("Wat zijn de doelen van de actietafel in Utrecht?")
    aims = ["Zicht op de wensen van ouder(s) / verzorger(s) en de leerling", "Zicht op de situatie",
            "Zicht op de visies van betrokkenen", "Afspraken maken voor vervolg"]
    shown = answer.answer[answer.answer.index("„Doelen:”"):]
    assert [shown.index(f"„{aim}”") for aim in aims] == sorted(shown.index(f"„{aim}”") for aim in aims)
    # "Andere opties zijn": one option ends one chunk, the other two begin the next.
    answer = assistant.ask("Welke andere opties zijn er om te overbruggen als er geen kernteam is?")
    assert "„Andere opties zijn”" in answer.answer and f"- {LIST_GOES_ON_LEAD}:\n  - „Overbrugging op het KDC" in answer.answer
    for option in ("Overbrugging op de school zelf", "Overbrugging op het KDC van ASVZ", "Overbrugging bij GOAL"):
        assert answer.answer.count(option) == 1
    assert PART_OF_LIST_NOTE not in answer.answer
    # Steps 3-6 of a list of 17 steps too long to show whole: the quote says so, the others do not.
    answer = assistant.ask("Wie heeft de regie bij dreigend thuiszitten op een school zonder kernteam, zoals een SBO of SO?")
    quotes = answer.answer.split("\n- ")
    with_note = [q for q in quotes if PART_OF_LIST_NOTE in q]
    assert len(with_note) == 1 and "De school heeft de regie" in with_note[0] and "„Wanneer de school" in with_note[0]


def test_index_is_not_rebuilt_or_duplicated(assistant):
    from assistant.load import load_documents

    documents = load_documents(assistant.settings).documents
    before = (assistant.index.chunks.count(), assistant.index.sentences.count())
    assert assistant.index.ensure(documents) is None
    assistant.index.build(documents)  # an explicit update with nothing changed
    assert (assistant.index.chunks.count(), assistant.index.sentences.count()) == before
    ids = assistant.index.chunks.get(include=[])["ids"]
    assert len(ids) == len(set(ids))


def test_changed_document_replaces_its_chunks_offline(tmp_path, no_network):
    """Start-up, indexing and a query with every non-loopback socket blocked."""
    from assistant.ask import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "proef", "De school meldt het verzuim binnen 7 dagen bij de leerplichtambtenaar.")
    write_doc(corpus, "ander", "Een brugplaats duurt in Testdorp maximaal 11 weken.", region="Utrecht")
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    assistant = Assistant.open(settings)
    first = assistant.ask("Binnen hoeveel dagen meldt de school verzuim?")
    assert "7 dagen" in first.answer
    n_chunks = assistant.index.chunks.count()

    write_doc(corpus, "proef", "De school meldt het verzuim binnen 9 dagen bij de leerplichtambtenaar.")
    assistant = Assistant.open(settings)
    answer = assistant.ask("Binnen hoeveel dagen meldt de school verzuim?")
    assert "9 dagen" in answer.answer and "7 dagen" not in answer.answer
    assert assistant.index.chunks.count() == n_chunks
    stored = assistant.index.sentences.get(include=["documents"])["documents"]
    assert not any("7 dagen" in s for s in stored)

    (corpus / "ander.md").unlink()
    assistant = Assistant.open(settings)
    regions = {m["region"] for m in assistant.index.chunks.get(include=["metadatas"])["metadatas"]}
    assert regions == {"Landelijk"}


def test_cli_jsonl_answers_and_refuses(settings, assistant):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir),
           "ASSISTANT_MODEL_DIR": str(settings.resolved_model_dir)}
    out = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "--jsonl",
         "Wanneer meld ik bij leerplicht?", "Wat is de hoofdstad van Frankrijk?"],
        capture_output=True, text=True, env=env, timeout=600, check=True,
    )
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 2
    first, second = lines
    assert list(first) == ["question", "answer", "refused", "citations", "latency_ms"]
    assert first["refused"] is False and second["refused"] is True
    assert list(first["citations"][0]) == ["n", "source", "title", "region", "section", "text"]
    assert "[1]" in first["answer"] and second["citations"] == []
    for c in first["citations"]:
        assert c["region"] in {"Utrecht", "Rotterdam", "Drechtsteden", "Landelijk"} and c["text"]
    assert isinstance(first["latency_ms"], float)
    assert "Traceback" not in out.stderr


def test_a_region_without_documents_is_no_error(tmp_path):
    from assistant.ask import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "proef", "De school meldt het verzuim binnen 7 dagen bij de leerplichtambtenaar.")
    assistant = Assistant.open(make_settings(tmp_path / "data", corpus_dir=corpus))
    for question, region in [("Wat is een thuiszitter in Rotterdam?", None),
                             ("Binnen hoeveel dagen meldt de school verzuim?", "Utrecht")]:
        answer = assistant.ask(question, region=region)
        assert answer.refused or all(c.region == "Landelijk" for c in answer.citations)


def test_region_dense_retrieval_equals_chromas_where_filter(assistant):
    """ChromaDense's over-fetch kept to a region returns what Chroma's `where` filter returns."""
    from llama_index.core.schema import QueryBundle

    from assistant.retrieve import ChromaDense, ChunkNodes

    chunks = assistant.index.chunks
    regions = assistant.index.load_chunk_regions()
    for question in ["Wanneer is een leerling een thuiszitter?", "Wie heeft de regie?", "Hoe lang duurt een brugplaats?"]:
        vector = assistant.embed_model.encode_queries([question])[0].tolist()
        for region in ("Utrecht", "Rotterdam", "Drechtsteden", "Landelijk"):
            dense = ChromaDense(chunks, ChunkNodes(chunks), 12, region, regions)
            ours = [n.node.node_id for n in dense.retrieve(QueryBundle(query_str=question, embedding=vector))]
            where = chunks.query(query_embeddings=[vector], n_results=12, where={"region": region}, include=[])
            assert ours == where["ids"][0], (question, region)
            assert all(regions[i] == region for i in ours)
