"""Feedback store and masking of personal data (fast, no model)."""

from __future__ import annotations

import json
import threading

import pytest

from assistant.feedback import BSN_MASK, EMAIL_MASK, PHONE_MASK, FeedbackStore, elfproef, mask_personal_data

CITATIONS = [
    {"n": 1, "source": "rotterdam-ppo", "title": "Wie doet wat", "section": "School", "region": "Rotterdam", "text": "lang"},
]


def test_elfproef():
    assert elfproef("111222333")
    assert elfproef("123456782")
    assert not elfproef("123456789")
    assert not elfproef("000000000")
    assert not elfproef("12345678")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("BSN 111222333 van Piet", f"BSN {BSN_MASK} van Piet"),
        ("bsn: 123.456.782", f"bsn: {BSN_MASK}"),
        ("nummer 123 456 782", f"nummer {BSN_MASK}"),
        ("mail j.de.vries@school.nl graag", f"mail {EMAIL_MASK} graag"),
        ("of ouder+test@mail.co.uk.", f"of {EMAIL_MASK}."),
        ("bel 06-12345678", f"bel {PHONE_MASK}"),
        ("bel 06 1234 5678 of 0612345678", f"bel {PHONE_MASK} of {PHONE_MASK}"),
        ("school: 010-1234567", f"school: {PHONE_MASK}"),
        ("school: 010 123 45 67", f"school: {PHONE_MASK}"),
        ("(030) 2345678", PHONE_MASK),
        ("+31 6 12345678", PHONE_MASK),
        ("+31 (0)6 12345678", PHONE_MASK),
        ("0031 10 1234567", PHONE_MASK),
        ("0800-1234", PHONE_MASK),
    ],
)
def test_mask_personal_data(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Na 4 weken of 16 uur verzuim in 4 weken melden.",
        "Op 12-03-2024 om 14.00 uur, postcode 3011 AB Rotterdam.",
        "Het nummer 123456789 is geen BSN (geen elfproef).",
        "Artikel 21a Leerplichtwet 1969, 1.500 euro.",
    ],
)
def test_mask_leaves_other_numbers_alone(text):
    assert mask_personal_data(text) == text


def test_record_without_question_by_default(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.jsonl")
    entry = store.record(liked=True, answer="Antwoord [1]", citations=CITATIONS, question="Geheim: Jan, 0612345678")
    assert "question" not in entry
    line = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8")
    assert "Geheim" not in line and "0612345678" not in line
    stored = json.loads(line)
    assert stored["rating"] == "up"
    assert stored["answer"] == "Antwoord [1]"
    assert stored["citations"] == [
        {"n": 1, "source": "rotterdam-ppo", "title": "Wie doet wat", "section": "School", "region": "Rotterdam"}
    ]
    assert stored["timestamp"].endswith("+00:00")


def test_record_with_question_is_masked(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.jsonl", log_questions=True)
    store.record(liked=False, answer="x", question="Leerling met BSN 111222333, mail a@b.nl, tel 06-12345678")
    (stored,) = store.read()
    assert stored["rating"] == "down"
    assert stored["question"] == f"Leerling met BSN {BSN_MASK}, mail {EMAIL_MASK}, tel {PHONE_MASK}"


def test_concurrent_writers_produce_whole_lines(tmp_path):
    path = tmp_path / "sub" / "feedback.jsonl"
    stores = [FeedbackStore(path), FeedbackStore(path)]  # two stores: the file lock, not only the thread lock
    answer = "lang antwoord " * 400

    def write(i):
        for _ in range(25):
            stores[i % 2].record(liked=bool(i % 2), answer=answer, citations=CITATIONS)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 200
    assert all(json.loads(line)["answer"] == answer for line in lines)
    assert (path.stat().st_mode & 0o777) == 0o600


def test_read_skips_a_damaged_line(tmp_path):
    path = tmp_path / "feedback.jsonl"
    store = FeedbackStore(path)
    store.record(liked=True, answer="a")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{kapot\n")
    store.record(liked=True, answer="b")
    assert [e["answer"] for e in store.read()] == ["a", "b"]
