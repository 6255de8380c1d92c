"""Ingest: bring your own routeboek (PDF, DOCX, HTML, Markdown, text) into the index.

    assistant ingest PATH... --region R [--title T] [--organisation O] [--sector PO]
    assistant remove SOURCE...
    assistant list

Every file is converted first (`assistant.convert`); only when that worked is it
written as `<documents_dir>/<slug>.md` (YAML front matter + Markdown), where
`load_documents` finds it, and only then is the index brought up to date through
the same `RouteIndex.ensure` that `Assistant.open` uses. So a file that cannot be
read is reported and skipped, and never touches the index. Re-ingesting a file
whose converted text and metadata are unchanged writes nothing ("unchanged"); a
changed file replaces its document (same slug), and the index update replaces that
document's chunks.

A running app that called `ingest_paths` (the admin upload tab) must afterwards
reopen its assistant with `Assistant.open(settings)`: the open `Assistant` holds
its BM25 index and sentence cache in memory. The embedded Chroma store is not
meant for two processes writing at once: ingest from the CLI while the chat is
stopped, or use a Chroma server (docs/chroma-server.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import yaml

from assistant.config import REGIONS, Settings, order_regions, region_name_problem
from assistant.convert import SUPPORTED_SUFFIXES, ConversionError, Converted, convert_file

DEFAULT_ORGANISATION = "onbekend"
DEFAULT_SECTORS = ["PO", "VO"]
REGION_REQUIRED = (
    "region is required: pass --region or put `region:` in the front matter",
    "de regio ontbreekt: kies een regio (of zet `region:` in de front matter)",
)

Status = str  # "added" | "updated" | "unchanged" | "failed" | "removed"


class IngestError(Exception):
    """Ingesting cannot start at all (not one file): `english` and `dutch` say why."""

    def __init__(self, english: str, dutch: str):
        self.english, self.dutch = english, dutch
        super().__init__(english)


@dataclass
class IngestItem:
    """What happened to one input file (or, for `remove`, one named document)."""

    path: str  # the file as given (or the name given to `remove`)
    status: Status
    english: str
    dutch: str
    slug: str | None = None
    region: str | None = None
    pages: int | None = None
    chunks: int | None = None  # chunks in the index after the update

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class IngestReport:
    """The outcome of one `ingest_paths` or `remove_documents` call."""

    items: list[IngestItem] = field(default_factory=list)
    index_updated: bool = False
    index_error: str | None = None
    total_chunks: int | None = None

    def _with(self, status: Status) -> list[IngestItem]:
        return [i for i in self.items if i.status == status]

    @property
    def added(self) -> list[IngestItem]:
        return self._with("added")

    @property
    def updated(self) -> list[IngestItem]:
        return self._with("updated")

    @property
    def unchanged(self) -> list[IngestItem]:
        return self._with("unchanged")

    @property
    def failed(self) -> list[IngestItem]:
        return self._with("failed")

    @property
    def removed(self) -> list[IngestItem]:
        return self._with("removed")

    @property
    def ok(self) -> bool:
        return not self.failed and self.index_error is None

    def summary(self) -> str:
        """One English line: counts per status."""
        counts = Counter(i.status for i in self.items)
        parts = [f"{counts[s]} {s}" for s in ("added", "updated", "unchanged", "removed", "failed") if counts[s]]
        line = ", ".join(parts) or "nothing to do"
        if self.total_chunks is not None:
            line += f"; the index holds {self.total_chunks} chunks"
        if self.index_error:
            line += f"; index update failed: {self.index_error}"
        return line

    def summary_nl(self) -> str:
        """The same in Dutch, for the chat's upload tab."""
        words = {"added": "toegevoegd", "updated": "bijgewerkt", "unchanged": "ongewijzigd",
                 "removed": "verwijderd", "failed": "mislukt"}
        counts = Counter(i.status for i in self.items)
        parts = [f"{counts[s]} {words[s]}" for s in words if counts[s]]
        line = ", ".join(parts) or "niets te doen"
        if self.total_chunks is not None:
            line += f"; de index bevat {self.total_chunks} passages"
        if self.index_error:
            line += "; het bijwerken van de index is mislukt"
        return line

    def to_json(self) -> dict:
        return {
            "items": [i.to_json() for i in self.items],
            "index_updated": self.index_updated,
            "index_error": self.index_error,
            "total_chunks": self.total_chunks,
        }


