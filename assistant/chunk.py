"""Chunk: Markdown-aware node parsing, and sentence units for quoting.

Documents are split on their headings (llama-index `MarkdownNodeParser`, which
keeps the heading path), long sections are split further by
`SentenceSplitter` measured in the embedding model's own tokens, and every
chunk gets a readable `section` ("2 Verzuim > 2.1 Melden") and, for converted
PDFs, the `page` its text starts on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.node_parser import MarkdownNodeParser, SentenceSplitter
from llama_index.core.node_parser.text.utils import split_text_keep_separator
from llama_index.core.schema import BaseNode, Document, MetadataMode, TransformComponent

from assistant.convert import page_at, parse_pages

HEADING = re.compile(r"^(#+)\s+(.*)$")
BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def split_id(i: int, node: BaseNode) -> str:
    """Deterministic chunk ids: `<document>#<section>.<part>`."""
    return f"{node.id_}.{i}"


def section_of(chunk_id: str) -> str:
    """The section a chunk id belongs to: `<document>#<section>` (see `split_id`)."""
    return chunk_id.rsplit(".", 1)[0]


def following_ids(chunk_id: str) -> list[str]:
    """The ids the chunk after `chunk_id` may have (see `split_id`): the next part of its
    section, or the first part of the next section."""
    section, _, part = chunk_id.rpartition(".")
    document, _, number = section.rpartition("#")
    if not part.isdigit() or not number.isdigit():
        return []
    return [f"{section}.{int(part) + 1}", f"{document}#{int(number) + 1}.0"]


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


class PageNumbers(TransformComponent):
    """Set `page` (1-based) on every chunk of a paged document (a converted PDF).

    Documents carry their page start offsets as `pages` metadata ("0,1834,4020",
    from the front matter). llama-index's `start_char_idx` cannot be used for the
    chunk's position: after `MarkdownNodeParser` + `SentenceSplitter` it is
    relative to the section, and `None` for every section after the first
    (the splitter's search position is kept per document, not per section). So
    this step is used twice with the same instance: first in the pipeline it sees
    the Documents and remembers their text; after splitting it finds each chunk's
    text in its document, in order, and sets `page` to the page its text starts on.

        pages = PageNumbers()
        [pages, MarkdownNodeParser(), SectionMetadata(), SentenceSplitter(...), pages, ...]

    (`chunking_transformations` does exactly this.)

    The `pages` value is removed from chunk metadata (it is per document) and
    `page` is kept out of the embedded text. Documents without `pages` are
    passed through unchanged. Needs the pipeline cache off (as RouteIndex runs it).
    """

    _documents: dict = PrivateAttr(default_factory=dict)

    @classmethod
    def class_name(cls) -> str:
        return "PageNumbers"

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> Sequence[BaseNode]:
        if nodes and all(isinstance(n, Document) for n in nodes):
            for doc in nodes:
                pages = parse_pages(doc.metadata.get("pages"))
                if pages:
                    self._documents[doc.id_] = (doc.get_content(metadata_mode=MetadataMode.NONE), pages)
            return nodes
        positions: dict[str, int] = {}
        for node in nodes:
            doc_id = node.ref_doc_id or ""
            node.metadata.pop("pages", None)
            remembered = self._documents.get(doc_id)
            if remembered is None:
                continue
            text, pages = remembered
            chunk = node.get_content(metadata_mode=MetadataMode.NONE)
            start = _find_chunk(text, chunk, positions.get(doc_id, 0))
            if start < 0:
                continue
            positions[doc_id] = start + 1
            node.metadata["page"] = page_at(pages, start)
            for keys in (node.excluded_embed_metadata_keys, node.excluded_llm_metadata_keys):
                if "page" not in keys:
                    keys.append("page")
        for doc_id in {n.ref_doc_id for n in nodes}:
            self._documents.pop(doc_id, None)
        return nodes


class SectionSpans(TransformComponent):
    """Set `section_start` / `section_end` on every chunk: where its text is in its
    section's text, and `section_gap`: the white space before it that no chunk has (see
    section.py, which puts a section back together from them).

    llama-index's `start_char_idx` is no use for this (see `PageNumbers`), so, like
    `PageNumbers`, this step runs twice with one instance: before the splitter it
    remembers each section's text by id, after it finds each chunk's text in its section
    (`section_of`), in order. Runs before `ListIntroCarry`: the lines it carries are not
    the chunk's own. Kept out of the embedded text."""

    _sections: dict = PrivateAttr(default_factory=dict)

    @classmethod
    def class_name(cls) -> str:
        return "SectionSpans"

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> Sequence[BaseNode]:
        if not self._sections:
            self._sections = {n.id_: n.get_content(metadata_mode=MetadataMode.NONE) for n in nodes}
            return nodes
        positions: dict[str, int] = {}
        ends: dict[str, int] = {}
        for node in nodes:
            section = section_of(node.id_)
            text = self._sections.get(section)
            chunk = node.get_content(metadata_mode=MetadataMode.NONE)
            start = text.find(chunk, positions.get(section, 0)) if text is not None else -1
            while 0 <= start and start + len(chunk) < ends.get(section, 0):
                start = text.find(chunk, start + 1)  # (a chunk ends after the one before: "Zie 2.4." twice)
            if start < 0:
                continue
            positions[section] = start + 1
            # The splitter strips the white space between chunks; kept, to put the text back.
            gap = text[ends.get(section, start) : start] if start > ends.get(section, start) else ""
            ends[section] = start + len(chunk)
            node.metadata.update(section_start=start, section_end=start + len(chunk), section_gap=gap)
            for keys in (node.excluded_embed_metadata_keys, node.excluded_llm_metadata_keys):
                keys.extend(k for k in ("section_start", "section_end", "section_gap") if k not in keys)
        self._sections = {}
        return nodes


