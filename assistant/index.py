"""Index: chunks in Chroma (dense), a BM25 index beside it, and sentence vectors for quoting.

`RouteIndex.ensure()` is the one entry point: it checks the stored index
against the documents and the model and builds, updates or repairs it.

The Chroma collections are the single source of truth, also when several
processes share one Chroma server: the build stamp (`Manifest`: model, chunking,
every document's content hash and region) lives in the chunk collection's own
metadata, and every chunk carries its document's hash (`doc_hash`). An update
deletes the chunks of changed documents and runs only those documents through
the llama-index `IngestionPipeline` (chunking + embedding into Chroma), so
unchanged documents are never re-embedded and chunks are never duplicated. (The
pipeline's own docstore dedup is not used: it lives in one process's files and
would not see what another process wrote to a shared server.) The BM25 index is
a per-data-dir cache rebuilt from the collection whenever its stamp differs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import bm25s
import numpy as np
import Stemmer
from llama_index.core import Document
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.schema import BaseNode
from llama_index.retrievers.bm25 import BM25Retriever
from llama_index.vector_stores.chroma import ChromaVectorStore

from assistant.chunk import chunking_transformations, sentence_spans
from assistant.config import Settings, order_regions
from assistant.embedding import SentenceTransformerEmbedding
from assistant.glossary import Glossary
from assistant.lexicon import Lexicon

FORMAT_VERSION = 16  # 2: -ing folding; 3: manifest in Chroma, doc_hash; 4: denser HNSW graph for chunks;
# 5: a step label ("**5.**") is one sentence with its step; 6: chunks split between lines, never
# inside a list step's label; 7: "X impliceert ..." defines X in the glossary; 8: glossary stems
# read strong verb forms as their infinitive (lexicon.STRONG_VERBS); 9: a paragraph that
# introduces a list stays in one chunk with it (chunk.paragraphs_with_their_lists); 10: a chunk
# that starts inside a list carries the list's introduction (chunk.ListIntroCarry); 11: nested
# introductions, PDF lists with blank lines between items; 12: the sentence collection has the
# chunks' dense graph (it is searched: retrieve.near_sentences); 13: an item without a colon
# that introduces nested items ("Andere opties zijn") is carried too (chunk.introduces_list);
# 14: chunks say where their text is in their section's (chunk.SectionSpans); 15: ... after
# the chunk before them when their text is also earlier; 16: a chunk carries what is open where it
# starts, not at the previous chunk's end (chunk.ListIntroCarry)
# Chroma refuses a get() of more than ~32k records at once ("too many SQL variables").
PAGE = 5000
# The sentence cache is filled at start-up only below this many sentences (~60 MB).
PRELOAD_LIMIT = 50_000
# The graph of the chunk and sentence collections: denser than Chroma's default (16 / 100). Near-duplicate passages
# (routeboeken copy each other's steps) otherwise form HNSW islands from which a
# query cannot return more than a few dozen neighbours: on a synthetic 100k-chunk
# index, 12 of 60 questions got 33-80 of 1536 asked neighbours at 16/100, 6 at
# 32/200 and 1 at 64/400 (benchmarks/bench_scale.py store).
HNSW = {"space": "cosine", "max_neighbors": 64, "ef_construction": 400}
MANIFEST_KEY = "routeboek_manifest"
CHUNK_REGIONS = "chunk_regions.json"
# Keep digits and one-letter tokens: "4 weken" must keep its "4".
BM25_TOKEN_PATTERN = r"(?u)\b\w+\b"
BM25_LANGUAGE = "nl"


class IndexError_(Exception):
    """The index cannot be built or read; the message says why (English)."""


@dataclass
class Manifest:
    """What the stored index holds; kept as JSON in the chunk collection's metadata."""

    format: int
    model: str
    chunk_size: int
    chunk_overlap: int
    chunks: int
    sentences: int
    max_sentences: int  # most sentences in one chunk: sentence ids are `<chunk>/<0..n-1>`
    documents: dict[str, dict] = field(default_factory=dict)  # id -> {"hash", "region"}
    stamp: str = ""  # changes with every build or update (the BM25 cache follows it)

    @classmethod
    def read(cls, collection) -> "Manifest | None":
        try:
            raw = (collection.metadata or {}).get(MANIFEST_KEY)
            return cls(**json.loads(raw)) if raw else None
        except (ValueError, TypeError):
            return None

    def write(self, collection) -> None:
        metadata = dict(collection.metadata or {})
        metadata[MANIFEST_KEY] = json.dumps(asdict(self), sort_keys=True)
        collection.modify(metadata=metadata)

    @property
    def regions(self) -> list[str]:
        return order_regions({d["region"] for d in self.documents.values()})


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


