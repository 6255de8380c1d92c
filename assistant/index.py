"""Index: chunks in Chroma (dense), a BM25 index beside it, and sentence vectors for quoting.

`RouteIndex.ensure()` is the one entry point: it checks the stored index
against the corpus and the model (content hashes in a manifest) and builds,
updates or repairs it. Documents go through a llama-index `IngestionPipeline`
whose docstore remembers document hashes, so unchanged documents are never
re-embedded and changed ones replace their old chunks (never duplicated).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import bm25s
import Stemmer
from llama_index.core import Document
from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
from llama_index.core.schema import BaseNode
from llama_index.core.storage.docstore import SimpleDocumentStore
from llama_index.retrievers.bm25 import BM25Retriever
from llama_index.vector_stores.chroma import ChromaVectorStore

from assistant.chunk import chunking_transformations, sentence_spans
from assistant.config import Settings
from assistant.embedding import SentenceTransformerEmbedding
from assistant.load import corpus_fingerprint

FORMAT_VERSION = 2  # 2: DutchStemmer folds -ing nominalisations
# Keep digits and one-letter tokens: "4 weken" must keep its "4".
BM25_TOKEN_PATTERN = r"(?u)\b\w+\b"
BM25_LANGUAGE = "nl"


class IndexError_(Exception):
    """The index cannot be built or read; the message says why (English)."""


@dataclass
class Manifest:
    """What the stored index was built from; any difference means rebuild or update."""

    format: int
    corpus: str
    model: str
    chunk_size: int
    chunk_overlap: int
    chunks: int
    sentences: int
    documents: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> "Manifest | None":
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    @staticmethod
    def remove(path: Path) -> None:
        path.unlink(missing_ok=True)

    def write(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(path)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class DutchStemmer:
    """Snowball Dutch, plus one step it lacks: nominalisations in -ing share the verb's
    stem ("melding" -> "meld" like "melden"; "plaatsing" -> "plaats"), which policy
    texts use constantly where people ask with the verb ("wanneer meld ik ...").
    Has PyStemmer's `stemWord`/`stemWords`, so bm25s and BM25Retriever accept it."""

    def __init__(self) -> None:
        self._snowball = Stemmer.Stemmer("dutch")

    @staticmethod
    def _fold(stem: str) -> str:
        if stem.endswith("ing") and len(stem) >= 7 and not stem.endswith("ling"):
            return stem[:-3]
        if stem.endswith("dt") and len(stem) >= 4:  # "meldt" -> "meld", "vindt" -> "vind"
            return stem[:-1]
        return stem

    def stemWord(self, word: str) -> str:  # noqa: N802 (PyStemmer's API)
        return self._fold(self._snowball.stemWord(word))

    def stemWords(self, words: list[str]) -> list[str]:  # noqa: N802
        return [self._fold(s) for s in self._snowball.stemWords(words)]


def dutch_stemmer() -> DutchStemmer:
    return DutchStemmer()


