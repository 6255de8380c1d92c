"""Chat: the Gradio app for IB-ers, school contact persons and new staff.

`build_app()` declares the whole UI in one function; its callbacks are thin
and call `Assistant.ask` (the same path as the CLI and the eval runner).
`serve()` opens the assistant (building model and index on first run, with
progress on the console) and launches the app on `settings.host:port`.

Everything a user reads is Dutch; console and error messages for the person
who runs the server are English. Questions are never printed or logged; they
reach the feedback file only when `settings.log_questions` is on, masked.

With a login (`ASSISTANT_AUTH_FILE`) whose file marks at least one user as
admin (`user:password:admin`), the app has a second tab, "Documenten", where
admins upload routeboeken (`assistant.ingest.ingest_paths`) and remove them;
the tab is shown to admins only, and the upload and remove handlers check the
logged-in user again. After a change the chat switches to a fresh `Assistant`
over the updated index and the region choices follow the documents.
"""

from __future__ import annotations

import html
import ipaddress
import re
import sys
import time
import traceback
from bisect import bisect_left
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import Any, Callable, Iterator

import gradio as gr

from assistant.ask import AskError, Assistant
from assistant.chunk import indent
from assistant.cite import Answer, Citation, source_line
from assistant.config import REGIONS, Settings
from assistant.feedback import FeedbackStore
from assistant.followup import rewrite_followup

# -- texts (Dutch: the user reads them) ----------------------------------------

APP_TITLE = "Routeboek-assistent"
ALL_REGIONS = "Alle regio's"
# The choices before an assistant is known; `build_app` uses the regions of the
# assistant's documents (`Assistant.regions`) and refreshes them after an upload.
REGION_CHOICES = [ALL_REGIONS, *REGIONS]

EXAMPLES = [
    "Wanneer meld ik verzuim bij leerplicht?",
    "Wat is een thuiszitter in Rotterdam?",
    "Hoe lang duurt een brugplaatsing?",
    "Wie heeft de regie bij een thuiszitter?",
]

SUBTITLE = (
    "Vragen over verzuim en thuiszitters, beantwoord met letterlijke citaten uit de routeboeken "
    "en routekaarten van Utrecht, Rotterdam, de Drechtsteden en de landelijke afspraken."
)

INTRO = """\
### Wat kan ik vragen?

Vragen over **verzuim**, **thuiszitters**, **melden bij leerplicht**, **vrijstellingen**,
**passend onderwijs** en **wie wat doet**: school, samenwerkingsverband, leerplicht en gemeente.

Elk antwoord bestaat uit letterlijke zinnen uit de documenten, met een nummer [1] naar de bron
en de regio waar de afspraak geldt. Staat het er niet in, dan zeg ik dat.

Noem geen namen of andere gegevens van leerlingen.
"""

DISCLAIMER = (
    "Aan de antwoorden kunnen geen rechten worden ontleend; raadpleeg bij twijfel het routeboek "
    "of de leerplichtambtenaar."
)

SEARCHING = "_Ik zoek in de documenten…_"
GENERIC_ERROR = (
    "Er ging iets mis bij het beantwoorden van uw vraag. Probeer het nog eens; blijft het "
    "misgaan, meld het dan aan de beheerder van deze assistent."
)
INDEX_ERROR = (
    "De zoekindex met de documenten is niet beschikbaar of niet leesbaar, dus ik kan nu geen "
    "vragen beantwoorden. Vraag de beheerder de index opnieuw op te bouwen (`assistant index`)."
)
REFUSAL_TIP = "Tip: stel de vraag anders, met de woorden uit het routeboek, of kies een andere regio."
FEEDBACK_THANKS = "Bedankt voor uw beoordeling."
FEEDBACK_MISSING = "Deze beoordeling kon niet worden opgeslagen: het antwoord is niet meer bekend."
AUTH_MESSAGE = "Log in met de gebruikersnaam en het wachtwoord die u van de beheerder hebt gekregen."

# The admin tab "Documenten".
TAB_CHAT = "Vragen"
TAB_DOCUMENTS = "Documenten"
UPLOAD_INTRO = """\
### Documenten toevoegen

Voeg een routeboek, routekaart of protocol toe als **PDF**, **Word (.docx)**, **HTML**, **Markdown**
of **tekst**. Kies de regio waar de afspraken gelden; een nieuwe regio typt u zelf in. Daarna
beantwoordt de assistent vragen ook uit dit document, met citaten. Een bestand dat al eerder is
toegevoegd, wordt bijgewerkt. PDF's zonder tekstlaag (scans) kunnen niet worden gelezen.

Alleen beheerders zien dit tabblad.
"""
UPLOAD_NOT_ALLOWED = "U mag geen documenten toevoegen of verwijderen: dat kunnen alleen beheerders."
UPLOAD_NO_FILES = "Kies eerst een of meer bestanden om toe te voegen."
UPLOAD_NO_REGION = "Kies of typ eerst de regio waar de documenten bij horen."
UPLOAD_ERROR = (
    "Er ging iets mis bij het toevoegen van de documenten. Controleer de lijst met documenten "
    "hieronder en probeer het nog eens; blijft het misgaan, meld het dan aan de technisch beheerder."
)
REMOVE_NONE = "Kies eerst een toegevoegd document om te verwijderen."
REMOVE_ERROR = (
    "Er ging iets mis bij het verwijderen. Controleer de lijst met documenten hieronder en probeer "
    "het nog eens; blijft het misgaan, meld het dan aan de technisch beheerder."
)
REFRESH_ERROR = (
    "De documenten zijn bijgewerkt, maar de assistent kon de nieuwe index niet openen; hij "
    "antwoordt nog uit de vorige. Start de assistent opnieuw."
)
CHANGED_NOTE = "De assistent beantwoordt vragen nu uit de bijgewerkte documenten."
DOCUMENT_HEADERS = ["Document", "Titel", "Regio", "Passages", "Bronbestand", "Soort"]
KIND_INGESTED = "toegevoegd"
KIND_CORPUS = "vast corpus"
# Uploads may be real routeboeken (PDFs of several MB); without the upload tab the
# app accepts no files of that size at all.
UPLOAD_MAX_FILE_SIZE = "20mb"
CHAT_MAX_FILE_SIZE = "1mb"
ADMIN_ROLE = "admin"

