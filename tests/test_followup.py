"""Follow-up rewriting: deterministic rules, no model (fast)."""

from __future__ import annotations

import pytest

from assistant.followup import region_mentions, rewrite_followup, topic_words, with_region

DRECHT = "Wanneer is een leerling een thuiszitter in de Drechtsteden?"
MELDEN = "Wanneer meld ik verzuim bij leerplicht?"


@pytest.mark.parametrize(
    "question, expected",
    [
        ("en in Rotterdam?", "Wanneer is een leerling een thuiszitter in Rotterdam?"),
        ("En Rotterdam?", "Wanneer is een leerling een thuiszitter in Rotterdam?"),
        ("Rotterdam?", "Wanneer is een leerling een thuiszitter in Rotterdam?"),
        ("hoe zit dat in Utrecht?", "Wanneer is een leerling een thuiszitter in Utrecht?"),
        ("Geldt dat ook voor Rotterdam?", "Wanneer is een leerling een thuiszitter in Rotterdam?"),
        ("is dat in Utrecht ook zo?", "Wanneer is een leerling een thuiszitter in Utrecht?"),
        ("en landelijk?", "Wanneer is een leerling een thuiszitter landelijk?"),
        ("  en in rotterdam  ", "Wanneer is een leerling een thuiszitter in Rotterdam?"),
        ("en in Zwijndrecht?", "Wanneer is een leerling een thuiszitter in de Drechtsteden?"),
    ],
)
def test_region_followup_replaces_the_region(question, expected):
    assert rewrite_followup(question, [DRECHT]) == expected


@pytest.mark.parametrize(
    "question, expected",
    [
        ("en in Rotterdam?", "Wanneer meld ik verzuim bij leerplicht in Rotterdam?"),
        ("en voor het vo?", "Wanneer meld ik verzuim bij leerplicht voor het vo?"),
        ("Ook voor het mbo?", "Wanneer meld ik verzuim bij leerplicht voor het mbo?"),
        ("wat als de leerling 16 is?", "Wanneer meld ik verzuim bij leerplicht als de leerling 16 is?"),
        ("geldt dat ook voor het speciaal onderwijs?", "Wanneer meld ik verzuim bij leerplicht voor het speciaal onderwijs?"),
    ],
)
def test_followup_without_region_in_previous_is_appended(question, expected):
    assert rewrite_followup(question, [MELDEN]) == expected


def test_followup_that_is_a_question_of_its_own_borrows_only_the_region():
    previous = "Wat is een thuiszitter in Rotterdam?"
    assert rewrite_followup("en wie heeft dan de regie?", [previous]) == "Wie heeft dan de regie in Rotterdam?"
    # It names its own region: nothing is borrowed.
    assert rewrite_followup("en wie heeft de regie in Utrecht?", [previous]) == "Wie heeft de regie in Utrecht?"


def test_short_question_without_topic_reuses_the_previous_question():
    assert rewrite_followup("en wie?", [MELDEN]) == "Wie meld ik verzuim bij leerplicht?"
    assert rewrite_followup("En?", [MELDEN]) == MELDEN


def test_a_followup_asking_what_comes_next_follows_the_situation_it_is_about():
    # "En dan?" asks for the step after the one the previous question was about (next_step.py).
    assert rewrite_followup("En dan?", [MELDEN]) == f"{MELDEN} Wat is de volgende stap?"
    situation = "Ouders komen niet opdagen bij de jeugdarts in de Drechtsteden."
    for followup in ("wat nu", "dan?", "Wat komt er nu?", "Wat is de volgende stap?"):
        assert rewrite_followup(followup, [situation]) == f"{situation} Wat is de volgende stap?", followup
    # A next-step question with a topic of its own stands alone.
    own = "Wat is de volgende stap na een melding bij leerplicht?"
    assert rewrite_followup(own, [situation]) == own


