"""Answer: pick the document sentences that answer the question and quote them verbatim.

No Dutch generative model can be had offline here, so the default answerer is
extractive. It scores every sentence of the retrieved passages by

    cosine(question, sentence)           precomputed sentence vectors, e5 query/passage
  + LEXICAL * coverage                   share of the question's content stems in the sentence
  + NUMBER  * has a number/time span     only for "wanneer / hoe lang / hoeveel / vanaf" questions
  + PRIOR   * 1 / (1 + passage rank)     the fused retrieval order

and refuses when the absolute evidence is weak (best sentence cosine and
passage coverage below the calibrated floors; never the fused, rank-based
score). Anything implementing `Answerer` can replace it (e.g. a generative
back end later).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_DUTCH
from llama_index.core.schema import NodeWithScore

from assistant.chunk import plain
from assistant.cite import REGION_PHRASE, Answer, Citation, reader_text
from assistant.config import REGIONS, Settings
from assistant.index import SentenceRecord

LEXICAL = 0.10
NUMBER = 0.04
PRIOR = 0.02
REGION_MATCH = 0.05

# Words that ask for a quantity, a moment or a duration.
QUANTITY_QUESTION = re.compile(
    r"\b(wanneer|hoe\s+lang|hoelang|hoeveel|hoe\s+vaak|vanaf|binnen\s+welke|termijn|"
    r"hoe\s+oud|welke\s+leeftijd|hoe\s+snel|na\s+hoeveel|per\s+week|maximaal|minimaal|"
    r"tot\s+wanneer|welk\s+percentage|hoe\s+groot)\b",
    re.IGNORECASE,
)
NUMBER_WORDS = (
    "een|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|dertien|veertien|vijftien|"
    "zestien|twintig|dertig|halve|half"
)
NUMBER_SPAN = re.compile(
    rf"(\d+([.,]\d+)?\s*(%|procent|uur|uren|dag|dagen|week|weken|maand|maanden|jaar|jaren|fte|keer|lesuren|schooldagen|werkdagen)?|"
    rf"\b({NUMBER_WORDS})\s+(uur|uren|dag|dagen|week|weken|maand|maanden|jaar|jaren|keer|schooldagen|werkdagen)\b)",
    re.IGNORECASE,
)
# Question words and filler that say nothing about the topic.
QUESTION_STOPWORDS = {
    "wat", "wie", "wanneer", "hoe", "welke", "welk", "waar", "waarom", "moet", "moeten", "mag",
    "mogen", "kan", "kunnen", "ik", "je", "jij", "we", "wij", "u", "is", "zijn", "er", "een",
    "de", "het", "dan", "nu", "doe", "doen", "gaat", "eigenlijk", "precies", "lang", "hoeveel",
    "vaak", "snel", "graag", "weten", "zeg", "vertel", "iemand", "iets", "dit", "dat", "deze",
    "bij", "over", "volgens", "regio", "documenten", "document", "staat", "stond",
}
REGION_WORDS = {
    "utrecht": "Utrecht",
    "utrechtse": "Utrecht",
    "rotterdam": "Rotterdam",
    "rotterdamse": "Rotterdam",
    "drechtsteden": "Drechtsteden",
    "dordrecht": "Drechtsteden",
    "landelijk": "Landelijk",
    "landelijke": "Landelijk",
    "nationaal": "Landelijk",
    "nationale": "Landelijk",
}
WORD = re.compile(r"\w+", re.UNICODE)

REFUSAL = "Dat staat niet in de documenten die ik ken, dus daar kan ik geen betrouwbaar antwoord op geven."


class Answerer(Protocol):
    def answer(self, evidence: "Evidence") -> Answer: ...


@dataclass
class Evidence:
    """What retrieval found for one question, ready for an answerer."""

    question: str
    query: str
    query_vector: np.ndarray
    nodes: list[NodeWithScore]
    sentences: dict[str, list[SentenceRecord]]
    region: str | None = None


@dataclass
class Scored:
    record: SentenceRecord
    node: NodeWithScore
    rank: int
    cosine: float
    coverage: float
    score: float


@dataclass
class Terms:
    """Content stems of a text, for lexical coverage."""

    stems: set[str] = field(default_factory=set)


class Lexicon:
    """Dutch stemming with stop words removed (the same stemmer as BM25)."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("dutch")
        self._stop = set(STOPWORDS_DUTCH) | QUESTION_STOPWORDS

    def stems(self, text: str) -> set[str]:
        words = [w for w in WORD.findall(text.lower()) if w not in self._stop]
        return set(self._stemmer.stemWords(words))


def regions_named(question: str) -> list[str]:
    """Regions the question itself names, in order of mention."""
    found: list[str] = []
    for word in WORD.findall(question.lower()):
        region = REGION_WORDS.get(word)
        if region and region not in found:
            found.append(region)
    return found


