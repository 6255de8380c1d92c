"""Bring your own routeboek: converting PDF/DOCX/HTML/Markdown, page numbers, ingest/remove/list.

The fast tests convert files made here (reportlab, python-docx) and check the text and
the page offsets; the slow ones ingest into a temporary data dir next to a tiny corpus
and ask the real model.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from conftest import make_settings

# The region of the made-up routeboek: not one of the built-in four.
TEST_REGION = "Testregio"

HEADER = "Verzuimprotocol Testregio - versie 2024"
FOOTER = "Samenwerkingsverband Testregio, Voorbeeldstraat 1"
THRESHOLD = "De school meldt verzuim na 23 uur binnen 3 weken bij de leerplichtambtenaar van Testregio."

PAGE_1 = [
    "1 Inleiding",
    "Dit protocol beschrijft hoe de scholen in Testregio omgaan met het verzuim van leer-",
    "lingen. De IB-",
    "er bespreekt het verzuim eerst met de ouders en daarna met de leerplicht-",
    "ambtenaar. Het onderwijs- en zorgaanbod wordt samen met de ouders bekeken. Deze alinea",
    "gaat over de samenwerking tussen school, ouders en jeugdhulp en loopt door tot op de",
]
PAGE_2 = [
    "volgende pagina, waar zij eindigt met een afspraak over het eerste gesprek.",
    "2 Melden van verzuim",
    THRESHOLD,
    "Bij twijfel overlegt de school eerst met de jeugdarts.",
]
PAGE_3 = [
    "3 Thuiszitters",
    "Een leerling die langer dan 4 weken niet naar school gaat, is in Testregio een thuiszitter.",
    "De regisseur thuiszitten van Testregio start dan binnen 5 werkdagen een overleg.",
]

# One tiny document per built-in region: retrieval fans out over the regions.
TINY_CORPUS = {
    "proef": ("Landelijk", "Een brugplaats duurt in Testdorp maximaal 11 weken."),
    "proef-utrecht": ("Utrecht", "Het buurtteam sluit binnen 10 dagen aan bij het overleg."),
    "proef-rotterdam": ("Rotterdam", "De schoolcontactpersoon belt de ouders binnen 2 dagen."),
    "proef-drechtsteden": ("Drechtsteden", "De regisseur houdt een logboek bij in het dossier."),
}
TINY_TEMPLATE = """---
title: "Proefprotocol {name}"
organisation: "Testverband"
region: {region}
sector: [PO]
source: "{name}.txt"
---
# Proefprotocol {name}

## 1 Afspraken

{body}
"""


def write_tiny_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (region, body) in TINY_CORPUS.items():
        (folder / f"{name}.md").write_text(TINY_TEMPLATE.format(name=name, region=region, body=body),
                                           encoding="utf-8")
    return folder


# -- files made for the tests -------------------------------------------------------

def make_pdf(path: Path, pages: list[list[str]], header: str | None = HEADER, footer: str | None = FOOTER,
             title: str = "Verzuimprotocol Testregio") -> Path:
    """A text PDF with a running header and footer and "Pagina N van M" on every page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle(title)
    width, height = A4
    for number, lines in enumerate(pages, 1):
        c.setFont("Helvetica", 9)
        if header:
            c.drawString(60, height - 40, header)
        if footer:
            c.drawString(60, 40, footer)
        c.drawString(width - 130, 40, f"Pagina {number} van {len(pages)}")
        c.setFont("Helvetica", 10)
        y = height - 90
        for line in lines:
            c.drawString(60, y, line)
            y -= 15
        c.showPage()
    c.save()
    return path