SOURCES_EMPTY = (
    '<div class="bronnen-leeg"><p><strong>Bronnen</strong></p>'
    "<p>Hier verschijnen de bronnen van het antwoord: per nummer het document, het onderdeel en "
    "de regio, met de geciteerde zinnen gemarkeerd in de tekst.</p></div>"
)
SOURCES_SEARCHING = '<div class="bronnen-leeg"><p>Bronnen worden opgezocht…</p></div>'
SOURCES_NONE = '<div class="bronnen-leeg"><p>Geen bronnen bij dit bericht.</p></div>'

# Passages longer than this are shown as an excerpt around the quotes, with the
# whole passage one click away.
EXCERPT_CONTEXT = 220
EXCERPT_LIMIT = 700
# Streaming: words per update and the pause between updates (keeps the answer
# readable as it appears without slowing it down noticeably).
STREAM_WORDS = 6
STREAM_PAUSE = 0.012

CSS = """
.app-kop h1 { font-size: 1.6rem; margin: 0 0 .2rem 0; }
.app-kop p { margin: 0; color: var(--body-text-color-subdued); }
.disclaimer { font-size: .85rem; color: var(--body-text-color-subdued); text-align: center; }
.disclaimer p { margin: .3rem 0; }
.bronnen-kop { font-weight: 600; font-size: 1.05rem; margin: 0 0 .6rem 0; }
.bronnen-leeg { color: var(--body-text-color-subdued); padding: .3rem .2rem; }
.bron { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .7rem .85rem;
        margin-bottom: .7rem; background: var(--background-fill-secondary); }
.bron-kop { display: flex; gap: .45rem; align-items: baseline; font-weight: 600; line-height: 1.3; }
.bron-nr { color: var(--color-accent); font-variant-numeric: tabular-nums; }
.bron-meta { font-size: .85rem; color: var(--body-text-color-subdued); margin: .3rem 0 .45rem 0; }
.bron-regio { display: inline-block; font-size: .78rem; font-weight: 600; padding: .05rem .5rem;
              border-radius: 999px; background: var(--color-accent-soft); color: var(--color-accent);
              margin-right: .35rem; }
.bron-tekst { white-space: pre-line; font-size: .9rem; line-height: 1.45; margin: 0;
              padding-left: .7rem; border-left: 3px solid var(--border-color-primary); }
.bron-tekst mark { background: #fde68a; color: inherit; padding: 0 .1rem; border-radius: 2px; }
.bron details { margin-top: .4rem; font-size: .85rem; }
.bron details summary { cursor: pointer; color: var(--color-accent); }
.suggesties li { margin-bottom: .25rem; }
.chat-bronnen { font-size: .85em; color: var(--body-text-color-subdued); margin-top: .2rem;
                border-top: 1px solid var(--border-color-primary); padding-top: .4rem; }
"""


# -- rendering: pure functions from an Answer to what the user sees --------------------


def region_choices(regions: list[str] | tuple[str, ...] | None = None) -> list[str]:
    """The region dropdown's choices: "Alle regio's", then the regions of the documents."""
    return [ALL_REGIONS, *(regions or REGIONS)]


def assistant_regions(assistant: Any) -> list[str]:
    """The regions an assistant answers about (the built-in four when it cannot tell)."""
    return list(getattr(assistant, "regions", None) or REGIONS)


def region_value(choice: str | None) -> str | None:
    """The region for `ask` from the dropdown value ("Alle regio's" means no filter)."""
    if not choice or choice == ALL_REGIONS:
        return None
    return choice


def md_escape(text: str) -> str:
    """Text safe to place inside Markdown: tags and emphasis characters escaped."""
    text = re.sub(r"([\\`*_~|$])", r"\\\1", text)
    text = re.sub(r"^(\s*)>", r"\1\\>", text, flags=re.MULTILINE)
    return text.replace("<", "&lt;")


def highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` as HTML with the character ranges in `spans` wrapped in <mark>."""
    merged: list[list[int]] = []
    for start, end in sorted(s for s in spans if s[0] < s[1]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


HEADING = re.compile(r"#{1,6}[ \t]+")
LIST_ITEM = re.compile(r"[ \t]*[-*+][ \t]+")  # a bullet item's marker ("  - ")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")  # "**School:**", "**4.**"
INDENT = "\u2003"  # an em space per level: `white-space: pre-line` would collapse plain spaces


def _markup(line: str, whole: bool = True) -> tuple[str, int, set[int], bool]:
    """How one Markdown line of a passage is shown: (prefix, first shown offset, offsets of
    markup characters not shown, heading?). A heading loses its "#" marks and is shown bold,
    a bullet item's "-" becomes an indented "•", and "**" around bold text is dropped, so the
    reader sees the document's text, not its Markdown. The end of a line (`whole` False: an
    excerpt that starts mid-line) is no heading or item, whatever its first word."""
    heading = HEADING.match(line) if whole else None
    item = LIST_ITEM.match(line) if whole and not heading else None
    prefix, skip = "", 0
    if heading:
        skip = heading.end()
    elif item:
        skip = item.end()
        prefix = INDENT * (indent(line) // 2) + "• "
    hidden = {i for m in BOLD.finditer(line, skip) for i in (m.start(), m.start() + 1, m.end() - 2, m.end() - 1)}
    return prefix, skip, hidden, bool(heading)


def passage_html(text: str, spans: list[tuple[int, int]], mid_line: bool = False) -> str:
    """A passage as HTML, line by line, as the document reads (see `_markup`), with the
    character ranges in `spans` (offsets in `text`) wrapped in <mark>. `mid_line`: `text`
    starts inside a line of the document."""
    lines, pos = [], 0
    for n, line in enumerate(text.split("\n")):
        start, end = pos, pos + len(line)
        prefix, skip, hidden, heading = _markup(line, whole=not (mid_line and n == 0))
        local = [(max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start]
        # Drop the hidden characters; a span's end moves to the number of shown characters before it.
        shown = [i for i in range(skip, len(line)) if i not in hidden]
        kept = "".join(line[i] for i in shown)
        rendered = highlight(kept, [(bisect_left(shown, s), bisect_left(shown, e)) for s, e in local])
        if heading and rendered:
            rendered = f"<strong>{rendered}</strong>"
        lines.append(html.escape(prefix) + rendered if rendered else rendered)
        pos = end + 1
    return "\n".join(lines).strip("\n")


def excerpt_bounds(text: str, spans: list[tuple[int, int]]) -> tuple[int, int]:
    """A window around the quoted spans, widened to whole lines (or words, for long lines)."""
    if not spans or len(text) <= EXCERPT_LIMIT:
        return 0, len(text)
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    start, end = max(0, first - EXCERPT_CONTEXT), min(len(text), last + EXCERPT_CONTEXT)
    line_start = text.rfind("\n", 0, first) + 1
    line_end = text.find("\n", last)
    line_end = len(text) if line_end < 0 else line_end
    start = line_start if line_start >= start else start
    end = line_end if line_end <= end else end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def citation_html(c: Citation) -> str:
    """One source card: [n], title, region, section (and page), passage with quotes marked."""
    spans = c.quote_spans()
    meta = []
    if c.section:
        meta.append(html.escape(c.section))
    if c.page:
        meta.append(f"p. {html.escape(str(c.page))}")
    if c.organisation:
        meta.append(html.escape(c.organisation))
    start, end = excerpt_bounds(c.text, spans)
    window = [(max(s, start) - start, min(e, end) - start) for s, e in spans if e > start and s < end]
    body = passage_html(c.text[start:end], window, mid_line=start > 0 and c.text[start - 1] != "\n")
    body = ("… " if start > 0 else "") + body + (" …" if end < len(c.text) else "")
    full = ""
    if (start, end) != (0, len(c.text)):
        full = (
            "<details><summary>Hele passage tonen</summary>"
            f'<blockquote class="bron-tekst">{passage_html(c.text, spans)}</blockquote></details>'
        )
    return (
        f'<article class="bron" id="bron-{c.n}">'
        f'<div class="bron-kop"><span class="bron-nr">[{c.n}]</span>'
        f'<span class="bron-titel">{html.escape(c.title)}</span></div>'
        f'<div class="bron-meta"><span class="bron-regio">{html.escape(c.region)}</span>{" · ".join(meta)}</div>'
        f'<blockquote class="bron-tekst">{body}</blockquote>{full}</article>'
    )


def sources_html(answer: Answer) -> str:
    """The sources panel for one answer (or the nearest sections for a refusal)."""
    if answer.refused:
        items = "".join(f"<li>{html.escape(s)}</li>" for s in answer.suggestions)
        near = f'<p>Deze onderdelen komen het dichtst in de buurt:</p><ul class="suggesties">{items}</ul>' if items else ""
        return (
            '<div class="bronnen"><div class="bronnen-kop">Bronnen</div>'
            "<p>De documenten geven geen antwoord op deze vraag.</p>"
            f"{near}</div>"
        )
    if not answer.citations:
        return SOURCES_NONE
    cards = "".join(citation_html(c) for c in answer.citations)
    return f'<div class="bronnen"><div class="bronnen-kop">Bronnen bij het antwoord</div>{cards}</div>'


def answer_markdown(answer: Answer, asked_as: str | None = None, region: str | None = None) -> str:
    """The chat message: how the question was read, the answer with [n], a short source list."""
    lead = []
    if asked_as:
        lead.append(f"Ik lees uw vraag als: „{md_escape(asked_as)}”")
    if region:
        lead.append(f"gezocht in: {md_escape(region)}")
    parts = [f"_{'; '.join(lead)}_"] if lead else []
    if answer.refused:
        first = answer.answer.split("\n\n", 1)[0].strip()
        parts.append(f"**{md_escape(first)}**")
        if answer.suggestions:
            items = "\n".join(f"- {md_escape(s)}" for s in answer.suggestions)
            parts.append(f"Deze onderdelen komen het dichtst in de buurt; misschien helpen ze verder:\n\n{items}")
        parts.append(REFUSAL_TIP)
    else:
        parts.append(md_escape(answer.answer))
        if answer.citations:
            lines = "<br>".join(html.escape(source_line(c)) for c in answer.citations)
            parts.append(f'<div class="chat-bronnen"><strong>Bronnen</strong><br>{lines}</div>')
    return "\n\n".join(parts)


def user_questions(history: list[Any]) -> list[str]:
    """The user's earlier questions from Gradio's messages history, oldest first."""
    questions = []
    for message in history or []:
        role = message.get("role") if isinstance(message, dict) else getattr(message, "role", None)
        if role != "user":
            continue
        content = message.get("content") if isinstance(message, dict) else getattr(message, "content", None)
        if isinstance(content, str):
            questions.append(content)
        elif isinstance(content, list):
            texts = [
                part.get("text", "") if isinstance(part, dict) else getattr(part, "text", "") or ""
                for part in content
            ]
            text = " ".join(t for t in texts if t)
            if text:
                questions.append(text)
    return questions


def is_index_error(exc: BaseException) -> bool:
    """Errors that mean the stored index is missing or unreadable."""
    from assistant.index import IndexError_

    if isinstance(exc, (IndexError_, OSError)):
        return True
    module = type(exc).__module__ or ""
    return module.startswith(("chromadb", "sqlite3", "bm25s"))


def report_error(exc: BaseException, questions: list[str]) -> None:
    """Traceback to stderr for the operator, with the question and its words removed."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    for question in sorted({q for q in questions if q}, key=len, reverse=True):
        text = text.replace(question, "<vraag>")
    words = {w for q in questions for w in re.findall(r"\w{4,}", q or "")}
    if words:
        pattern = r"\b(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b"
        text = re.sub(pattern, "…", text, flags=re.IGNORECASE)
    print("chat: unexpected error while answering (question not shown):\n" + text, file=sys.stderr, flush=True)


# -- the chat's state and callbacks ------------------------------------------------


@dataclass
class Turn:
    """What feedback, and the next follow-up, need to know about one answer shown in the chat."""

    answer: str
    refused: bool
    citations: list[dict] = field(default_factory=list)
    question: str | None = None  # kept only when settings.log_questions is on
    asked_as: str | None = None
    next_step: tuple[str, str] | None = None  # (region, text) of the step quoted as "Daarna"


class Conversations:
    """Answers shown per browser session, by message index, for the thumbs up/down.

    Bounded: the oldest sessions and turns are forgotten first.
    """

    def __init__(self, max_sessions: int = 500, max_turns: int = 100):
        self.max_sessions = max_sessions
        self.max_turns = max_turns
        self._sessions: OrderedDict[str, OrderedDict[int, Turn]] = OrderedDict()
        self._lock = Lock()

    def put(self, session: str, index: int, turn: Turn) -> None:
        with self._lock:
            turns = self._sessions.setdefault(session, OrderedDict())
            self._sessions.move_to_end(session)
            turns[index] = turn
            turns.move_to_end(index)
            while len(turns) > self.max_turns:
                turns.popitem(last=False)
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)

    def get(self, session: str, index: int | None = None) -> Turn | None:
        """The turn at message `index`, or the latest one for None or a negative index."""
        with self._lock:
            turns = self._sessions.get(session)
            if not turns:
                return None
            if index is None or index < 0:
                return next(reversed(turns.values()))
            return turns.get(index)


class ChatHandlers:
    """The callbacks of the chat: thin wrappers around `Assistant.ask` and the feedback store."""

    def __init__(self, assistant: Assistant, settings: Settings):
        self._assistant = assistant
        self._assistant_lock = Lock()
        self.settings = settings
        self.feedback = FeedbackStore.from_settings(settings)
        self.conversations = Conversations()

    @property
    def assistant(self) -> Assistant:
        """The assistant that answers now (replaced after an upload; see `replace_assistant`)."""
        with self._assistant_lock:
            return self._assistant

    @assistant.setter
    def assistant(self, assistant: Assistant) -> None:
        self.replace_assistant(assistant)

    def replace_assistant(self, assistant: Assistant) -> Assistant:
        """Answer from `assistant` from now on; returns the one it replaces.

        Answers already underway finish with the assistant they started with.
        """
        with self._assistant_lock:
            old, self._assistant = self._assistant, assistant
        return old

    @property
    def regions(self) -> list[str]:
        return assistant_regions(self.assistant)

    def region_update(self) -> Any:
        """The region dropdown with the current regions (on every page load)."""
        return gr.Dropdown(choices=region_choices(self.regions))

    def regions_api(self) -> list[str]:
        """The regions the documents cover: the values `/chat` accepts besides "Alle regio's"."""
        return self.regions

    def respond(
        self, message: str, history: list, region_choice: str, request: gr.Request
    ) -> Iterator[tuple[str, str]]:
        """Stream the answer to `message`: the growing chat text and the sources panel."""
        region = region_value(region_choice)
        session = getattr(request, "session_hash", None) or "anonymous"
        question = message if isinstance(message, str) else str(message or "")
        asked = question
        if len(question) <= self.settings.max_question_chars:
            earlier = [q for q in user_questions(history) if len(q) <= self.settings.max_question_chars]
            # The step the previous answer quoted as what comes next ("en dan?" walks on from it).
            previous = self.conversations.get(session, len(history) - 1) if history else None
            step = previous.next_step if previous else None
            if step is not None and region is not None and step[0] != region:
                step = None  # the region was switched: that step is another region's
            asked = rewrite_followup(question, earlier, after=step)
        rewritten = asked if " ".join(asked.split()) != " ".join(question.split()) else None

        def remember(answer_text: str, answer: Answer | None = None) -> None:
            # The user message sits at len(history), this answer right after it.
            self.conversations.put(
                session,
                len(history or []) + 1,
                Turn(
                    answer=answer_text,
                    refused=bool(answer and answer.refused),
                    citations=[
                        {"n": c.n, "source": c.source, "title": c.title, "section": c.section, "region": c.region}
                        for c in (answer.citations if answer else [])
                    ],
                    question=question if self.settings.log_questions else None,
                    asked_as=rewritten if self.settings.log_questions else None,
                    next_step=answer.next_steps[0] if answer and answer.next_steps else None,
                ),
            )

        yield SEARCHING, SOURCES_SEARCHING
        assistant = self.assistant  # one assistant for the whole answer, even if swapped meanwhile
        try:
            answer = assistant.ask(asked, region=region)
        except AskError as exc:
            remember(exc.dutch)
            yield exc.dutch, SOURCES_EMPTY
            return
        except Exception as exc:  # noqa: BLE001 - the user must never see a traceback
            report_error(exc, [question, asked, " ".join(question.split())])
            message_nl = INDEX_ERROR if is_index_error(exc) else GENERIC_ERROR
            remember(message_nl)
            yield message_nl, SOURCES_EMPTY
            return

        remember(answer.answer, answer)
        text = answer_markdown(answer, asked_as=rewritten, region=region)
        words = text.split(" ")
        for end in range(STREAM_WORDS, len(words), STREAM_WORDS):
            yield " ".join(words[:end]), gr.skip()
            time.sleep(STREAM_PAUSE)
        yield text, sources_html(answer)

    def rate(self, session: str, index: int | None, liked: bool) -> str:
        """Store a thumbs up/down for the answer at message `index` (latest for None/-1)."""
        turn = self.conversations.get(session, index)
        if turn is None:
            return FEEDBACK_MISSING
        question = turn.question
        if question and turn.asked_as:
            question = f"{question} (gelezen als: {turn.asked_as})"
        self.feedback.record(
            liked=liked,
            answer=turn.answer,
            citations=turn.citations,
            refused=turn.refused,
            question=question,
        )
        return FEEDBACK_THANKS

    def on_like(self, data: gr.LikeData, request: gr.Request) -> None:
        """Chatbot thumbs: `data.liked` is True/False (or an option string), `data.index` the message."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        liked = data.liked is True or data.liked == "Like"
        if data.liked is None or data.liked == "":
            return  # the rating was taken back; nothing to store
        gr.Info(self.rate(request.session_hash, int(index), liked), duration=3)

    def feedback_api(self, liked: bool, index: int = -1, request: gr.Request = None) -> str:
        """Rate an answer of this session: liked true/false, index of the message (-1: latest)."""
        return self.rate(getattr(request, "session_hash", None) or "anonymous", int(index), bool(liked))


# -- the admin tab: adding and removing documents --------------------------------------


def document_rows(settings: Settings) -> list[list[str]]:
    """The documents table: ingested documents first, then the built-in corpus."""
    from assistant.ingest import list_documents

    docs = sorted(list_documents(settings), key=lambda d: (not d.ingested, d.region.lower(), d.slug))
    return [
        [d.slug, d.title, d.region, "-" if d.chunks is None else str(d.chunks), d.source,
         KIND_INGESTED if d.ingested else KIND_CORPUS]
        for d in docs
    ]


def removable_choices(settings: Settings) -> list[tuple[str, str]]:
    """(label, name) of the documents that were added through ingest (the corpus stays)."""
    from assistant.ingest import list_documents

    return [
        (f"{d.title or d.slug} — {d.region} ({d.source or d.slug})", d.slug)
        for d in list_documents(settings)
        if d.ingested
    ]


def report_markdown(report: Any) -> str:
    """An `IngestReport` for the admin: the Dutch summary, then one line per file."""
    summary = report.summary_nl()
    lines = [f"**{md_escape(summary[:1].upper() + summary[1:])}**", ""]
    for item in report.items:
        extra = ""
        if item.chunks and item.status in ("added", "updated"):
            extra = f" ({item.chunks} passage{'s' if item.chunks != 1 else ''})"
        lines.append(f"- {md_escape(item.dutch)}{extra}")
    return "\n".join(lines).strip()


def clean_field(value: Any) -> str | None:
    """An optional text field: None when empty."""
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def uploaded_paths(files: Any) -> list[str]:
    """The file paths Gradio passes for a `gr.File(file_count="multiple")` (or a single one)."""
    if not files:
        return []
    items = files if isinstance(files, (list, tuple)) else [files]
    paths = []
    for item in items:
        path = item if isinstance(item, str) else getattr(item, "path", None) or getattr(item, "name", None)
        if path:
            paths.append(str(path))
    return paths


def discard_uploads(paths: list[str]) -> None:
    """Delete uploaded files from Gradio's upload folder once they are read (best effort).

    The converted text lives on in the documents folder; the uploaded original is
    not kept anywhere. Files outside Gradio's upload folder are never touched.
    """
    root = Path(gr.utils.get_upload_folder()).resolve()
    for raw in paths:
        try:
            path = Path(raw).resolve()
            if root not in path.parents or not path.is_file():
                continue
            path.unlink()
            if path.parent != root:
                path.parent.rmdir()  # the upload's own folder, when nothing else is in it
        except OSError:
            pass


def report_admin_error(action: str, exc: BaseException) -> None:
    """Traceback to stderr for the operator (never the files' contents)."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    print(f"chat: unexpected error while {action}:\n{text}", file=sys.stderr, flush=True)


class DocumentHandlers:
    """The callbacks of the "Documenten" tab: add (`ingest_paths`) and remove documents.

    Only for logged-in users in `admins`: the page shows the tab to them only,
    and every handler checks the user again (a hidden tab is no protection,
    its endpoints can be called directly). One change at a time; after a change
    the chat answers from a fresh `Assistant` over the same model and index.
    """

    def __init__(self, chat: ChatHandlers, settings: Settings, admins: set[str]):
        self.chat = chat
        self.settings = settings
        self.admins = set(admins)
        self.region_dropdowns: list[gr.Dropdown] = []  # the chat's region choice: kept in sync
        self._lock = Lock()

    def is_admin(self, request: gr.Request | None) -> bool:
        username = getattr(request, "username", None)
        return bool(username) and username in self.admins

    # -- what the tab shows ---------------------------------------------------------------
    def _regions(self) -> list[str]:
        return self.chat.regions

    def _listing(self) -> tuple[Any, Any]:
        """The documents table and the remove choice, fresh from the documents folder."""
        try:
            rows, removable = document_rows(self.settings), removable_choices(self.settings)
        except Exception as exc:  # noqa: BLE001 - a listing problem must not hide the report
            report_admin_error("listing the documents", exc)
            return gr.skip(), gr.skip()
        return rows, gr.Dropdown(choices=removable, value=None)

    def _after_change(self) -> tuple[Any, Any, Any, Any]:
        """Table, chat region choices, upload region choices, remove choice."""
        regions = self._regions()
        rows, remove = self._listing()
        return rows, gr.Dropdown(choices=region_choices(regions)), gr.Dropdown(choices=regions), remove

    def on_load(self, request: gr.Request) -> tuple[Any, Any, Any, Any]:
        """On page load: the tab, filled, for admins; hidden (and left empty) for everyone else."""
        if not self.is_admin(request):
            return gr.Tab(visible=False), gr.skip(), gr.skip(), gr.skip()
        rows, remove = self._listing()
        return gr.Tab(visible=True), rows, remove, gr.Dropdown(choices=self._regions())

    # -- changes ------------------------------------------------------------------------
    def _refresh_assistant(self) -> str:
        """Swap the chat to a fresh assistant over the updated index; a Dutch note for the admin."""
        old = self.chat.assistant
        try:
            fresh = Assistant(self.settings, old.embed_model, old.index)
        except Exception as exc:  # noqa: BLE001 - the old assistant keeps answering
            report_admin_error("reopening the assistant after a change", exc)
            return REFRESH_ERROR
        fresh.load_failures = list(getattr(old, "load_failures", []))
        self.chat.replace_assistant(fresh)
        choices = region_choices(fresh.regions)
        for dropdown in self.region_dropdowns:
            # New sessions (and API clients) get these choices; open pages get them
            # through the update this handler returns or on their next load.
            dropdown.choices = [(c, c) for c in choices]
        return CHANGED_NOTE

    def upload(
        self, files: Any, region: str | None, title: str | None, organisation: str | None,
        request: gr.Request = None,
    ) -> tuple[Any, ...]:
        """Add documents: files (PDF, DOCX, HTML, Markdown, text), region (required), title, organisation.

        Returns the Dutch report, the documents table, the chat's region choices,
        the upload region choices, the remove choice and the cleared file input.
        """
        paths = uploaded_paths(files)
        unchanged = (gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip())
        if not self.is_admin(request):
            discard_uploads(paths)
            return (UPLOAD_NOT_ALLOWED, *unchanged)
        if not paths:
            return (UPLOAD_NO_FILES, *unchanged)
        region_text = clean_field(region)
        if not region_text:
            return (UPLOAD_NO_REGION, *unchanged)
        from assistant.ingest import IngestError, ingest_paths

        with self._lock:
            try:
                report = ingest_paths(
                    paths, self.settings, region=region_text, title=clean_field(title),
                    organisation=clean_field(organisation), assistant=self.chat.assistant,
                )
            except IngestError as exc:  # an invalid region: the files stay chosen for a retry
                return (f"**Niet toegevoegd:** {md_escape(exc.dutch)}", *unchanged)
            except Exception as exc:  # noqa: BLE001 - the admin must never see a traceback
                report_admin_error("adding documents", exc)
                discard_uploads(paths)
                return (UPLOAD_ERROR, *self._after_change(), None)
            discard_uploads(paths)
            message = report_markdown(report)
            if report.index_error:
                print(f"chat: index update after an upload failed: {report.index_error}", file=sys.stderr, flush=True)
            if report.index_updated or report.index_error:
                message += "\n\n" + self._refresh_assistant()
            return (message, *self._after_change(), None)

    def remove(self, name: str | None, request: gr.Request = None) -> tuple[Any, ...]:
        """Remove an added document (its name from the documents table); the corpus stays.

        Returns the Dutch report, the documents table, the chat's region choices,
        the upload region choices and the remove choice.
        """
        unchanged = (gr.skip(), gr.skip(), gr.skip(), gr.skip())
        if not self.is_admin(request):
            return (UPLOAD_NOT_ALLOWED, *unchanged)
        name = clean_field(name)
        if not name:
            return (REMOVE_NONE, *unchanged)
        from assistant.ingest import remove_documents

        with self._lock:
            try:
                report = remove_documents([name], self.settings, assistant=self.chat.assistant)
            except Exception as exc:  # noqa: BLE001
                report_admin_error("removing a document", exc)
                return (REMOVE_ERROR, *self._after_change())
            message = report_markdown(report)
            if report.index_error:
                print(f"chat: index update after a removal failed: {report.index_error}", file=sys.stderr, flush=True)
            if report.index_updated or report.index_error:
                message += "\n\n" + self._refresh_assistant()
            return (message, *self._after_change())

    # -- the tab ------------------------------------------------------------------------
    def render(self, demo: gr.Blocks, chat_region: gr.Dropdown) -> gr.Tab:
        """The "Documenten" tab (hidden until the page load says the user is an admin)."""
        from assistant.convert import SUPPORTED_SUFFIXES

        self.region_dropdowns.append(chat_region)
        with gr.Tab(TAB_DOCUMENTS, id="documenten", visible=False, elem_id="tab-documenten") as tab:
            gr.Markdown(UPLOAD_INTRO)
            files = gr.File(
                label="Bestanden",
                file_count="multiple",
                file_types=list(SUPPORTED_SUFFIXES),
                type="filepath",
                elem_id="upload-bestanden",
            )
            with gr.Row():
                upload_region = gr.Dropdown(
                    self._regions(),
                    value=None,
                    label="Regio (verplicht)",
                    info="Kies een regio of typ een nieuwe naam, bijvoorbeeld die van uw samenwerkingsverband.",
                    allow_custom_value=True,
                    interactive=True,
                    elem_id="upload-regio",
                )
                title = gr.Textbox(
                    label="Titel (optioneel)",
                    info="Leeg: de titel uit het bestand. Geldt voor alle gekozen bestanden.",
                    elem_id="upload-titel",
                )
                organisation = gr.Textbox(
                    label="Organisatie (optioneel)",
                    info="Bijvoorbeeld het samenwerkingsverband of de gemeente.",
                    elem_id="upload-organisatie",
                )
            add = gr.Button("Toevoegen", variant="primary", elem_id="upload-knop")
            report = gr.Markdown(elem_id="upload-verslag")
            gr.Markdown("### Documenten van de assistent")
            table = gr.Dataframe(
                value=None,
                headers=DOCUMENT_HEADERS,
                datatype="str",
                interactive=False,
                wrap=True,
                column_widths=["24%", "30%", "12%", "9%", "15%", "10%"],
                label="Documenten",
                show_label=False,
                elem_id="documenten-lijst",
            )
            remove_choice = gr.Dropdown(
                [],
                value=None,
                label="Toegevoegd document verwijderen",
                info="Documenten uit het vaste corpus kunnen hier niet worden verwijderd.",
                allow_custom_value=True,  # API callers name a document; `remove` checks it
                interactive=True,
                elem_id="verwijder-keuze",
            )
            remove = gr.Button("Verwijderen", variant="stop", size="md", elem_id="verwijder-knop")

        add.click(
            self.upload,
            [files, upload_region, title, organisation],
            [report, table, chat_region, upload_region, remove_choice, files],
            api_name="upload",
            api_description="Alleen beheerders: documenten toevoegen (bestanden, regio, titel, organisatie).",
            concurrency_limit=1,
            concurrency_id="documenten",
            show_progress="full",
        )
        remove.click(
            self.remove,
            [remove_choice],
            [report, table, chat_region, upload_region, remove_choice],
            api_name="remove",
            api_description="Alleen beheerders: een toegevoegd document verwijderen (naam uit de lijst).",
            concurrency_limit=1,
            concurrency_id="documenten",
            show_progress="full",
        )
        demo.load(self.on_load, None, [tab, table, remove_choice, upload_region], api_visibility="private")
        return tab


# -- the UI ----------------------------------------------------------------------------


class _SystemFont(gr.themes.Font):
    """A generic CSS font keyword (system-ui, ui-monospace), written without quotes."""

    def __str__(self) -> str:
        return self.name


def make_theme() -> gr.themes.Base:
    """Gradio's default theme with system fonts only: no font is fetched from the internet."""
    return gr.themes.Default(
        primary_hue="blue",
        neutral_hue="slate",
        font=[_SystemFont("system-ui"), "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
        font_mono=[_SystemFont("ui-monospace"), "SFMono-Regular", "Consolas", "Liberation Mono", "monospace"],
    )


def _chat_section(handlers: ChatHandlers, sources: gr.HTML) -> tuple[gr.Dropdown, gr.Chatbot]:
    """Region choice, conversation and question box on the left, the sources panel on the right."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            region = gr.Dropdown(
                region_choices(handlers.regions),
                value=ALL_REGIONS,
                label="Regio",
                info="Zoek alleen in de documenten van één regio, of in alle regio's.",
                interactive=True,
                elem_id="regio",
            )
            chatbot = gr.Chatbot(
                label="Gesprek",
                show_label=False,
                height=560,
                placeholder=INTRO,
                buttons=["copy"],
                latex_delimiters=[],
                feedback_options=("Like", "Dislike"),
                sanitize_html=True,
                elem_id="gesprek",
            )
            textbox = gr.Textbox(
                label="Uw vraag",
                placeholder="Stel uw vraag over verzuim of thuiszitters…",
                show_label=False,
                lines=1,
                max_lines=6,
                autofocus=True,
                submit_btn=True,
                stop_btn=True,
                elem_id="vraag",
            )
            gr.ChatInterface(
                handlers.respond,
                chatbot=chatbot,
                textbox=textbox,
                additional_inputs=[region],
                additional_outputs=[sources],
                examples=[[q, None] for q in EXAMPLES],
                api_name="chat",
                api_description="Stel een vraag; geeft het antwoord (Markdown) en de bronnen (HTML).",
                analytics_enabled=False,
                fill_height=False,
                flagging_mode="never",
                save_history=False,
                show_progress="minimal",
            )
        with gr.Column(scale=2, min_width=320):
            sources.render()
    return region, chatbot


def build_app(assistant: Assistant, settings: Settings) -> gr.Blocks:
    """The chat UI, declared in one place. Launch it with `serve()` (or `launch(**launch_options(settings, auth))`).

    With a login whose auth file names admins (`read_admins`), the chat sits in a
    tab "Vragen" next to the admins' tab "Documenten"; without, there are no tabs
    and no upload or remove endpoint at all.
    """
    handlers = ChatHandlers(assistant, settings)
    admins = read_admins(settings)
    documents = DocumentHandlers(handlers, settings, admins) if admins else None

    with gr.Blocks(title=APP_TITLE, analytics_enabled=False, fill_width=False) as demo:
        gr.HTML(
            f'<div class="app-kop"><h1>{APP_TITLE}</h1><p>{html.escape(SUBTITLE)}</p></div>',
            padding=False,
        )
        sources = gr.HTML(
            SOURCES_EMPTY,
            label="Bronnen",
            show_label=False,
            elem_id="bronnen",
            render=False,
            padding=False,
            max_height=760,
        )
        # With the admin tab: tabs "Vragen" and "Documenten"; without: no tabs at all.
        with gr.Tabs(elem_id="tabbladen") if documents else nullcontext():
            with gr.Tab(TAB_CHAT, id="vragen", elem_id="tab-vragen") if documents else nullcontext():
                region, chatbot = _chat_section(handlers, sources)
            if documents:
                documents.render(demo, region)
        gr.Markdown(DISCLAIMER, elem_classes="disclaimer")

        chatbot.like(handlers.on_like, None, None, api_visibility="private")
        gr.api(handlers.feedback_api, api_name="feedback")
        gr.api(handlers.regions_api, api_name="regions")
        # Every page load gets the regions of the documents as they are now.
        demo.load(handlers.region_update, None, [region], api_visibility="private")
    return demo


# -- serving ---------------------------------------------------------------------------


class ServeError(RuntimeError):
    """The chat cannot start with this configuration; the message says why (English)."""


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class AuthUser:
    """One line of the auth file."""

    name: str
    password: str
    admin: bool = False


def read_auth_users(path: Path) -> list[AuthUser]:
    """`user:password` lines, `user:password:admin` for admins (blank lines and # comments skipped).

    A password may contain ':'; a last field that is exactly `admin` is always read
    as the role, so a password cannot itself end in ':admin'. Each user may appear once.
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ServeError(f"cannot read the auth file {path}: {exc.strerror or exc}") from exc
    users: list[AuthUser] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        admin = False
        head, role_sep, role = password.rpartition(":")
        if role_sep and role == ADMIN_ROLE:
            password, admin = head, True  # an empty password before ':admin' is an error below
        user = user.strip()
        if not sep or not user or not password:
            raise ServeError(f"{path}, line {number}: expected 'user:password' or 'user:password:admin'")
        if user in seen:
            raise ServeError(f"{path}, line {number}: user {user!r} appears more than once")
        seen.add(user)
        users.append(AuthUser(user, password, admin))
    if not users:
        raise ServeError(f"the auth file {path} holds no 'user:password' lines")
    return users


def read_auth_file(path: Path) -> list[tuple[str, str]]:
    """(user, password) pairs for Gradio's `auth=` (the admin role left out)."""
    return [(u.name, u.password) for u in read_auth_users(path)]


def read_admins(settings: Settings) -> set[str]:
    """The users marked `:admin` in the auth file: they may add and remove documents.

    Empty without an auth file (no login, so no upload tab).
    """
    if not settings.auth_file:
        return set()
    return {u.name for u in read_auth_users(settings.auth_file) if u.admin}


def load_auth(settings: Settings) -> list[tuple[str, str]] | None:
    """Users for Gradio's login; required when listening beyond the loopback interface."""
    if settings.auth_file:
        return read_auth_file(settings.auth_file)
    if not is_loopback(settings.host):
        raise ServeError(
            f"refusing to listen on {settings.host} without a login: set ASSISTANT_AUTH_FILE to a file "
            "with 'user:password' lines (keep it out of the repository), or use host 127.0.0.1"
        )
    return None


def configure_queue(demo: gr.Blocks) -> gr.Blocks:
    # 2 CPU cores: two questions are answered at once (torch uses one thread
    # per call, settings.threads), the rest wait in a queue of at most 64; a
    # full queue tells the user to try again instead of piling up work.
    return demo.queue(default_concurrency_limit=2, max_size=64)


def launch_options(settings: Settings, auth: list[tuple[str, str]] | None = None) -> dict:
    """Keyword arguments for `Blocks.launch`: local only, no telemetry, no external assets."""
    # Uploads of real routeboeken only where the admin tab exists (login on, admins named).
    uploads = bool(auth) and bool(read_admins(settings))
    return dict(
        server_name=settings.host,
        server_port=settings.port,
        share=False,
        auth=auth,
        auth_message=AUTH_MESSAGE if auth else None,
        theme=make_theme(),
        css=CSS,
        show_error=False,
        quiet=True,
        footer_links=[],
        run_history=False,  # would keep questions in the browser's storage
        enable_monitoring=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        max_file_size=UPLOAD_MAX_FILE_SIZE if uploads else CHAT_MAX_FILE_SIZE,
        inbrowser=False,
    )


@dataclass
class Served:
    """A running chat: the Gradio app, its FastAPI app and the local URL."""

    demo: gr.Blocks
    app: Any
    url: str

    def close(self) -> None:
        self.demo.close(verbose=False)


def _console(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


def serve(
    settings: Settings,
    assistant: Assistant | None = None,
    block: bool = True,
    progress: Callable[[str], None] = _console,
) -> Served:
    """Open the assistant (building model and index on first run) and launch the chat.

    With `block=False` the server runs in the background and the caller
    stops it with `Served.close()`. Raises ServeError for a configuration
    that must not start (no login off-loopback, port taken).
    """
    auth = load_auth(settings)  # fail before minutes of model building
    if assistant is None:
        progress("Model en index voorbereiden; de eerste keer duurt dit enkele minuten. / Preparing model and index; the first run takes a few minutes.")
        started = time.perf_counter()
        assistant = Assistant.open(settings, progress=progress, show_progress=True)
        for failure in assistant.load_failures:
            progress(f"warning: skipped document {failure}")
        progress(f"Klaar / ready ({time.perf_counter() - started:.0f} s).")
    demo = configure_queue(build_app(assistant, settings))
    try:
        app, url, _ = demo.launch(prevent_thread_lock=True, **launch_options(settings, auth))
    except OSError as exc:
        raise ServeError(f"cannot listen on {settings.host}:{settings.port}: {exc}") from exc
    progress(f"Chat draait op / chat running at {url}" + (" (login vereist / login required)" if auth else ""))
    served = Served(demo=demo, app=app, url=url)
    if block:
        try:
            demo.block_thread()
        finally:
            served.close()
    return served


__all__ = [
    "ALL_REGIONS",
    "AuthUser",
    "ChatHandlers",
    "DocumentHandlers",
    "REGION_CHOICES",
    "ServeError",
    "Served",
    "answer_markdown",
    "build_app",
    "launch_options",
    "load_auth",
    "read_admins",
    "read_auth_file",
    "region_choices",
    "serve",
    "sources_html",
]
