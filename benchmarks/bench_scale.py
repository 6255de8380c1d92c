"""Benchmark (not a test): question latency at 1k, 10k and 100k chunks, embedded and server mode.

For each size a synthetic index is built from the real one: perturbed copies of the
real chunks (about 12% of the words swapped for corpus words of the same length, so
sentence offsets stay valid, and the copies spread over the four regions) with their
real embeddings plus a little noise, the matching sentence records, and a BM25 index
written by the real `RouteIndex._write_bm25`. Nothing is embedded per chunk: only the
real corpus once (cached in `<work>/base`) and each question.

Questions (from evals/questions.yaml) then go through the real `Assistant.ask`
(the same retrieval + answer path as the CLI and the chat), without and with a
region filter, on the embedded store and on a `chroma run` server (started on a
loopback port on the same files), once with the code as it is ("ours") and once with
the baseline of plain Chroma filtering patched in ("where": the dense side asks
Chroma with a `where` region filter, sentence records are fetched with
`where chunk_id $in [...]`; see `where_baseline`). Prints a table and writes
benchmarks/results/scale.json.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 1000 10000 100000] [--queries 60]
        [--modes embedded server] [--variants ours where] [--work data/bench]
        [--out benchmarks/results/scale.json]

Built synthetic stores are kept in `<work>/scale-<n>` and reused while the base
index and this script's format are unchanged (delete the folder to rebuild).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

BENCH_FORMAT = 4  # 4: the sentence collection has RouteIndex's own graph
TARGET_P95_MS = 300.0
NOISE = 0.012  # per-dimension noise on the copies' unit vectors (cosine to the original ~0.97)
SWAP_RATE = 0.12
WARMUP = 20
WORD = re.compile(r"\b[a-zà-ÿ]{4,}\b")


def percentiles(values: list[float]) -> dict:
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p95_ms": round(float(np.percentile(values, 95)), 1),
        "mean_ms": round(float(np.mean(values)), 1),
        "n": len(values),
    }


def say(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


# -- the real index (the source of the synthetic ones) --------------------------------

def open_base(work: Path):
    from assistant.ask import Assistant
    from assistant.config import Settings

    model_dir = Settings().resolved_model_dir
    settings = Settings(_env_file=None, data_dir=work / "base", model_dir=model_dir)
    say(f"base index of the real corpus in {settings.data_dir} (built on first run)")
    return Assistant.open(settings, progress=say)


def read_base(base) -> tuple[list, dict]:
    """The real chunks (as nodes with embeddings) and their sentence records."""
    from llama_index.core.vector_stores.utils import metadata_dict_to_node

    got = base.index.chunks.get(include=["documents", "metadatas", "embeddings"])  # ~200 records: one page
    chunks = []
    for chunk_id, text, meta, vector in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"]):
        node = metadata_dict_to_node(meta, text=text)
        chunks.append((chunk_id, node, np.asarray(vector, dtype=np.float32)))
    chunks.sort(key=lambda c: c[0])
    sent = base.index.sentences.get(include=["documents", "metadatas", "embeddings"])
    sentences: dict[str, list] = defaultdict(list)
    for text, meta, vector in zip(sent["documents"], sent["metadatas"], sent["embeddings"]):
        sentences[meta["chunk_id"]].append((int(meta["start"]), int(meta["end"]), np.asarray(vector, dtype=np.float32)))
    return chunks, sentences


# -- synthetic corpora -------------------------------------------------------------------

def vocabulary(chunks) -> dict[int, list[str]]:
    words: set[str] = set()
    for _, node, _ in chunks:
        words.update(WORD.findall(node.get_content()))
    by_len: dict[int, list[str]] = defaultdict(list)
    for w in sorted(words):
        by_len[len(w)].append(w)
    return by_len


def perturb(text: str, rng: random.Random, vocab: dict[int, list[str]]) -> str:
    """Swap some words for other corpus words of the same length (offsets unchanged)."""

    def swap(match: re.Match) -> str:
        word = match.group(0)
        if rng.random() < SWAP_RATE:
            options = vocab.get(len(word))
            if options:
                return rng.choice(options)
        return word

    return WORD.sub(swap, text)


def noisy(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = vectors + rng.normal(0.0, NOISE, size=vectors.shape).astype(np.float32)
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


def build_synthetic(size: int, base_chunks, base_sentences, settings, embed, model_id, stamp: dict):
    """A RouteIndex holding `size` chunks; reused when its stamp matches."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    from assistant.config import REGIONS
    from assistant.index import FORMAT_VERSION, Manifest, RouteIndex, text_hash

    stamp_path = settings.data_dir / "bench-stamp.json"
    index = RouteIndex(settings, embed, model_id=model_id)
    stored = index.manifest()
    if stamp_path.exists() and json.loads(stamp_path.read_text()) == stamp and index.chunks.count() == size \
            and stored is not None and stored.stamp == f"bench-{size}":
        say(f"{size} chunks: reusing {settings.data_dir}")
        return index, None
    say(f"{size} chunks: building in {settings.data_dir}")
    started = time.perf_counter()
    index.clear()
    index.dir.mkdir(parents=True, exist_ok=True)
    # The sentence collection is built as RouteIndex builds it: every question also
    # searches it for its nearest sentences (retrieve.near_sentences).
    vocab = vocabulary(base_chunks)
    rng = random.Random(size)
    nrng = np.random.default_rng(size)
    nodes: list[TextNode] = []
    sent_ids, sent_texts, sent_metas, sent_vectors = [], [], [], []
    copy = 0
    while len(nodes) < size:
        for chunk_id, base_node, vector in base_chunks:
            if len(nodes) >= size:
                break
            text = base_node.get_content() if copy == 0 else perturb(base_node.get_content(), rng, vocab)
            meta = dict(base_node.metadata)
            doc_id = base_node.ref_doc_id or "doc"
            if copy:
                region_at = REGIONS.index(meta["region"]) if meta.get("region") in REGIONS else 0
                meta["region"] = REGIONS[(region_at + copy) % len(REGIONS)]
                doc_id = f"{doc_id}~{copy}"
            new_id = chunk_id if copy == 0 else f"{chunk_id}~{copy}"
            node = TextNode(
                id_=new_id,
                text=text,
                metadata=meta,
                excluded_embed_metadata_keys=list(base_node.excluded_embed_metadata_keys),
                excluded_llm_metadata_keys=list(base_node.excluded_llm_metadata_keys),
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc_id)},
            )
            node.embedding = (vector if copy == 0 else noisy(vector[None, :], nrng)[0]).tolist()
            nodes.append(node)
            records = base_sentences.get(chunk_id, [])
            if records:
                vectors = np.stack([r[2] for r in records])
                if copy:
                    vectors = noisy(vectors, nrng)
                for j, ((start, end, _), v) in enumerate(zip(records, vectors)):
                    sent_ids.append(f"{new_id}/{j}")
                    sent_texts.append(text[start:end])
                    sent_metas.append({"chunk_id": new_id, "chunk_hash": text_hash(text), "ref_doc_id": doc_id,
                                       "region": meta.get("region", ""), "index": j, "start": start, "end": end})
                    sent_vectors.append(v)
        copy += 1
    made = time.perf_counter()
    batch = 5000
    for i in range(0, len(nodes), batch):
        index.vector_store.add(nodes[i : i + batch])
    chunks_added = time.perf_counter()
    vectors = np.stack(sent_vectors)
    for i in range(0, len(sent_ids), batch):
        index.sentences.add(ids=sent_ids[i : i + batch], documents=sent_texts[i : i + batch],
                            metadatas=sent_metas[i : i + batch], embeddings=vectors[i : i + batch])
    sentences_added = time.perf_counter()
    for node in nodes:
        node.embedding = None
    documents = {}
    for node in nodes:
        documents.setdefault(node.ref_doc_id, {"hash": node.metadata.get("doc_hash", ""),
                                               "region": node.metadata.get("region", "")})
    manifest = Manifest(format=FORMAT_VERSION, model=model_id, chunk_size=settings.chunk_size,
                        chunk_overlap=settings.chunk_overlap, chunks=len(nodes), sentences=len(sent_ids),
                        max_sentences=max(int(m["index"]) + 1 for m in sent_metas),
                        documents=documents, stamp=f"bench-{size}")
    index._write_bm25(nodes, manifest.stamp)  # the real BM25 writer
    manifest.write(index.chunks)
    done = time.perf_counter()
    stamp_path.write_text(json.dumps(stamp))
    build = {
        "chunks": len(nodes),
        "sentences": len(sent_ids),
        "generate_s": round(made - started, 1),
        "chroma_chunks_s": round(chunks_added - made, 1),
        "chroma_sentences_s": round(sentences_added - chunks_added, 1),
        "bm25_s": round(done - sentences_added, 1),
    }
    say(f"{size} chunks built: {build}")
    return index, build


