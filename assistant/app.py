"""Chat: the Gradio app for IB-ers, school contact persons and new staff.

`build_app()` declares the whole UI in one function; its callbacks are thin
and call `Assistant.ask` (the same path as the CLI and the eval runner).
`serve()` opens the assistant (building model and index on first run, with
progress on the console) and launches the app on `settings.host:port`.

Everything a user reads is Dutch; console and error messages for the person
who runs the server are English. Questions are never printed or logged; they
reach the feedback file only when `settings.log_questions` is on, masked.
"""

from __future__ import annotations

import html
import ipaddress
import re
import sys
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import Any, Callable, Iterator

import gradio as gr

from assistant.ask import AskError, Assistant
from assistant.cite import Answer, Citation, source_line
from assistant.config import REGIONS, Settings
from assistant.feedback import FeedbackStore
from assistant.followup import rewrite_followup

# -- texts (Dutch: the user reads them) ----------------------------------------

APP_TITLE = "Routeboek-assistent"
ALL_REGIONS = "Alle regio's"
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


def passage_html(text: str, spans: list[tuple[int, int]]) -> str:
    """A passage as HTML, line by line: Markdown heading marks dropped (heading shown bold), quotes marked."""
    lines, pos = [], 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        heading = HEADING.match(line)
        skip = heading.end() if heading else 0
        local = [
            (max(s, start + skip) - start - skip, min(e, end) - start - skip)
            for s, e in spans
            if s < end and e > start + skip
        ]
        rendered = highlight(line[skip:], local)
        lines.append(f"<strong>{rendered}</strong>" if heading and rendered else rendered)
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
    body = passage_html(c.text[start:end], window)
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
    """What feedback needs to know about one answer shown in the chat."""

    answer: str
    refused: bool
    citations: list[dict] = field(default_factory=list)
    question: str | None = None  # kept only when settings.log_questions is on
    asked_as: str | None = None


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
        self.assistant = assistant
        self.settings = settings
        self.feedback = FeedbackStore.from_settings(settings)
        self.conversations = Conversations()

    def respond(
        self, message: str, history: list, region_choice: str, request: gr.Request
    ) -> Iterator[tuple[str, str]]:
        """Stream the answer to `message`: the growing chat text and the sources panel."""
        region = region_value(region_choice)
        question = message if isinstance(message, str) else str(message or "")
        asked = question
        if len(question) <= self.settings.max_question_chars:
            earlier = [q for q in user_questions(history) if len(q) <= self.settings.max_question_chars]
            asked = rewrite_followup(question, earlier)
        rewritten = asked if " ".join(asked.split()) != " ".join(question.split()) else None

        def remember(answer_text: str, answer: Answer | None = None) -> None:
            # The user message sits at len(history), this answer right after it.
            self.conversations.put(
                getattr(request, "session_hash", None) or "anonymous",
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
                ),
            )

        yield SEARCHING, SOURCES_SEARCHING
        try:
            answer = self.assistant.ask(asked, region=region)
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


def build_app(assistant: Assistant, settings: Settings) -> gr.Blocks:
    """The chat UI, declared in one place. Launch it with `serve()` (or `launch(**launch_options(settings))`)."""
    handlers = ChatHandlers(assistant, settings)

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
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                region = gr.Dropdown(
                    REGION_CHOICES,
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
        gr.Markdown(DISCLAIMER, elem_classes="disclaimer")

        chatbot.like(handlers.on_like, None, None, api_visibility="private")
        gr.api(handlers.feedback_api, api_name="feedback")
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


def read_auth_file(path: Path) -> list[tuple[str, str]]:
    """`user:password` lines (blank lines and # comments skipped)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ServeError(f"cannot read the auth file {path}: {exc.strerror or exc}") from exc
    users = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user.strip() or not password:
            raise ServeError(f"{path}, line {number}: expected 'user:password'")
        users.append((user.strip(), password))
    if not users:
        raise ServeError(f"the auth file {path} holds no 'user:password' lines")
    return users


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
        max_file_size="1mb",
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
    "ChatHandlers",
    "REGION_CHOICES",
    "ServeError",
    "Served",
    "answer_markdown",
    "build_app",
    "launch_options",
    "load_auth",
    "serve",
    "sources_html",
]
