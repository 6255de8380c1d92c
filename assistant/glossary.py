"""Glossary: the sentences where the documents define a term, found at index time.

"Wanneer is een leerling in de Drechtsteden een thuiszitter?" is answered by a
line in a definitions list ("**Thuiszitter**: Verzuim van meer dan 3 dagen per
week ..."), but the chunk that holds the list is about six kinds of verzuim at
once, and neither the dense nor the BM25 retriever ranks it near the top for
one of them. So the index keeps a small glossary (term -> chunks that define
it) and a question that asks what a term means gets those chunks as extra
candidates. Hand-written because no library finds definitions in Dutch prose:
the patterns below are the ways these documents define a term.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Collection, Iterable

from assistant.chunk import sentence_spans

if TYPE_CHECKING:
    from assistant.lexicon import QuestionTerms

TERM = r"[\wÀ-ÿ()/'’ -]{2,50}?"
# How the documents define a term; group "term" is the defined term.
DEFINING = [
    # A definitions list: "- **Thuiszitter**: Verzuim van ..." or "**OPP**: ..."
    re.compile(rf"^\s*(?:[-*]\s+|\d+\.\s+)?\*\*(?P<term>{TERM})\*\*\s*:"),
    # "Een thuiszitter is een leerplichtige leerling die ..."
    re.compile(rf"^(?:Een|De|Het)\s+(?P<term>{TERM})\s+(?:is|zijn)\s+(?:een|de|het|alle)\b"),
    # "We spreken van een thuiszitter als ..."
    re.compile(rf"\b[Ww]e\s+spreken\s+van\s+(?:een\s+|de\s+|het\s+)?(?P<term>{TERM})\s+(?:als|wanneer|indien)\b"),
    # "Onder maatwerk verstaan we ..." / "Onder X wordt verstaan ..."
    re.compile(rf"^Onder\s+(?P<term>{TERM})\s+(?:verstaan|wordt\s+verstaan|worden\s+verstaan)\b"),
    # "Basisondersteuning houdt in dat ...", "Doorzettingsmacht impliceert het mandaat tot ..."
    re.compile(rf"^(?P<term>{TERM})\s+(?:houdt\s+in|betekent|impliceert)\b"),
]

# A question that asks what a term means, or whether a case meets it.
ASKS_DEFINITION = re.compile(
    r"definitie|\bdefini(eer|ëer|er|ër)\w*|betekenis|\bbetekent\b|\bverst(aan|aat)\b|\bwat\s+(is|zijn)\s+(een\s+|de\s+|het\s+)?\w+\s*\??$|"
    r"\bwat\s+valt\s+onder\b|\bwanneer\s+(is|ben|spreek|spreekt|spreken|heet|heten|noem|noemt|noemen|geldt|telt)\b|"
    r"\bofficieel\b|\bis\s+(hij|zij|ze|het|die|dit|dat)\s+(dan\s+)?(al\s+)?een\b|\bwat\s+houdt\b|"
    r"\bbedoel(d|t|en)(\s+\w+)?\s+met\b|"
    # "Tellen vierjarigen die niet naar school komen mee als thuiszitter?"
    r"\b(telt|tellen)\b[^?.!]{0,60}?\bmee\s+als\b|"
    # "Is een consulent passend onderwijs er voor het po of het vo?": what the term stands for
    # (not who it is for: "Is de brugplaats er voor alle leerlingen?").
    r"^(is|zijn)\s+(een|de|het)\s+[\w -]+?\s+er\s+voor\s+(het\s+)?(po|vo|so|primair|voortgezet|speciaal|basisonderwijs)\b|"
    # "Wat bedoelt het routeboek van de Drechtsteden met ..." (not "Is X bedoeld voor leerlingen met ...")
    r"\bwat\b[^?.!]{0,40}?\bbedoel(d|t|en)\b[^?.!]{0,60}?\bmet\b|"
    # "... een 'actietafel'. Wat is dat eigenlijk?"
    r"\bwat\s+(is|zijn|betekent|betekenen)\s+(dat|dit|die|dan)\s*(eigenlijk|precies|dan|nou)?\s*\?|"
    # "wat is het BREN waar ...": an abbreviation or a quoted term, not "wat is de termijn die ..."
    r"\bwat\s+(is|zijn)\s+(een\s+|de\s+|het\s+)?((?-i:[A-Z][A-Z0-9-]+)|['‘\"“][^'’\"”]+['’\"”])\s+(waar\w*|die|dat)\s",
    re.IGNORECASE,
)


def defined_term(sentence: str) -> str | None:
    """The term a sentence defines, or None."""
    for pattern in DEFINING:
        match = pattern.search(sentence)
        if match:
            return match.group("term").strip(" -")
    return None


def asks_definition(question: str) -> bool:
    return bool(ASKS_DEFINITION.search(question))


def defines(sentence: str, terms: Collection[frozenset[str]], stems: Callable[[str], set[str]]) -> bool:
    """Whether `sentence` defines one of `terms` (the stems of the entries looked up for a
    question: a set, made once per question, as every candidate sentence is tested)."""
    term = defined_term(sentence) if terms else None
    return bool(term) and frozenset(stems(term)) in terms


def defining_chunks(entries: Iterable["Entry"], per_region: int) -> list[str]:
    """The ids of the chunks that define a term, in the entries' (document) order, at most
    `per_region` per region: a large corpus defines one term in hundreds of chunks, and
    all of them leading made a definition question at 100,000 chunks take seconds."""
    counts: dict[str, int] = {}
    ids: dict[str, None] = {}
    for entry in entries:
        if entry.chunk_id not in ids and counts.get(entry.region, 0) < per_region:
            ids[entry.chunk_id] = None
            counts[entry.region] = counts.get(entry.region, 0) + 1
    return list(ids)


@dataclass(frozen=True)
class Entry:
    stems: frozenset[str]  # the defined term, as corpus stems
    chunk_id: str
    region: str


class Glossary:
    """Term stems -> the chunks (and their regions) that define the term."""

    FILE = "glossary.json"

    def __init__(self, entries: Iterable[Entry] = ()):
        self.entries = list(entries)
        # Entries per defined term: a large corpus defines one term in many chunks, and a
        # lookup compares terms, of which there are far fewer.
        self._by_term: dict[frozenset[str], list[Entry]] = {}
        self._order = {entry: i for i, entry in enumerate(self.entries)}
        for entry in self.entries:
            self._by_term.setdefault(entry.stems, []).append(entry)

    @classmethod
    def build(cls, chunks: Iterable[tuple[str, str, str]], stems: Callable[[str], set[str]]) -> "Glossary":
        """From (chunk id, text, region) triples; `stems` turns a term into corpus stems."""
        entries = []
        for chunk_id, text, region in chunks:
            # The same quotable sentences the answerer tests with `defines`.
            for span in sentence_spans(text):
                term = defined_term(text[span.start : span.end])
                term_stems = frozenset(stems(term)) if term else frozenset()
                if term_stems:
                    entries.append(Entry(term_stems, chunk_id, region))
        return cls(dict.fromkeys(entries))

    def lookup(self, terms: "QuestionTerms", regions: Iterable[str] | None = None) -> list[Entry]:
        """Entries of `regions` (all if None) whose whole term is in the question.

        Only the most specific: "overig verzuim" and not also "verzuim". An
        abbreviation and its spelled-out form ("OPP", "Ontwikkelingsperspectiefplan
        (OPP)") are one term, so both of those are kept.
        """
        wanted = None if regions is None else set(regions)
        asked = terms.stems()
        hits = {
            term: found for term, entries in self._by_term.items() if term <= asked
            if (found := [e for e in entries if wanted is None or e.region in wanted])
        }
        covered = {term: {t for t in terms.terms if terms.met(t, set(term))} for term in hits}
        specific = {term for term in hits if not any(covered[term] < covered[other] for other in hits)}
        return sorted((e for term in specific for e in hits[term]), key=self._order.__getitem__)  # document order

    def save(self, folder: Path) -> None:
        rows = [{"stems": sorted(e.stems), "chunk_id": e.chunk_id, "region": e.region} for e in self.entries]
        (folder / self.FILE).write_text(json.dumps(rows, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> "Glossary":
        rows = json.loads((folder / cls.FILE).read_text(encoding="utf-8"))
        return cls(Entry(frozenset(r["stems"]), r["chunk_id"], r["region"]) for r in rows)