def test_a_chain_of_en_dan_walks_on_from_the_step_the_previous_answer_quoted_next():
    step = ("Rotterdam", "Je bent aanwezig bij gesprek met ouders en school.")
    history = ["We hebben het thuiszitten gemeld bij leerplicht. Wat is in Rotterdam de volgende stap?"]
    expected = "Je bent aanwezig bij gesprek met ouders en school. Wat is in Rotterdam de volgende stap?"
    assert rewrite_followup("en dan?", history, after=step) == expected
    assert rewrite_followup("En daarna?", history + ["en dan?"], after=step) == expected
    # Without a quoted next step it is the previous question's step again, as before.
    assert rewrite_followup("en dan?", history, after=None) == f"{history[0]} Wat is de volgende stap?"
    # Only a bare "what comes next" walks on; another follow-up keeps to the questions.
    assert rewrite_followup("en in Utrecht?", history, after=step) == (
        "We hebben het thuiszitten gemeld bij leerplicht. Wat is in Utrecht de volgende stap?")
    assert rewrite_followup("en dan?", history, after=("Landelijk", "3. De DB beslist.")) == (
        "3. De DB beslist. Wat is landelijk de volgende stap?")


def test_chains_resolve_against_the_first_standalone_question():
    history = [DRECHT, "en in Rotterdam?"]
    assert rewrite_followup("en in Utrecht?", history) == "Wanneer is een leerling een thuiszitter in Utrecht?"
    history = [DRECHT, "en in Rotterdam?", "Hoe lang duurt een brugplaatsing?"]
    assert rewrite_followup("en in Utrecht?", history) == "Hoe lang duurt een brugplaatsing in Utrecht?"


def test_adjective_regions_are_replaced_in_kind():
    previous = "Wat doet de Rotterdamse leerplicht?"
    assert rewrite_followup("en in Utrecht?", [previous]) == "Wat doet de Utrechtse leerplicht?"
    assert rewrite_followup("en in de Drechtsteden?", [previous]) == "Wat doet de leerplicht in de Drechtsteden?"


def test_landelijk_as_adverb_gets_a_preposition_when_replaced():
    previous = "Wat is landelijk de definitie van een thuiszitter?"
    assert rewrite_followup("en in Rotterdam?", [previous]) == "Wat is in Rotterdam de definitie van een thuiszitter?"


@pytest.mark.parametrize(
    "question",
    [
        "Wat is een thuiszitter in Rotterdam?",
        "Hoe lang duurt een brugplaatsing?",
        "Wie heeft de regie bij een thuiszitter?",
        "Is het verplicht om verzuim te melden?",
        "Hoe zit het met luxe verzuim?",
        "Wat als een leerling langer dan vier weken thuis zit zonder onderwijs?",
        "En wat moet de school doen als een leerling van twaalf jaar al weken niet meer komt opdagen?",
        "Wanneer meld ik verzuim bij leerplicht?",
    ],
)
def test_standalone_questions_are_returned_unchanged(question):
    assert rewrite_followup(question, [DRECHT]) == question


def test_without_history_nothing_changes():
    assert rewrite_followup("en in Rotterdam?", []) == "en in Rotterdam?"
    assert rewrite_followup("en in Rotterdam?", ["", "   "]) == "en in Rotterdam?"


def test_region_mentions_and_topic_words():
    mentions = region_mentions("Wat doet de regio Utrecht anders dan de Rotterdamse aanpak?")
    assert [(m.region, m.adjective) for m in mentions] == [("Utrecht", False), ("Rotterdam", True)]
    assert region_mentions("Is Dordrecht ook Drechtsteden?")[0].region == "Drechtsteden"
    assert topic_words("en in Rotterdam?") == []
    assert "brugplaatsing" in topic_words("Hoe lang duurt een brugplaatsing?")


def test_with_region_appends_when_the_question_names_none():
    assert with_region("Wat is een thuiszitter?", "Drechtsteden") == "Wat is een thuiszitter in de Drechtsteden?"
    assert with_region("Wat is een thuiszitter in Utrecht?", "Landelijk") == "Wat is een thuiszitter landelijk?"


def test_rewriting_is_deterministic_and_never_empty():
    for question in ["en?", "?", "en in", "Rotterdam", "wat als", "ook"]:
        first = rewrite_followup(question, [DRECHT])
        assert first == rewrite_followup(question, [DRECHT])
        assert first.strip()
