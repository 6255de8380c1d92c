"""Retrieve: dense (Chroma) + BM25 (Dutch stemming) fused by reciprocal rank, per region.

A llama-index `QueryFusionRetriever` in reciprocal-rank mode (a passage one side missed counts
as ranked after that side's last hit, see `MissingRankFusionRetriever`) fuses two retrievers:
`ChromaDense` over the chunk collection and a `BM25Retriever` over the persisted
bm25s index. The region filter is the same on both sides: a `MetadataFilters`
weight mask on BM25, and on the dense side an unfiltered over-fetch kept to the
region, with Chroma's `where` filter only when that does not hold enough.
"""

from __future__ import annotations

import heapq
import re

import numpy as np
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle
from llama_index.core.vector_stores import ExactMatchFilter, MetadataFilters
from llama_index.core.vector_stores.utils import metadata_dict_to_node
from llama_index.retrievers.bm25 import BM25Retriever

from assistant.config import Settings
from assistant.index import BM25_TOKEN_PATTERN, RouteIndex, SentenceStore, dutch_stemmer

# The dense side of a region-filtered retrieval first asks for this many times k
# unfiltered neighbours, then 4x as many, up to OVERFETCH_MAX x k.
OVERFETCH = 8
OVERFETCH_MAX = 128
# Every question also gets the chunks of its nearest sentences (see `near_sentences`):
# up to NEAR_CHUNKS chunks among those of the NEAR_SENTENCES nearest.
NEAR_SENTENCES = 8
NEAR_CHUNKS = 3
# A question naming a heading label ("in fase 1") also gets up to this many chunks under it.
LABELLED = 6


def _document_order(chunk_id: str) -> tuple:
    """`<document>#<section>.<part>` (see chunk.split_id) as a sort key in document order."""
    document, _, place = chunk_id.rpartition("#")
    return (document, *(int(p) if p.isdigit() else 0 for p in place.split(".")))


def region_filter(region: str | None) -> MetadataFilters | None:
    if region is None:
        return None
    return MetadataFilters(filters=[ExactMatchFilter(key="region", value=region)])


def _chunk_of(sentence_id: str) -> str:
    """A sentence's chunk: sentence ids are `<chunk id>/<i>` (see index.py)."""
    return sentence_id.rpartition("/")[0]


def regions_of(ids: list[str], known: dict[str, str], nodes: "ChunkNodes") -> dict[str, str]:
    """Chunk id -> region: from the map written with the BM25 cache (`known`), else from
    the chunk itself (added since the map was written)."""
    unknown = [i for i in dict.fromkeys(ids) if i not in known]
    found = {i: n.metadata.get("region", "") for i, n in nodes.get(unknown).items()} if unknown else {}
    return {i: known.get(i) or found.get(i, "") for i in ids}


class ChunkNodes:
    """Chunk nodes by id: read from Chroma by id on first use, then kept in memory, as is
    an id Chroma does not have (the part after a section's last: see section.rebuild).
    An index update opens a new `Assistant`, and so new `ChunkNodes`."""

    def __init__(self, collection):
        self._collection = collection
        self._nodes: dict[str, BaseNode] = {}
        self._absent: set[str] = set()

    def get(self, ids: list[str]) -> dict[str, BaseNode]:
        missing = [i for i in dict.fromkeys(ids) if i not in self._nodes and i not in self._absent]
        if missing:
            got = self._collection.get(ids=missing, include=["documents", "metadatas"])
            for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                self._nodes[chunk_id] = metadata_dict_to_node(meta, text=text)
            self._absent.update(i for i in missing if i not in self._nodes)
        return {i: self._nodes[i] for i in ids if i in self._nodes}


