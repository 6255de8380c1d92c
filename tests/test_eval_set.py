"""Fast checks on the hand-written eval set evals/questions.yaml and the paraphrase development
set evals/paraphrases.yaml (no model involved).

The important check is that every answerable item is actually answerable from its source
documents: all evidence and fact regexes must match the cleaned corpus text (corpus/<stem>.md,
whitespace collapsed, case-insensitive). Items whose corpus file does not exist yet are skipped.
Refusal items cannot be checked automatically; their `note` records what was checked by hand.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "evals" / "questions.yaml"
CORPUS = ROOT / "corpus"

CATEGORIES = {"drempel", "definitie", "rol", "proces", "vergelijking", "weigeren"}
REGIONS = {"Utrecht", "Rotterdam", "Drechtsteden", "Landelijk"}
SPLITS = {"tune", "holdout"}
REQUIRED_KEYS = {
    "id", "question", "category", "facts", "evidence",
    "regions", "sources", "refuse", "split", "note",
}
# The five documents and the region each one belongs to.
SOURCE_REGION = {
    "utrecht-routekaart-thuiszitten-samen-oplossen": "Utrecht",
    "rotterdam-ppo-wie-doet-wat-wanneer-thuiszitters": "Rotterdam",
    "landelijk-ingrado-routekaart-passend-onderwijs-zonder-thuiszitters": "Landelijk",
    "utrecht-van-thuiszitten-naar-schoolgaan": "Utrecht",
    "drechtsteden-routeboek-preventie-verzuim-thuiszitters-po-2021": "Drechtsteden",
}
# How far (in characters of collapsed text) a fact may be from an evidence match: facts must come
# from the answering passage, not from anywhere in the document.
FACT_WINDOW = 800


PARAPHRASES = ROOT / "evals" / "paraphrases.yaml"


def _load(path: Path = QUESTIONS):
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


DATA = _load()
ITEMS = DATA["items"]  # the contract: counts and the holdout split are checked on these
# Every item of both sets must be well formed and answerable from its sources.
SETS = {"questions": DATA, "paraphrases": _load(PARAPHRASES)}
ALL_ITEMS = [it for data in SETS.values() for it in data["items"]]
ANSWERABLE = [it for it in ALL_ITEMS if not it.get("refuse")]


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@lru_cache(maxsize=None)
def corpus_text(stem: str) -> str | None:
    path = CORPUS / f"{stem}.md"
    if not path.exists():
        return None
    return collapse(path.read_text(encoding="utf-8"))


def search(pattern: str, text: str):
    return re.search(pattern, text, re.IGNORECASE)


def source_texts(item) -> dict[str, str]:
    missing = [s for s in item["sources"] if corpus_text(s) is None]
    if missing:
        pytest.skip(f"corpus file(s) not there yet: {', '.join(f'corpus/{m}.md' for m in missing)}")
    return {s: corpus_text(s) for s in item["sources"]}


# --------------------------------------------------------------------------- file-level checks

def test_header():
    for data in SETS.values():
        assert data.get("version") == 1
        assert isinstance(data["items"], list)


def test_schema():
    for it in ALL_ITEMS:
        assert REQUIRED_KEYS <= set(it), f"{it.get('id')}: missing {REQUIRED_KEYS - set(it)}"
        assert isinstance(it["id"], str) and re.fullmatch(r"[a-z]+-\d{3}", it["id"]), it["id"]
        assert isinstance(it["question"], str) and it["question"].strip(), it["id"]
        assert it["category"] in CATEGORIES, it["id"]
        assert it["split"] in SPLITS, it["id"]
        assert isinstance(it["refuse"], bool), it["id"]
        for key in ("facts", "evidence", "regions", "sources"):
            assert isinstance(it[key], list), f"{it['id']}: {key} must be a list"
        assert set(it["regions"]) <= REGIONS, it["id"]
        assert set(it["sources"]) <= set(SOURCE_REGION), f"{it['id']}: unknown source {it['sources']}"
        assert isinstance(it["note"], str) and it["note"].strip(), f"{it['id']}: note is required"


def test_unique_ids_and_questions():
    ids = Counter(it["id"] for it in ALL_ITEMS)
    assert not [i for i, n in ids.items() if n > 1], "duplicate ids"
    questions = Counter(it["question"].strip().lower() for it in ALL_ITEMS)
    assert not [q for q, n in questions.items() if n > 1], "duplicate questions"


def test_refusal_items():
    for it in ALL_ITEMS:
        is_refusal = it["category"] == "weigeren"
        assert it["refuse"] == is_refusal, f"{it['id']}: refuse must be true exactly for weigeren"
        if is_refusal:
            assert it["facts"] == [] and it["evidence"] == [], it["id"]
            assert it["regions"] == [] and it["sources"] == [], it["id"]


def test_answerable_items_shape():
    for it in ANSWERABLE:
        assert 1 <= len(it["facts"]) <= 3, f"{it['id']}: keep facts to 1-3"
        assert it["evidence"], it["id"]
        assert it["regions"] and it["sources"], it["id"]
        # every source's region must be among the expected regions, and vice versa
        source_regions = {SOURCE_REGION[s] for s in it["sources"]}
        assert source_regions == set(it["regions"]), f"{it['id']}: regions {it['regions']} vs sources"
        if it["category"] == "vergelijking":
            assert len(set(it["regions"])) >= 2, f"{it['id']}: vergelijking needs >= 2 regions"
            assert len(it["evidence"]) >= len(it["sources"]), f"{it['id']}: one evidence per source"
        else:
            assert len(it["sources"]) == 1, f"{it['id']}: non-comparison items cite one document"


def test_regexes_compile():
    for it in ALL_ITEMS:
        for pattern in it["facts"] + it["evidence"]:
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as exc:  # pragma: no cover - failure path
                pytest.fail(f"{it['id']}: bad regex {pattern!r}: {exc}")


def test_counts_and_coverage():
    assert len(ITEMS) >= 120
    assert sum(it["refuse"] for it in ITEMS) >= 20
    cats = Counter(it["category"] for it in ITEMS)
    assert set(cats) == CATEGORIES, f"missing categories: {CATEGORIES - set(cats)}"
    covered = {s for it in ITEMS for s in it["sources"]}
    assert covered == set(SOURCE_REGION), f"uncovered sources: {set(SOURCE_REGION) - covered}"


def test_holdout_split():
    share = sum(it["split"] == "holdout" for it in ITEMS) / len(ITEMS)
    assert 0.2 <= share <= 0.3, share
    for cat in CATEGORIES:
        splits = {it["split"] for it in ITEMS if it["category"] == cat}
        assert splits == SPLITS, f"{cat}: needs both tune and holdout items"


def test_corpus_has_the_sources():
    if not CORPUS.is_dir():
        pytest.skip("corpus/ does not exist yet")
    stems = {p.stem for p in CORPUS.glob("*.md")}
    missing = set(SOURCE_REGION) - stems
    if missing:
        pytest.skip(f"corpus/ incomplete, missing: {sorted(missing)}")


# --------------------------------------------------------------------- answerability per item

@pytest.mark.parametrize("item", ANSWERABLE, ids=[it["id"] for it in ANSWERABLE])
def test_item_is_answerable_from_its_sources(item):
    texts = source_texts(item)
    if item["category"] == "vergelijking":
        # each evidence/fact regex must match one of the sources, and every source must be hit
        for pattern in item["evidence"] + item["facts"]:
            assert any(search(pattern, t) for t in texts.values()), (
                f"{item['id']}: {pattern!r} matches none of {list(texts)}")
        for stem, text in texts.items():
            assert any(search(e, text) for e in item["evidence"]), (
                f"{item['id']}: no evidence regex matches {stem}")
        return
    # single document: all evidence and all facts must match that document
    for stem, text in texts.items():
        if all(search(p, text) for p in item["evidence"] + item["facts"]):
            return
    failing = {
        stem: [p for p in item["evidence"] + item["facts"] if not search(p, text)]
        for stem, text in texts.items()
    }
    pytest.fail(f"{item['id']}: not all regexes match one source: {failing}")


@pytest.mark.parametrize("item", ANSWERABLE, ids=[it["id"] for it in ANSWERABLE])
def test_facts_come_from_the_evidence_passage(item):
    """Facts must be found near an evidence match (the answer is extractive), not elsewhere."""
    texts = source_texts(item)
    windows = []
    for pattern in item["evidence"]:
        for text in texts.values():
            for m in re.finditer(pattern, text, re.IGNORECASE):
                windows.append(text[max(0, m.start() - FACT_WINDOW): m.end() + FACT_WINDOW])
    assert windows, f"{item['id']}: no evidence match"
    for fact in item["facts"]:
        assert any(search(fact, w) for w in windows), (
            f"{item['id']}: fact {fact!r} not within {FACT_WINDOW} chars of any evidence match")
    if item["category"] != "vergelijking":
        # all evidence regexes of one item identify ONE passage
        first = item["evidence"][0]
        assert any(all(search(e, w) for e in item["evidence"][1:]) for w in windows
                   if search(first, w)), f"{item['id']}: evidence regexes are not in one passage"
