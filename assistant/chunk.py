"""Chunk: Markdown-aware node parsing, and sentence units for quoting.

Documents are split on their headings (llama-index `MarkdownNodeParser`, which
keeps the heading path), long sections are split further by
`SentenceSplitter` measured in the embedding model's own tokens, and every
chunk gets a readable `section` ("2 Verzuim > 2.1 Melden").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from llama_index.core.node_parser import MarkdownNodeParser, SentenceSplitter
from llama_index.core.schema import BaseNode, TransformComponent

HEADING = re.compile(r"^(#+)\s+(.*)$")
BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def split_id(i: int, node: BaseNode) -> str:
    """Deterministic chunk ids: `<document>#<section>.<part>`."""
    return f"{node.id_}.{i}"


class SectionMetadata(TransformComponent):
    """Store the full heading path of each section as `section` metadata, and give
    sections readable, deterministic ids `<document>#<n>` (n counts per document)."""

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> Sequence[BaseNode]:
        counts: dict[str, int] = {}
        for node in nodes:
            doc_id = node.ref_doc_id or "doc"
            node.id_ = f"{doc_id}#{counts.get(doc_id, 0)}"
            counts[doc_id] = counts.get(doc_id, 0) + 1
            path = [p for p in node.metadata.pop("header_path", "").split("/") if p]
            first = node.get_content().split("\n", 1)[0]
            match = HEADING.match(first)
            if match:
                path.append(match.group(2).strip())
            # The document's title heading is already in `title`.
            title = (node.metadata.get("title"), node.metadata.get("heading"))
            path = [p for p in path if p not in title]
            node.metadata["section"] = " > ".join(path) if path else "Begin van het document"
        return nodes


def chunking_transformations(
    tokenizer: Callable[[str], list], chunk_size: int, chunk_overlap: int
) -> list[TransformComponent]:
    """The ingestion steps before embedding, in order."""
    return [
        MarkdownNodeParser(),
        SectionMetadata(),
        SentenceSplitter(
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            tokenizer=tokenizer,
            paragraph_separator="\n\n",
            id_func=split_id,
        ),
    ]


@dataclass(frozen=True)
class Span:
    """A quotable unit (one sentence or list item) as character offsets in a chunk."""

    start: int
    end: int


def _sentence_tokenizer():
    # nltk's Punkt model for Dutch ships inside llama-index-core (_static/nltk_cache),
    # so this needs no download; it knows Dutch abbreviations (bijv., o.a., e.d.).
    from llama_index.core.utils import globals_helper  # sets the bundled nltk path
    _ = globals_helper.punkt_tokenizer
    from nltk.tokenize.punkt import PunktTokenizer

    tokenizer = PunktTokenizer("dutch")
    tokenizer._params.abbrev_types.update(DUTCH_ABBREVIATIONS)
    return tokenizer


# Abbreviations common in Dutch policy texts that the Punkt model does not know.
DUTCH_ABBREVIATIONS = {
    "bijv", "o.a", "e.d", "m.b.t", "t.a.v", "z.s.m", "i.v.m", "evt", "etc", "nr", "incl",
    "excl", "resp", "ca", "d.w.z", "m.n", "n.a.v", "zgn", "vnl", "jr", "dhr", "mevr",
    "o.b.v", "blz", "art", "max", "min", "e.a", "t.b.v", "i.s.m", "m.u.v", "vs",
}

_PUNKT = None


def sentence_spans(text: str) -> list[Span]:
    """Split a chunk into quotable units: sentences of prose lines and whole list items.

    Headings are not quotable; bullet markers and bold markers are outside the span
    where they lead the line.
    """
    global _PUNKT
    if _PUNKT is None:
        _PUNKT = _sentence_tokenizer()
    spans: list[Span] = []
    offset = 0
    for line in text.split("\n"):
        line_start = offset
        offset += len(line) + 1
        stripped = line.strip()
        if not stripped or HEADING.match(stripped):
            continue
        lead = BULLET.match(line)
        body_start = line_start + (lead.end() if lead else len(line) - len(line.lstrip()))
        body = text[body_start : line_start + len(line.rstrip())]
        line_spans: list[Span] = []
        for s, e in _PUNKT.span_tokenize(body):
            # A "sentence" that starts in lower case continues the previous one
            # (an abbreviation Punkt did not know).
            if line_spans and body[s:s + 1].islower():
                line_spans[-1] = Span(line_spans[-1].start, body_start + e)
            else:
                line_spans.append(Span(body_start + s, body_start + e))
        spans.extend(sp for sp in line_spans if len(text[sp.start:sp.end].strip()) >= 3)
    return spans


def plain(text: str) -> str:
    """Text as a reader sees it: Markdown emphasis markers removed, spaces folded."""
    return re.sub(r"\s+", " ", text.replace("**", "").replace("__", "")).strip()
