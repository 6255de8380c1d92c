"""Ask: one question through the whole path (retrieve -> answer -> cite).

`Assistant.open()` prepares everything once (model, index, retrievers);
`Assistant.ask()` is the single entry point used by the CLI, the chat and the
eval runner.
"""

from __future__ import annotations

import time
from itertools import zip_longest
from dataclasses import dataclass
from typing import Callable

import numpy as np
from llama_index.core.schema import BaseNode, NodeWithScore

from assistant.answer import Answerer, Evidence, ExtractiveAnswerer, regions_named, without_regions
from assistant.cite import Answer
from assistant.config import REGIONS, Settings, order_regions
from assistant.embedding import (
    SentenceTransformerEmbedding,
    describe_model,
    load_sentence_transformer,
    model_fingerprint,
    prepare_model_dir,
    query_engine,
)
from assistant.glossary import asks_definition, defining_chunks
from assistant.index import RouteIndex, SentenceRecord, SentenceStore
from assistant.lexicon import Lexicon
from assistant.load import LoadResult, load_documents
from assistant.next_step import asks_next_step, situation
from assistant.normalise import label_pattern, normalise
from assistant.retrieve import HybridRetriever


@dataclass
class AskError(Exception):
    """A question that cannot be asked; carries an English and a Dutch message."""

    code: str
    english: str
    dutch: str

    def __str__(self) -> str:
        return self.english


def check_question(question: str, settings: Settings) -> str:
    """Return the cleaned question or raise AskError for empty/over-long input."""
    if not isinstance(question, str):
        raise AskError("type", "the question must be text", "De vraag moet tekst zijn.")
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned or not any(ch.isalnum() for ch in cleaned):
        raise AskError("empty", "the question is empty", "Typ eerst een vraag.")
    if len(cleaned) > settings.max_question_chars:
        raise AskError(
            "too_long",
            f"the question is longer than {settings.max_question_chars} characters",
            f"Uw vraag is te lang (meer dan {settings.max_question_chars} tekens). "
            "Stel een kortere vraag, zonder namen of andere gegevens van leerlingen.",
        )
    return cleaned


def open_index(
    settings: Settings, progress: Callable[[str], None] | None = None
) -> tuple[SentenceTransformerEmbedding, RouteIndex, LoadResult]:
    """The model (converted on first use), the stored index and the documents, not yet synced."""
    model_dir = prepare_model_dir(settings, progress=progress)
    model = load_sentence_transformer(model_dir, threads=settings.threads)
    embed = SentenceTransformerEmbedding(model, model_name=describe_model(model_dir), queries=query_engine(settings, model_dir))
    index = RouteIndex(settings, embed, model_id=model_fingerprint(model_dir))
    return embed, index, load_documents(settings)