@dataclass
class DocumentInfo:
    """One document the assistant answers from, for `assistant list`."""

    slug: str
    title: str
    region: str
    source: str  # the original file name (front matter `source`)
    ingested: bool  # False: part of the corpus (not removable with `assistant remove`)
    chunks: int | None  # None: not in the index (yet)
    path: Path


# -- names and metadata -----------------------------------------------------------------

def slugify(name: str) -> str:
    """A file-system and id-safe name: `Verzuim­protocol Testregio (2024).pdf` -> `verzuimprotocol-testregio-2024`."""
    stem = Path(name).stem if Path(name).suffix.lower() in SUPPORTED_SUFFIXES else name
    text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].strip("-")
    if not slug:
        slug = "document"
    return slug + "-document" if slug == "readme" else slug


def known_regions(settings: Settings) -> list[str]:
    """The built-in regions plus those of the documents already stored."""
    return order_regions({*REGIONS, *(d.region for d in _documents(settings) if d.region != "?")})


def check_region(region: str, settings: Settings) -> str:
    """The region as it will be stored: a known region in its own spelling, or a new name.

    New regions are allowed for ingested documents (e.g. "Testregio"); the name
    must be a plain, short name.
    """
    value = " ".join(str(region).split())
    for known in known_regions(settings):
        if value.lower() == known.lower():
            return known
    problem = region_name_problem(value)
    if problem:
        raise ValueError(problem)
    if value.islower() and value[0].isalpha():
        value = value[0].upper() + value[1:]  # "testregio" -> "Testregio"
    return value


def parse_sectors(values: Iterable[str] | str | None) -> list[str] | None:
    """`["PO", "vo"]`, `"PO,VO"` or `"PO + VO"` -> `["PO", "VO"]`; None when not given."""
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        for part in re.split(r"[,+/ ]+", str(value)):
            if part.strip() and part.strip().upper() not in out:
                out.append(part.strip().upper())
    return out or None


def front_matter(
    converted: Converted,
    settings: Settings,
    region: str | None,
    title: str | None,
    organisation: str | None,
    sector: list[str] | None,
) -> dict:
    """The front matter of an ingested document: flags win over what the file says."""
    meta = converted.metadata
    chosen_region = region or meta.get("region")
    if not chosen_region:
        raise ValueError(REGION_REQUIRED[0])
    sectors = sector or parse_sectors(meta.get("sector")) or list(DEFAULT_SECTORS)
    out: dict = {
        "title": title or converted.title,
        "organisation": organisation or str(meta.get("organisation") or DEFAULT_ORGANISATION),
        "region": check_region(chosen_region, settings),
        "sector": sectors,
        "source": converted.source,
        "format": converted.kind,
        "sha256": converted.sha256,
    }
    if meta.get("year"):
        out["year"] = meta["year"]
    if meta.get("url"):
        out["url"] = str(meta["url"])
    if meta.get("language"):
        out["language"] = str(meta["language"])
    if converted.pages:
        out["pages"] = list(converted.pages)
    return out


def render(meta: dict, body: str) -> str:
    """The Markdown file: front matter, then the body (unchanged, so page offsets hold)."""
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, default_flow_style=None, width=10_000)
    return f"---\n{head}---\n\n{body}"


def read_front_matter(path: Path) -> dict:
    from assistant.load import split_front_matter

    try:
        meta, _ = split_front_matter(path.read_text(encoding="utf-8"))
        return meta
    except Exception:  # unreadable files are reported by load_documents
        return {}


# -- files -------------------------------------------------------------------------------

