"""Cite: the answer and its numbered citations, as the CLI, the chat and the evals see them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import zip_longest

from assistant.chunk import BULLET, indent, plain

REGION_PHRASE = {
    "Utrecht": "In Utrecht",
    "Rotterdam": "In Rotterdam",
    "Drechtsteden": "In de Drechtsteden",
    "Landelijk": "Landelijk",
}


@dataclass
class Citation:
    """One quoted passage: `quote` is verbatim from `text`, at `quote_spans` inside it."""

    n: int
    source: str
    title: str
    region: str
    section: str
    organisation: str
    text: str  # the whole chunk, as the reader sees it (emphasis markers removed)
    quotes: list[str] = field(default_factory=list)
    page: int | None = None
    # Where each quote was taken from in `text`, about (None: unknown): a short line
    # ("School", "Ja") may occur more than once, and only one of them is quoted.
    near: list[int | None] = field(default_factory=list)

    def to_json(self) -> dict:
        """The public JSON shape (see README: `assistant ask --jsonl`)."""
        return {
            "n": self.n,
            "source": self.source,
            "title": self.title,
            "region": self.region,
            "section": self.section,
            "text": self.text,
        }

    def quote_spans(self) -> list[tuple[int, int]]:
        """Character ranges of the quotes inside `text`, for highlighting: of a quote that
        occurs more than once, the occurrence nearest to where it was taken from."""
        spans = []
        for quote, near in zip_longest(self.quotes, self.near[: len(self.quotes)]):
            found = [m.start() for m in re.finditer(re.escape(quote), self.text)]
            if found:
                start = min(found, key=lambda at: abs(at - near)) if near is not None else found[0]
                spans.append((start, start + len(quote)))
        return spans


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    latency_ms: float = 0.0
    # The retrieved passages in fused order (node id, raw text, region): for the
    # eval runner's retrieval metrics and the UI's suggestions; not part of the JSON.
    retrieved: list[tuple[str, str, str]] = field(default_factory=list)
    # Each step quoted as what comes next ("Daarna"), as (region, its text): the situation
    # a follow-up "en dan?" is about (see followup.py). Not part of the JSON.
    next_steps: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "latency_ms": round(self.latency_ms, 2),
        }


NEXT_STEP_LEAD = "Daarna"  # the lead of a quote that is the step after the one before it
ALTERNATIVE_LEAD = "Of"  # the lead of a quote that is another branch of that next step
LIST_GOES_ON_LEAD = "De lijst gaat verder"  # the lead of a quote that goes on with the list before it
LAST_STEP_NOTE = "(hierna noemt het document geen volgende stap)"
# After a quote whose list the passage holds only part of (a passage may start or end inside a list).
PART_OF_LIST_NOTE = "(een deel van de lijst; de hele lijst staat in het document)"


@dataclass
class Quote:
    """Verbatim parts of one passage (`node`) that the answer quotes."""

    node: object  # a llama-index BaseNode
    parts: list[str]
    lead: str = ""  # what the quote is to the one before it ("Daarna"), shown first
    last_step: bool = False  # a numbered step after which its list and phases end
    part_of_list: bool = False  # the list it is shown with may go on beyond the passage
    # Where each part starts in the node's text: for highlighting only, so two quotes of the
    # same text are equal (see answer._without_repeats).
    starts: list[int] = field(default_factory=list, compare=False)


def _line_at(text: str, at: int) -> str:
    """The line of `text` that holds offset `at`."""
    end = text.find("\n", at)
    return text[text.rfind("\n", 0, at) + 1 : end if end >= 0 else len(text)]


def _siblings(text: str, first: int | None, second: int | None) -> bool:
    """Whether the quote parts at offsets `first` and `second` of `text` are items of one
    list at one depth: neither introduces the other (as "Actietafel met:" its nested items)."""
    if first is None or second is None:
        return False
    a, b = _line_at(text, first), _line_at(text, second)
    return bool(BULLET.match(a)) and bool(BULLET.match(b)) and indent(a) == indent(b)


def shown_heading(section: str) -> str:
    """The heading a quote is shown under: the last part of its section path."""
    return section.split(" > ")[-1].rstrip(" :") if section else ""


def compose(question: str, quotes: list[Quote]) -> Answer:
    """Number the quoted passages [1], [2], ... and group the quotes by region.

    "In Rotterdam (PPO Rotterdam), onder „Fase 1”: „...” [1]" — the section tells
    who or which step a quoted rule belongs to.
    """
    citations: dict[str, Citation] = {}
    by_region: dict[str, list[str]] = {}
    next_steps: list[tuple[str, str]] = []
    for quote in quotes:
        node, meta = quote.node, quote.node.metadata
        if node.node_id not in citations:
            citations[node.node_id] = Citation(
                n=len(citations) + 1,
                source=meta.get("source", ""),
                title=meta.get("title", ""),
                region=meta.get("region", ""),
                section=meta.get("section", ""),
                organisation=meta.get("organisation", ""),
                text=reader_text(node.get_content()),
                page=meta.get("page") or None,
            )
        citation = citations[node.node_id]
        starts = quote.starts if len(quote.starts) == len(quote.parts) else [None] * len(quote.parts)
        shown = [(plain(p), at) for p, at in zip(quote.parts, starts) if plain(p)]
        if not shown:
            continue
        parts = [p for p, _ in shown]
        citation.quotes.extend(parts)
        # The reader text of what comes before a part (with a stand-in for the part, so that
        # `reader_text` keeps the blank lines before it) is about as long as what comes before
        # it in `citation.text`: emphasis markers cut in half may differ by a few characters.
        citation.near.extend(None if at is None else len(reader_text(node.get_content()[:at] + "x")) - 1
                             for _, at in shown)
        where = shown_heading(citation.section)
        lead = f"onder „{where}”: " if where and where != "Begin van het document" else ""
        if quote.lead == LIST_GOES_ON_LEAD:
            lead = ""  # (the list goes on in the same section: its heading was just shown)
        if quote.lead:
            lead = f"{quote.lead}, {lead}" if lead else f"{quote.lead}: "
        if quote.lead == NEXT_STEP_LEAD or quote.last_step:
            # The situation a follow-up "en dan?" is about; after the last step it stays there.
            next_steps.append((citation.region, " ".join(parts)))
        if len(parts) > 1 and lead and _siblings(node.get_content(), shown[0][1], shown[1][1]):
            # Items of one list (a whole list, or the part that goes on in the next chunk):
            # none introduces the others, so all are shown at one level, under the heading.
            lead = lead.rstrip()
            quoted = "".join(f"\n  - „{p}”" for p in parts)
        else:
            quoted = f"„{parts[0]}”" + "".join(f"\n  - „{p}”" for p in parts[1:])
        notes = [LAST_STEP_NOTE] * quote.last_step + [PART_OF_LIST_NOTE] * quote.part_of_list
        note = "".join(f" {n}" for n in notes)
        by_region.setdefault(citation.region, []).append(f"{lead}{quoted} [{citation.n}]{note}")

    paragraphs = []
    for region, texts in by_region.items():
        organisations = sorted({c.organisation for c in citations.values() if c.region == region})
        intro = f"{REGION_PHRASE.get(region, region)} ({'; '.join(organisations)})"
        if len(texts) == 1:
            paragraphs.append(f"{intro}, {texts[0]}")
        else:
            paragraphs.append(f"{intro}:\n" + "\n".join(f"- {t}" for t in texts))
    if len(by_region) > 1:
        paragraphs.append("Let op: elke regio heeft eigen afspraken; kijk welke regio voor uw school geldt.")
    return Answer(
        question=question,
        answer="\n\n".join(paragraphs),
        refused=False,
        citations=sorted(citations.values(), key=lambda c: c.n),
        next_steps=next_steps,
    )


def source_line(c: Citation) -> str:
    """`[1] Title — section (Region)` for the CLI and the sources panel."""
    page = f", p. {c.page}" if c.page else ""
    return f"[{c.n}] {c.title} — {c.section}{page} ({c.region})"


def reader_text(text: str) -> str:
    """Chunk text for display: emphasis markers removed, lines kept."""
    return "\n".join(plain(line) if line.strip() else "" for line in text.split("\n")).strip()
