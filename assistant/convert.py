"""Convert: a PDF, DOCX, HTML, Markdown or text file -> cleaned Markdown with metadata.

Every converter returns a `Converted`: a Markdown body that starts with one `# Title`
heading (as the corpus files do), the metadata the file itself carries, and for PDFs
the character offsets at which each page starts in that body (`pages`), so chunks can
be cited with "p. 12" without splitting paragraphs that run over a page.

PDF text is cleaned like the corpus (see corpus/README.md): lines that a page broke in
the middle of a paragraph are joined, hyphenation at line ends is undone only where it
is typographic ("leerplicht-\\nambtenaar"; "IB-er" and "onderwijs- en" stay), and
running headers, footers and page numbers are removed.

`assistant.chunk.PageNumbers` is the llama-index step that turns those page offsets
into a `page` metadata value on every chunk.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Sequence


PDF_SUFFIXES = (".pdf",)
DOCX_SUFFIXES = (".docx",)
HTML_SUFFIXES = (".html", ".htm")
MARKDOWN_SUFFIXES = (".md", ".markdown")
TEXT_SUFFIXES = (".txt",)
SUPPORTED_SUFFIXES = PDF_SUFFIXES + DOCX_SUFFIXES + HTML_SUFFIXES + MARKDOWN_SUFFIXES + TEXT_SUFFIXES

# Fewer letters than this in the whole file: there is nothing to answer from.
MIN_LETTERS = 20
# Running headers and footers are looked for among this many lines at the top and bottom of a page.
EDGE_LINES = 3
# Bullets, including the private-use ones Word's Symbol/Wingdings fonts leave in PDFs.
BULLET = re.compile(r"^\s*([•·▪◦●○■□➢➤►‣⁃∙*\uf0b7\uf0a7\uf076\uf0d8\uf0fc]|[-–—](?=\s))\s*")
NUMBERED_ITEM = re.compile(r"^\s*(\d{1,2}|[a-z])[.)]\s+\S")
# "2 Melden", "2.1 Melden", "2.1. Melden", "Hoofdstuk 3 Regels": a heading when the line is short.
NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+\.?|\d{1,2})\s+([A-ZÀ-Ý].*)$")
CHAPTER_HEADING = re.compile(r"^(Hoofdstuk|Bijlage|Paragraaf|Deel)\s+\d+\b.*$", re.IGNORECASE)
PAGE_NUMBER = re.compile(
    r"^[-–—\s]*(?:(?:pagina|page|blz\.?|bladzijde|p\.)\s*)?\d{1,4}(?:\s*(?:van|of|/)\s*\d{1,4})?[-–—\s]*$",
    re.IGNORECASE,
)
SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")
VOWELS = set("aeiouyáéíóúàèìòùäëïöüâêîôû")
# A hyphen before these words is a real one ("onderwijs- en zorgaanbod").
CONJUNCTIONS = {"en", "of", "tot", "en/of", "dan", "noch"}
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


class ConversionError(Exception):
    """A file cannot be converted; `english` and `dutch` say which file and why."""

    def __init__(self, path: Path | str, english: str, dutch: str):
        self.path = Path(path)
        self.english = f"{self.path.name}: {english}"
        self.dutch = f"{self.path.name}: {dutch}"
        super().__init__(self.english)


@dataclass
class Converted:
    """One converted file: a Markdown body plus what the file says about itself."""

    source: str  # the original file name
    kind: str  # pdf | docx | html | markdown | text
    title: str
    body: str  # Markdown, starting with "# <title>"
    sha256: str  # of the original file's bytes
    metadata: dict = field(default_factory=dict)  # front matter (Markdown) or document properties
    pages: list[int] | None = None  # body offset where page i+1 starts (PDF only)

    def page_at(self, offset: int) -> int | None:
        """The page (1-based) that the body character at `offset` is on."""
        return page_at(self.pages, offset) if self.pages else None


def page_at(pages: Sequence[int], offset: int) -> int:
    """1-based page of a body offset, given the offsets where the pages start."""
    return max(1, bisect_right(list(pages), offset))


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def convert_file(path: Path | str, title: str | None = None) -> Converted:
    """Convert one file; raises ConversionError with a clear reason when it cannot.

    `title` overrides the title the file itself gives (front matter, document
    properties or first heading); it becomes the body's `# ` heading.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ConversionError(
            path,
            f"unsupported file type {suffix or '(none)'}; use PDF, DOCX, HTML, Markdown or text",
            f"bestandstype {suffix or '(geen)'} wordt niet ondersteund; gebruik PDF, DOCX, HTML, Markdown of tekst",
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ConversionError(path, f"cannot be read ({exc.strerror})", "kan niet worden gelezen") from exc
    if size == 0:
        raise ConversionError(path, "is empty", "is leeg")
    sha = file_sha256(path)
    if suffix in PDF_SUFFIXES:
        converted = _convert_pdf(path, title)
    elif suffix in DOCX_SUFFIXES:
        converted = _convert_docx(path, title)
    elif suffix in HTML_SUFFIXES:
        converted = _convert_html(path, title)
    elif suffix in MARKDOWN_SUFFIXES:
        converted = _convert_markdown(path, title)
    else:
        converted = _convert_text(path, title)
    converted.sha256 = sha
    if sum(ch.isalpha() for ch in converted.body) - len(converted.title) < MIN_LETTERS:
        raise ConversionError(path, "contains no text", "bevat geen tekst")
    return converted