def _find_chunk(text: str, chunk: str, start: int) -> int:
    """Offset of `chunk` in `text`, searching on from `start`; -1 when not found."""
    for probe in (chunk, chunk[:80]):
        if not probe:
            continue
        found = text.find(probe, start)
        if found < 0:
            found = text.find(probe)
        if found >= 0:
            return found
    return -1


def _introduces(paragraph: str) -> bool:
    """Whether a paragraph ends in a colon, as a list's introduction ("... opties:",
    "**Opties:**")."""
    return paragraph.rstrip().rstrip("*_").rstrip().endswith(":")


def introduces_list(sentence: str) -> bool:
    """Whether a line or sentence can introduce the list after it: it ends in a colon or
    without a sentence's end ("Andere opties zijn", "4. Actietafel met")."""
    s = sentence.rstrip()
    return s.endswith(":") or not s.endswith((".", "!", "?", ";", ")", "”", '"'))


def paragraphs_with_their_lists(text: str) -> list[str]:
    """`SentenceSplitter`'s paragraph step, keeping a paragraph that introduces a list
    ("... op drie hoofdpunten:") together with the list: split apart, the intro ended
    one chunk and its items began the next, and no quote could show what the three
    points were. Items separated by blank lines (as converted PDFs have them) stay
    with it too. The pieces join back to `text` exactly."""
    merged: list[str] = []
    in_list = False  # the last piece is an introduction with its list so far
    for piece in split_text_keep_separator(text, "\n\n"):
        item = bool(BULLET.match(piece.lstrip("\n")))
        if merged and item and (in_list or _introduces(merged[-1])):
            merged[-1] += piece
            in_list = True
        else:
            merged.append(piece)
            in_list = False
    return merged