def make_scanned_pdf(path: Path) -> Path:
    """A PDF whose pages hold only drawings (like a scan without a text layer)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(2):
        for i in range(30):
            c.rect(60, 100 + i * 20, 400 - i * 7, 8, fill=1)
        c.showPage()
    c.save()
    return path


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Verzuimprotocol Docxdorp", 0)
    document.add_heading("Te laat komen", 1)
    document.add_paragraph(
        "Een leerling die 7 keer te laat komt, wordt in Docxdorp besproken met de intern begeleider."
    )
    document.add_paragraph("de ouders worden uitgenodigd", style="List Bullet")
    document.add_paragraph("de leerplichtambtenaar wordt ingelicht", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Termijn"
    table.cell(0, 1).text = "Actie"
    table.cell(1, 0).text = "Na 2 weken"
    table.cell(1, 1).text = "Gesprek met de ouders"
    document.save(str(path))
    return path


HTML_PAGE = """<!doctype html>
<html><head><title>Webprotocol Htmlstad | Gemeente</title>
<script>var tracking = "nooit tonen";</script><style>p { color: red }</style></head>
<body>
<nav><a href="/">Home</a> | <a href="/contact">Contact</a></nav>
<h1>Webprotocol Htmlstad</h1>
<h2>Thuiszitters</h2>
<p>In Htmlstad is een leerling een thuiszitter als hij langer dan 6 weken
   zonder geldige reden niet naar school gaat.</p>