# -- titles --------------------------------------------------------------------------

def title_from_name(path: Path) -> str:
    """A readable title from a file name: `verzuim_protocol-2024.pdf` -> `Verzuim protocol 2024`."""
    words = re.sub(r"[_\-.]+", " ", path.stem).strip()
    return words[:1].upper() + words[1:] if words else path.name


def clean_title(value: Any) -> str | None:
    """A usable title from document properties, or None (empty, placeholder, file name)."""
    if not value:
        return None
    text = " ".join(str(value).split())
    text = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", text)
    if not text or text.lower() in {"untitled", "anonymous", "unknown", "titel", "title"}:
        return None
    if re.search(r"\.(docx?|pdf|odt|rtf)$", text, re.IGNORECASE):
        return None
    return text[:200]


def with_title(title: str, body: str) -> tuple[str, int]:
    """Body with a `# title` heading in front (unless it has a level-1 heading already).

    Returns the new body and how many characters were put in front.
    """
    body = body.strip("\n")
    if re.match(r"^# +\S", body):
        return body + "\n", 0
    head = f"# {title}\n\n"
    return head + body + "\n", len(head)


# -- plain line cleaning (PDF pages, hard-wrapped text) ---------------------------

def _edge_key(line: str) -> str:
    """Normalised form of a header/footer line: digits folded so "Pagina 3" == "Pagina 4"."""
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def strip_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Remove running headers/footers (lines recurring at the edges of most pages) and page numbers."""
    n = len(pages)
    counts: Counter[str] = Counter()
    for lines in pages:
        content = [l for l in lines if l.strip()]
        edges = content[:EDGE_LINES] + content[-EDGE_LINES:]
        counts.update({_edge_key(l) for l in edges})
    # "Most pages": at least half of them, and at least two. A full sentence must recur
    # on three pages or more: a short document may repeat a real sentence.
    repeated = {
        k for k, c in counts.items()
        if n >= 2 and c >= max(2, (n + 1) // 2) and (c >= 3 or not _sentence_like(k))
    }
    cleaned: list[list[str]] = []
    for lines in pages:
        content_idx = [i for i, l in enumerate(lines) if l.strip()]
        edge_idx = set(content_idx[:EDGE_LINES] + content_idx[-EDGE_LINES:])
        kept = []
        for i, line in enumerate(lines):
            if i in edge_idx and (_edge_key(line) in repeated or PAGE_NUMBER.match(line)):
                continue
            kept.append(line)
        cleaned.append(kept)
    return cleaned


def _sentence_like(line: str) -> bool:
    return bool(SENTENCE_END.search(line)) and len(line.split()) >= 3


def _is_list_start(line: str) -> bool:
    return bool(BULLET.match(line) or NUMBERED_ITEM.match(line))


def _heading_level(line: str, typical: int) -> int | None:
    """Markdown level (2-4) of a numbered heading line, or None for ordinary text."""
    text = line.strip()
    if len(text) > min(80, max(40, int(typical * 0.75))) or SENTENCE_END.search(text) or text.endswith(","):
        return None
    match = NUMBERED_HEADING.match(text)
    if match:
        depth = len([p for p in match.group(1).split(".") if p])
        return min(4, 1 + depth)
    if CHAPTER_HEADING.match(text):
        return 2
    return None


def _looks_like_title_line(line: str, prev: str | None, nxt: str | None, typical: int) -> bool:
    """A short stand-alone line ("Inleiding") between ended sentences: keep it on its own line."""
    text = line.strip()
    if not text or len(text) > min(60, typical * 0.6) or len(text.split()) > 8:
        return False
    if SENTENCE_END.search(text) or text.endswith(",") or not text[0].isupper():
        return False
    prev_ended = prev is None or bool(SENTENCE_END.search(prev.strip()))
    next_starts = nxt is None or (nxt.strip()[:1].isupper() or nxt.strip()[:1].isdigit() or _is_list_start(nxt))
    return prev_ended and next_starts


class _Vocabulary:
    """Words of a document, to decide whether a line-end hyphen is typographic."""

    def __init__(self, lines: list[str]):
        self.words: Counter[str] = Counter()
        for line in lines:
            self.words.update(w.lower() for w in WORD.findall(line))

    def join_hyphen(self, left: str, right: str) -> str:
        """Join `left` (ending in "x-") and `right` (the next line) as the printed text meant."""
        head = re.search(r"([^\W\d_]+)-$", left)
        tail = re.match(r"([^\W\d_]+)", right)
        if not head or not tail:
            return left + right
        a, b = head.group(1), tail.group(1)
        # "IB-" + "er", "2-" + "jarig": the hyphen belongs to the word.
        if a[-1].isupper() or b[0].isupper():
            return left + right
        # "onderwijs-" + "en zorg": an elided compound, keep "onderwijs- en".
        if b.lower() in CONJUNCTIONS and right[len(b):len(b) + 1] in (" ", ""):
            return left + " " + right
        joined, hyphenated = (a + b).lower(), f"{a}-{b}".lower()
        if self.words[hyphenated] > 0 and self.words[joined] == 0:
            return left + right
        if self.words[joined] == 0 and a[-1].lower() in VOWELS and b[0].lower() in VOWELS:
            return left + right  # "zee-egel", "mede-eigenaar": a real Dutch hyphen
        return left[:-1] + right


def _typical_length(lines: list[str]) -> int:
    lengths = sorted(len(l.strip()) for l in lines if l.strip())
    if not lengths:
        return 80
    return lengths[min(len(lengths) - 1, int(len(lengths) * 0.9))]


@dataclass
class _Block:
    """One output block (paragraph, list item or heading) being built from lines."""

    text: str
    kind: str  # para | item | heading | line
    # (offset in text, page) where a page's first content lands inside this block.
    page_marks: list[tuple[int, int]] = field(default_factory=list)


def join_lines(pages: list[list[str]]) -> tuple[str, list[tuple[int, int]]]:
    """Join wrapped lines into Markdown paragraphs, list items and headings.

    `pages` are the lines of each page (furniture already removed). Returns the
    Markdown text and (offset, page) marks: where each page's first content starts.
    """
    # Blank lines at the top or bottom of a page say nothing about paragraphs.
    flat: list[tuple[int, str]] = [
        (p + 1, l.rstrip()) for p, lines in enumerate(pages) for l in _trim_blank(lines)
    ]
    content = [l for _, l in flat if l.strip()]
    # Index of the next non-blank line after each line (None at the end).
    next_content: list[str | None] = [None] * len(flat)
    following: str | None = None
    for i in range(len(flat) - 1, -1, -1):
        next_content[i] = following
        if flat[i][1].strip():
            following = flat[i][1]
    typical = _typical_length(content)
    vocab = _Vocabulary(content)
    blocks: list[_Block] = []
    pending_pages: list[int] = []  # pages that started but have no content yet
    seen_pages: set[int] = set()
    current: _Block | None = None
    prev_line: str | None = None

    def close() -> None:
        nonlocal current
        if current is not None and current.text.strip():
            blocks.append(current)
        current = None

    for i, (page, raw) in enumerate(flat):
        if page not in seen_pages:
            seen_pages.add(page)
            pending_pages.append(page)
        line = raw.strip()
        nxt = next_content[i]
        if not line:
            if current is not None and not _blank_inside_paragraph(prev_line, nxt, typical):
                close()
            continue
        level = _heading_level(line, typical)
        bullet = BULLET.match(line)
        numbered = NUMBERED_ITEM.match(line)
        starts_block = False
        if level is not None or _looks_like_title_line(line, prev_line, nxt, typical):
            close()
            current = _Block("#" * level + " " + line if level else line, "heading" if level else "line")
            starts_block = True
        elif bullet or numbered:
            close()
            text = "- " + line[bullet.end():] if bullet else line
            current = _Block(text, "item")
            starts_block = True
        elif current is None or current.kind in ("heading", "line") or _ends_paragraph(prev_line, typical):
            close()
            current = _Block(line, "para")
            starts_block = True
        if starts_block:
            # A page that starts with a new block starts at the block's first character
            # (its "## " or "- " marker included): chunks start there too.
            for p in pending_pages:
                current.page_marks.append((0, p))
        else:
            before = current.text
            if re.search(r"[^\W\d_]-$", before):
                joined = vocab.join_hyphen(before, line)
            else:
                joined = before + " " + line
            offset = len(joined) - len(line)
            current.text = joined
            for p in pending_pages:
                current.page_marks.append((offset, p))
        pending_pages = []
        prev_line = line
        if current.kind == "heading":
            close()
    close()
    text_parts: list[str] = []
    marks: list[tuple[int, int]] = []
    pos = 0
    for block in blocks:
        if text_parts:
            pos += 2  # the "\n\n" between blocks
        marks.extend((pos + off, page) for off, page in block.page_marks)
        text_parts.append(block.text)
        pos += len(block.text)
    # Pages without any content start where the next content starts.
    for p in pending_pages:
        marks.append((pos, p))
    return "\n\n".join(text_parts), marks


def _blank_inside_paragraph(prev: str | None, nxt: str | None, typical: int) -> bool:
    """A blank line in the middle of a sentence (double spacing) does not end the paragraph."""
    if prev is None or nxt is None:
        return False
    prev, nxt = prev.strip(), nxt.strip()
    if SENTENCE_END.search(prev) or _is_list_start(nxt) or _heading_level(nxt, typical):
        return False
    if nxt[:1].islower():
        return True
    return bool(re.search(r"[^\W\d_],?$", prev)) and prev[-1:].islower() and len(prev) >= typical * 0.6


def _trim_blank(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _ends_paragraph(prev: str | None, typical: int) -> bool:
    """A line that ends a sentence well short of the full line width closes its paragraph."""
    if prev is None:
        return True
    prev = prev.strip()
    return bool(SENTENCE_END.search(prev)) and len(prev) < typical * 0.8


def page_offsets(marks: list[tuple[int, int]], n_pages: int, shift: int, length: int) -> list[int]:
    """Offsets of page 1..n in the final body (shifted by the title heading), non-decreasing.

    A page without text (a blank or image-only page) starts where the next text starts,
    so no text is ever attributed to it.
    """
    starts: dict[int, int] = {}
    for offset, page in marks:
        starts.setdefault(page, offset + shift)
    result = [0] * n_pages
    following = length
    for page in range(n_pages, 0, -1):
        following = min(starts.get(page, following), following)
        result[page - 1] = following
    if result:
        result[0] = 0  # the title heading belongs to page 1
    return result


# -- PDF -------------------------------------------------------------------------------

def _convert_pdf(path: Path, title: str | None) -> Converted:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # broken files warn loudly otherwise
    unreadable = ConversionError(
        path, "is not a readable PDF (damaged or not a PDF)", "is geen leesbare PDF (beschadigd of geen PDF)"
    )
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ConversionError(
                path, "is password-protected; save it without a password first",
                "is beveiligd met een wachtwoord; sla het eerst op zonder wachtwoord",
            )
        raw_pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
        pdf_title = clean_title(info.get("/Title"))
    except ConversionError:
        raise
    except Exception as exc:  # PyPdfError, but also ValueError, KeyError, ... on broken files
        raise unreadable from exc
    if not raw_pages:
        raise ConversionError(path, "has no pages", "heeft geen pagina's")
    if sum(ch.isalpha() for text in raw_pages for ch in text) < MIN_LETTERS:
        raise ConversionError(
            path,
            "has no text layer (a scanned PDF?); run OCR on it first",
            "heeft geen tekstlaag (een scan?); laat er eerst tekstherkenning (OCR) op los",
        )
    pages = [_normalise(text).split("\n") for text in raw_pages]
    pages = strip_page_furniture(pages)
    text, marks = join_lines(pages)
    resolved = title or pdf_title or _first_line(text) or title_from_name(path)
    body, shift = with_title(resolved, text)
    return Converted(
        source=path.name,
        kind="pdf",
        title=resolved,
        body=body,
        sha256="",
        metadata={},
        pages=page_offsets(marks, len(pages), shift, len(body)),
    )


def _first_line(text: str) -> str | None:
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if line and len(line) <= 120:
            return line
    return None


LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})


def _normalise(text: str) -> str:
    """Unicode NFC, ligatures spelled out, no soft hyphens or odd spaces, Unix line ends."""
    text = unicodedata.normalize("NFC", text).translate(LIGATURES)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00ad", "")
    text = re.sub(r"[\u00a0\u2007\u202f\t]", " ", text)
    text = re.sub(r"[\u200b\ufeff]", "", text)
    return re.sub(r" {2,}", " ", text)


# -- plain text and Markdown ----------------------------------------------------------

def _read_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConversionError(path, "is not a text file", "is geen tekstbestand")


def _convert_text(path: Path, title: str | None) -> Converted:
    text = _normalise(_read_text(path))
    if "\x00" in text:
        raise ConversionError(path, "is not a text file", "is geen tekstbestand")
    lines = text.split("\n")
    if max((len(l) for l in lines), default=0) > 200:
        # Not hard-wrapped: every line is a paragraph already.
        joined = "\n\n".join(l.strip() for l in lines if l.strip())
    else:
        joined, _ = join_lines([lines])
    resolved = title or _first_line(joined) or title_from_name(path)
    body, _ = with_title(resolved, joined)
    return Converted(path.name, "text", resolved, body, "", {})


def _convert_markdown(path: Path, title: str | None) -> Converted:
    from assistant.load import split_front_matter

    text = _read_text(path).replace("\r\n", "\n").replace("\r", "\n")
    try:
        meta, body = split_front_matter(text)
    except Exception as exc:  # ValueError or a YAML error
        raise ConversionError(path, f"has invalid front matter ({exc})", "heeft ongeldige front matter") from exc
    if "\x00" in body:
        raise ConversionError(path, "is not a text file", "is geen tekstbestand")
    heading = re.search(r"^# +(.+)$", body, re.MULTILINE)
    resolved = title or clean_title(meta.get("title")) or (heading.group(1).strip() if heading else None)
    resolved = resolved or title_from_name(path)
    pages = parse_pages(meta.get("pages"))
    if title and heading and heading.group(1).strip() != title:
        body = body[: heading.start()] + f"# {title}" + body[heading.end():]
        pages = None  # offsets no longer hold
    body, shift = with_title(resolved, body)
    if shift or (pages and pages[-1] >= len(body)):
        pages = None
    # A document written by `assistant ingest` keeps its page offsets when ingested again.
    return Converted(path.name, "markdown", resolved, body, "", dict(meta), pages=pages)


# -- DOCX ------------------------------------------------------------------------------

def _convert_docx(path: Path, title: str | None) -> Converted:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(str(path))
        blocks: list[str] = []
        doc_title = None
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                text = " ".join(_normalise(item.text).split())
                if not text:
                    continue
                style = (item.style.name if item.style is not None else "") or ""
                level = _docx_heading_level(style)
                if level == 1 and doc_title is None and not blocks:
                    doc_title = text
                    continue
                if level:
                    blocks.append("#" * min(level + 1, 4) + " " + text)
                elif style.lower().startswith(("list", "lijst")) or _docx_is_numbered(item):
                    blocks.append("- " + text)
                else:
                    blocks.append(text)
            elif isinstance(item, Table):
                blocks.extend(_table_lines(item))
        props_title = clean_title(document.core_properties.title)
    except ConversionError:
        raise
    except Exception as exc:  # python-docx raises zipfile, lxml and KeyError errors on bad files
        raise ConversionError(
            path, "is not a readable DOCX file (damaged, or an old .doc)",
            "is geen leesbaar DOCX-bestand (beschadigd, of een oud .doc-bestand)",
        ) from exc
    resolved = title or doc_title or props_title or title_from_name(path)
    body, _ = with_title(resolved, _merge_list_blocks(blocks))
    return Converted(path.name, "docx", resolved, body, "", {})


def _docx_heading_level(style: str) -> int | None:
    """Word heading styles: Title/Titel -> 1, Heading N/Kop N -> N + 1."""
    name = style.strip().lower()
    if name in ("title", "titel"):
        return 1
    match = re.match(r"^(heading|kop)\s*(\d)$", name)
    return int(match.group(2)) + 1 if match else None


def _docx_is_numbered(paragraph) -> bool:
    ppr = paragraph._p.pPr
    return ppr is not None and ppr.numPr is not None


def _table_lines(table) -> list[str]:
    """A table as list items, one per row, keeping every (non-repeated) cell."""
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(_normalise(cell.text).split())
            if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                cells.append(text)
        if cells:
            lines.append("- " + "; ".join(cells))
    return lines


def _merge_list_blocks(blocks: list[str]) -> str:
    """Blocks joined by blank lines, except consecutive list items (one list)."""
    out: list[str] = []
    for block in blocks:
        if out and block.startswith("- ") and out[-1].startswith("- "):
            out[-1] += "\n" + block
        else:
            out.append(block)
    return "\n\n".join(out)


# -- HTML ------------------------------------------------------------------------------

class _HTMLToMarkdown(HTMLParser):
    """Readable text of a web page as Markdown blocks; navigation and scripts left out."""

    SKIP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg", "template", "button"}
    BLOCK = {"p", "div", "section", "article", "main", "blockquote", "pre", "address", "figure",
             "figcaption", "dd", "dt", "details", "summary", "table", "tbody", "thead", "ul", "ol", "dl", "body"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.title: str | None = None
        self._buf: list[str] = []
        self._prefix = ""
        self._skip = 0
        self._in_title = False
        self._title_buf: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        self._buf = []
        if text:
            self.blocks.append(self._prefix + text)
            self._prefix = ""  # kept until text comes: <li><p>text</p></li> is still an item

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.SKIP:
            self._skip += 1
            return
        if self._skip:
            return
        if tag == "title":
            self._in_title = True
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._flush()
            self._prefix = "#" * min(int(tag[1]), 4) + " "
        elif tag == "li":
            self._flush()
            self._prefix = "- "
        elif tag == "tr":
            self._flush()
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br":
            if self._cell is not None:
                self._cell.append(" ")
            else:
                self._flush()
        elif tag in self.BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if self._skip:
            return
        if tag == "title":
            self._in_title = False
            self.title = " ".join("".join(self._title_buf).split()) or None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = " ".join("".join(self._cell).split())
            if text:
                self._row.append(text)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.blocks.append("- " + "; ".join(self._row))
            self._row = None
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6", "li") or tag in self.BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title_buf.append(data)
        elif self._skip:
            return
        elif self._cell is not None:
            self._cell.append(data)
        else:
            self._buf.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _convert_html(path: Path, title: str | None) -> Converted:
    parser = _HTMLToMarkdown()
    try:
        parser.feed(_normalise(_read_text(path)))
        parser.close()
    except ConversionError:
        raise
    except Exception as exc:
        raise ConversionError(path, "is not readable HTML", "is geen leesbare HTML") from exc
    blocks = [html.unescape(b) for b in parser.blocks]
    h1 = next((b[2:] for b in blocks if b.startswith("# ")), None)
    # The page's own h1 is the document title; other h1s become sections.
    resolved = title or h1 or clean_title(parser.title) or title_from_name(path)
    if h1 is not None:
        first = blocks.index("# " + h1)
        blocks = blocks[:first] + blocks[first + 1:]
    blocks = ["#" + b if b.startswith("# ") else b for b in blocks]
    body, _ = with_title(resolved, _merge_list_blocks(blocks))
    return Converted(path.name, "html", resolved, body, "", {})


def parse_pages(value: Any) -> list[int] | None:
    """Page start offsets from front matter or metadata: a list or "0,1834,..."."""
    if value is None or value == "":
        return None
    items = value.split(",") if isinstance(value, str) else value
    try:
        pages = [int(p) for p in items]
    except (TypeError, ValueError):
        return None
    return pages if pages and pages == sorted(pages) else None