def expand_paths(paths: Sequence[Path | str]) -> tuple[list[Path], list[IngestItem]]:
    """Files to ingest (folders searched recursively) and items for paths that cannot be used."""
    files: list[Path] = []
    problems: list[IngestItem] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                rel = child.relative_to(path)
                if any(part.startswith((".", "~$")) for part in rel.parts):
                    continue  # hidden files, editor lock files
                files.append(child)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(_failed(str(raw), "does not exist", "bestaat niet"))
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return unique, problems


def _failed(path: str, english: str, dutch: str, slug: str | None = None) -> IngestItem:
    name = Path(path).name
    english = english if english.startswith(name + ":") else f"{name}: {english}"
    dutch = dutch if dutch.startswith(name + ":") else f"{name}: {dutch}"
    return IngestItem(path=path, status="failed", english=english, dutch=dutch, slug=slug)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class _Planned:
    item: IngestItem
    target: Path
    text: str
    previous: str | None  # the file's text before (None: new file)


# -- the operations -------------------------------------------------------------------

def ingest_paths(
    paths: Sequence[Path | str],
    settings: Settings,
    region: str | None = None,
    title: str | None = None,
    organisation: str | None = None,
    sector: Iterable[str] | str | None = None,
    progress: Callable[[str], None] | None = None,
    show_progress: bool = False,
    update_index: bool = True,
    assistant=None,
) -> IngestReport:
    """Convert `paths` (files or folders), store them as documents and update the index.

    `region`, `title`, `organisation` and `sector` override what the files say
    (a Markdown file's front matter); a region is required, from either. Files
    that cannot be used are reported in the report as `failed` and change
    nothing. `progress` gets English status lines; `show_progress` shows tqdm
    bars (files, then chunks while embedding). With `update_index=False` the
    documents are only written (the next `Assistant.open` indexes them).
    `assistant`: an open `Assistant` whose model and index are reused for the
    update instead of loading the model again (the chat's upload tab).

    After this returns, a running app must reopen its assistant
    (`Assistant.open(settings)`) to answer from the new index.
    """
    say = progress or (lambda _msg: None)
    report = IngestReport()
    sectors = parse_sectors(sector)
    if region is not None:
        try:
            region = check_region(region, settings)
        except ValueError as exc:
            raise IngestError(str(exc), f"ongeldige regio: {region}") from exc
    files, problems = expand_paths(paths)
    report.items.extend(problems)
    corpus_names = {p.stem for p in settings.corpus_dir.glob("*.md")} if settings.corpus_dir.is_dir() else set()
    documents_dir = settings.documents_dir
    planned: list[_Planned] = []
    slugs_in_batch: dict[str, str] = {}

    # 1. Convert everything; nothing is written yet.
    bar = _bar(files, show_progress, "converting", "file")
    for path in bar:
        if hasattr(bar, "set_postfix_str"):
            bar.set_postfix_str(path.name[:40])
        plan = _plan_one(path, settings, region, title, organisation, sectors, corpus_names, slugs_in_batch)
        if isinstance(plan, _Planned):
            report.items.append(plan.item)
            if plan.item.status != "unchanged":
                planned.append(plan)
        else:
            report.items.append(plan)
    if not planned:
        if update_index and _missing_from_index(report.unchanged, settings):
            # Written before without an index update (`--no-index`): index them now.
            try:
                _update_index(settings, progress=say, show_progress=show_progress, assistant=assistant)
                report.index_updated = True
            except Exception as exc:
                report.index_error = f"{type(exc).__name__}: {exc}"
        return _with_counts(report, settings)

    # 2. Write the documents, then check that the loader accepts each of them.
    documents_dir.mkdir(parents=True, exist_ok=True)
    for plan in planned:
        _write_atomic(plan.target, plan.text)
    rejected = _loader_rejections(settings, {p.item.slug for p in planned})
    for plan in planned:
        reason = rejected.get(plan.item.slug)
        if reason:
            _restore(plan)
            _fail(plan.item, f"rejected by the document loader ({reason})", f"kan niet worden geladen ({reason})")
    written = [p for p in planned if p.item.status != "failed"]
    say(f"wrote {len(written)} document(s) to {documents_dir}")

    # 3. Bring the index in line with the documents.
    if written and update_index:
        try:
            _update_index(settings, progress=say, show_progress=show_progress, assistant=assistant)
            report.index_updated = True
        except Exception as exc:
            # Put the documents back as they were, so files and index stay consistent.
            for plan in written:
                _restore(plan)
                _fail(plan.item, "not ingested, the index update failed",
                      "niet toegevoegd, het bijwerken van de index is mislukt")
            report.index_error = f"{type(exc).__name__}: {exc}"
    return _with_counts(report, settings)


