"""Next step: for "Wat is de volgende stap?", the step after the one the question describes.

A question such as "We hebben het thuiszitten gemeld bij leerplicht en bij PPO. Wat is in
Rotterdam de volgende stap?" describes where the asker is; the passage that matches it best
is that step itself ("Fase 1 Melding thuiszitter"), and the answer is the step after it
("Fase 2 Oudergesprek ..."). The documents write their processes as numbered lists
("- **3.** School schakelt kernpartners in", "2. De sectordirecteur ...") and as numbered
phases under headings ("### Fase 1 ...", "### Fase 2 ..."); this module finds, from the
best-matching sentence, the start of the next numbered item or phase, following the
document into its next chunks where needed.

Hand-written: no library knows how these documents number their steps. Prose and
chapter numbering ("1.5 School in gesprek", "1.6 Verzuim stopt") are left alone: the
next paragraph or chapter is not the next step of a process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from llama_index.core.schema import BaseNode

from assistant.chunk import BULLET, HEADING, following_ids, indent
from assistant.cite import shown_heading
from assistant.normalise import is_asking, sentences

# "Wat is de volgende stap?", "Wat gebeurt er daarna?", "Wat nu?", "... wat dan?"
NEXT_QUESTION = re.compile(
    r"\b(volgende\s+stap\w*|vervolgstap\w*|wat\s+nu|wat\s+dan|en\s+dan|daarna|vervolgens|hoe\s+(nu\s+)?verder|"
    r"wat\s+(gebeurt|moet|doe|doen|kan|komt)\s+(er|ik|we|wij|je|u|de\s+school)?\s*(dan|nu))\b",
    re.IGNORECASE,
)
# The words around the asking phrase of a next-step question ("Wat is in Utrecht de volgende stap?").
ASKING_WORDS = {
    "wat", "hoe", "is", "zijn", "in", "op", "de", "het", "een", "er", "dan", "nu", "moet", "moeten", "kan",
    "kunnen", "ik", "we", "wij", "je", "u", "doen", "doe", "gebeurt", "komt", "volgens", "en", "welke", "mijn",
    "volgende", "stap", "stappen", "vervolgstap", "vervolgstappen", "daarna", "vervolgens", "verder", "gebeuren",
}
# A numbered list item ("- **6.** Leerling en ouders ...", "3. De school ...", "2) ...").
STEP_ITEM = re.compile(r"\s*(?:[-*•]\s+)?\**\s*(\d{1,2})[.)]\**\s")
# A heading that numbers a phase of a process ("Fase 1 Melding thuiszitter", "Stap 2: ...").
PHASE_HEADING = re.compile(r"^(fase|stap)\s*(\d{1,2})\b", re.IGNORECASE)
MAX_CHUNKS_AHEAD = 12  # how far into the document a next phase is looked for


def asks_next_step(question: str) -> bool:
    return bool(NEXT_QUESTION.search(question))


def situation(question: str, regions: Iterable[str] = ()) -> str:
    """What a next-step question says about where the asker is, without what asks for the
    next step: "School schakelt kernpartners in. Wat is in Utrecht de volgende stap?" is
    searched as "School schakelt kernpartners in." (the asking words pull the search towards
    passages about the region in general). Only a question ("...?") asks: "..., en daarna met
    het kernteam." describes. Of an asking question the words other than its question words
    and `regions` (lower-case region words) stay: "Wat moet de school nu doen?" -> "school".
    (Keeping it as a sentence, "Wat moet de school doen?", lost two paraphrase answers.)
    Unchanged when nothing but the asking is said."""
    parts = sentences(question)
    asks = [is_asking(s) and bool(NEXT_QUESTION.search(s)) for s in parts]
    if not any(asks) or all(asks):
        return question  # nothing asks, or nothing but the asking is said
    quiet = ASKING_WORDS | {r.lower() for r in regions}
    kept = []
    for sentence, asking in zip(parts, asks):
        if asking:
            # (An acronym stays: "PPO" names who acts as well as where.)
            sentence = " ".join(w for w in re.findall(r"[\w'-]+", sentence) if w.isupper() or w.lower() not in quiet)
        if sentence:
            kept.append(sentence)
    return " ".join(kept)


@dataclass(frozen=True)
class Place:
    """Where the next step begins: a chunk and the offset of its line in the chunk text."""

    node: BaseNode
    start: int


@dataclass(frozen=True)
class After:
    """What follows a sentence in its process.

    `step`: the sentence is a step, a numbered item of a list or a line under a numbered phase
    heading ("Fase 4 ..."). `place`: where the next step begins. `last`: none follows, for sure:
    its list ends (a heading or a paragraph after it, the end of its section) and so do its
    phases. A step with neither is one whose end could not be seen (a list going on past the
    chunk after it, phases further ahead than MAX_CHUNKS_AHEAD). `alternatives`: where the
    items numbered like the next step begin, right after it: a flowchart written as a list
    numbers its branches alike ("7. Geen passend aanbod", "7. Passend aanbod ..."), so the
    next step is one of them, not the first alone."""

    place: Place | None
    last: bool = False
    step: bool = False
    alternatives: tuple[Place, ...] = ()


def _lines(text: str, start: int = 0) -> list[tuple[int, str]]:
    """(offset, line) of every line of `text` that starts at or after `start`."""
    out, offset = [], 0
    for line in text.split("\n"):
        if offset >= start:
            out.append((offset, line))
        offset += len(line) + 1
    return out


def _item_in(text: str, start: int, number: int, own_indent: int, continued: bool = False) -> tuple[int | None, bool]:
    """(offset of the item numbered `number` at `own_indent` after `start`, whether the
    list may go on past the end of `text`). `start` is just after an item's line; with
    `continued`, `text` is the next chunk, which may begin with the rest of that item
    (the splitter's overlap can start inside it). Only a heading or a paragraph no deeper
    than the item ends the list; the end of `text` leaves it open (an item's indented
    explanation may end a chunk)."""
    first = True
    for offset, line in _lines(text, start):
        if not line.strip():
            continue
        if continued:
            # The rest of the item the previous chunk ended in: the tail of its line (the
            # chunk may start inside it), then its indented explanation.
            if not BULLET.match(line) and not HEADING.match(line.strip()) and (first or indent(line) > own_indent):
                first = False
                continue
            continued = False
        if HEADING.match(line.strip()):
            return None, False  # a new section: the list has ended
        item = STEP_ITEM.match(line)
        if item and indent(line) == own_indent and int(item.group(1)) == number:
            return offset, True
        if not BULLET.match(line) and indent(line) <= own_indent:
            return None, False  # a paragraph after the list
    return None, True


def _next_item(node: BaseNode, line: str, line_end: int, number: int,
               following: Callable[[str], BaseNode | None]) -> After:
    text, own_indent = node.get_content(), indent(line)
    found, goes_on = _item_in(text, line_end, number + 1, own_indent)
    if found is not None and "\n" in text[found:].strip():
        return After(Place(node, found))  # not the chunk's last line: the item is whole here
    # The item ends the chunk (the chunk may end inside it), or the list goes on past the end:
    # read on in its section's next chunk, fetched only now.
    ids = following_ids(node.node_id)
    ahead = following(ids[0]) if ids and (found is not None or goes_on) else None
    if found is not None:
        # The next chunk repeats the item's line whole.
        at = ahead.get_content().find(text[found:].strip()) if ahead is not None else -1
        return After(Place(ahead, ahead.get_content().rfind("\n", 0, at) + 1) if at >= 0 else Place(node, found))
    if ahead is None:
        # The list ended in this chunk, or its section has no next part: no item follows
        # (an id that is no chunk id leaves it open).
        return After(None, last=not goes_on or bool(ids))
    # Read on after the item's own line, which the splitter's overlap repeats; a chunk that
    # starts inside that line starts with the rest of the item.
    more = ahead.get_content()
    at = more.find(line.strip()) if line.strip() else -1
    if at >= 0:
        end = more.find("\n", at)
        found, goes_on = _item_in(more, len(more) if end < 0 else end, number + 1, own_indent)
    else:
        found, goes_on = _item_in(more, 0, number + 1, own_indent, continued=True)
    return After(Place(ahead, found)) if found is not None else After(None, last=not goes_on)


def _alternatives(place: Place) -> tuple[Place, ...]:
    """The items right after the one at `place` that carry its number, at its indent (in
    its chunk: branches of one step stand together)."""
    text = place.node.get_content()
    end = text.find("\n", place.start)
    line = text[place.start : len(text) if end < 0 else end]
    item = STEP_ITEM.match(line)
    if item is None or end < 0:
        return ()
    found = []
    for offset, other in _lines(text, end + 1):
        if not other.strip():
            continue
        same = STEP_ITEM.match(other)
        if same is None or indent(other) != indent(line) or same.group(1) != item.group(1):
            if BULLET.match(other) and indent(other) > indent(line):
                continue  # the explanation of the item before
            break
        found.append(Place(place.node, offset))
    return tuple(found)


def _next_phase(node: BaseNode, following: Callable[[str], BaseNode | None]) -> After | None:
    """The first line of the next phase; None when the section is no numbered phase."""
    section = node.metadata.get("section", "")
    phase = PHASE_HEADING.match(shown_heading(section))
    if not phase:
        return None
    parent = section.rsplit(" > ", 1)[0] if " > " in section else ""
    word, number = phase.group(1).lower(), int(phase.group(2))
    current = node
    for _ in range(MAX_CHUNKS_AHEAD):
        ahead = next((n for i in following_ids(current.node_id) if (n := following(i)) is not None), None)
        if ahead is None:
            return After(None, last=True)  # the end of the document
        other = ahead.metadata.get("section", "")
        if not other.startswith(parent):
            return After(None, last=True)  # left the part of the document the phases belong to
        found = PHASE_HEADING.match(shown_heading(other))
        if found and found.group(1).lower() == word and int(found.group(2)) == number + 1:
            first = next((o for o, line in _lines(ahead.get_content()) if line.strip() and not HEADING.match(line.strip())), 0)
            return After(Place(ahead, first))
        current = ahead
    return After(None)  # not seen within MAX_CHUNKS_AHEAD: maybe further on


def step_after(node: BaseNode, start: int, following: Callable[[str], BaseNode | None]) -> After:
    """What follows the sentence at `start` of chunk `node`: the next numbered item of its
    list, else the next numbered phase after its section ("Fase 1 ..." -> "Fase 2 ...").
    `following(chunk_id)` gives a chunk by id (None when there is no such chunk)."""
    text = node.get_content()
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    line = text[line_start:line_end]
    # A numbered list nested in an item lists options or parts of that step ("8. Mogelijke
    # opties: 1. Verlenging brugplek 2. Verwijzing ..."), not steps of the process.
    item = STEP_ITEM.match(line) if indent(line) == 0 else None
    listed = _next_item(node, line, line_end, int(item.group(1)), following) if item else None
    if listed is not None and listed.place is not None:
        return After(listed.place, step=True, alternatives=_alternatives(listed.place))
    # Not a numbered item, or the last of its list: the next phase, if the section is one.
    phased = _next_phase(node, following)
    if phased is not None and phased.place is not None:
        return After(phased.place, step=True)
    if listed is not None:
        # The last item of its list: the last step only when the phases end too.
        return After(None, last=listed.last and (phased is None or phased.last), step=True)
    return After(None, last=phased is not None and phased.last, step=phased is not None)