<ul><li>De school belt de ouders.</li><li>De school meldt het &amp; overlegt.</li></ul>
<table><tr><th>Wie</th><th>Wat</th></tr><tr><td>School</td><td>Meldt binnen 2 dagen</td></tr></table>
<footer>&copy; 2024 Gemeente Htmlstad</footer>
</body></html>
"""


# -- conversion (fast) ---------------------------------------------------------------

def test_pdf_is_cleaned_like_the_corpus(tmp_path):
    from assistant.convert import convert_file

    pdf = make_pdf(tmp_path / "protocol.pdf", [PAGE_1, PAGE_2, PAGE_3])
    converted = convert_file(pdf)
    body = converted.body
    assert converted.kind == "pdf"
    assert body.startswith("# Verzuimprotocol Testregio\n")
    # Running header, footer and page numbers are gone.
    for furniture in (HEADER, FOOTER, "Pagina 1 van 3", "Pagina 2", "van 3"):
        assert furniture not in body
    # Typographic hyphens are undone, real ones kept.
    assert "verzuim van leerlingen." in body
    assert "De IB-er bespreekt" in body
    assert "met de leerplichtambtenaar." in body
    assert "Het onderwijs- en zorgaanbod" in body
    # A paragraph that runs over the page break is one paragraph.
    assert "loopt door tot op de volgende pagina, waar zij eindigt" in body
    # Numbered headings become Markdown headings.
    assert "\n## 2 Melden van verzuim\n" in body and "\n## 3 Thuiszitters\n" in body
    assert THRESHOLD in body
    # Page offsets: page 2 starts inside the running paragraph, page 3 at its heading.
    pages = converted.pages
    assert len(pages) == 3 and pages[0] == 0
    assert body[pages[1]:].startswith("volgende pagina, waar zij eindigt")
    assert body[pages[2]:].startswith("## 3 Thuiszitters")
    assert converted.page_at(body.index(THRESHOLD)) == 2
    assert converted.page_at(body.index("Dit protocol")) == 1


def test_a_page_without_text_gets_no_text(tmp_path):
    """A blank (or image-only) page between two text pages: page numbers stay right."""
    from assistant.convert import convert_file

    converted = convert_file(make_pdf(tmp_path / "blank.pdf", [PAGE_1, [], PAGE_2]))
    body = converted.body
    assert converted.page_at(body.index("Dit protocol")) == 1
    assert converted.page_at(body.index("volgende pagina, waar")) == 3
    assert converted.page_at(body.index(THRESHOLD)) == 3


def test_repeated_lines_inside_the_text_are_kept(tmp_path):
    """Only lines at the top/bottom of most pages are furniture, not recurring text lines."""
    from assistant.convert import convert_file

    pages = [["1 Doel", "Meld verzuim tijdig.", "Elke school heeft een verzuimcoordinator."],
             ["2 Rollen", "Meld verzuim tijdig.", "De ouders worden altijd eerst gebeld."]]
    body = convert_file(make_pdf(tmp_path / "r.pdf", pages, header=None, footer=None)).body
    assert body.count("Meld verzuim tijdig.") == 2
    assert "Pagina" not in body


def test_chunks_get_the_page_their_text_starts_on():
    """Through the real chunking steps, with small chunks and several sections.

    llama-index's own `start_char_idx` is section-relative (and None after the first
    section), so the page must come from `PageNumbers`.
    """
    from llama_index.core import Document

    from assistant.chunk import chunking_transformations
    from assistant.chunk import PageNumbers
    from assistant.convert import page_at

    sentences = [f"Zin {i} van de eerste paragraaf gaat over verzuim en melden." for i in range(30)]
    body = "# Titel\n\n## 1 Een\n\n" + " ".join(sentences) + "\n\n## 2 Twee\n\n" + " ".join(
        s.replace("eerste", "tweede") for s in sentences
    ) + "\n"
    starts = [0, body.index("Zin 12 van de eerste"), body.index("## 2 Twee"), body.index("Zin 20 van de tweede")]
    doc = Document(text=body, id_="doc", metadata={"title": "Titel", "pages": ",".join(map(str, starts))})
    doc.excluded_embed_metadata_keys = ["pages"]
    pages = PageNumbers()
    steps = [pages, *chunking_transformations(str.split, 64, 8), pages]
    nodes = [doc]
    for step in steps:
        nodes = step(nodes)
    assert len(nodes) > 6
    assert any(n.start_char_idx is None for n in nodes)  # why PageNumbers cannot use it
    seen = set()
    for node in nodes:
        text = node.get_content()
        expected = page_at(starts, body.index(text))
        assert node.metadata["page"] == expected, (text[:40], node.metadata)
        assert "pages" not in node.metadata
        assert "page" in node.excluded_embed_metadata_keys
        seen.add(expected)
    assert seen == {1, 2, 3, 4}


@pytest.mark.parametrize("name, content, reason", [
    ("kapot.pdf", None, "not a readable PDF"),
    ("leeg.pdf", b"", "is empty"),
    ("scan.pdf", "scan", "no text layer"),
    ("foto.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100, "unsupported file type .jpg"),
    ("leeg.md", "---\nregion: Utrecht\n---\n\n", "contains no text"),
])
def test_unusable_files_give_a_clear_reason(tmp_path, name, content, reason):
    from assistant.convert import ConversionError, convert_file

    path = tmp_path / name
    if content is None:
        path.write_bytes(random.Random(7).randbytes(4000))
    elif content == "scan":
        make_scanned_pdf(path)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    with pytest.raises(ConversionError) as error:
        convert_file(path)
    assert reason in error.value.english
    assert error.value.english.startswith(name + ":")
    assert error.value.dutch.startswith(name + ":")


def test_docx_and_html_become_markdown(tmp_path):
    from assistant.convert import convert_file

    docx_body = convert_file(make_docx(tmp_path / "docxdorp.docx")).body
    assert docx_body.startswith("# Verzuimprotocol Docxdorp\n")
    assert "## Te laat komen" in docx_body
    assert "- de ouders worden uitgenodigd\n- de leerplichtambtenaar wordt ingelicht" in docx_body
    assert "- Na 2 weken; Gesprek met de ouders" in docx_body

    html = tmp_path / "htmlstad.html"
    html.write_text(HTML_PAGE, encoding="utf-8")
    converted = convert_file(html)
    body = converted.body
    assert converted.title == "Webprotocol Htmlstad"
    assert body.startswith("# Webprotocol Htmlstad\n")
    assert "## Thuiszitters" in body
    assert ("In Htmlstad is een leerling een thuiszitter als hij langer dan 6 weken zonder geldige reden "
            "niet naar school gaat.") in body
    assert "- De school meldt het & overlegt." in body
    assert "- School; Meldt binnen 2 dagen" in body
    for hidden in ("tracking", "color: red", "Contact", "© 2024"):
        assert hidden not in body


def test_markdown_front_matter_and_flags(tmp_path):
    from assistant.ingest import ingest_paths
    from assistant.load import load_document

    md = tmp_path / "Eigen Protocol.md"
    md.write_text("---\ntitle: Eigen protocol\nregion: utrecht\nsector: VO\nyear: 2023\n---\n\n"
                  "## Melden\n\nDe school meldt verzuim na 12 uur.\n", encoding="utf-8")
    settings = make_settings(tmp_path / "data", corpus_dir=tmp_path / "no-corpus")
    report = ingest_paths([md], settings, organisation="Gemeente Utrecht", update_index=False)
    assert [i.status for i in report.items] == ["added"], report.to_json()
    stored = settings.documents_dir / "eigen-protocol.md"
    doc = load_document(stored)
    assert doc.metadata["region"] == "Utrecht"  # the known spelling
    assert doc.metadata["organisation"] == "Gemeente Utrecht"
    assert doc.metadata["sector"] == "VO" and doc.metadata["year"] == 2023
    assert doc.metadata["origin"] == "Eigen Protocol.md"
    assert doc.text.startswith("# Eigen protocol\n\n## Melden")


def test_ingest_without_index_is_idempotent_and_needs_a_region(tmp_path):
    from assistant.ingest import ingest_paths, list_documents, remove_documents

    (tmp_path / "in").mkdir()
    pdf = make_pdf(tmp_path / "in" / "Verzuimprotocol Testregio.pdf", [PAGE_1, PAGE_2])
    settings = make_settings(tmp_path / "data", corpus_dir=tmp_path / "no-corpus")

    missing = ingest_paths([pdf], settings, update_index=False)
    assert [i.status for i in missing.items] == ["failed"]
    assert "region is required: pass --region or put `region:` in the front matter" in missing.items[0].english
    assert not settings.documents_dir.exists() or not any(settings.documents_dir.iterdir())

    first = ingest_paths([tmp_path / "in"], settings, region="utrecht", update_index=False)
    assert [(i.status, i.slug, i.region, i.pages) for i in first.items] == [
        ("added", "verzuimprotocol-testregio", "Utrecht", 2)]
    stored = settings.documents_dir / "verzuimprotocol-testregio.md"
    text = stored.read_text(encoding="utf-8")
    assert "source: Verzuimprotocol Testregio.pdf" in text and "sha256: " in text and "pages: [0, " in text
    mtime = stored.stat().st_mtime_ns

    again = ingest_paths([pdf], settings, region="Utrecht", update_index=False)
    assert [i.status for i in again.items] == ["unchanged"]
    assert again.summary() == "1 unchanged" and again.summary_nl() == "1 ongewijzigd"
    assert stored.stat().st_mtime_ns == mtime

    other_region = ingest_paths([pdf], settings, region="Rotterdam", update_index=False)
    assert [i.status for i in other_region.items] == ["updated"]

    # The stored Markdown can be ingested elsewhere and keeps its page offsets.
    elsewhere = make_settings(tmp_path / "data2", corpus_dir=tmp_path / "no-corpus")
    copied = ingest_paths([stored], elsewhere, update_index=False)
    assert [(i.status, i.region, i.pages) for i in copied.items] == [("added", "Rotterdam", 2)]

    docs = list_documents(settings)
    assert [(d.slug, d.region, d.source, d.ingested, d.chunks) for d in docs] == [
        ("verzuimprotocol-testregio", "Rotterdam", "Verzuimprotocol Testregio.pdf", True, None)]
    gone = remove_documents(["Verzuimprotocol Testregio.pdf", "bestaat-niet"], settings, update_index=False)
    assert [i.status for i in gone.items] == ["removed", "failed"]
    assert not stored.exists()


# -- end to end with the model and the index (slow) -------------------------------------

@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """A tiny corpus plus the made-up routeboek PDF, ingested into a fresh data dir."""
    from assistant.ingest import ingest_paths

    root = tmp_path_factory.mktemp("ingest")
    corpus = write_tiny_corpus(root / "corpus")
    settings = make_settings(root / "data", corpus_dir=corpus)
    pdf = make_pdf(root / "Verzuimprotocol Testregio.pdf", [PAGE_1, PAGE_2, PAGE_3])
    report = ingest_paths([pdf], settings, region=TEST_REGION, organisation="Samenwerkingsverband Testregio",
                          sector="PO")
    return settings, pdf, report


def chunk_state(settings) -> tuple[list[str], list[str]]:
    from assistant.index import make_chroma_client

    client = make_chroma_client(settings)
    chunks = client.get_collection(settings.collection + "_chunks").get(include=[])["ids"]
    sentences = client.get_collection(settings.collection + "_sentences").get(include=[])["ids"]
    return sorted(chunks), sorted(sentences)


def open_assistant(settings):
    from assistant.ask import Assistant

    return Assistant.open(settings)


@pytest.mark.slow
def test_ingested_pdf_is_quoted_with_its_page(ingested):
    settings, _, report = ingested
    assert report.ok, report.to_json()
    assert [(i.status, i.slug) for i in report.items] == [("added", "verzuimprotocol-testregio")]
    assert report.items[0].chunks and report.items[0].chunks >= 2
    assistant = open_assistant(settings)
    answer = assistant.ask("Na hoeveel uur verzuim meldt de school dit bij de leerplichtambtenaar in Testregio?")
    assert not answer.refused, answer.answer
    assert "23 uur" in answer.answer and "[1]" in answer.answer
    cited = [c for c in answer.citations if "23 uur" in c.text]
    assert cited and cited[0].page == 2 and cited[0].region == TEST_REGION
    assert cited[0].title == "Verzuimprotocol Testregio"
    from assistant.cite import source_line

    assert ", p. 2 (" in source_line(cited[0])
    # The region filter works for the ingested document's region.
    only = assistant.ask("Wanneer meldt de school verzuim bij de leerplichtambtenaar?", region=TEST_REGION)
    assert {c.region for c in only.citations} == {TEST_REGION}, only.answer
    # No running header, footer or page number in any chunk.
    texts = assistant.index.chunks.get(include=["documents", "metadatas"])
    for text, meta in zip(texts["documents"], texts["metadatas"]):
        assert HEADER not in text and FOOTER not in text and "Pagina " not in text
        if meta["ref_doc_id"] == "verzuimprotocol-testregio":
            assert meta["page"] in (1, 2, 3) and "pages" not in meta
        else:
            assert "page" not in meta


@pytest.mark.slow
def test_reingest_is_a_no_op(ingested):
    from assistant.ingest import ingest_paths

    settings, pdf, _ = ingested
    before = chunk_state(settings)
    again = ingest_paths([pdf], settings, region=TEST_REGION, organisation="Samenwerkingsverband Testregio",
                         sector="PO")
    assert [i.status for i in again.items] == ["unchanged"]
    assert again.index_updated is False
    assert chunk_state(settings) == before


@pytest.mark.slow
def test_unreadable_files_change_nothing(ingested, tmp_path):
    from assistant.ingest import ingest_paths

    settings, _, _ = ingested
    before = chunk_state(settings)
    files_before = sorted(p.name for p in settings.documents_dir.iterdir())
    broken = tmp_path / "kapot.pdf"
    broken.write_bytes(random.Random(1).randbytes(5000))
    scanned = make_scanned_pdf(tmp_path / "scan.pdf")
    report = ingest_paths([broken, scanned], settings, region=TEST_REGION)
    assert [i.status for i in report.items] == ["failed", "failed"]
    assert "not a readable PDF" in report.items[0].english
    assert "no text layer" in report.items[1].english
    assert "geen tekstlaag" in report.items[1].dutch
    assert report.index_updated is False
    assert chunk_state(settings) == before
    assert sorted(p.name for p in settings.documents_dir.iterdir()) == files_before


@pytest.mark.slow
def test_docx_html_ingest_update_and_remove(ingested, tmp_path):
    from assistant.ingest import ingest_paths, list_documents, remove_documents

    settings, _, _ = ingested
    before = chunk_state(settings)
    folder = tmp_path / "upload"
    folder.mkdir()
    make_docx(folder / "docxdorp.docx")
    (folder / "htmlstad.html").write_text(HTML_PAGE, encoding="utf-8")
    (folder / "notities.xyz").write_text("niet te lezen", encoding="utf-8")
    report = ingest_paths([folder], settings, region=TEST_REGION)
    statuses = {Path(i.path).name: i.status for i in report.items}
    assert statuses == {"docxdorp.docx": "added", "htmlstad.html": "added", "notities.xyz": "failed"}
    assert report.index_updated

    assistant = open_assistant(settings)
    answer = assistant.ask("Hoe vaak te laat komen voordat de intern begeleider het bespreekt in Docxdorp?")
    assert "7 keer" in answer.answer, answer.answer
    answer = assistant.ask("Wanneer is een leerling in Htmlstad een thuiszitter?")
    assert "6 weken" in answer.answer, answer.answer
    assert all(c.page is None for c in answer.citations)

    # A changed file replaces its document's chunks.
    (folder / "htmlstad.html").write_text(HTML_PAGE.replace("6 weken", "8 weken"), encoding="utf-8")
    changed = ingest_paths([folder / "htmlstad.html"], settings, region=TEST_REGION)
    assert [i.status for i in changed.items] == ["updated"]
    stored = open_assistant(settings).index.chunks.get(include=["documents"])["documents"]
    assert any("8 weken" in t for t in stored) and not any("6 weken" in t for t in stored)

    listed = {d.slug: d for d in list_documents(settings)}
    assert listed["htmlstad"].chunks >= 1 and listed["htmlstad"].source == "htmlstad.html"
    assert listed["proef"].ingested is False

    gone = remove_documents(["docxdorp.docx", "htmlstad"], settings)
    assert [i.status for i in gone.items] == ["removed", "removed"]
    assert chunk_state(settings) == before
    refused = remove_documents(["proef"], settings, update_index=False)
    assert refused.items[0].status == "failed" and "corpus" in refused.items[0].english


@pytest.mark.slow
def test_cli_ingest_list_remove(ingested, tmp_path):
    """The subcommands through argparse, as `assistant` will run them."""
    import argparse

    from assistant.ingest import register_cli

    settings, _, _ = ingested
    parser = argparse.ArgumentParser(prog="assistant")
    register_cli(parser.add_subparsers(dest="command", required=True))
    md = tmp_path / "korte-notitie.md"
    md.write_text("# Korte notitie\n\nIn Testregio duurt een brugplaats hooguit 9 weken.\n", encoding="utf-8")

    args = parser.parse_args(["ingest", str(md)])
    assert args.func(args, settings) == 1  # no region anywhere
    args = parser.parse_args(["ingest", str(md), "--region", TEST_REGION, "--sector", "PO,VO"])
    assert args.func(args, settings) == 0
    args = parser.parse_args(["list"])
    assert args.func(args, settings) == 0
    args = parser.parse_args(["remove", "korte-notitie.md"])
    assert args.func(args, settings) == 0
    assert not (settings.documents_dir / "korte-notitie.md").exists()