def chroma_auth_headers(settings: Settings) -> dict[str, str] | None:
    """HTTP basic auth for a Chroma server behind an authenticating proxy (Chroma has none)."""
    if not settings.chroma_auth_file:
        return None
    import base64

    try:
        lines = [l.strip() for l in Path(settings.chroma_auth_file).read_text(encoding="utf-8").splitlines()]
    except OSError as exc:
        raise IndexError_(f"cannot read ASSISTANT_CHROMA_AUTH_FILE {settings.chroma_auth_file}: {exc.strerror}") from exc
    credentials = next((l for l in lines if l and not l.startswith("#")), "")
    if ":" not in credentials:
        raise IndexError_(f"ASSISTANT_CHROMA_AUTH_FILE {settings.chroma_auth_file} holds no 'user:password' line")
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")}


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
            headers=chroma_auth_headers(settings),
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
            self._connect()

    def _connect(self) -> None:
        self.client = make_chroma_client(self.settings)
        self.chunks = self._collection(self.settings.collection + "_chunks")
        self.sentences = self._collection(self.settings.collection + "_sentences")
        self.chunks.count()  # touch the store so damage shows here, not mid-question
        self.vector_store = ChromaVectorStore(chroma_collection=self.chunks)

    # -- paths and collections ---------------------------------------------
    @property
    def shared(self) -> bool:
        """A Chroma server may hold documents other data dirs added: never drop unknown ones."""
        return bool(self.settings.chroma_url)

    @property
    def bm25_dir(self) -> Path:
        return self.dir / "bm25"

    @property
    def bm25_stamp_path(self) -> Path:
        return self.dir / "bm25.stamp"

    def _collection(self, name: str):
        # Cosine space; we always query with our own embeddings, never query_texts
        # (Chroma's default embedding function would download a model). Sentences are
        # searched too (retrieve.near_sentences), so they get the chunks' dense graph.
        return self.client.get_or_create_collection(
            name=name, configuration={"hnsw": dict(HNSW)}, embedding_function=None
        )

    def manifest(self) -> Manifest | None:
        """The stamp of what the collections hold (read fresh: another process may have written it)."""
        try:
            collection = self.client.get_collection(self.chunks.name)
        except Exception:
            return None
        return Manifest.read(collection)

    @property
    def regions(self) -> list[str]:
        manifest = self.manifest()
        return manifest.regions if manifest else []

    # -- state -------------------------------------------------------------
    def problem(self, documents: list[Document]) -> str | None:
        """Why the stored index cannot be used as it is, or None when it can."""
        if self.damage:
            return self.damage
        manifest = self.manifest()
        if manifest is None:
            return "no index yet"
        if manifest.format != FORMAT_VERSION:
            return "index format changed"
        if manifest.model != self.model_id:
            return "embedding model changed"
        if (manifest.chunk_size, manifest.chunk_overlap) != (
            self.settings.chunk_size,
            self.settings.chunk_overlap,
        ):
            return "chunking settings changed"
        wanted = document_table(documents)
        stored = manifest.documents
        if any(stored.get(i) != entry for i, entry in wanted.items()) or (
            not self.shared and set(stored) != set(wanted)
        ):
            return "documents changed"
        try:
            chunks, sentences = self.chunks.count(), self.sentences.count()
        except Exception as exc:  # a damaged store raises many kinds of errors
            return f"Chroma store is unreadable ({type(exc).__name__})"
        if chunks != manifest.chunks or chunks == 0:
            return f"Chroma holds {chunks} chunks, the manifest says {manifest.chunks}"
        if sentences != manifest.sentences:
            return f"Chroma holds {sentences} sentences, the manifest says {manifest.sentences}"
        return self._bm25_problem(manifest)

    def _bm25_problem(self, manifest: Manifest) -> str | None:
        try:
            stamp = self.bm25_stamp_path.read_text().strip()
            bm25 = self.load_bm25()
            regions = self.load_chunk_regions()
            self.load_glossary()
        except Exception as exc:
            return f"BM25 index is missing or unreadable ({type(exc).__name__})"
        if stamp != manifest.stamp or not int(bm25.scores.get("num_docs", 0)) == len(regions) == manifest.chunks:
            return "BM25 index is out of date"
        return None

    # -- build -------------------------------------------------------------
    def _pipeline(self) -> IngestionPipeline:
        tokenizer = self.embed_model._model.tokenizer.tokenize
        return IngestionPipeline(
            transformations=[
                *chunking_transformations(
                    tokenizer, self.settings.chunk_size, self.settings.chunk_overlap
                ),
                self.embed_model,
            ],
            vector_store=self.vector_store,
            disable_cache=True,
        )

    def clear(self) -> None:
        """Drop every stored part of this index (collections and the BM25 cache)."""
        for collection in (self.chunks, self.sentences):
            self.client.delete_collection(collection.name)
        self.chunks = self._collection(self.settings.collection + "_chunks")
        self.sentences = self._collection(self.settings.collection + "_sentences")
        self.vector_store = ChromaVectorStore(chroma_collection=self.chunks)
        shutil.rmtree(self.dir, ignore_errors=True)

    def stored_documents(self) -> dict[str, str]:
        """Document id -> the `doc_hash` its chunks carry, read from the chunk collection."""
        out: dict[str, str] = {}
        for meta in self._paged(self.chunks, include=["metadatas"], field="metadatas"):
            out.setdefault(str(meta.get("ref_doc_id") or meta.get("document_id") or ""), str(meta.get("doc_hash", "")))
        return out

    def build(
        self,
        documents: list[Document],
        rebuild: bool = False,
        progress: Callable[[str], None] | None = None,
        show_progress: bool = False,
        remove: list[str] | tuple[str, ...] = (),
    ) -> Manifest:
        """Bring the stored index in line with `documents`; `rebuild` starts from scratch.

        `remove`: ids of documents to delete even on a shared server (where documents
        this data dir does not have are otherwise kept: another data dir added them).
        """
        say = progress or (lambda _msg: None)
        if not documents:
            raise IndexError_("there are no documents to index")
        manifest = self.manifest()
        if manifest is not None and (
            manifest.model != self.model_id
            or manifest.format != FORMAT_VERSION
            or (manifest.chunk_size, manifest.chunk_overlap)
            != (self.settings.chunk_size, self.settings.chunk_overlap)
        ):
            rebuild = True
        if rebuild:
            say("clearing the old index")
            self.clear()
        self.dir.mkdir(parents=True, exist_ok=True)

        wanted = document_table(documents)
        stored = self.stored_documents()
        stale = [i for i, h in stored.items() if i in wanted and h != wanted[i]["hash"]]
        stale += [i for i in stored if i not in wanted and (not self.shared or i in remove)]
        for doc_id in stale:
            self.vector_store.delete(doc_id)
        todo = [d for d in documents if stored.get(d.id_) != wanted[d.id_]["hash"]]
        if todo:
            say(f"chunking and embedding {len(todo)} of {len(documents)} documents")
            self._pipeline().run(documents=[with_doc_hash(d) for d in todo], show_progress=show_progress)

        nodes = self.all_chunks()
        if not nodes:
            raise IndexError_("indexing produced no chunks")
        say(f"embedding sentences of {len(nodes)} chunks")
        n_sentences, max_sentences = self._sync_sentences(nodes, show_progress=show_progress)
        # The table of what the collection holds: ours, plus (on a shared server) the
        # documents another data dir added, with the region their chunks carry.
        table = dict(wanted)
        for node in nodes:
            doc_id = node.ref_doc_id or ""
            if doc_id not in table:
                table[doc_id] = {"hash": str(node.metadata.get("doc_hash", "")), "region": node.metadata.get("region", "")}
        manifest = Manifest(
            format=FORMAT_VERSION,
            model=self.model_id,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
            chunks=len(nodes),
            sentences=n_sentences,
            max_sentences=max_sentences,
            documents=table,
            stamp=uuid.uuid4().hex,
        )
        say("building the BM25 index")
        self._write_bm25(nodes, manifest.stamp)
        manifest.write(self.chunks)
        return manifest

    @staticmethod
    def _paged(collection, include: list[str], field: str, with_ids: bool = False, **where):
        """Every record's `field` (with its id: `with_ids`) in pages (one get() of all
        records fails above ~32k)."""
        offset = 0
        while True:
            got = collection.get(include=include, limit=PAGE, offset=offset, **where)
            values = got[field] if field != "ids" else got["ids"]
            yield from zip(got["ids"], values or []) if with_ids else values or []
            if len(got["ids"]) < PAGE:
                return
            offset += PAGE

    def chunk_sections(self) -> dict[str, tuple[str, str]]:
        """Chunk id -> (region, section heading path), from the chunks' metadata in Chroma."""
        return {chunk_id: (meta.get("region", ""), meta.get("section", ""))
                for chunk_id, meta in self._paged(self.chunks, include=["metadatas"], field="metadatas", with_ids=True)}

    def all_chunks(self) -> list[BaseNode]:
        """Every chunk node stored in Chroma (the single source of truth), read in pages."""
        ids = list(self._paged(self.chunks, include=[], field="ids"))
        nodes: list[BaseNode] = []
        for i in range(0, len(ids), PAGE):
            nodes.extend(self.vector_store.get_nodes(ids[i : i + PAGE]))
        return sorted(nodes, key=lambda n: n.node_id)

    def _sync_sentences(self, nodes: list[BaseNode], show_progress: bool = False) -> tuple[int, int]:
        """Make the sentence collection hold exactly the sentences of `nodes`.

        Chunk ids are deterministic, so a changed chunk keeps its id: sentences
        are matched on (chunk id, text hash) and stale ones replaced. Returns the
        number of sentences and the most sentences of one chunk.
        """
        stored_keys: set[tuple[str, str | None]] = set()
        max_sentences = 0
        for meta in self._paged(self.sentences, include=["metadatas"], field="metadatas"):
            stored_keys.add((meta["chunk_id"], meta.get("chunk_hash")))
            max_sentences = max(max_sentences, int(meta.get("index", -1)) + 1)
        wanted = {(n.node_id, text_hash(n.get_content())) for n in nodes}
        stale = sorted({chunk_id for chunk_id, _h in stored_keys - wanted})
        for i in range(0, len(stale), 500):
            self.sentences.delete(where={"chunk_id": {"$in": stale[i : i + 500]}})
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
                        "index": i,
                        "start": span.start,
                        "end": span.end,
                    }
                )
                max_sentences = max(max_sentences, i + 1)
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
        return self.sentences.count(), max_sentences

    def _write_bm25(self, nodes: list[BaseNode], stamp: str) -> None:
        retriever = BM25Retriever(
            nodes=nodes,
            stemmer=dutch_stemmer(),
            language=BM25_LANGUAGE,
            token_pattern=BM25_TOKEN_PATTERN,
        )
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.bm25_dir.with_name("bm25.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        retriever.persist(str(tmp))
        # The region of every chunk, for region-filtered dense retrieval without asking
        # Chroma for metadata (see retrieve.ChromaDense); part of the same cache.
        regions = {"ids": [n.node_id for n in nodes], "regions": [n.metadata.get("region", "") for n in nodes]}
        (tmp / CHUNK_REGIONS).write_text(json.dumps(regions, ensure_ascii=False))
        # The chunks that define a term (see glossary.py), from the same nodes.
        stems = Lexicon().stems
        Glossary.build(((n.node_id, n.get_content(), n.metadata.get("region", "")) for n in nodes), stems).save(tmp)
        self.bm25_stamp_path.unlink(missing_ok=True)
        shutil.rmtree(self.bm25_dir, ignore_errors=True)
        tmp.rename(self.bm25_dir)
        self.bm25_stamp_path.write_text(stamp + "\n")

    def load_bm25(self) -> bm25s.BM25:
        return bm25s.BM25.load(str(self.bm25_dir), load_corpus=True)

    def load_glossary(self) -> Glossary:
        return Glossary.load(self.bm25_dir)

    def load_chunk_regions(self) -> dict[str, str]:
        """Chunk id -> region, as of the BM25 cache's build."""
        data = json.loads((self.bm25_dir / CHUNK_REGIONS).read_text(encoding="utf-8"))
        return dict(zip(data["ids"], data["regions"]))

    # -- entry point -------------------------------------------------------
    def ensure(
        self,
        documents: list[Document],
        progress: Callable[[str], None] | None = None,
        show_progress: bool = False,
        remove: list[str] | tuple[str, ...] = (),
    ) -> str | None:
        """Build, update or repair the index when needed; returns the reason it was (re)built."""
        reason = self.problem(documents)
        if reason is None and not remove:
            return None
        reason = reason or "documents removed"
        if reason.startswith("BM25 index"):
            # The collections are fine; only this data dir's BM25 cache is behind.
            if progress:
                progress(f"index: {reason}; rebuilding it from the Chroma collection")
            manifest = self.manifest()
            self._write_bm25(self.all_chunks(), manifest.stamp)
            return reason
        damaged = reason not in ("no index yet", "documents changed", "documents removed")
        if progress:
            action = "rebuilding" if damaged else "building" if reason == "no index yet" else "updating"
            progress(f"index: {reason}; {action}")
        self.build(documents, rebuild=damaged, progress=progress, show_progress=show_progress, remove=remove)
        self.damage = None
        return reason


def document_table(documents: list[Document]) -> dict[str, dict]:
    """Document id -> its content hash (text and metadata) and region."""
    return {d.id_: {"hash": d.hash, "region": d.metadata.get("region", "")} for d in documents}


def with_doc_hash(doc: Document) -> Document:
    """A copy of `doc` whose chunks will carry the document's hash (kept out of the embedding)."""
    copy = Document(
        text=doc.text, id_=doc.id_, metadata={**doc.metadata, "doc_hash": doc.hash},
        excluded_embed_metadata_keys=[*doc.excluded_embed_metadata_keys, "doc_hash"],
        excluded_llm_metadata_keys=[*doc.excluded_llm_metadata_keys, "doc_hash"],
    )
    return copy


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
    kept in memory, so a warm question costs no Chroma round trip here. They
    are fetched by id (`<chunk id>/<i>`, i < the manifest's `max_sentences`):
    a `where chunk_id $in [...]` filter scans the metadata (~0.4 s at 100k chunks).
    """

    def __init__(self, collection, max_sentences: int):
        self._collection = collection
        self._max = max(1, max_sentences)
        self._cache: dict[str, list[SentenceRecord]] = {}
        # Every sentence's id, region and vector (rows of one matrix) once preloaded:
        # for an exact nearest-sentence search (see `nearest`).
        self._exact: tuple[list[str], np.ndarray, np.ndarray] | None = None

    def _add(self, fresh: dict[str, list[SentenceRecord]], got: dict) -> None:
        for text, meta, vector in zip(got["documents"], got["metadatas"], got["embeddings"]):
            fresh.setdefault(meta["chunk_id"], []).append(
                SentenceRecord(meta["chunk_id"], int(meta["start"]), int(meta["end"]), text, vector)
            )

    def for_chunks(self, chunk_ids: list[str]) -> dict[str, list[SentenceRecord]]:
        missing = [c for c in dict.fromkeys(chunk_ids) if c not in self._cache]
        if missing:
            ids = [f"{c}/{i}" for c in missing for i in range(self._max)]
            fresh: dict[str, list[SentenceRecord]] = {c: [] for c in missing}
            for i in range(0, len(ids), PAGE):
                got = self._collection.get(ids=ids[i : i + PAGE], include=["embeddings", "documents", "metadatas"])
                self._add(fresh, got)
            for chunk_id, records in fresh.items():
                self._cache[chunk_id] = sorted(records, key=lambda r: r.start)
        return {c: self._cache[c] for c in chunk_ids}

    def preload(self, limit: int = PRELOAD_LIMIT) -> bool:
        """Fill the cache with every sentence when there are at most `limit` (one paged read)."""
        if self._collection.count() > limit:
            return False
        fresh: dict[str, list[SentenceRecord]] = {}
        ids: list[str] = []
        regions: list[str] = []
        vectors: list = []
        offset = 0
        while True:
            got = self._collection.get(
                include=["embeddings", "documents", "metadatas"], limit=PAGE, offset=offset
            )
            self._add(fresh, got)
            ids.extend(got["ids"])
            regions.extend(meta.get("region", "") for meta in got["metadatas"])
            vectors.extend(got["embeddings"])
            if len(got["ids"]) < PAGE:
                break
            offset += PAGE
        for chunk_id, records in fresh.items():
            self._cache[chunk_id] = sorted(records, key=lambda r: r.start)
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1) if ids else np.zeros((0, 0), np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self._exact = (ids, np.asarray(regions), matrix / np.where(norms == 0, 1, norms))
        return True

    def nearest(self, query_embedding, n: int, regions: set[str] | None = None) -> list[tuple[str, float]] | None:
        """The `n` sentences nearest to the question (of `regions` when given) as
        (sentence id, cosine distance), nearest first; None when not preloaded.

        Written by hand because Chroma only offers its approximate HNSW search: two
        near-duplicate sentences (routeboeken copy each other's steps) can hide one
        another from it. Below `PRELOAD_LIMIT` one matrix product is exact and faster.
        """
        if self._exact is None:
            return None
        ids, sentence_regions, matrix = self._exact
        if not ids:
            return []
        query = np.asarray(query_embedding, dtype=np.float32)
        similarity = matrix @ (query / (np.linalg.norm(query) or 1.0))
        if regions:
            similarity = np.where(np.isin(sentence_regions, sorted(regions)), similarity, -np.inf)
        n = min(n, len(ids))
        top = np.argpartition(-similarity, n - 1)[:n]
        top = top[np.argsort(-similarity[top], kind="stable")]
        return [(ids[i], float(1.0 - similarity[i])) for i in top if np.isfinite(similarity[i])]