# -- a Chroma server on the same files ---------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def chroma_server(path: Path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    chroma = Path(sys.executable).with_name("chroma")
    log = path.parent / "chroma-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"chroma run exited: {log.read_text(errors='replace')[-1000:]}")
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("chroma run did not start within 120 s")
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def release_embedded_clients() -> None:
    """Drop this process's embedded Chroma systems so a server can own the files."""
    import gc

    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    gc.collect()


# -- measuring ------------------------------------------------------------------------

class StageTimer:
    """Wraps the retriever and the sentence store of one assistant to time their share."""

    def __init__(self, assistant):
        self.retrieve: list[float] = []
        self.sentences: list[float] = []
        self.embed: list[float] = []
        self._current = {"retrieve": 0.0, "sentences": 0.0, "embed": 0.0}
        retrieve, for_chunks = assistant.retriever.retrieve, assistant.sentences.for_chunks
        embed_model = assistant.embed_model
        encode = embed_model.encode_queries

        def timed_encode(*args, **kwargs):
            t = time.perf_counter()
            try:
                return encode(*args, **kwargs)
            finally:
                self._current["embed"] += time.perf_counter() - t

        # An instance attribute shadows the method (pydantic's __setattr__ would refuse it).
        object.__setattr__(embed_model, "encode_queries", timed_encode)
        self._restore = lambda: embed_model.__dict__.pop("encode_queries", None)

        def timed_retrieve(*args, **kwargs):
            t = time.perf_counter()
            try:
                return retrieve(*args, **kwargs)
            finally:
                self._current["retrieve"] += time.perf_counter() - t

        def timed_for_chunks(*args, **kwargs):
            t = time.perf_counter()
            try:
                return for_chunks(*args, **kwargs)
            finally:
                self._current["sentences"] += time.perf_counter() - t

        assistant.retriever.retrieve = timed_retrieve
        assistant.sentences.for_chunks = timed_for_chunks

    def start(self) -> None:
        self._current = {"retrieve": 0.0, "sentences": 0.0, "embed": 0.0}

    def stop(self) -> None:
        self.retrieve.append(self._current["retrieve"] * 1000)
        self.sentences.append(self._current["sentences"] * 1000)
        self.embed.append(self._current["embed"] * 1000)

    def close(self) -> None:
        self._restore()