class ChromaDense(BaseRetriever):
    """The k nearest chunks to the question vector (cosine), optionally of one region.

    Written by hand instead of llama-index's `VectorIndexRetriever` for speed:
    that one has Chroma return and llama-index parse every hit's text and
    metadata on every query (9 ms of a 10 ms query for 48 hits); here Chroma
    returns ids and distances only (1 ms) and the nodes come from `ChunkNodes`.
    For a region, Chroma's `where` filter first collects every id of the region
    (~0.26 s per query at 100k chunks), so unfiltered over-fetches of growing
    size (8, 32, 128 x k: 3-7 ms at 100k) are kept to the region through the
    chunk -> region map first, and the filtered query only answers when even
    the largest holds fewer than k: the result is the region's top k either way.
    """

    def __init__(self, collection, nodes: ChunkNodes, k: int, region: str | None = None,
                 regions: dict[str, str] | None = None):
        super().__init__()
        self._collection, self._nodes, self._k, self._region = collection, nodes, k, region
        self._regions = regions or {}
        self._size = collection.count()

    def _query(self, vector: list[float], n: int, where: dict | None = None) -> list[tuple[str, float]]:
        n = min(n, self._size)
        if n <= 0:
            return []
        got = self._collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=n, where=where, include=["distances"]
        )
        return list(zip(got["ids"][0], got["distances"][0]))

    def _in_region(self, vector: list[float]) -> list[tuple[str, float]]:
        n = self._k * OVERFETCH
        while True:
            wide = self._query(vector, n)
            regions = regions_of([i for i, _ in wide], self._regions, self._nodes)
            hits = [(i, d) for i, d in wide if regions[i] == self._region]
            if len(hits) >= self._k or n >= self._size:
                return hits[: self._k]
            if n >= self._k * OVERFETCH_MAX:
                return self._query(vector, self._k, where={"region": self._region})
            n *= 4

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        vector = query_bundle.embedding
        hits = self._query(vector, self._k) if self._region is None else self._in_region(vector)
        nodes = self._nodes.get([i for i, _ in hits])
        return [NodeWithScore(node=nodes[i], score=1.0 - float(d)) for i, d in hits if i in nodes]


class CachedBM25Retriever(BM25Retriever):
    """`BM25Retriever` that builds each corpus node once instead of on every query
    (llama-index parses the node dict of every hit anew: ~5 ms per 48 hits)."""

    def __init__(self, *args, node_cache: dict[int, BaseNode], **kwargs):
        super().__init__(*args, **kwargs)
        self._node_cache = node_cache
        # Passed as bm25s's `corpus` so that it returns positions, not the stored dicts.
        self._positions = np.arange(int(self.bm25.scores.get("num_docs", 0)))

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        import bm25s

        tokens = bm25s.tokenize(
            query_bundle.query_str, stemmer=self.stemmer, token_pattern=self.token_pattern, show_progress=False
        )
        mask = np.array(self.corpus_weight_mask) if self.corpus_weight_mask else None
        indexes, scores = self.bm25.retrieve(
            tokens, corpus=self._positions, k=self.similarity_top_k, show_progress=False, weight_mask=mask
        )
        out: list[NodeWithScore] = []
        for idx, score in zip(indexes[0], scores[0]):
            if score <= 0.0:
                # bm25s pads to k with zero-score hits, also ones the region mask excludes:
                # no hit (nor, in the fusion, a rank) of their own.
                continue
            key = int(idx)
            if key not in self._node_cache:
                self._node_cache[key] = metadata_dict_to_node(self.corpus[key])
            out.append(NodeWithScore(node=self._node_cache[key], score=float(score)))
        return out