def make_chroma_client(settings: Settings):
    """Embedded PersistentClient in the data dir, or an HttpClient for a Chroma server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


class RouteIndex:
    """The stored index of one data directory: chunk and sentence collections plus BM25."""

    def __init__(self, settings: Settings, embed_model: SentenceTransformerEmbedding, model_id: str):
        self.settings = settings
        self.embed_model = embed_model
        self.model_id = model_id
        self.dir = settings.index_dir
        self.damage: str | None = None
        try:
            self._connect()
        except Exception as exc:  # a damaged store raises many kinds of errors
            if settings.chroma_url:
                raise IndexError_(f"cannot use the Chroma server at {settings.chroma_url}: {exc}") from exc
            # The embedded store holds only derived data: drop it and rebuild from the documents.
            self.damage = f"the Chroma store in {settings.chroma_dir} is unreadable ({type(exc).__name__})"
            from chromadb.api.client import SharedSystemClient

            # Chroma keeps one system per path in a process; drop the broken one.
            SharedSystemClient.clear_system_cache()
            shutil.rmtree(settings.chroma_dir, ignore_errors=True)
            Manifest.remove(self.manifest_path)
            self._connect()

    def _connect(self) -> None:
        self.client = make_chroma_client(self.settings)
        self.chunks = self._collection(self.settings.collection + "_chunks")
        self.sentences = self._collection(self.settings.collection + "_sentences")
        self.chunks.count()  # touch the store so damage shows here, not mid-question
        self.vector_store = ChromaVectorStore(chroma_collection=self.chunks)

    # -- paths -------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.dir / "manifest.json"

    @property
    def bm25_dir(self) -> Path:
        return self.dir / "bm25"

    @property
    def docstore_path(self) -> Path:
        return self.dir / "docstore.json"

    def _collection(self, name: str):
        # Cosine space; we always query with our own embeddings, never query_texts
        # (Chroma's default embedding function would download a model).
        return self.client.get_or_create_collection(
            name=name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )

    # -- state -------------------------------------------------------------
    def problem(self, documents: list[Document]) -> str | None:
        """Why the stored index cannot be used as it is, or None when it can."""
        if self.damage:
            return self.damage
        manifest = Manifest.read(self.manifest_path)
        if manifest is None:
            return "no index yet" if not self.manifest_path.exists() else "index manifest is unreadable"
        if manifest.format != FORMAT_VERSION:
            return "index format changed"
        if manifest.model != self.model_id:
            return "embedding model changed"
        if (manifest.chunk_size, manifest.chunk_overlap) != (
            self.settings.chunk_size,
            self.settings.chunk_overlap,
        ):
            return "chunking settings changed"
        if manifest.corpus != corpus_fingerprint(documents):
            return "documents changed"
        try:
            chunks, sentences = self.chunks.count(), self.sentences.count()
        except Exception as exc:  # a damaged store raises many kinds of errors
            return f"Chroma store is unreadable ({type(exc).__name__})"
        if chunks != manifest.chunks or chunks == 0:
            return f"Chroma holds {chunks} chunks, the manifest says {manifest.chunks}"
        if sentences != manifest.sentences:
            return f"Chroma holds {sentences} sentences, the manifest says {manifest.sentences}"
        try:
            bm25 = self.load_bm25()
        except Exception as exc:
            return f"BM25 index is unreadable ({type(exc).__name__})"
        if int(bm25.scores.get("num_docs", 0)) != chunks:
            return "BM25 index does not match the Chroma store"
        return None

    # -- build -------------------------------------------------------------
    def _pipeline(self, fresh: bool) -> IngestionPipeline:
        docstore = SimpleDocumentStore()
        if not fresh and self.docstore_path.exists():
            try:
                docstore = SimpleDocumentStore.from_persist_path(str(self.docstore_path))
            except (OSError, ValueError):
                docstore = SimpleDocumentStore()
        tokenizer = self.embed_model._model.tokenizer.tokenize
        return IngestionPipeline(
            transformations=[
                *chunking_transformations(
                    tokenizer, self.settings.chunk_size, self.settings.chunk_overlap
                ),
                self.embed_model,
            ],
            vector_store=self.vector_store,
            docstore=docstore,
            docstore_strategy=DocstoreStrategy.UPSERTS_AND_DELETE,
            disable_cache=True,
        )

    def clear(self) -> None:
        """Drop every stored part of this index (collections, BM25, docstore, manifest)."""
        for collection in (self.chunks, self.sentences):
            self.client.delete_collection(collection.name)
        self.chunks = self._collection(self.settings.collection + "_chunks")
        self.sentences = self._collection(self.settings.collection + "_sentences")
        self.vector_store = ChromaVectorStore(chroma_collection=self.chunks)
        shutil.rmtree(self.dir, ignore_errors=True)

    def build(
        self,
        documents: list[Document],
        rebuild: bool = False,
        progress: Callable[[str], None] | None = None,
        show_progress: bool = False,
    ) -> Manifest:
        """Bring the stored index in line with `documents`; `rebuild` starts from scratch."""
        say = progress or (lambda _msg: None)
        if not documents:
            raise IndexError_("there are no documents to index")
        manifest = Manifest.read(self.manifest_path)
        if manifest is None or manifest.model != self.model_id or manifest.format != FORMAT_VERSION or (
            manifest.chunk_size,
            manifest.chunk_overlap,
        ) != (self.settings.chunk_size, self.settings.chunk_overlap):
            rebuild = True
        if rebuild:
            say("clearing the old index")
            self.clear()
        self.dir.mkdir(parents=True, exist_ok=True)
        say(f"chunking and embedding {len(documents)} documents")
        pipeline = self._pipeline(fresh=rebuild)
        pipeline.run(documents=documents, show_progress=show_progress)
        pipeline.docstore.persist(str(self.docstore_path))
        nodes = self.all_chunks()
        if not nodes:
            raise IndexError_("indexing produced no chunks")
        say(f"embedding sentences of {len(nodes)} chunks")
        n_sentences = self._sync_sentences(nodes, show_progress=show_progress)
        say("building the BM25 index")
        self._write_bm25(nodes)
        manifest = Manifest(
            format=FORMAT_VERSION,
            corpus=corpus_fingerprint(documents),
            model=self.model_id,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
            chunks=len(nodes),
            sentences=n_sentences,
            documents=sorted(d.id_ for d in documents),
        )
        manifest.write(self.manifest_path)
        return manifest

    def all_chunks(self) -> list[BaseNode]:
        """Every chunk node stored in Chroma (the single source of truth)."""
        nodes = self.vector_store.get_nodes(None)
        return sorted(nodes, key=lambda n: n.node_id)

    def _sync_sentences(self, nodes: list[BaseNode], show_progress: bool = False) -> int:
        """Make the sentence collection hold exactly the sentences of `nodes`.

        Chunk ids are deterministic, so a changed chunk keeps its id: sentences
        are matched on (chunk id, text hash) and stale ones replaced.
        """
        stored = self.sentences.get(include=["metadatas"])
        stored_keys = {(m["chunk_id"], m.get("chunk_hash")) for m in stored["metadatas"] or []}
        wanted = {(n.node_id, text_hash(n.get_content())) for n in nodes}
        stale = sorted({chunk_id for chunk_id, h in stored_keys - wanted})
        if stale:
            self.sentences.delete(where={"chunk_id": {"$in": stale}})
        fresh_keys = stored_keys - {k for k in stored_keys if k[0] in set(stale)}
        todo = [n for n in nodes if (n.node_id, text_hash(n.get_content())) not in fresh_keys]
        ids, texts, metas = [], [], []
        for node in todo:
            text = node.get_content()
            for i, span in enumerate(sentence_spans(text)):
                ids.append(f"{node.node_id}/{i}")
                texts.append(text[span.start : span.end])
                metas.append(
                    {
                        "chunk_id": node.node_id,
                        "chunk_hash": text_hash(text),
                        "ref_doc_id": node.ref_doc_id or "",
                        "region": node.metadata.get("region", ""),
                        "start": span.start,
                        "end": span.end,
                    }
                )
        if texts:
            # One encode call: sentence-transformers sorts by length across the whole
            # list, so batches carry little padding.
            vectors = self.embed_model.encode_documents(texts, batch_size=32, show_progress=show_progress)
            batch = 1000
            for i in range(0, len(texts), batch):
                self.sentences.add(
                    ids=ids[i : i + batch],
                    documents=texts[i : i + batch],
                    metadatas=metas[i : i + batch],
                    embeddings=vectors[i : i + batch],
                )
        return self.sentences.count()

    def _write_bm25(self, nodes: list[BaseNode]) -> None:
        retriever = BM25Retriever(
            nodes=nodes,
            stemmer=dutch_stemmer(),
            language=BM25_LANGUAGE,
            token_pattern=BM25_TOKEN_PATTERN,
        )
        tmp = self.bm25_dir.with_name("bm25.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        retriever.persist(str(tmp))
        shutil.rmtree(self.bm25_dir, ignore_errors=True)
        tmp.rename(self.bm25_dir)

    def load_bm25(self) -> bm25s.BM25:
        return bm25s.BM25.load(str(self.bm25_dir), load_corpus=True)

    # -- entry point -------------------------------------------------------
    def ensure(
        self,
        documents: list[Document],
        progress: Callable[[str], None] | None = None,
        show_progress: bool = False,
    ) -> str | None:
        """Build, update or repair the index when needed; returns the reason it was (re)built."""
        reason = self.problem(documents)
        if reason is None:
            return None
        damaged = reason not in ("no index yet", "documents changed")
        if progress:
            progress(f"index: {reason}; {'rebuilding' if damaged else 'building'}")
        self.build(documents, rebuild=damaged, progress=progress, show_progress=show_progress)
        self.damage = None
        return reason


@dataclass
class SentenceRecord:
    """A quotable sentence of a chunk with its precomputed (normalised) embedding."""

    chunk_id: str
    start: int
    end: int
    text: str
    vector: "list[float] | object"


class SentenceStore:
    """Read side of the sentence collection, cached per chunk.

    Sentences are fetched from Chroma for the chunks a question retrieved and
    kept in memory, so a warm question costs no Chroma round trip here.
    """

    def __init__(self, collection):
        self._collection = collection
        self._cache: dict[str, list[SentenceRecord]] = {}

    def for_chunks(self, chunk_ids: list[str]) -> dict[str, list[SentenceRecord]]:
        missing = [c for c in dict.fromkeys(chunk_ids) if c not in self._cache]
        if missing:
            got = self._collection.get(
                where={"chunk_id": {"$in": missing}}, include=["embeddings", "documents", "metadatas"]
            )
            fresh: dict[str, list[SentenceRecord]] = {c: [] for c in missing}
            for text, meta, vector in zip(got["documents"], got["metadatas"], got["embeddings"]):
                fresh[meta["chunk_id"]].append(
                    SentenceRecord(meta["chunk_id"], int(meta["start"]), int(meta["end"]), text, vector)
                )
            for chunk_id, records in fresh.items():
                self._cache[chunk_id] = sorted(records, key=lambda r: r.start)
        return {c: self._cache[c] for c in chunk_ids}

    def preload(self) -> None:
        """Fill the cache with every sentence (small corpora: one read at start-up)."""
        got = self._collection.get(include=["metadatas"])
        self.for_chunks(sorted({m["chunk_id"] for m in got["metadatas"] or []}))