class ListAwareSentenceSplitter(SentenceSplitter):
    """llama-index's `SentenceSplitter` with `paragraphs_with_their_lists` as its
    paragraph step (the splitter takes only a fixed separator string), keeping
    the indent of a chunk's first line."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._split_fns[0] = paragraphs_with_their_lists

    @classmethod
    def class_name(cls) -> str:
        return "ListAwareSentenceSplitter"

    def _postprocess_chunks(self, chunks: list[str]) -> list[str]:
        # Keep the first line's indent (the default strips it): a chunk that starts
        # inside a nested list must still show which items are nested.
        return [c.rstrip().lstrip("\n") for c in chunks if c.strip()]


class ListIntroCarry(TransformComponent):
    """A chunk that starts inside a long list also gets the line that introduces the
    list ("Mogelijke opties:"), when that line is in the section's previous chunk
    before this one's start.

    A list longer than one chunk is cut between its items (see `split_sentences`);
    without its introduction, "1. Verlenging brugplek" says nothing of what it is an
    option for, to the retrievers or in a quote. The carried line is the document's
    own, like the overlap the splitter adds. Runs last: `PageNumbers` finds each
    chunk's page by its own text.
    """

    @classmethod
    def class_name(cls) -> str:
        return "ListIntroCarry"

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> Sequence[BaseNode]:
        # Per section ("<document>#<n>", see `split_id`): the previous chunk's carried
        # introductions, its own text and where that starts in the section (`SectionSpans`).
        previous: dict[str, tuple[list[tuple[str, int]], str, Any]] = {}
        for node in nodes:
            section = section_of(node.id_)
            text = node.get_content()
            start = node.metadata.get("section_start")
            lines = [line for line in text.split("\n") if line.strip() and not HEADING.match(line.strip())]
            carry: list[tuple[str, int]] = []
            if section in previous and lines and BULLET.match(lines[0]):
                # What is open where this chunk starts: the splitter's overlap starts it
                # before the previous one's end, maybe inside another list.
                stack, own, own_start = previous[section]
                upto = start - own_start if isinstance(start, int) and isinstance(own_start, int) else len(own)
                carry = [e for e in _open_after(stack, own[: max(0, upto)]) if e[1] < indent(lines[0])]
                carried = "\n".join(line for line, _ in carry)
                if carried and carried not in text:
                    node.set_content(f"{carried}\n{text}")
            previous[section] = (carry, text, start)
        return nodes


def _open_after(stack: list[tuple[str, int]], text: str) -> list[tuple[str, int]]:
    """The introductions still open after `text`, given those open before it (`stack`),
    outermost first, each with its indent (-1 for a paragraph, else the introducing item's)."""
    lines = [line for line in text.split("\n") if line.strip() and not HEADING.match(line.strip())]
    for line in lines:
        if not BULLET.match(line):
            # A paragraph introduces with its last sentence ("... op drie hoofdpunten:").
            stack = [(_last_sentence(line.strip()), -1)] if _introduces(line) else []
            continue
        stack = [e for e in stack if e[1] < indent(line)]  # items at its level end a nested list
        if introduces_list(line):  # (an item's own items need no colon: "Andere opties zijn")
            stack = stack + [(line.rstrip(), indent(line))]
    still_open = bool(lines) and (bool(BULLET.match(lines[-1])) or _introduces(lines[-1]))
    return stack if still_open else []


def _last_sentence(paragraph: str) -> str:
    ends = [m.end() for m in re.finditer(r"[.!?]\s+(?=[A-Z])", paragraph)]
    return paragraph[ends[-1]:] if ends else paragraph


def indent(line: str) -> int:
    """How far a line is indented (a nested list item's depth)."""
    return len(line) - len(line.lstrip(" \t"))


def chunking_transformations(
    tokenizer: Callable[[str], list], chunk_size: int, chunk_overlap: int
) -> list[TransformComponent]:
    """The ingestion steps before embedding, in order."""
    pages, spans = PageNumbers(), SectionSpans()
    return [
        pages,
        MarkdownNodeParser(),
        SectionMetadata(),
        spans,
        ListAwareSentenceSplitter(
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            tokenizer=tokenizer,
            paragraph_separator="\n\n",
            chunking_tokenizer_fn=split_sentences,
            id_func=split_id,
        ),
        pages,
        spans,
        ListIntroCarry(),
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


# A list step's number on its own: "**5.**", "3.1", "a.".
STEP_LABEL = re.compile(r"^\**\s*(\d+(\.\d+)*|[a-z])\.?\s*\**$")


def sentence_spans(text: str) -> list[Span]:
    """Split a chunk into quotable units: sentences of prose lines and whole list items.

    Headings are not quotable; bullet markers and bold markers are outside the span
    where they lead the line.
    """
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
        line_spans = [Span(body_start + s, body_start + e) for s, e in line_sentences(body)]
        spans.extend(sp for sp in line_spans if len(text[sp.start:sp.end].strip()) >= 3)
    return spans


def line_sentences(body: str) -> list[tuple[int, int]]:
    """(start, end) of the sentences of one line's text, by Punkt for Dutch.

    A "sentence" that starts in lower case continues the previous one (an
    abbreviation Punkt did not know); one after a bare step label ("**5.**
    Leerling en ouders ...") is that step's text.
    """
    global _PUNKT
    if _PUNKT is None:
        _PUNKT = _sentence_tokenizer()
    found: list[tuple[int, int]] = []
    for s, e in _PUNKT.span_tokenize(body):
        if found and (body[s : s + 1].islower() or STEP_LABEL.match(body[found[-1][0] : found[-1][1]])):
            found[-1] = (found[-1][0], e)
        else:
            found.append((s, e))
    return found


def split_sentences(text: str) -> list[str]:
    """`SentenceSplitter`'s sentence step: every line on its own, then its sentences.

    Replaces llama-index's default (English Punkt over the whole paragraph), which
    reads a list step's label as a sentence end: a chunk then ended in "- **5." and
    the next began with "** Leerling en ouders ...", so the step lost its number and
    a quote its start. Lines are Markdown's own units (list items, headings), and a
    chunk boundary between them keeps every item whole. The pieces join back to
    `text` exactly.
    """
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        lead = BULLET.match(line)
        offset = lead.end() if lead else 0
        starts = [offset + s for s, _ in line_sentences(line[offset:])] or [0]
        starts[0] = 0
        pieces.extend(line[a:b] for a, b in zip(starts, starts[1:] + [len(line)]))
    return [p for p in pieces if p]


def plain(text: str) -> str:
    """Text as a reader sees it: Markdown emphasis markers removed, spaces folded."""
    return re.sub(r"\s+", " ", text.replace("**", "").replace("__", "")).strip()
