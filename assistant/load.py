"""Load: read the corpus Markdown files (YAML front matter + body) as llama-index Documents."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from llama_index.core import Document

from assistant.config import region_name_problem
from assistant.convert import parse_pages

REQUIRED_KEYS = ("title", "organisation", "region", "sector", "source")
# Metadata the embedding and BM25 see with the text: what a professional would search for.
EMBED_KEYS = ("title", "region", "section")


class DocumentLoadError(Exception):
    """A corpus file cannot be used; the message says which file and why."""


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    failures: list[DocumentLoadError] = field(default_factory=list)


def split_front_matter(text: str) -> tuple[dict, str]:
    """Return (metadata, body) of a Markdown text that starts with `---` front matter."""
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        raise ValueError("front matter is not closed with '---'")
    meta = yaml.safe_load(text[3:end]) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a mapping")
    body = text[end + 4 :].lstrip("\n")
    return meta, body


def validate_metadata(meta: dict, path: Path) -> dict:
    """Check the front matter and normalise it into flat, Chroma-safe metadata."""
    missing = [k for k in REQUIRED_KEYS if not meta.get(k)]
    if missing:
        raise DocumentLoadError(f"{path.name}: front matter misses {', '.join(missing)}")
    problem = region_name_problem(meta["region"])
    if problem:
        raise DocumentLoadError(f"{path.name}: {problem}")
    sector = meta["sector"]
    sectors = [sector] if isinstance(sector, str) else list(sector)
    clean = {
        "title": str(meta["title"]),
        "organisation": str(meta["organisation"]),
        "region": str(meta["region"]),
        "sector": " + ".join(str(s) for s in sectors),
        "source": path.stem,
        "origin": str(meta["source"]),
    }
    if meta.get("year"):
        clean["year"] = int(meta["year"])
    if meta.get("url"):
        clean["url"] = str(meta["url"])
    if meta.get("pages") is not None:
        # Page start offsets of a converted PDF (see assistant.convert.PageNumbers);
        # flat text because Chroma metadata holds no lists.
        pages = parse_pages(meta["pages"])
        if pages is None:
            raise DocumentLoadError(f"{path.name}: `pages` must be increasing character offsets")
        clean["pages"] = ",".join(map(str, pages))
    return clean


def load_document(path: Path) -> Document:
    """Read one Markdown file; raises DocumentLoadError with a clear reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentLoadError(f"{path.name}: cannot be read ({exc})") from exc
    try:
        meta, body = split_front_matter(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise DocumentLoadError(f"{path.name}: invalid front matter ({exc})") from exc
    if not body.strip():
        raise DocumentLoadError(f"{path.name}: has no text")
    metadata = validate_metadata(meta, path)
    heading = re.search(r"^# +(.+)$", body, re.MULTILINE)
    if heading:
        # The document's own level-1 heading; chunking leaves it out of section paths.
        metadata["heading"] = heading.group(1).strip()
    doc = Document(text=body, id_=path.stem, metadata=metadata)
    doc.excluded_embed_metadata_keys = [k for k in metadata if k not in EMBED_KEYS]
    doc.excluded_llm_metadata_keys = list(doc.excluded_embed_metadata_keys)
    return doc


def load_documents(settings) -> LoadResult:
    """All documents the assistant answers from: the corpus plus ingested documents."""
    result = LoadResult()
    for folder in settings.document_dirs():
        part = load_corpus(folder)
        result.documents.extend(part.documents)
        result.failures.extend(part.failures)
    unique: dict[str, Document] = {}
    for doc in result.documents:
        if doc.id_ in unique:  # the corpus wins over an ingested file of the same name
            result.failures.append(DocumentLoadError(f"{doc.id_}: a document with this name exists twice"))
        else:
            unique[doc.id_] = doc
    result.documents = list(unique.values())
    return result


def load_corpus(corpus_dir: Path) -> LoadResult:
    """Load every `*.md` in corpus_dir (README.md excluded), keeping going past bad files."""
    result = LoadResult()
    if not corpus_dir.is_dir():
        return result
    for path in sorted(corpus_dir.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            result.documents.append(load_document(path))
        except DocumentLoadError as exc:
            result.failures.append(exc)
    return result


def corpus_fingerprint(documents: list[Document]) -> str:
    """Content hash over all documents (text and metadata), order-independent."""
    h = hashlib.sha256()
    for doc in sorted(documents, key=lambda d: d.id_):
        h.update(doc.id_.encode())
        h.update(doc.hash.encode())
    return h.hexdigest()