def make_assistant(settings, embed, index):
    """The real `Assistant` over a given index (Assistant.open would reindex the corpus).

    Returns (assistant, seconds to construct, whether the sentence cache was preloaded).
    """
    from assistant.ask import Assistant
    from assistant.index import PRELOAD_LIMIT

    started = time.perf_counter()
    assistant = Assistant(settings, embed, index)
    preloaded = index.sentences.count() <= PRELOAD_LIMIT
    return assistant, time.perf_counter() - started, preloaded


@contextmanager
def where_baseline():
    """The baseline: plain Chroma filtering, as the code would be without its two scale changes.

    1. The dense side of a region-filtered retrieval is Chroma's `where` filter only
       (no `RegionFirst` over-fetch).
    2. Sentence records are fetched with `where chunk_id $in [...]` instead of by id.
    """
    from llama_index.core.schema import NodeWithScore

    from assistant import retrieve as retrieve_module
    from assistant.index import SentenceRecord, SentenceStore

    def for_chunks(self, chunk_ids):
        missing = [c for c in dict.fromkeys(chunk_ids) if c not in self._cache]
        if missing:
            got = self._collection.get(where={"chunk_id": {"$in": missing}},
                                       include=["embeddings", "documents", "metadatas"])
            fresh = {c: [] for c in missing}
            for text, meta, vector in zip(got["documents"], got["metadatas"], got["embeddings"]):
                fresh[meta["chunk_id"]].append(
                    SentenceRecord(meta["chunk_id"], int(meta["start"]), int(meta["end"]), text, vector))
            for chunk_id, records in fresh.items():
                self._cache[chunk_id] = sorted(records, key=lambda r: r.start)
        return {c: self._cache[c] for c in chunk_ids}

    original_retrieve = retrieve_module.ChromaDense._retrieve
    original_for_chunks = SentenceStore.for_chunks

    def filtered_retrieve(self, query_bundle):
        if self._region is None:
            return original_retrieve(self, query_bundle)
        hits = self._query(query_bundle.embedding, self._k, where={"region": self._region})
        nodes = self._nodes.get([i for i, _ in hits])
        return [NodeWithScore(node=nodes[i], score=1.0 - float(d)) for i, d in hits if i in nodes]

    retrieve_module.ChromaDense._retrieve = filtered_retrieve
    SentenceStore.for_chunks = for_chunks
    try:
        yield
    finally:
        retrieve_module.ChromaDense._retrieve = original_retrieve
        SentenceStore.for_chunks = original_for_chunks


