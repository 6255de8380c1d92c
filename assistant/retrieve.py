"""Retrieve: dense (Chroma) + BM25 (Dutch stemming) fused by reciprocal rank, per region.

Built from llama-index parts: a `VectorIndexRetriever` over the Chroma store,
a `BM25Retriever` over the persisted bm25s index, and a `QueryFusionRetriever`
in reciprocal-rank mode. The region filter is the same `MetadataFilters` on
both sides: a weight mask on BM25, and on the dense side a Chroma `where` filter,
which `RegionFirst` only uses when an unfiltered over-fetch does not already
hold enough of the region's chunks.
"""

from __future__ import annotations

from llama_index.core import VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever, VectorIndexRetriever
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores import ExactMatchFilter, MetadataFilters
from llama_index.retrievers.bm25 import BM25Retriever

from assistant.config import Settings
from assistant.embedding import SentenceTransformerEmbedding
from assistant.index import BM25_TOKEN_PATTERN, RouteIndex, dutch_stemmer


# The dense side of a region-filtered retrieval first asks for this many times k
# unfiltered neighbours.
OVERFETCH = 8


def region_filter(region: str | None) -> MetadataFilters | None:
    if region is None:
        return None
    return MetadataFilters(filters=[ExactMatchFilter(key="region", value=region)])


class RegionFirst(BaseRetriever):
    """Dense retrieval for one region: an unfiltered over-fetch, kept to the region.

    Written by hand because Chroma's `where` filter first collects every id of
    the region, which costs ~0.4 s per query at 100k chunks, whereas an HNSW
    query for 8k neighbours costs a few ms. When the over-fetch holds fewer than
    k of the region's chunks (a small region among many), the filtered query
    answers instead, so the result is the region's top k either way.
    """

    def __init__(self, wide: VectorIndexRetriever, narrow: VectorIndexRetriever, region: str, k: int):
        super().__init__()
        self._wide, self._narrow, self._region, self._k = wide, narrow, region, k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        kept = [n for n in self._wide.retrieve(query_bundle) if n.node.metadata.get("region") == self._region]
        if len(kept) >= self._k:
            return kept[: self._k]
        return self._narrow.retrieve(query_bundle)


class HybridRetriever:
    """Fused dense + BM25 retrieval over one `RouteIndex`, with an optional region filter."""

    def __init__(
        self,
        index: RouteIndex,
        embed_model: SentenceTransformerEmbedding,
        settings: Settings,
        regions: list[str] | None = None,
    ):
        self.settings = settings
        self.regions = list(regions or [])
        self._vector_index = VectorStoreIndex.from_vector_store(
            index.vector_store, embed_model=embed_model
        )
        self.bm25 = index.load_bm25()
        self._stemmer = dutch_stemmer()
        # One fusion retriever per region filter; built on first use (cheap objects).
        self._fused: dict[tuple[str | None, int], QueryFusionRetriever] = {}

    def _build(self, region: str | None, k: int) -> QueryFusionRetriever:
        filters = region_filter(region)
        dense: BaseRetriever = VectorIndexRetriever(self._vector_index, similarity_top_k=k, filters=filters)
        if region is not None:
            wide = VectorIndexRetriever(self._vector_index, similarity_top_k=k * OVERFETCH)
            dense = RegionFirst(wide, dense, region, k)
        retrievers: list = [dense]
        try:
            retrievers.append(
                BM25Retriever(
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
        return QueryFusionRetriever(
            retrievers=retrievers,
            mode=FUSION_MODES.RECIPROCAL_RANK,
            similarity_top_k=k,
            num_queries=1,  # no LLM query generation
            use_async=False,
            llm=MockLLM(),  # explicit: never resolve Settings.llm (OpenAI)
        )

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