class Assistant:
    """Everything needed to answer questions from one data directory."""

    def __init__(
        self,
        settings: Settings,
        embed_model: SentenceTransformerEmbedding,
        index: RouteIndex,
        answerer: Answerer | None = None,
    ):
        self.settings = settings
        self.embed_model = embed_model
        self.index = index
        manifest = index.manifest()
        # The built-in regions plus those of ingested documents (a region without
        # documents is answered with a refusal, not an error).
        self.regions: list[str] = order_regions({*REGIONS, *(manifest.regions if manifest else [])})
        self.sentences = SentenceStore(index.sentences, manifest.max_sentences if manifest else 1)
        self.sentences.preload()
        self.retriever = HybridRetriever(index, settings, regions=self.regions, sentence_store=self.sentences)
        self.lexicon = Lexicon(self.retriever.bm25, self.regions)
        self.glossary = index.load_glossary()
        self.answerer = answerer or ExtractiveAnswerer(settings, self.lexicon)
        self.load_failures: list[str] = []
        self.index_documents: list = []

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        progress: Callable[[str], None] | None = None,
        show_progress: bool = False,
    ) -> "Assistant":
        """Prepare model and index (building them on first use) and return a ready assistant."""
        from llama_index.core import Settings as LlamaSettings
        from llama_index.core.llms import MockLLM

        # Guard: every component gets its llm/embed_model explicitly; this only makes
        # sure nothing inside llama-index can ever resolve its OpenAI default.
        LlamaSettings.llm = MockLLM()

        settings = settings or Settings()
        embed, index, loaded = open_index(settings, progress=progress)
        LlamaSettings.embed_model = embed
        index.ensure(loaded.documents, progress=progress, show_progress=show_progress)
        assistant = cls(settings, embed, index)
        assistant.load_failures = [str(f) for f in loaded.failures]
        assistant.index_documents = loaded.documents
        return assistant

    def evidence(self, question: str, region: str | None = None, top_k: int | None = None) -> Evidence:
        """Retrieve and gather sentence vectors for a checked question.

        Rules differ per region, so retrieval fans out: an explicit region (or a
        single region the question names) is searched alone; named regions (a
        comparison) each get their own fused retrieval, searched without the
        regions' names; otherwise one wide fused
        retrieval is grouped per region. Passages are interleaved best-first so
        each region's best evidence reaches the answerer. For a question that
        asks what a term means, the passages that define it lead (see glossary.py).
        The chunks under a heading label the question names ("in fase 1") and those of
        the sentences nearest to the question follow the retrieved ones.
        """
        normalised = normalise(question)
        # A next-step question is searched by the situation it describes (see next_step.situation).
        query = situation(normalised.query, self.lexicon.region_words) if asks_next_step(question) else normalised.query
        k = top_k or self.settings.top_k
        in_question = regions_named(question, self.regions)
        named = [region] if region is not None else in_question
        if len(named) > 1:
            # A comparison is retrieved per region: each region's name would pull its
            # retrieval towards the other's passages. (Stripping a single named region
            # as well lost answers on the tuning split.)
            query = without_regions(query, self.regions)
        vector = np.asarray(self.embed_model.encode_queries([query])[0], dtype=np.float32)
        if len(named) == 1:
            nodes = self.retriever.retrieve(query, vector.tolist(), region=named[0])[:k]
        elif named:
            per_region = [self.retriever.retrieve(query, vector.tolist(), region=r)[:k] for r in named]
            nodes = [n for group in zip_longest(*per_region) for n in group if n is not None]
        else:
            # One wide fused retrieval, grouped per region (cheaper than a retrieval per region).
            wide = self.retriever.retrieve(query, vector.tolist(), region=None, wide=True)
            groups: dict[str, list] = {}
            for n in wide:
                group = groups.setdefault(n.node.metadata.get("region", ""), [])
                if len(group) < k:
                    group.append(n)
            nodes = [n for group in zip_longest(*groups.values()) for n in group if n is not None]
        defined = []
        if asks_definition(question):
            terms = self.lexicon.question_terms(normalised.text, aliases=normalised.abbreviations)
            defined = self.glossary.lookup(terms, regions=named or None)
            # The passages that define the asked term lead (retrieved or not): for
            # this question they are the best evidence there is.
            ids = defining_chunks(defined, per_region=k)
            leading = [NodeWithScore(node=node, score=1.0) for node in self.retriever.nodes(ids)]
            lead = set(ids)
            nodes = leading + [n for n in nodes if n.node.node_id not in lead]
        for label in normalised.labels:
            # The chunks under the heading the question names ("in fase 1"), after the retrieved ones.
            have = {n.node.node_id for n in nodes}
            under = self.retriever.under_label(label_pattern(label), regions=named)
            nodes = nodes + [NodeWithScore(node=node, score=0.0) for node in under if node.node_id not in have]
        # The chunks of the sentences nearest to the question, when neither retriever ranked
        # them (one line deep in a long list); they count only with more coverage (answer.py).
        near = self.retriever.near_sentences(vector.tolist(), regions=named, exclude={n.node.node_id for n in nodes})
        nodes = nodes + [node for node, _ in near]
        sentences = self.sentences.for_chunks([n.node.node_id for n in nodes])
        for node, indexes in near:  # of these chunks, only the near sentences are scored
            records = sentences[node.node.node_id]
            sentences[node.node.node_id] = [records[i] for i in indexes if i < len(records)]
        return Evidence(question, normalised, vector, nodes, sentences, region, named=in_question, defined=defined,
                        chunk=self.chunk, chunk_sentences=self.chunk_sentences,
                        by_sentence=frozenset(node.node.node_id for node, _ in near))

    def chunk(self, chunk_id: str) -> BaseNode | None:
        """A chunk node by id, or None when there is no such chunk."""
        found = self.retriever.nodes([chunk_id])
        return found[0] if found else None

    def chunk_sentences(self, chunk_id: str) -> list[SentenceRecord]:
        return self.sentences.for_chunks([chunk_id])[chunk_id]

    def ask(self, question: str, region: str | None = None, top_k: int | None = None) -> Answer:
        """Answer one question; raises AskError for input that cannot be asked."""
        started = time.perf_counter()
        if region is not None and region not in self.regions:
            known = ", ".join(self.regions)
            raise AskError(
                "region", f"unknown region {region!r}; the documents cover {known}",
                f"Onbekende regio: {region}. De documenten gaan over: {known}.",
            )
        cleaned = check_question(question, self.settings)
        evidence = self.evidence(cleaned, region, top_k)
        answer = self.answerer.answer(evidence)
        answer.question = question
        answer.retrieved = [
            (n.node.node_id, n.node.get_content(), n.node.metadata.get("region", ""))
            for n in evidence.nodes
        ]
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer
