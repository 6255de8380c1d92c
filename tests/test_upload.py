"""Issue 6: the admins' "Documenten" tab: upload and remove documents from the chat.

Fast: the auth file's admin marks, and that without a login (or without admins) the app
has no upload tab and no upload endpoint. Slow: a real Gradio server with login, the real
model and an index over a tiny corpus in a temporary data dir, driven by gradio_client
(an admin uploads the made-up Testregio routeboek and the chat answers from it; a
non-admin is refused and nothing is written), and a headless browser that checks who
sees the tab.
"""

from __future__ import annotations

import random
import re
import shutil
import tempfile
from pathlib import Path

import gradio as gr
import pytest

from assistant.app import (
    ALL_REGIONS,
    CHANGED_NOTE,
    TAB_DOCUMENTS,
    UPLOAD_NO_REGION,
    UPLOAD_NOT_ALLOWED,
    ChatHandlers,
    ServeError,
    build_app,
    configure_queue,
    launch_options,
    load_auth,
    read_admins,
    serve,
)
from assistant.config import REGIONS, Settings
from conftest import make_settings
from test_app import FakeAssistant, cited_regions, free_port, run
from test_ingest import PAGE_1, PAGE_2, PAGE_3, TEST_REGION, make_pdf, make_scanned_pdf, write_tiny_corpus

ADMIN = ("beheer", "een-lang-beheer-wachtwoord")
STAFF = ("ib", "een-lang-test-wachtwoord:admin-niet")  # a ':' in a password; not an admin
AUTH_LINES = f"# gebruikers\n{ADMIN[0]}:{ADMIN[1]}:admin\n{STAFF[0]}:{STAFF[1]}\n"
THRESHOLD_QUESTION = "Na hoeveel uur verzuim meldt de school dit bij de leerplichtambtenaar in Testregio?"


def client_for(url: str, auth: tuple[str, str] | None = None):
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, download_files=False, auth=auth)


def endpoints(client) -> set[str]:
    return set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])


def upload(client, *paths: Path, region: str = TEST_REGION, title: str = "", organisation: str = ""):
    from gradio_client import handle_file

    return client.predict(
        [handle_file(str(p)) for p in paths], region, title, organisation, api_name="/upload"
    )


def stored_documents(settings: Settings) -> list[str]:
    folder = settings.documents_dir
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def uploads_named(name: str) -> set[Path]:
    """Files of this name in Gradio's upload folder (uploads are deleted once ingested)."""
    root = Path(gr.utils.get_upload_folder())
    return set(root.rglob(name)) if root.is_dir() else set()


def chat_region_choices(demo: gr.Blocks) -> list[str]:
    (dropdown,) = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "regio"]
    return [value for _, value in dropdown.choices]


# -- the auth file (fast) ------------------------------------------------------------------


def test_auth_file_marks_admins_and_keeps_the_login_pairs(tmp_path):
    auth_file = tmp_path / "users.txt"
    auth_file.write_text(
        "# beheer\n"
        "beheer:geheim:admin\n"
        "ib:geheim:met:dubbele-punten\n"  # ':' inside a password
        "team:wachtwoord:admin:niet\n"  # the role is only the last field, exactly 'admin'
        "directie:admin\n"  # two fields: 'admin' is the password
        "zorg:lang:wachtwoord:admin\n",
        encoding="utf-8",
    )
    settings = Settings(_env_file=None, data_dir=tmp_path, auth_file=auth_file)
    assert load_auth(settings) == [
        ("beheer", "geheim"),
        ("ib", "geheim:met:dubbele-punten"),
        ("team", "wachtwoord:admin:niet"),
        ("directie", "admin"),
        ("zorg", "lang:wachtwoord"),
    ]
    assert read_admins(settings) == {"beheer", "zorg"}
    assert read_admins(Settings(_env_file=None, data_dir=tmp_path)) == set()

    auth_file.write_text("beheer::admin\n", encoding="utf-8")  # no password left
    with pytest.raises(ServeError, match="line 1"):
        load_auth(settings)
    auth_file.write_text("beheer:een:admin\nbeheer:twee\n", encoding="utf-8")
    with pytest.raises(ServeError, match="line 2.*more than once"):
        load_auth(settings)


# -- no login, or no admins: no upload tab, no endpoint (fast) --------------------------------


@pytest.mark.parametrize("auth_lines", [None, "ib:een-lang-test-wachtwoord\n"])
def test_without_login_or_admins_there_is_no_upload_tab_or_endpoint(tmp_path, auth_lines):
    auth_file = None
    if auth_lines:
        auth_file = tmp_path / "users.txt"
        auth_file.write_text(auth_lines, encoding="utf-8")
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", port=free_port(), auth_file=auth_file)
    demo = configure_queue(build_app(FakeAssistant(), settings))
    assert not [b for b in demo.blocks.values() if isinstance(b, (gr.Tab, gr.File))]
    auth = load_auth(settings)
    options = launch_options(settings, auth)
    assert options["max_file_size"] == "1mb"
    _, url, _ = demo.launch(prevent_thread_lock=True, **options)
    try:
        client = client_for(url, ("ib", "een-lang-test-wachtwoord") if auth else None)
        names = endpoints(client)
        assert {"/chat", "/feedback", "/regions"} <= names
        assert not names & {"/upload", "/remove"}
        assert client.predict(api_name="/regions") == ["Utrecht", "Rotterdam", "Drechtsteden", "Landelijk"]
    finally:
        demo.close(verbose=False)
    assert not (settings.documents_dir).exists()


def test_with_admins_the_app_has_the_tab_and_larger_uploads(tmp_path):
    auth_file = tmp_path / "users.txt"
    auth_file.write_text(AUTH_LINES, encoding="utf-8")
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", auth_file=auth_file)
    demo = build_app(FakeAssistant(), settings)
    tabs = {b.label: b for b in demo.blocks.values() if isinstance(b, gr.Tab)}
    assert set(tabs) == {"Vragen", TAB_DOCUMENTS}
    assert tabs[TAB_DOCUMENTS].visible is False  # shown by the page load, to admins only
    assert launch_options(settings, load_auth(settings))["max_file_size"] == "20mb"


def test_the_chat_answers_from_the_replaced_assistant_and_offers_its_regions(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    first, second = FakeAssistant(), FakeAssistant()
    second.regions = ["Utrecht", TEST_REGION]
    handlers = ChatHandlers(first, settings)
    assert handlers.regions == list(REGIONS)  # an assistant that cannot tell: the built-in four
    assert handlers.replace_assistant(second) is first
    final_text, _ = run(handlers, "Wat is een thuiszitter?", region=TEST_REGION)[-1]
    assert "[1]" in final_text
    assert second.asked == [("Wat is een thuiszitter?", TEST_REGION)] and first.asked == []
    assert handlers.regions_api() == ["Utrecht", TEST_REGION]
    assert chat_region_choices(build_app(second, settings)) == [ALL_REGIONS, "Utrecht", TEST_REGION]


# -- the real app: login on, real model, tiny corpus (slow) ---------------------------------------


@pytest.fixture(scope="module")
def upload_app(tmp_path_factory):
    """A served app with login (one admin, one staff user) over a tiny corpus in a fresh data dir."""
    from assistant.ask import Assistant

    root = tmp_path_factory.mktemp("upload")
    corpus = write_tiny_corpus(root / "corpus")
    auth_file = root / "users.txt"
    auth_file.write_text(AUTH_LINES, encoding="utf-8")
    settings = make_settings(root / "data", corpus_dir=corpus, auth_file=auth_file, port=free_port())
    assistant = Assistant.open(settings)
    served = serve(settings, assistant=assistant, block=False)
    yield served, settings, root
    served.close()


@pytest.mark.slow
def test_admin_uploads_a_routeboek_and_the_chat_answers_from_it(upload_app):
    served, settings, root = upload_app
    admin = client_for(served.url, ADMIN)
    assert {"/upload", "/remove", "/chat"} <= endpoints(admin)
    assert TEST_REGION not in admin.predict(api_name="/regions")

    pdf = make_pdf(root / "Verzuimprotocol Testregio.pdf", [PAGE_1, PAGE_2, PAGE_3])
    before_uploads = uploads_named(pdf.name)
    report, table, _, _, _, _ = upload(admin, pdf, region="testregio", organisation="Samenwerkingsverband Testregio")
    assert report.startswith("**1 toegevoegd; de index bevat "), report
    assert "- Verzuimprotocol Testregio.pdf: toegevoegd (" in report and CHANGED_NOTE in report
    assert "Traceback" not in report
    rows = {row[0]: row for row in table["data"]}
    assert table["headers"][:4] == ["Document", "Titel", "Regio", "Passages"]
    slug = "verzuimprotocol-testregio"
    assert rows[slug][2] == TEST_REGION and int(rows[slug][3]) >= 2
    assert rows[slug][4] == pdf.name and rows[slug][5] == "toegevoegd"
    assert rows["proef"][5] == "vast corpus"
    assert f"{slug}.md" in stored_documents(settings)
    assert uploads_named(pdf.name) == before_uploads  # the uploaded original is not kept

    # The region choices follow the documents: the API, and the dropdown of new pages.
    assert TEST_REGION in admin.predict(api_name="/regions")
    assert TEST_REGION in chat_region_choices(served.demo)

    # Any logged-in user (a new session) now gets answers quoted from the upload.
    staff = client_for(served.url, STAFF)
    text, sources = staff.predict(THRESHOLD_QUESTION, ALL_REGIONS, api_name="/chat")
    assert "23 uur" in text and "[1]" in text, text
    assert TEST_REGION in cited_regions(sources)
    assert "Verzuimprotocol Testregio" in sources and "p. 2" in sources
    text, sources = staff.predict(
        "Wanneer meldt de school verzuim bij de leerplichtambtenaar?", TEST_REGION, api_name="/chat"
    )
    assert cited_regions(sources) == {TEST_REGION}, text

    # The same file again changes nothing.
    report, *_ = upload(admin, pdf, region=TEST_REGION, organisation="Samenwerkingsverband Testregio")
    assert report.startswith("**1 ongewijzigd"), report
    assert CHANGED_NOTE not in report


@pytest.mark.slow
def test_non_admin_is_refused_and_nothing_is_written(upload_app):
    served, settings, root = upload_app
    staff = client_for(served.url, STAFF)
    md = root / "Stiekem protocol.md"
    md.write_text("# Stiekem\n\nIn Testregio meldt de school verzuim na 99 uur.\n", encoding="utf-8")
    before = stored_documents(settings)
    before_uploads = uploads_named(md.name)

    report, *rest = upload(staff, md)
    assert report == UPLOAD_NOT_ALLOWED
    assert "stiekem-protocol.md" not in stored_documents(settings)
    assert stored_documents(settings) == before
    assert uploads_named(md.name) == before_uploads  # not kept in Gradio's folder either
    assert staff.predict("proef", api_name="/remove")[0] == UPLOAD_NOT_ALLOWED
    text, _ = staff.predict("Na hoeveel uur meldt de school verzuim in Testregio?", ALL_REGIONS, api_name="/chat")
    assert "99 uur" not in text


@pytest.mark.slow
def test_upload_problems_are_dutch_and_change_nothing(upload_app):
    served, settings, root = upload_app
    admin = client_for(served.url, ADMIN)
    before = stored_documents(settings)
    broken = root / "kapot.pdf"
    broken.write_bytes(random.Random(3).randbytes(4000))
    scan = make_scanned_pdf(root / "scan.pdf")

    report, *_ = upload(admin, broken, scan)
    assert report.startswith("**2 mislukt"), report
    assert "- kapot.pdf: " in report and "- scan.pdf: " in report and "tekstlaag" in report
    assert "Traceback" not in report and "Error" not in report

    assert upload(admin, scan, region="  ")[0] == UPLOAD_NO_REGION
    report, *_ = upload(admin, scan, region="Regio <script>")
    assert report.startswith("**Niet toegevoegd:** ongeldige regio"), report
    assert stored_documents(settings) == before


@pytest.mark.slow
def test_admin_removes_an_added_document_and_its_region(upload_app):
    served, settings, root = upload_app
    admin = client_for(served.url, ADMIN)
    md = root / "Korte notitie Proefregio.md"
    md.write_text("# Korte notitie\n\n## Brugplaats\n\nIn Proefregio duurt een brugplaats hooguit 9 weken.\n",
                  encoding="utf-8")
    report, table, *_ = upload(admin, md, region="Proefregio", title="Korte notitie")
    assert "toegevoegd" in report, report
    assert "Proefregio" in admin.predict(api_name="/regions")
    assert "korte-notitie-proefregio" in {row[0] for row in table["data"]}

    assert admin.predict("proef", api_name="/remove")[0].startswith("**1 mislukt")  # corpus stays
    report, table, *_ = admin.predict("korte-notitie-proefregio", api_name="/remove")
    assert report.startswith("**1 verwijderd"), report
    assert "korte-notitie-proefregio" not in {row[0] for row in table["data"]}
    assert "Proefregio" not in admin.predict(api_name="/regions")
    assert "Proefregio" not in chat_region_choices(served.demo)
    assert not (settings.documents_dir / "korte-notitie-proefregio.md").exists()


# -- who sees the tab (real browser) ------------------------------------------------------------


def upload_in_the_browser(page, expect, folder: Path) -> None:
    """As an admin: add a file with a new region, find the region in the chat, remove the file."""
    md = folder / "Browserprotocol.md"
    md.write_text("# Browserprotocol\n\n## Melden\n\nIn Browserregio meldt de school verzuim na 17 uur.\n",
                  encoding="utf-8")
    page.locator("#upload-bestanden input[type=file]").set_input_files(str(md))
    # Gradio's file list shows the name and the extension in separate elements
    # (text content "Browserprotocol .md" or "Browserprotocol.md" depending on layout).
    expect(page.locator("#upload-bestanden")).to_contain_text(re.compile(r"Browserprotocol\s*\.md"), timeout=30_000)
    region = page.locator("#upload-regio input")
    region.fill("Browserregio")
    region.press("Enter")
    page.locator("#upload-knop").click()
    report = page.locator("#upload-verslag")
    expect(report).to_contain_text("1 toegevoegd", timeout=180_000)
    expect(report).to_contain_text("Browserprotocol.md: toegevoegd")
    expect(page.locator("#documenten-lijst")).to_contain_text("Browserregio")

    # The chat's region choice offers the new region right away.
    page.get_by_role("tab", name="Vragen").click()
    page.locator("#regio input").click()
    expect(page.get_by_role("option", name="Browserregio")).to_be_visible(timeout=15_000)
    page.keyboard.press("Escape")

    page.get_by_role("tab", name=TAB_DOCUMENTS).click()
    page.locator("#verwijder-keuze input").click()
    page.get_by_role("option", name=re.compile("Browserregio")).click()
    page.locator("#verwijder-knop").click()
    expect(report).to_contain_text("1 verwijderd", timeout=180_000)
    expect(page.locator("#documenten-lijst")).not_to_contain_text("Browserregio")

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("user, sees_tab", [(ADMIN, True), (STAFF, False)])
def test_only_admins_see_the_documents_tab(upload_app, user, sees_tab, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_browser import CHROMIUM_ARGS

    served, _, _ = upload_app
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        with sync_api.sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, locale="nl-NL"
            )
            try:
                page = context.new_page()
                page.goto(served.url)
                # Gradio's login form: a text box, a password box, a primary button.
                page.locator("input[data-testid=textbox]").first.fill(user[0], timeout=30_000)
                page.locator("input[type=password]").first.fill(user[1])
                page.locator("button.primary").first.click()  # "Login" (translated in nl-NL)
                expect = sync_api.expect
                expect(page.get_by_role("tab", name="Vragen")).to_be_visible(timeout=30_000)
                expect(page.locator("#regio")).to_be_visible()
                documents_tab = page.get_by_role("tab", name=TAB_DOCUMENTS)
                if sees_tab:
                    expect(documents_tab).to_be_visible(timeout=15_000)
                    documents_tab.click()
                    expect(page.get_by_text("Documenten toevoegen")).to_be_visible()
                    expect(page.locator("#documenten-lijst")).to_contain_text("vast corpus", timeout=15_000)
                    upload_in_the_browser(page, expect, tmp_path)
                else:
                    page.wait_for_timeout(2_000)  # the page load event has run by now
                    expect(documents_tab).to_have_count(0)
                    expect(page.get_by_text("Documenten toevoegen")).not_to_be_visible()
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