def _missing_from_index(items: list[IngestItem], settings: Settings) -> bool:
    if not items:
        return False
    counts = chunk_counts(settings)
    return counts is None or any(not counts.get(i.slug or "") for i in items)


def _fail(item: IngestItem, english: str, dutch: str) -> None:
    name = Path(item.path).name
    item.status, item.english, item.dutch = "failed", f"{name}: {english}", f"{name}: {dutch}"


def _plan_one(
    path: Path,
    settings: Settings,
    region: str | None,
    title: str | None,
    organisation: str | None,
    sectors: list[str] | None,
    corpus_names: set[str],
    slugs_in_batch: dict[str, str],
) -> _Planned | IngestItem:
    """Convert one file and decide what to do with it (nothing is written here)."""
    try:
        converted = convert_file(path, title=title)
    except ConversionError as exc:
        return _failed(str(path), exc.english, exc.dutch)
    slug = slugify(path.name)
    try:
        meta = front_matter(converted, settings, region, title, organisation, sectors)
    except ValueError as exc:
        dutch = REGION_REQUIRED[1] if str(exc) == REGION_REQUIRED[0] else f"ongeldige gegevens ({exc})"
        return _failed(str(path), str(exc), dutch, slug)
    if slug in corpus_names:
        return _failed(str(path), f"a corpus document is called {slug!r} too; rename the file",
                       f"een document in het corpus heet ook {slug!r}; geef het bestand een andere naam", slug)
    if slug in slugs_in_batch:
        other = slugs_in_batch[slug]
        return _failed(str(path), f"gives the same document name ({slug!r}) as {other}; rename one of them",
                       f"krijgt dezelfde documentnaam ({slug!r}) als {other}; geef een van beide een andere naam", slug)
    slugs_in_batch[slug] = path.name
    target = settings.documents_dir / f"{slug}.md"
    previous = target.read_text(encoding="utf-8") if target.is_file() else None
    if previous is not None:
        existing_source = str(read_front_matter(target).get("source") or "")
        if existing_source and existing_source != converted.source:
            return _failed(
                str(path),
                f"a document {slug!r} from {existing_source} exists; rename the file or remove that one first",
                f"er is al een document {slug!r} (uit {existing_source}); geef het bestand een andere naam "
                "of verwijder dat document eerst",
                slug,
            )
    text = render(meta, converted.body)
    pages = len(converted.pages) if converted.pages else None
    if previous == text:
        item = IngestItem(str(path), "unchanged", f"{path.name}: unchanged", f"{path.name}: ongewijzigd",
                          slug=slug, region=meta["region"], pages=pages)
    elif previous is None:
        item = IngestItem(str(path), "added", f"{path.name}: added as {slug}", f"{path.name}: toegevoegd",
                          slug=slug, region=meta["region"], pages=pages)
    else:
        item = IngestItem(str(path), "updated", f"{path.name}: updated ({slug})", f"{path.name}: bijgewerkt",
                          slug=slug, region=meta["region"], pages=pages)
    return _Planned(item, target, text, previous)


def _restore(plan: _Planned) -> None:
    if plan.previous is None:
        plan.target.unlink(missing_ok=True)
    else:
        _write_atomic(plan.target, plan.previous)


def _loader_rejections(settings: Settings, slugs: set[str | None]) -> dict[str, str]:
    """Reasons the document loader gives for not loading any of `slugs`."""
    from assistant.load import load_documents

    rejected: dict[str, str] = {}
    for failure in load_documents(settings).failures:
        message = str(failure)
        for slug in slugs:
            if slug and (message.startswith(f"{slug}.md:") or message.startswith(f"{slug}:")):
                rejected[slug] = message.split(":", 1)[1].strip()
    return rejected


def remove_documents(
    names: Sequence[str],
    settings: Settings,
    progress: Callable[[str], None] | None = None,
    show_progress: bool = False,
    update_index: bool = True,
    assistant=None,
) -> IngestReport:
    """Remove ingested documents, by slug or original file name, and update the index.

    Corpus documents cannot be removed this way (they live in the repository).
    """
    say = progress or (lambda _msg: None)
    report = IngestReport()
    removed: list[tuple[Path, str]] = []
    documents = {d.slug: d for d in _documents(settings)}
    for name in names:
        matches = [d for d in documents.values() if name in (d.slug, d.source, f"{d.slug}.md")]
        if not matches and slugify(name) in documents:
            matches = [documents[slugify(name)]]
        ingested = [d for d in matches if d.ingested]
        if not ingested:
            if matches:
                report.items.append(_failed(name, "is part of the corpus; remove it from the corpus folder instead",
                                            "hoort bij het vaste corpus en kan hier niet worden verwijderd"))
            else:
                report.items.append(_failed(name, "no such document (see `assistant list`)",
                                            "dit document bestaat niet"))
            continue
        for doc in ingested:
            if any(p == doc.path for p, _ in removed):
                continue
            removed.append((doc.path, doc.path.read_text(encoding="utf-8")))
            doc.path.unlink()
            report.items.append(IngestItem(name, "removed", f"{doc.slug}: removed", f"{doc.slug}: verwijderd",
                                           slug=doc.slug, region=doc.region))
    if removed and update_index:
        try:
            _update_index(settings, progress=say, show_progress=show_progress, assistant=assistant,
                          remove=[path.stem for path, _ in removed])
            report.index_updated = True
        except Exception as exc:
            for path, text in removed:
                _write_atomic(path, text)
            for item in report.removed:
                item.status = "failed"
                item.english = f"{item.slug}: not removed, the index update failed"
                item.dutch = f"{item.slug}: niet verwijderd, het bijwerken van de index is mislukt"
            report.index_error = f"{type(exc).__name__}: {exc}"
    return _with_counts(report, settings)


def list_documents(settings: Settings) -> list[DocumentInfo]:
    """Every document file the assistant reads, with its chunk count in the index."""
    docs = _documents(settings)
    counts = chunk_counts(settings)
    for doc in docs:
        doc.chunks = counts.get(doc.slug) if counts is not None else None
    return docs


def _documents(settings: Settings) -> list[DocumentInfo]:
    out: list[DocumentInfo] = []
    for folder, ingested in ((settings.corpus_dir, False), (settings.documents_dir, True)):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.md")):
            if path.name.lower() == "readme.md":
                continue
            meta = read_front_matter(path)
            out.append(DocumentInfo(
                slug=path.stem,
                title=str(meta.get("title") or ""),
                region=str(meta.get("region") or "?"),
                source=str(meta.get("source") or ""),
                ingested=ingested,
                chunks=None,
                path=path,
            ))
    return out


def chunk_counts(settings: Settings) -> dict[str, int] | None:
    """Chunks per document id in the Chroma store; None when there is no index."""
    try:
        from assistant.index import make_chroma_client

        if not settings.chroma_url and not settings.chroma_dir.exists():
            return None
        client = make_chroma_client(settings)
        collection = client.get_collection(settings.collection + "_chunks")
        counts: Counter[str] = Counter()
        # Paged: one get() of every record fails above ~32k records ("too many SQL variables").
        page, offset = 5000, 0
        while True:
            metas = collection.get(include=["metadatas"], limit=page, offset=offset)["metadatas"] or []
            counts.update(str(m.get("ref_doc_id") or m.get("document_id") or "") for m in metas)
            if len(metas) < page:
                break
            offset += page
    except Exception:  # no collection yet, or a server that is not running
        return None
    return dict(counts)


