"""A section put back together from its chunks, to quote what its chunks cut apart.

The splitter cuts a long section into overlapping chunks, and `ListIntroCarry` puts
the lines introducing a list in front of a chunk that starts inside it; a list can
still run from one chunk into the next. Whether a list is whole, and which chunk
holds it, is only known in the section: this rebuilds the section's text from its
chunks (`section_start` / `section_end`, set by `chunk.SectionSpans`, count in the
section's text, without the carried lines) and finds the chunk, or chunks, that show
given ranges of it verbatim. Hand-written: llama-index has no way back from chunks to
their section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from llama_index.core.schema import BaseNode

from assistant.chunk import section_of

MAX_PARTS = 200  # a section longer than this is not rebuilt (the chunk alone is quoted)


@dataclass(frozen=True)
class Part:
    """One chunk of a section: its own text is `text[start:end]` of the section; the
    lines carried in front of it (`carried` characters) are copies of earlier text,
    each mapped by `carried_lines` to where it is in the section."""

    node: BaseNode
    start: int
    end: int
    carried: int
    carried_lines: tuple[tuple[int, int, int], ...] = ()  # (section offset, chunk offset, length)

    def local(self, a: int, b: int) -> tuple[int, int] | None:
        """The range of the chunk's text that shows section range [a, b), or None."""
        if self.start <= a and b <= self.end:
            return self.carried + a - self.start, self.carried + b - self.start
        return None


@dataclass(frozen=True)
class Section:
    """A section's text and its chunks, in order."""

    text: str
    parts: tuple[Part, ...]

    def part(self, node_id: str) -> Part | None:
        return next((p for p in self.parts if p.node.node_id == node_id), None)

    def position(self, node_id: str, offset: int) -> int | None:
        """Where `offset` of chunk `node_id`'s text is in the section (a carried line: where
        that line itself is), or None."""
        part = self.part(node_id)
        if part is None:
            return None
        if offset >= part.carried:
            return part.start + offset - part.carried
        return next((s + offset - c for s, c, n in part.carried_lines if c <= offset < c + n), None)

    def shown_by(self, part: Part, a: int, b: int) -> tuple[int, int] | None:
        """The range of `part`'s text that shows section range [a, b): its own text, or a
        line carried in front of it."""
        if (own := part.local(a, b)) is not None:
            return own
        for s, c, n in part.carried_lines:
            if s <= a and b <= s + n:
                return c + a - s, c + b - s
        return None

    def place(self, blocks: list[tuple[int, int]], prefer: str) -> list[tuple[Part, list[tuple[int, int]]]] | None:
        """`blocks` (section ranges, in order) grouped by the chunk to quote them from, in
        order: each group is the longest run of blocks one chunk shows (the chunk `prefer`
        first, then the earliest), or None when a block is in no chunk whole."""
        groups: list[tuple[Part, list[tuple[int, int]]]] = []
        i = 0
        while i < len(blocks):
            best: tuple[int, Part] | None = None
            for part in sorted(self.parts, key=lambda p: p.node.node_id != prefer):  # (a stable sort)
                j = i
                while j < len(blocks) and self.shown_by(part, *blocks[j]) is not None:
                    j += 1
                if j > i and (best is None or j > best[0]):
                    best = (j, part)
            if best is None:
                return None
            j, part = best
            groups.append((part, [self.shown_by(part, *b) for b in blocks[i:j]]))
            i = j
        return groups


def rebuild(node: BaseNode, chunk: Callable[[str], BaseNode | None]) -> Section | None:
    """The section of chunk `node`, from all its chunks (`chunk` fetches one by id), or
    None when their offsets are missing or do not join up."""
    section = section_of(node.node_id)
    nodes: list[BaseNode] = []
    while len(nodes) < MAX_PARTS and (found := chunk(f"{section}.{len(nodes)}")) is not None:
        nodes.append(found)
    if not any(n.node_id == node.node_id for n in nodes) or chunk(f"{section}.{MAX_PARTS}") is not None:
        return None
    text, parts = "", []
    for n in nodes:
        start, end, content = n.metadata.get("section_start"), n.metadata.get("section_end"), n.get_content()
        gap = n.metadata.get("section_gap") or ""
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= end - start <= len(content):
            return None
        if start > len(text):
            if start - len(text) != len(gap) or gap.strip():
                return None
            text += gap
        carried = len(content) - (end - start)
        own = content[carried:]
        if text[start:] != own[: len(text) - start]:
            return None  # the overlap does not match: not this section's text
        text = text[:start] + own if len(own) >= len(text) - start else text
        parts.append((n, start, end, carried))
    return Section(text, tuple(Part(n, s, e, c, _carried_lines(n.get_content()[:c], text, s)) for n, s, e, c in parts))


def _carried_lines(carried: str, text: str, start: int) -> tuple[tuple[int, int, int], ...]:
    """(section offset, chunk offset, length) of each line carried in front of a chunk:
    the nearest text before the chunk's own that reads the same and ends a line (a
    carried item is a whole line, without its trailing white space; a paragraph's
    introduction is its last sentence)."""
    found, offset = [], 0
    for line in carried.split("\n"):
        if line.strip():
            before = start
            while (at := text.rfind(line, 0, before)) >= 0:
                line_end = text.find("\n", at + len(line))
                if not text[at + len(line) : line_end if line_end >= 0 else len(text)].strip():
                    found.append((at, offset, len(line)))
                    break
                before = at + len(line) - 1  # (an earlier one)
        offset += len(line) + 1
    return tuple(found)