@contextmanager
def variant(name: str):
    if name == "where":
        with where_baseline():
            yield
    else:
        yield


def load_questions(n: int, warmup: int = WARMUP) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(question, region) pairs from the eval set, measured and warm-up ones (distinct).

    Region: the question's expected region, else Utrecht.
    """
    import yaml

    items = yaml.safe_load((REPO / "evals" / "questions.yaml").read_text(encoding="utf-8"))["items"]
    rng = random.Random(20261128)
    rng.shuffle(items)
    pairs = [(i["question"], (i.get("regions") or ["Utrecht"])[0]) for i in items]
    return pairs[:n], pairs[n : n + warmup]


def measure(assistant, questions: list[tuple[str, str]], with_region: bool, warm: list[tuple[str, str]]) -> dict:
    from assistant.config import REGIONS

    # Other questions first: they build the per-region retrievers (a one-time cost per
    # process) without filling the sentence cache for the measured questions.
    for question, region in warm:
        assistant.ask(question, region=region if with_region else None)
    for region in REGIONS:
        assistant.ask(warm[0][0], region=region)
    timer = StageTimer(assistant)
    latencies = []
    for question, region in questions:
        timer.start()
        started = time.perf_counter()
        assistant.ask(question, region=region if with_region else None)
        latencies.append((time.perf_counter() - started) * 1000)
        timer.stop()
    timer.close()
    result = percentiles(latencies)
    for stage in ("embed", "retrieve", "sentences"):
        values = getattr(timer, stage)
        result[f"{stage}_p50_ms"] = round(float(np.percentile(values, 50)), 1)
        result[f"{stage}_p95_ms"] = round(float(np.percentile(values, 95)), 1)
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)
    return result


# -- main ---------------------------------------------------------------------------------

def run_variants(variants, size, mode, settings, embed, index, questions, warm) -> list[dict]:
    rows = []
    for name in variants:
        with variant(name):
            assistant, open_s, preloaded = make_assistant(settings, embed, index)
            for with_region in (False, True):
                result = measure(assistant, questions, with_region, warm)
                rows.append({"chunks": size, "mode": mode, "variant": name, "region_filter": with_region,
                             "open_s": round(open_s, 2), "preload": preloaded, **result})
                say(f"{rows[-1]}")
            del assistant
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--modes", nargs="+", choices=["embedded", "server"], default=["embedded", "server"])
    parser.add_argument("--variants", nargs="+", choices=["ours", "where"], default=["ours", "where"],
                        help="the code as it is, and the plain-Chroma-filter baseline (see where_baseline)")
    parser.add_argument("--work", type=Path, default=REPO / "data" / "bench")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "scale.json")
    args = parser.parse_args()

    from assistant.config import Settings
    from assistant.index import FORMAT_VERSION, PRELOAD_LIMIT, RouteIndex

    run_started = time.perf_counter()
    base = open_base(args.work)
    base_chunks, base_sentences = read_base(base)
    manifest = base.index.manifest()
    embed, model_id = base.embed_model, base.index.model_id
    questions, warm = load_questions(args.queries)
    say(f"base: {len(base_chunks)} chunks, {sum(map(len, base_sentences.values()))} sentences; "
        f"{len(questions)} questions")
    empty_corpus = args.work / "empty-corpus"
    empty_corpus.mkdir(parents=True, exist_ok=True)

    rows, builds = [], {}
    for size in args.sizes:
        settings = Settings(_env_file=None, data_dir=args.work / f"scale-{size}", corpus_dir=empty_corpus,
                            model_dir=base.settings.resolved_model_dir)
        stamp = {"bench": BENCH_FORMAT, "index": FORMAT_VERSION, "base": manifest.stamp if manifest else "",
                 "model": model_id, "size": size}
        index, build = build_synthetic(size, base_chunks, base_sentences, settings, embed, model_id, stamp)
        if build:
            builds[size] = build
        for mode in args.modes:
            if mode == "embedded":
                rows.extend(run_variants(args.variants, size, mode, settings, embed, index, questions, warm))
            else:
                del index
                release_embedded_clients()
                with chroma_server(settings.chroma_dir) as url:
                    server_settings = settings.model_copy(update={"chroma_url": url})
                    server_index = RouteIndex(server_settings, embed, model_id=model_id)
                    rows.extend(run_variants(args.variants, size, mode, server_settings, embed, server_index,
                                             questions, warm))
                    del server_index
                index = RouteIndex(settings, embed, model_id=model_id)
        del index
        release_embedded_clients()

    print_table(rows)
    report = {
        "target_p95_ms": TARGET_P95_MS,
        "questions": len(questions),
        "base_chunks": len(base_chunks),
        "preload_limit": PRELOAD_LIMIT,
        "rows": rows,
        "builds": builds,
        "cpu_count": os.cpu_count(),
        "threads": base.settings.threads,
        "total_s": round(time.perf_counter() - run_started, 1),
        "load_avg_end": [round(x, 2) for x in os.getloadavg()],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {args.out} ({report['total_s']} s)")


def print_table(rows: list[dict]) -> None:
    header = ["chunks", "mode", "variant", "region", "p50 ms", "p95 ms", "mean ms", "embed p50", "retrieve p50",
              "retrieve p95", "sentences p50", "open s", "load", f"p95<={TARGET_P95_MS:.0f}"]
    lines = [header]
    for r in rows:
        lines.append([
            f"{r['chunks']:,}", r["mode"], r["variant"], "yes" if r["region_filter"] else "no", f"{r['p50_ms']:.0f}",
            f"{r['p95_ms']:.0f}", f"{r['mean_ms']:.0f}", f"{r['embed_p50_ms']:.0f}", f"{r['retrieve_p50_ms']:.0f}",
            f"{r['retrieve_p95_ms']:.0f}", f"{r['sentences_p50_ms']:.0f}",
            f"{r['open_s']:.1f}" + ("" if r["preload"] else "*"), f"{r['load_avg_1m']:.1f}",
            "ok" if r["p95_ms"] <= TARGET_P95_MS else "OVER",
        ])
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    print()
    for line in lines:
        print("  ".join(str(cell).rjust(w) for cell, w in zip(line, widths)))
    print("* start-up without the sentence preload (above assistant.index.PRELOAD_LIMIT sentences)")
    print("load: 1-minute load average of the machine after the run (2 cores; above 2 means contention)")


if __name__ == "__main__":
    main()