def _with_counts(report: IngestReport, settings: Settings) -> IngestReport:
    counts = chunk_counts(settings)
    if counts is not None:
        report.total_chunks = sum(counts.values())
        for item in report.items:
            if item.slug and item.status in ("added", "updated", "unchanged"):
                item.chunks = counts.get(item.slug, 0)
    return report


def _update_index(
    settings: Settings, progress: Callable[[str], None], show_progress: bool, assistant=None,
    remove: Sequence[str] = (),
) -> None:
    """The update `Assistant.open` would do: load the documents, `RouteIndex.ensure` them.

    `remove`: ids of removed documents (on a shared Chroma server, documents this data
    dir does not have are kept unless named here).
    """
    from assistant.load import load_documents

    if assistant is not None:
        assistant.index.ensure(load_documents(settings).documents, progress=progress, show_progress=show_progress,
                               remove=list(remove))
        return
    from assistant.ask import open_index

    _, index, loaded = open_index(settings, progress=progress)
    index.ensure(loaded.documents, progress=progress, show_progress=show_progress, remove=list(remove))


def _bar(items: list, show: bool, desc: str, unit: str):
    if not show or not items:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit=unit, file=sys.stderr)


# -- command line -------------------------------------------------------------------

def _progress(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


def _print_items(report: IngestReport) -> None:
    for item in report.items:
        stream = sys.stderr if item.status == "failed" else sys.stdout
        extra = f" [{item.chunks} chunks]" if item.chunks is not None and item.status != "unchanged" else ""
        label = "error" if item.status == "failed" else item.status
        print(f"{label}: {item.english}{extra}", file=stream)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    try:
        report = ingest_paths(
            args.paths, settings, region=args.region, title=args.title, organisation=args.organisation,
            sector=args.sector, progress=_progress, show_progress=not args.json,
            update_index=not args.no_index,
        )
    except IngestError as exc:
        print(f"error: {exc.english}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_items(report)
        print(report.summary())
    return 0 if report.ok else 1


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    report = remove_documents(args.names, settings, progress=_progress, show_progress=True)
    _print_items(report)
    print(report.summary())
    return 0 if report.ok else 1


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    docs = list_documents(settings)
    if args.json:
        rows = [{"name": d.slug, "title": d.title, "region": d.region, "chunks": d.chunks,
                 "source": d.source, "ingested": d.ingested} for d in docs]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not docs:
        print("no documents")
        return 0
    header = ("NAME", "REGION", "CHUNKS", "SOURCE", "KIND")
    rows = [(d.slug, d.region, "-" if d.chunks is None else str(d.chunks), d.source,
             "ingested" if d.ingested else "corpus") for d in docs]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    if any(d.chunks is None for d in docs):
        print("('-': not in the index yet; `assistant index` builds it)")
    return 0


def register_cli(subparsers) -> None:
    """Add the `ingest`, `remove` and `list` subcommands to the `assistant` parser."""
    ingest = subparsers.add_parser(
        "ingest", help="add or update documents (PDF, DOCX, HTML, Markdown, text; folders recursively)"
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument("--region", help="region the documents belong to (required unless in the front matter)")
    ingest.add_argument("--title", help="document title (default: from the file)")
    ingest.add_argument("--organisation", help=f"publishing organisation (default: {DEFAULT_ORGANISATION!r})")
    ingest.add_argument("--sector", action="append", metavar="PO|VO",
                        help="school sector; repeat or comma-separate (default: PO,VO)")
    ingest.add_argument("--no-index", action="store_true", help="only write the documents; index later")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ingest.set_defaults(func=cmd_ingest)

    remove = subparsers.add_parser("remove", help="remove ingested documents (by name or original file name)")
    remove.add_argument("names", nargs="+", metavar="SOURCE")
    remove.set_defaults(func=cmd_remove)

    listing = subparsers.add_parser("list", help="list the documents with region, chunk count and source")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=cmd_list)
