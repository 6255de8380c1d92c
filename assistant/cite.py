"""Cite: the answer and its numbered citations, as the CLI, the chat and the evals see them."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.chunk import plain

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
        """Character ranges of the quotes inside `text`, for highlighting."""
        spans = []
        for quote in self.quotes:
            start = self.text.find(quote)
            if start >= 0:
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
    error: str | None = None

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "latency_ms": round(self.latency_ms, 2),
        }


def source_line(c: Citation) -> str:
    """`[1] Title — section (Region)` for the CLI and the sources panel."""
    page = f", p. {c.page}" if c.page else ""
    return f"[{c.n}] {c.title} — {c.section}{page} ({c.region})"


def reader_text(text: str) -> str:
    """Chunk text for display: emphasis markers removed, lines kept."""
    return "\n".join(plain(line) if line.strip() else "" for line in text.split("\n")).strip()
