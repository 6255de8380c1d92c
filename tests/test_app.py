"""The chat app: rendering and callbacks (fast, with a stand-in assistant), then the
real app with the real assistant behind a real Gradio server, driven by gradio_client (slow)."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pytest

from assistant.app import (
    ALL_REGIONS,
    EXCERPT_CONTEXT,
    GENERIC_ERROR,
    INDEX_ERROR,
    SEARCHING,
    ChatHandlers,
    ServeError,
    answer_markdown,
    build_app,
    configure_queue,
    excerpt_bounds,
    launch_options,
    load_auth,
    passage_html,
    region_value,
    serve,
    sources_html,
    user_questions,
)
from assistant.ask import AskError, check_question
from assistant.cite import Answer, Citation
from assistant.config import REGIONS, Settings

REGION_CLASS = re.compile(r'class="bron-regio">([^<]+)<')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cited_regions(sources: str) -> set[str]:
    return set(REGION_CLASS.findall(sources))


def citation(**overrides) -> Citation:
    values = dict(
        n=1,
        source="rotterdam-ppo",
        title="Wie doet wat <wanneer>?",
        region="Rotterdam",
        section="Fase 1 > Melding",
        organisation="PPO Rotterdam",
        text="# Kop\n\nEen thuiszitter is een leerling die <b>niet</b> naar school gaat. Daarna volgt meer.",
        quotes=["Een thuiszitter is een leerling die <b>niet</b> naar school gaat."],
    )
    values.update(overrides)
    return Citation(**values)


def answer(**overrides) -> Answer:
    values = dict(
        question="Wat is een thuiszitter?",
        answer="In Rotterdam (PPO Rotterdam), „Een thuiszitter is een leerling die niet naar school gaat.” [1]",
        refused=False,
        citations=[citation()],
    )
    values.update(overrides)
    return Answer(**values)


@dataclass
class Request:
    session_hash: str = "sessie-1"


class FakeAssistant:
    """Stands in for `Assistant`: records questions, answers or raises as told."""

    def __init__(self, result=None):
        self.settings = Settings(_env_file=None)
        self.result = result if result is not None else answer()
        self.asked: list[tuple[str, str | None]] = []

    def ask(self, question: str, region: str | None = None, top_k: int | None = None) -> Answer:
        self.asked.append((question, region))
        check_question(question, self.settings)
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


@pytest.fixture
def fast_settings(tmp_path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data")


def run(handlers: ChatHandlers, message: str, history=None, region=ALL_REGIONS, session="sessie-1"):
    return list(handlers.respond(message, history or [], region, Request(session)))


# -- rendering -------------------------------------------------------------------------


def test_region_value():
    assert region_value(ALL_REGIONS) is None
    assert region_value(None) is None
    assert region_value("Rotterdam") == "Rotterdam"


def test_sources_panel_escapes_and_marks_the_quote():
    panel = sources_html(answer())
    assert "[1]" in panel
    assert "Wie doet wat &lt;wanneer&gt;?" in panel  # title escaped
    assert "<b>" not in panel and "&lt;b&gt;niet&lt;/b&gt;" in panel  # passage escaped
    assert "<mark>Een thuiszitter is een leerling die &lt;b&gt;niet&lt;/b&gt; naar school gaat.</mark>" in panel
    assert "Fase 1 &gt; Melding" in panel and cited_regions(panel) == {"Rotterdam"}
    assert "<strong>Kop</strong>" in panel and "# Kop" not in panel  # heading marks dropped
    assert "PPO Rotterdam" in panel


def test_sources_panel_shows_lists_and_bold_as_the_document_reads():
    text = (
        "### Fase 2 Oudergesprek\n\n- **School:** Organiseert gesprek.\n- **4.** Actietafel met:\n"
        "  - Doelen:\n    - Zicht op de situatie\n1. Stap een"
    )
    quotes = ["**School:** Organiseert gesprek.", "Zicht op de situatie"]
    panel = sources_html(answer(citations=[citation(text=text, quotes=quotes)]))
    passage = re.search(r'<blockquote class="bron-tekst">(.*?)</blockquote>', panel, re.S).group(1)
    assert "**" not in passage and "\n- " not in passage and "#" not in passage
    assert "<strong>Fase 2 Oudergesprek</strong>" in passage
    # the quote is marked without the bold marks it had in the Markdown
    assert "• <mark>School: Organiseert gesprek.</mark>" in passage
    assert "• 4. Actietafel met:" in passage
    assert "\u2003• Doelen:" in passage and "\u2003\u2003• <mark>Zicht op de situatie</mark>" in passage
    assert "1. Stap een" in passage  # a numbered item keeps its number


def test_an_excerpt_that_starts_mid_line_shows_no_bullet():
    # One long line whose excerpt window starts at the "-" of "5 - 16": a word inside the
    # line, not a list item.
    quote = "De kern staat hier."
    lead = "- 16 jaar. " + "x" * (EXCERPT_CONTEXT - len("- 16 jaar. "))
    text = "woord " * 120 + lead + quote + " slot" * 120
    spans = [(text.index(quote), text.index(quote) + len(quote))]
    start, _ = excerpt_bounds(text, spans)
    assert text[start:].startswith("- 16 jaar.")
    panel = sources_html(answer(citations=[citation(text=text, quotes=[quote])]))
    excerpt = re.search(r'<blockquote class="bron-tekst">(.*?)</blockquote>', panel, re.S).group(1)
    assert excerpt.startswith("… - 16 jaar.") and "•" not in panel
    assert "<mark>De kern staat hier.</mark>" in excerpt
    assert passage_html(text[start:], []).startswith("• 16 jaar.")  # read as a whole line: a bullet


def test_sources_panel_shows_page_and_excerpt_of_long_passages():
    long_text = "Inleiding. " * 150 + "De kern staat hier. " + "Slot. " * 150
    panel = sources_html(answer(citations=[citation(text=long_text, quotes=["De kern staat hier."], page=7)]))
    assert "p. 7" in panel
    assert "<mark>De kern staat hier.</mark>" in panel
    assert "Hele passage tonen" in panel and panel.count("<mark>") == 2  # excerpt + full passage


def test_refusal_panel_and_message_offer_the_nearest_sections():
    refused = answer(
        answer="Dat staat niet in de documenten die ik ken.\n\nDeze onderdelen …:\n- A — B (Utrecht)",
        refused=True,
        citations=[],
        suggestions=["Routekaart — Definities (Utrecht)", "Routeboek <x> — 1.3 Verzuim (Drechtsteden)"],
    )
    panel = sources_html(refused)
    assert "geen antwoord" in panel and "Routekaart — Definities (Utrecht)" in panel
    assert "&lt;x&gt;" in panel
    text = answer_markdown(refused)
    assert text.startswith("**Dat staat niet in de documenten die ik ken.**")
    assert "- Routekaart — Definities (Utrecht)" in text
    assert "[1]" not in text


def test_answer_message_has_markers_sources_and_the_reading_of_a_followup():
    text = answer_markdown(answer(), asked_as="Wat is een thuiszitter in Rotterdam?", region="Rotterdam")
    assert text.startswith("_Ik lees uw vraag als: „Wat is een thuiszitter in Rotterdam?”; gezocht in: Rotterdam_")
    assert "[1]" in text
    assert "[1] Wie doet wat &lt;wanneer&gt;? — Fase 1 &gt; Melding (Rotterdam)" in text


def test_user_questions_from_messages_history():
    history = [
        {"role": "user", "content": "eerste"},
        {"role": "assistant", "content": "antwoord"},
        {"role": "user", "content": [{"type": "text", "text": "tweede"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "antwoord"}]},
    ]
    assert user_questions(history) == ["eerste", "tweede"]
    assert user_questions([]) == []


# -- callbacks with a stand-in assistant -----------------------------------------------------


def test_respond_streams_then_shows_answer_and_sources(fast_settings):
    handlers = ChatHandlers(FakeAssistant(), fast_settings)
    steps = run(handlers, "Wat is een thuiszitter?", region="Rotterdam")
    assert steps[0][0] == SEARCHING
    assert len(steps) > 2  # the answer grows over several updates
    final_text, final_sources = steps[-1]
    assert "[1]" in final_text and "<mark>" in final_sources
    assert handlers.assistant.asked == [("Wat is een thuiszitter?", "Rotterdam")]


def test_respond_rewrites_a_followup_before_asking(fast_settings):
    fake = FakeAssistant()
    handlers = ChatHandlers(fake, fast_settings)
    history = [
        {"role": "user", "content": "Wanneer is een leerling een thuiszitter in de Drechtsteden?"},
        {"role": "assistant", "content": "…"},
    ]
    final_text, _ = run(handlers, "en in Rotterdam?", history)[-1]
    assert fake.asked[-1] == ("Wanneer is een leerling een thuiszitter in Rotterdam?", None)
    assert "Ik lees uw vraag als" in final_text


def test_en_dan_after_a_next_step_answer_walks_on_from_that_step(fast_settings):
    step = ("Rotterdam", "Je bent aanwezig bij gesprek met ouders en school.")
    fake = FakeAssistant(answer(next_steps=[step]))
    handlers = ChatHandlers(fake, fast_settings)
    first = "We hebben het thuiszitten gemeld bij leerplicht. Wat is in Rotterdam de volgende stap?"
    run(handlers, first)
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": "…"}]
    run(handlers, "en dan?", history)
    assert fake.asked[-1] == (f"{step[1]} Wat is in Rotterdam de volgende stap?", None)
    # Another browser session has no such step: its "en dan?" follows its own question.
    run(handlers, "en dan?", history, session="sessie-2")
    assert fake.asked[-1] == (f"{first} Wat is de volgende stap?", None)
    # Nor does a switch to another region: the step is Rotterdam's.
    run(handlers, "en dan?", history, region="Drechtsteden")
    assert fake.asked[-1] == (f"{first} Wat is de volgende stap?", "Drechtsteden")


@pytest.mark.parametrize(
    "message, expected",
    [
        ("   ", "Typ eerst een vraag."),
        ("a" * 2500, "te lang"),
    ],
)
def test_input_errors_are_friendly_dutch(fast_settings, message, expected):
    handlers = ChatHandlers(FakeAssistant(), fast_settings)
    final_text, _ = run(handlers, message)[-1]
    assert expected in final_text
    assert "Traceback" not in final_text


@pytest.mark.parametrize(
    "error, expected",
    [
        (RuntimeError("kapot bij vraag Piet de Vries"), GENERIC_ERROR),
        (FileNotFoundError("index/bm25 ontbreekt"), INDEX_ERROR),
    ],
)
def test_unexpected_errors_show_a_dutch_message_and_keep_the_question_out_of_stderr(
    fast_settings, capsys, error, expected
):
    handlers = ChatHandlers(FakeAssistant(error), fast_settings)
    question = "Wat moet ik doen met Piet de Vries?"
    final_text, _ = run(handlers, question)[-1]
    assert final_text == expected
    captured = capsys.readouterr()
    assert "Traceback" in captured.err  # details for the operator ...
    assert "Piet de Vries" not in captured.err + captured.out  # ... without the question


def test_unknown_region_from_the_api_is_a_dutch_message(fast_settings):
    class StrictFake(FakeAssistant):
        def ask(self, question, region=None, top_k=None):
            if region not in (None, *REGIONS):
                raise AskError("region", "unknown region", f"Onbekende regio: {region}.")
            return super().ask(question, region, top_k)

    final_text, _ = run(ChatHandlers(StrictFake(), fast_settings), "Wat is een thuiszitter?", region="Mars")[-1]
    assert final_text == "Onbekende regio: Mars."


def test_feedback_is_stored_per_session_and_message(fast_settings):
    handlers = ChatHandlers(FakeAssistant(), fast_settings)
    run(handlers, "Wat is een thuiszitter voor Piet?", session="a")
    assert handlers.rate("a", 1, liked=True) == "Bedankt voor uw beoordeling."
    assert handlers.rate("a", 5, liked=True).startswith("Deze beoordeling kon niet")
    assert handlers.rate("b", -1, liked=True).startswith("Deze beoordeling kon niet")
    (entry,) = handlers.feedback.read()
    assert entry["rating"] == "up" and "question" not in entry
    assert entry["citations"][0]["region"] == "Rotterdam"
    assert "Piet" not in fast_settings.feedback_file.read_text(encoding="utf-8")


def test_error_messages_can_be_rated_too(fast_settings):
    handlers = ChatHandlers(FakeAssistant(RuntimeError("stuk")), fast_settings)
    history = [{"role": "user", "content": "eerder"}, {"role": "assistant", "content": "antwoord"}]
    run(handlers, "Wat is een thuiszitter?", history, session="c")
    assert handlers.rate("c", 3, liked=False) == "Bedankt voor uw beoordeling."
    (entry,) = handlers.feedback.read()
    assert entry == {**entry, "rating": "down", "answer": GENERIC_ERROR, "citations": [], "refused": False}


# -- serving: login, options ---------------------------------------------------------------


def test_loopback_needs_no_login(fast_settings):
    assert load_auth(fast_settings) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::"])
def test_off_loopback_without_auth_file_refuses_to_start(tmp_path, host):
    settings = Settings(_env_file=None, data_dir=tmp_path, host=host)
    with pytest.raises(ServeError, match="ASSISTANT_AUTH_FILE"):
        load_auth(settings)
    with pytest.raises(ServeError):  # before any model or index is touched
        serve(settings, assistant=None, block=False)


def test_auth_file_is_read_and_checked(tmp_path):
    auth_file = tmp_path / "users.txt"
    auth_file.write_text("# beheer\nib:geheim:met:dubbele-punten\n\nteam : wachtwoord\n", encoding="utf-8")
    settings = Settings(_env_file=None, data_dir=tmp_path, host="0.0.0.0", auth_file=auth_file)
    assert load_auth(settings) == [("ib", "geheim:met:dubbele-punten"), ("team", " wachtwoord")]
    auth_file.write_text("zonder-wachtwoord\n", encoding="utf-8")
    with pytest.raises(ServeError, match="line 1"):
        load_auth(settings)
    with pytest.raises(ServeError, match="cannot read"):
        load_auth(Settings(_env_file=None, data_dir=tmp_path, auth_file=tmp_path / "ontbreekt"))


def test_launch_options_keep_everything_local(fast_settings):
    options = launch_options(fast_settings)
    assert options["server_name"] == "127.0.0.1" and options["share"] is False
    assert options["run_history"] is False and options["enable_monitoring"] is False
    theme = options["theme"]
    assert theme.font.startswith("system-ui,") and theme.font.endswith("sans-serif")
    assert not any(isinstance(f, gr.themes.GoogleFont) for f in theme._font + theme._font_mono)


def test_app_endpoints_with_a_stand_in_assistant(fast_settings):
    """The Gradio wiring (endpoint names, additional inputs/outputs) without the model."""
    from gradio_client import Client

    settings = fast_settings.model_copy(update={"port": free_port()})
    demo = configure_queue(build_app(FakeAssistant(), settings))
    _, url, _ = demo.launch(prevent_thread_lock=True, **launch_options(settings))
    try:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert set(endpoints) >= {"/chat", "/feedback"}
        text, sources = client.predict("Wat is een thuiszitter?", "Rotterdam", api_name="/chat")
        assert "[1]" in text and cited_regions(sources) == {"Rotterdam"}
        assert client.predict(True, -1, api_name="/feedback") == "Bedankt voor uw beoordeling."
    finally:
        demo.close(verbose=False)


# -- the real app (real model, real index, real server) ------------------------------------------


@pytest.fixture(scope="module")
def server(settings, assistant):
    app_settings = settings.model_copy(update={"port": free_port()})
    served = serve(app_settings, assistant=assistant, block=False)
    yield served
    served.close()


@pytest.fixture
def client(server):
    from gradio_client import Client

    # A new client is a new browser session: its own conversation.
    return Client(server.url, verbose=False, analytics_enabled=False, download_files=False)


def ask(client, question: str, region: str = ALL_REGIONS) -> tuple[str, str]:
    return client.predict(question, region, api_name="/chat")


def feedback_lines(settings: Settings) -> list[str]:
    path = settings.feedback_file
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@pytest.mark.slow
def test_answer_carries_numbered_citations(client):
    text, sources = ask(client, "Hoe lang duurt een brugplaatsing?")
    assert "[1]" in text
    assert 'class="bron-titel"' in sources and "<mark>" in sources
    assert cited_regions(sources) and cited_regions(sources) <= set(REGIONS)
    assert "Bronnen" in text


@pytest.mark.slow
def test_answer_is_streamed(client):
    job = client.submit("Wie heeft de regie bij een thuiszitter?", ALL_REGIONS, api_name="/chat")
    final_text, _ = job.result(timeout=120)
    updates = [out[0] for out in job.outputs()]
    assert updates[0] == SEARCHING
    assert len(updates) > 2 and updates[-1] == final_text
    assert all(final_text.startswith(u) for u in updates[1:])


@pytest.mark.slow
def test_region_filter_changes_the_cited_region(client):
    _, rotterdam = ask(client, "Wat is een thuiszitter?", "Rotterdam")
    _, drechtsteden = ask(client, "Wat is een thuiszitter?", "Drechtsteden")
    assert cited_regions(rotterdam) == {"Rotterdam"}
    assert cited_regions(drechtsteden) == {"Drechtsteden"}


@pytest.mark.slow
def test_refusal_is_clear_and_suggests_sections(client):
    from assistant.answer import REFUSAL

    text, sources = ask(client, "Wat is de hoofdstad van Frankrijk?")
    assert REFUSAL in text
    assert "[1]" not in text
    assert "geen antwoord" in sources
    assert "dichtst in de buurt" in text


@pytest.mark.slow
def test_followup_is_answered_for_the_new_region(client):
    _, first = ask(client, "Wanneer is een leerling een thuiszitter in de Drechtsteden?")
    assert "Drechtsteden" in cited_regions(first)
    text, sources = ask(client, "en in Rotterdam?")
    assert "Ik lees uw vraag als: „Wanneer is een leerling een thuiszitter in Rotterdam?”" in text
    assert "Rotterdam" in cited_regions(sources)
    assert "[1]" in text


@pytest.mark.slow
def test_a_chain_of_en_dan_walks_through_the_phases(client):
    first, _ = ask(client, "We hebben het thuiszitten gemeld bij leerplicht en bij PPO. Wat is in Rotterdam de volgende stap?")
    assert "Daarna, onder „Fase 2" in first
    second, _ = ask(client, "en dan?")
    assert "Daarna, onder „Fase 3" in second and "Fase 2" in second
    third, _ = ask(client, "en daarna?")
    assert "Daarna, onder „Fase 4" in third
    # Fase 4 is the last: the walk says so and stays there instead of starting over.
    assert "hierna noemt het document geen volgende stap" in third
    fourth, _ = ask(client, "en dan?")
    assert "Fase 4" in fourth and "hierna noemt het document geen volgende stap" in fourth
    assert "Fase 1" not in fourth and "Fase 2" not in fourth


@pytest.mark.slow
@pytest.mark.parametrize(
    "question, expected",
    [("x " * 1250, "Uw vraag is te lang"), ("   ", "Typ eerst een vraag")],
)
def test_bad_input_gets_a_dutch_message_not_a_traceback(client, question, expected):
    text, _ = ask(client, question)
    assert expected in text
    assert "Traceback" not in text and "Error" not in text


@pytest.mark.slow
def test_feedback_is_written_without_the_question(client, server, settings, capfd):
    question = "Wanneer meld ik verzuim bij leerplicht voor leerling Sanne Jansen?"
    before = len(feedback_lines(settings))
    text, _ = ask(client, question)
    assert client.predict(False, -1, api_name="/feedback") == "Bedankt voor uw beoordeling."
    new = feedback_lines(settings)[before:]
    assert len(new) == 1
    assert "Sanne" not in new[0]
    import json

    entry = json.loads(new[0])
    assert entry["rating"] == "down" and "question" not in entry
    assert entry["answer"] and entry["timestamp"]
    for cited in entry["citations"]:
        assert set(cited) >= {"source", "section", "region"}
    captured = capfd.readouterr()
    assert "Sanne" not in captured.out + captured.err  # nor printed anywhere


@pytest.mark.slow
def test_feedback_with_question_logging_masks_personal_data(settings, assistant):
    from gradio_client import Client

    logging_settings = settings.model_copy(update={"port": free_port(), "log_questions": True})
    served = serve(logging_settings, assistant=assistant, block=False)
    try:
        client = Client(served.url, verbose=False, analytics_enabled=False, download_files=False)
        before = len(feedback_lines(settings))
        ask(client, "Wie heeft de regie bij een thuiszitter? Mail ouder@example.nl of bel 06-12345678")
        client.predict(True, -1, api_name="/feedback")
        (line,) = feedback_lines(settings)[before:]
    finally:
        served.close()
    assert "ouder@example.nl" not in line and "06-12345678" not in line
    assert "[e-mail]" in line and "[telefoonnummer]" in line


@pytest.mark.slow
def test_login_is_required_when_an_auth_file_is_set(settings, assistant, tmp_path):
    from gradio_client import Client

    auth_file = tmp_path / "users.txt"
    auth_file.write_text("ib:een-lang-test-wachtwoord\n", encoding="utf-8")
    secured = settings.model_copy(update={"port": free_port(), "auth_file": auth_file})
    served = serve(secured, assistant=assistant, block=False)
    try:
        with pytest.raises(Exception):
            Client(served.url, verbose=False, analytics_enabled=False)
        client = Client(
            served.url, verbose=False, analytics_enabled=False, auth=("ib", "een-lang-test-wachtwoord")
        )
        text, _ = client.predict("Hoe lang duurt een brugplaatsing?", ALL_REGIONS, api_name="/chat")
        assert "[1]" in text
    finally:
        served.close()