class ExtractiveAnswerer:
    """Quotes the best-supported sentences; refuses below the calibrated floors."""

    def __init__(self, settings: Settings, lexicon: Lexicon | None = None):
        self.settings = settings
        self.lexicon = lexicon or Lexicon()

    # -- scoring -----------------------------------------------------------
    def _score(self, evidence: Evidence, q_stems: set[str], named: list[str]) -> list[Scored]:
        quantity = bool(QUANTITY_QUESTION.search(evidence.question))
        scored: list[Scored] = []
        for rank, node in enumerate(evidence.nodes[: self.settings.top_k]):
            records = evidence.sentences.get(node.node.node_id, [])
            if not records:
                continue
            vectors = np.asarray([r.vector for r in records], dtype=np.float32)
            cosines = vectors @ evidence.query_vector
            region = node.node.metadata.get("region")
            for record, cosine in zip(records, cosines):
                stems = self.lexicon.stems(record.text)
                coverage = len(q_stems & stems) / len(q_stems) if q_stems else 0.0
                score = float(cosine) + LEXICAL * coverage + PRIOR / (1 + rank)
                if quantity and NUMBER_SPAN.search(record.text):
                    score += NUMBER
                if named and region in named:
                    score += REGION_MATCH
                scored.append(Scored(record, node, rank, float(cosine), coverage, score))
        return sorted(scored, key=lambda s: s.score, reverse=True)

    def _passage_coverage(self, node: NodeWithScore, q_stems: set[str]) -> float:
        meta = node.node.metadata
        text = " ".join([node.node.get_content(), meta.get("section", ""), meta.get("title", "")])
        return len(q_stems & self.lexicon.stems(text)) / len(q_stems) if q_stems else 0.0

    # -- selection ---------------------------------------------------------
    def _select(self, ranked: list[Scored], named: list[str]) -> list[Scored]:
        """The best sentence, plus close seconds; one per named region for comparisons."""
        best = ranked[0]
        chosen = [best]
        if len(named) > 1:
            for region in named:
                if any(s.node.node.metadata.get("region") == region for s in chosen):
                    continue
                for s in ranked:
                    if s.node.node.metadata.get("region") == region:
                        chosen.append(s)
                        break
        margin = 0.03
        for s in ranked[1:]:
            if len(chosen) >= self.settings.max_quotes:
                break
            if s in chosen or s.score < best.score - margin:
                continue
            if any(s.record.text == c.record.text for c in chosen):
                continue
            chosen.append(s)
        return chosen

    def refusal_signals(self, evidence: Evidence) -> tuple[float, float]:
        """(best sentence cosine, best passage coverage): the absolute evidence strength."""
        q_stems = self.lexicon.stems(evidence.query)
        ranked = self._score(evidence, q_stems, regions_named(evidence.question))
        cosine = max((s.cosine for s in ranked), default=0.0)
        coverage = max(
            (self._passage_coverage(n, q_stems) for n in evidence.nodes[: self.settings.top_k]),
            default=0.0,
        )
        return cosine, coverage

    # -- composition -------------------------------------------------------
    def answer(self, evidence: Evidence) -> Answer:
        q_stems = self.lexicon.stems(evidence.query)
        named = regions_named(evidence.question)
        ranked = self._score(evidence, q_stems, named)
        cosine = max((s.cosine for s in ranked), default=0.0)
        coverage = max(
            (self._passage_coverage(n, q_stems) for n in evidence.nodes[: self.settings.top_k]),
            default=0.0,
        )
        if (
            not ranked
            or cosine < self.settings.min_sentence_cosine
            or coverage < self.settings.min_coverage
        ):
            return self.refuse(evidence)
        chosen = self._select(ranked, named)
        return compose(evidence.question, chosen)

    def refuse(self, evidence: Evidence) -> Answer:
        suggestions = []
        for node in evidence.nodes[:3]:
            meta = node.node.metadata
            line = f"{meta.get('title')} — {meta.get('section')} ({meta.get('region')})"
            if line not in suggestions:
                suggestions.append(line)
        text = REFUSAL
        if suggestions:
            text += "\n\nDeze onderdelen komen het dichtst in de buurt; misschien helpen ze verder:\n"
            text += "\n".join(f"- {s}" for s in suggestions)
        return Answer(question=evidence.question, answer=text, refused=True, suggestions=suggestions)


def compose(question: str, chosen: list[Scored]) -> Answer:
    """Group the quotes by region and number them [1], [2], ... in reading order."""
    citations: dict[str, Citation] = {}
    by_region: dict[str, list[tuple[str, int]]] = {}
    for s in chosen:
        node = s.node.node
        meta = node.metadata
        key = node.node_id
        if key not in citations:
            citations[key] = Citation(
                n=len(citations) + 1,
                source=meta.get("source", ""),
                title=meta.get("title", ""),
                region=meta.get("region", ""),
                section=meta.get("section", ""),
                organisation=meta.get("organisation", ""),
                text=reader_text(node.get_content()),
                page=meta.get("page") or None,
            )
        citation = citations[key]
        quote = plain(s.record.text)
        citation.quotes.append(quote)
        by_region.setdefault(citation.region, []).append((quote, citation.n))

    paragraphs = []
    for region, quotes in by_region.items():
        titles = sorted({c.title for c in citations.values() if c.region == region})
        intro = f"{REGION_PHRASE.get(region, region)} ({'; '.join(titles)}):"
        body = " ".join(f"„{q}” [{n}]" for q, n in quotes)
        paragraphs.append(f"{intro} {body}")
    if len(by_region) > 1:
        paragraphs.append("Let op: elke regio heeft eigen afspraken; kijk welke regio voor uw school geldt.")
    return Answer(
        question=question,
        answer="\n\n".join(paragraphs),
        refused=False,
        citations=sorted(citations.values(), key=lambda c: c.n),
    )


__all__ = ["Answerer", "Evidence", "ExtractiveAnswerer", "Lexicon", "REFUSAL", "REGIONS", "compose"]
