"""Benchmark (not a test): `ask` latency and cold start vs. a naive llama-index baseline.

In one run, against the same Chroma store and the same model:
- ours: warm per-question latency of `Assistant.ask` over the eval questions (p50/p95),
  and cold start (a fresh process: imports, model, index check, first answer);
- baseline: `VectorStoreIndex.from_vector_store(...).as_retriever(similarity_top_k=5)`,
  warm per-question retrieve latency and cold start likewise.
Prints a table with the ratios and writes `benchmarks/results/ask.json`.

    .venv/bin/python benchmarks/bench_ask.py [--data-dir DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

QUESTION = "Wanneer meld ik bij leerplicht?"


def percentiles(values: list[float]) -> dict:
    return {"p50_ms": round(float(np.percentile(values, 50)), 1),
            "p95_ms": round(float(np.percentile(values, 95)), 1),
            "mean_ms": round(float(np.mean(values)), 1), "n": len(values)}


def open_assistant():
    from assistant.ask import Assistant
    from assistant.config import Settings

    return Assistant.open(Settings())


def baseline_retriever(assistant):
    from llama_index.core import VectorStoreIndex

    index = VectorStoreIndex.from_vector_store(assistant.index.vector_store, embed_model=assistant.embed_model)
    return index.as_retriever(similarity_top_k=5)


def cold(mode: str) -> None:
    """Child process: open, answer one question, exit (timed by the parent)."""
    if mode == "ours":
        open_assistant().ask(QUESTION)
    else:
        from llama_index.core import VectorStoreIndex

        from assistant.config import Settings
        from assistant.embedding import SentenceTransformerEmbedding, load_sentence_transformer
        from assistant.index import make_chroma_client
        from llama_index.vector_stores.chroma import ChromaVectorStore

        settings = Settings()
        model = load_sentence_transformer(settings.resolved_model_dir, settings.threads)
        collection = make_chroma_client(settings).get_collection(settings.collection + "_chunks")
        index = VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=collection), embed_model=SentenceTransformerEmbedding(model)
        )
        index.as_retriever(similarity_top_k=5).retrieve(QUESTION)


def time_cold(mode: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--cold", mode], check=True, capture_output=True)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "ask.json"))
    parser.add_argument("--cold", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()
    if args.cold:
        cold(args.cold)
        return

    from assistant.evaluate import load_items

    assistant = open_assistant()  # builds model/index if needed, before anything is timed
    questions = [i["question"] for i in load_items()]
    retriever = baseline_retriever(assistant)
    for q in questions[:5]:  # warm both paths
        assistant.ask(q)
        retriever.retrieve(q)

    ours, base = [], []
    for q in questions:
        t = time.perf_counter(); assistant.ask(q); ours.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter(); retriever.retrieve(q); base.append((time.perf_counter() - t) * 1000)

    result = {
        "questions": len(questions),
        "warm": {"ours": percentiles(ours), "baseline": percentiles(base)},
        "cold_start": {"ours": percentiles(time_cold("ours", args.cold_runs)),
                       "baseline": percentiles(time_cold("baseline", args.cold_runs))},
        "targets": {"warm_p50_ms": 60, "warm_p95_ms": 150},
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    for key in ("warm", "cold_start"):
        o, b = result[key]["ours"], result[key]["baseline"]
        result[key]["ratio_p50"] = round(o["p50_ms"] / b["p50_ms"], 2)
        result[key]["ratio_p95"] = round(o["p95_ms"] / b["p95_ms"], 2)

    print(f"{'':22}{'p50 ms':>10}{'p95 ms':>10}")
    for key in ("warm", "cold_start"):
        for who in ("ours", "baseline"):
            r = result[key][who]
            print(f"{key + ' ' + who:22}{r['p50_ms']:>10}{r['p95_ms']:>10}")
        print(f"{key + ' ratio':22}{result[key]['ratio_p50']:>10}{result[key]['ratio_p95']:>10}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