class MissingRankFusionRetriever(QueryFusionRetriever):
    """Reciprocal-rank fusion in which a passage one retriever missed counts as ranked just
    after that retriever's last hit, not as absent. llama-index's fusion gives it nothing, so
    the passage BM25 ranks first by far ("Er zijn vier soorten problematisch verzuim te
    onderscheiden", twice the score of the next) fell behind five passages both sides rank
    halfway, and out of the answer's candidates."""

    def _reciprocal_rerank_fusion(self, results: dict[tuple[str, int], list[NodeWithScore]]) -> list[NodeWithScore]:
        k = 60.0  # as llama-index's (the paper's) constant
        ranks = [
            {n.node.hash: rank for rank, n in enumerate(sorted(nodes, key=lambda x: x.score or 0.0, reverse=True))}
            for nodes in results.values()
        ]
        by_hash = {n.node.hash: n for nodes in results.values() for n in nodes}
        fused = {h: sum(1.0 / (k + r.get(h, len(r))) for r in ranks) for h in by_hash}
        out = []
        for h in sorted(fused, key=fused.get, reverse=True):
            out.append(NodeWithScore(node=by_hash[h].node, score=fused[h]))
        return out


class HybridRetriever:
    """Fused dense + BM25 retrieval over one `RouteIndex`, with an optional region filter."""

    def __init__(
        self,
        index: RouteIndex,
        settings: Settings,
        regions: list[str] | None = None,
        sentence_store: SentenceStore | None = None,
    ):
        self.settings = settings
        self.regions = list(regions or [])
        # The preloaded sentences, searched exactly by `near_sentences` (None: Chroma's HNSW).
        self.sentence_store = sentence_store
        self._index = index
        self._chunks = index.chunks
        self._sentences = index.sentences
        self._sections: dict[str, tuple[str, str]] | None = None
        self._headings: dict[str, list[tuple[str, str]]] | None = None  # heading path -> [(chunk id, region)]
        self._nodes = ChunkNodes(index.chunks)
        self._chunk_regions = index.load_chunk_regions()
        self._bm25_nodes: dict[int, BaseNode] = {}
        self.bm25 = index.load_bm25()
        self._stemmer = dutch_stemmer()
        # One fusion retriever per region filter; built on first use (cheap objects).
        self._fused: dict[tuple[str | None, int], QueryFusionRetriever] = {}

    def _build(self, region: str | None, k: int) -> QueryFusionRetriever:
        filters = region_filter(region)
        retrievers: list[BaseRetriever] = [ChromaDense(self._chunks, self._nodes, k, region, self._chunk_regions)]
        try:
            retrievers.append(
                CachedBM25Retriever(
                    node_cache=self._bm25_nodes,
                    existing_bm25=self.bm25,
                    stemmer=self._stemmer,
                    token_pattern=BM25_TOKEN_PATTERN,
                    similarity_top_k=k,
                    filters=filters,
                )
            )
        except ValueError:
            # BM25Retriever refuses a filter that matches no chunk (a region without
            # documents); the dense side then simply returns nothing for it.
            pass
        return MissingRankFusionRetriever(
            retrievers=retrievers,
            mode=FUSION_MODES.RECIPROCAL_RANK,
            similarity_top_k=k,
            num_queries=1,  # no LLM query generation
            use_async=False,
            llm=MockLLM(),  # explicit: never resolve Settings.llm (OpenAI)
        )

    def nodes(self, ids: list[str]) -> list[BaseNode]:
        """Chunk nodes by id, in that order (unknown ids left out)."""
        found = self._nodes.get(ids)
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    def sections(self) -> dict[str, tuple[str, str]]:
        """Chunk id -> (region, section heading path), read from Chroma once on first use."""
        if self._sections is None:
            self._sections = self._index.chunk_sections()
        return self._sections

    def under_label(self, label: re.Pattern, regions: list[str] | None = None, limit: int = LABELLED) -> list[BaseNode]:
        """The chunks (at most `limit`, in document order) whose heading path carries `label`
        ("Fase 1"): neither retriever tells "fase 1" from "fase 3", so "Wat doet de school
        in fase 1?" would otherwise be answered from whichever phase embeds nearest."""
        if self._headings is None:
            # Searched per distinct heading path: a large corpus has far fewer of those than
            # chunks (at 100,000 chunks a scan of every chunk's took 150 ms per question).
            self._headings = {}
            for chunk_id, (region, section) in self.sections().items():
                self._headings.setdefault(section, []).append((chunk_id, region))
        wanted = set(regions or ())
        ids = [i for section, chunks in self._headings.items() if label.search(section)
               for i, region in chunks if not wanted or region in wanted]
        return self.nodes(heapq.nsmallest(limit, ids, key=_document_order))

    def near_sentences(
        self, query_embedding: list[float], regions: list[str] | None = None, exclude: set[str] = frozenset(),
        sentences: int = NEAR_SENTENCES, chunks: int = NEAR_CHUNKS,
    ) -> list[tuple[NodeWithScore, list[int]]]:
        """The chunks holding the `sentences` sentences nearest to the question (of
        `regions` when given), best first, at most `chunks`, none of `exclude`, each with
        the indexes of its near sentences (in the chunk's order, see `SentenceStore`).

        A long chunk (a list of ten steps) embeds as the average of its lines, so the
        one line that answers may leave its chunk out of both retrievers; the sentence
        collection stored for quoting finds that line directly: exactly when its
        sentences are preloaded (`SentenceStore.nearest`), else through Chroma.
        """
        wanted = set(regions or ())
        near = self.sentence_store.nearest(query_embedding, sentences, wanted) if self.sentence_store else None
        if near is None:
            near = self._approximate_near(query_embedding, wanted, sentences)
        best: dict[str, float] = {}
        indexes: dict[str, list[int]] = {}
        for sentence_id, distance in near:
            chunk_id, _, index = sentence_id.rpartition("/")
            if chunk_id in exclude or (chunk_id not in best and len(best) >= chunks):
                continue
            best.setdefault(chunk_id, 1.0 - float(distance))
            indexes.setdefault(chunk_id, []).append(int(index))
        return [(NodeWithScore(node=node, score=best[node.node_id]), sorted(indexes[node.node_id]))
                for node in self.nodes(list(best))]

    def _approximate_near(self, query_embedding: list[float], wanted: set[str], sentences: int) -> list[tuple[str, float]]:
        """The nearest sentences by Chroma's HNSW search, as (sentence id, distance).

        As in `ChromaDense`, Chroma returns ids and distances only (a sentence id is
        `<chunk id>/<i>`), regions are kept through the chunk -> region map with
        unfiltered over-fetches, and Chroma's slow `where` filter answers only when even
        the largest falls short.
        """
        vector = [np.asarray(query_embedding, dtype=np.float32)]
        n = sentences * (OVERFETCH if wanted else 1)
        while True:
            got = self._sentences.query(query_embeddings=vector, n_results=n, include=["distances"])
            hits = [(i, d) for i, d in zip(got["ids"][0], got["distances"][0])]
            if wanted:
                in_region = regions_of([_chunk_of(i) for i, _ in hits], self._chunk_regions, self._nodes)
                near = [(i, d) for i, d in hits if in_region[_chunk_of(i)] in wanted][:sentences]
            else:
                near = hits[:sentences]
            if len(near) >= sentences or len(hits) < n:  # enough, or the whole collection seen
                return near
            if n >= sentences * OVERFETCH_MAX:
                got = self._sentences.query(query_embeddings=vector, n_results=sentences,
                                            where={"region": {"$in": sorted(wanted)}}, include=["distances"])
                return list(zip(got["ids"][0], got["distances"][0]))
            n *= 4

    def retrieve(
        self, query: str, query_embedding: list[float], region: str | None = None, wide: bool = False
    ) -> list[NodeWithScore]:
        """Fused candidates for `query` (already normalised), best first.

        `query_embedding` is passed in so the question is embedded exactly once
        per ask (the answerer reuses it at sentence level). `wide` asks for
        candidates enough to group them per region afterwards.
        """
        k = self.settings.candidates * (max(1, len(self.regions)) if wide else 1)
        if (region, k) not in self._fused:
            self._fused[(region, k)] = self._build(region, k)
        bundle = QueryBundle(query_str=query, embedding=query_embedding)
        return self._fused[(region, k)].retrieve(bundle)
