"""End to end in a real browser: headless Debian Chromium, driven by Playwright, against
the real app (real model, real index, real Gradio server) on a loopback port.

Needs `/usr/bin/chromium` (apt-get install chromium) and the `playwright` Python
package; Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTION = "Hoe lang duurt een brugplaatsing?"
LIKE_BUTTON = 'button[aria-label="Vind ik leuk"], button[aria-label="Like"]'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        pytest.skip("headless browser test needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    return str(CHROMIUM)


@pytest.fixture(scope="module")
def server(chromium_path, settings, assistant):
    from assistant.app import serve

    served = serve(settings.model_copy(update={"port": free_port()}), assistant=assistant, block=False)
    yield served
    served.close()


@dataclass
class Browser:
    page: Any
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def browser(chromium_path, server):
    """A page in a fresh Chromium profile; every request it makes is recorded."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    requests: list[str] = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=chromium_path,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1360, "height": 900},
            locale="nl-NL",
        )
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        page.on("websocket", lambda ws: requests.append(ws.url))
        try:
            yield Browser(page, requests)
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def test_question_answer_sources_and_feedback_in_the_browser(browser, server, settings):
    from playwright.sync_api import expect

    page = browser.page
    page.goto(server.url)

    # The start screen: intro, example questions, region choice, disclaimer.
    expect(page.get_by_text("Wat kan ik vragen?")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Wie heeft de regie bij een thuiszitter?")).to_be_visible()
    expect(page.locator("#regio")).to_contain_text("Regio")
    expect(page.get_by_text("Aan de antwoorden kunnen geen rechten worden ontleend")).to_be_visible()

    page.locator("#vraag textarea").fill(QUESTION)
    page.locator("#vraag textarea").press("Enter")

    # The answer, with its citation marker, in the chat ...
    answer = page.locator("#gesprek .bot-row").last
    expect(answer).to_contain_text("[1]", timeout=120_000)
    expect(page.locator(f"#gesprek {LIKE_BUTTON}").first).to_be_visible(timeout=30_000)
    # ... and the source card beside it: title, region, highlighted quote.
    card = page.locator("#bronnen .bron").first
    expect(card).to_be_visible()
    expect(card.locator(".bron-nr")).to_have_text("[1]")
    expect(card.locator(".bron-titel")).not_to_be_empty()
    expect(card.locator(".bron-regio")).to_have_text(re.compile("^(Utrecht|Rotterdam|Drechtsteden|Landelijk)$"))
    mark = card.locator("mark").first
    expect(mark).to_be_visible()
    quoted = mark.inner_text().strip()
    assert len(quoted) > 20 and " ".join(quoted.split())[:20] in " ".join(answer.inner_text().split())

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)

    # Thumbs up: one feedback line, without the question.
    path = settings.feedback_file
    before = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    page.locator(f"#gesprek {LIKE_BUTTON}").first.click()
    expect(page.get_by_text("Bedankt voor uw beoordeling.")).to_be_visible(timeout=15_000)
    lines = path.read_text(encoding="utf-8").splitlines()[len(before) :]
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["rating"] == "up" and "question" not in entry and QUESTION not in lines[0]
    assert entry["citations"] and entry["citations"][0]["region"]

    # Nothing left the machine: every request went to the loopback server.
    assert browser.requests, "no requests were recorded"
    network = [url for url in browser.requests if urlparse(url).scheme not in ("data", "blob")]
    outside = [url for url in network if urlparse(url).hostname not in LOOPBACK]
    assert outside == [], f"requests to non-loopback hosts: {outside}"
