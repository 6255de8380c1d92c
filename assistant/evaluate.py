"""Eval runner: the eval set through `Assistant.ask`, scored per category and split.

Metrics (see evals/README.md for the item fields):
- answer accuracy: answerable item answered (not refused) and every `facts` regex matches the answer;
- citation support: a cited passage matches every `evidence` regex (comparisons: each regex
  matches some cited passage);
- region accuracy: every expected region is among the cited regions;
- refusal precision / recall, with "refused" as the positive class;
- retrieval hit@1, hit@5 and MRR of the first retrieved passage that carries the evidence
  (ranked within its region's retrieval, since retrieval runs per region);
- latency p50 / p95 of `ask`.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import yaml

from assistant.chunk import plain
from assistant.config import REPO_ROOT

DEFAULT_EVAL_FILE = REPO_ROOT / "evals" / "questions.yaml"
GATES = {
    "answer_accuracy": 0.95,
    "citation_support": 0.95,
    "refusal_recall": 1.0,
    "refusal_precision": 0.95,
    "hit_at_5": 0.95,
}


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def matches(pattern: str, text: str) -> bool:
    return re.search(pattern, collapse(text), re.IGNORECASE) is not None


def matches_passage(pattern: str, raw: str) -> bool:
    """Match against the passage as stored (Markdown) and as the reader sees it."""
    return matches(pattern, raw) or matches(pattern, plain(raw))


def load_items(path: Path = DEFAULT_EVAL_FILE, split: str | None = None) -> list[dict]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
    return [i for i in items if split in (None, "all") or i.get("split") == split]


@dataclass
class ItemResult:
    id: str
    category: str
    split: str
    refuse: bool
    refused: bool
    answer_ok: bool | None
    citation_ok: bool | None
    region_ok: bool | None
    evidence_rank: int | None  # 1-based rank of the evidence passage in retrieval
    latency_ms: float
    reasons: list[str] = field(default_factory=list)


def evidence_rank(item: dict, retrieved: list[tuple[str, str, str]]) -> int | None:
    """Rank of the first retrieved passage carrying evidence (any one regex for comparisons).

    Retrieval runs per region (see `Assistant.evidence`), so the rank is counted
    within the passage's own region: rank 1 is its region's best passage.
    """
    patterns = item["evidence"]
    per_region: dict[str, int] = {}
    for _id, text, region in retrieved:
        per_region[region] = rank = per_region.get(region, 0) + 1
        if item["category"] == "vergelijking":
            if any(matches_passage(p, text) for p in patterns):
                return rank
        elif all(matches_passage(p, text) for p in patterns):
            return rank
    return None


def score_item(item: dict, answer) -> ItemResult:
    """Compare one Answer against its eval item."""
    reasons: list[str] = []
    result = ItemResult(
        id=item["id"],
        category=item["category"],
        split=item.get("split", "tune"),
        refuse=bool(item.get("refuse")),
        refused=answer.refused,
        answer_ok=None,
        citation_ok=None,
        region_ok=None,
        evidence_rank=None,
        latency_ms=answer.latency_ms,
    )
    if result.refuse:
        if not answer.refused:
            reasons.append("answered a question the documents do not answer")
        result.reasons = reasons
        return result
    if answer.refused:
        reasons.append("refused an answerable question")
    missing = [f for f in item["facts"] if not matches(f, answer.answer)]
    if missing:
        reasons.append(f"answer lacks {missing}")
    result.answer_ok = not answer.refused and not missing
    cited = [c.text for c in answer.citations]
    if item["category"] == "vergelijking":
        result.citation_ok = all(any(matches_passage(p, t) for t in cited) for p in item["evidence"])
    else:
        result.citation_ok = any(all(matches_passage(p, t) for p in item["evidence"]) for t in cited)
    if not result.citation_ok and not answer.refused:
        reasons.append("no cited passage carries the evidence")
    cited_regions = {c.region for c in answer.citations}
    result.region_ok = set(item["regions"]) <= cited_regions
    if not result.region_ok and not answer.refused:
        reasons.append(f"cited regions {sorted(cited_regions)}, expected {item['regions']}")
    result.evidence_rank = evidence_rank(item, answer.retrieved)
    if result.evidence_rank is None:
        reasons.append("evidence passage not retrieved")
    result.reasons = reasons
    return result


def _share(values: Iterable[bool | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def summarise(results: list[ItemResult]) -> dict:
    """Aggregate metrics for a list of item results."""
    answerable = [r for r in results if not r.refuse]
    should, did = [r for r in results if r.refuse], [r for r in results if r.refused]
    true_refusals = sum(1 for r in results if r.refuse and r.refused)
    ranks = [r.evidence_rank for r in answerable]
    latencies = [r.latency_ms for r in results]
    return {
        "n": len(results),
        "answerable": len(answerable),
        "must_refuse": len(should),
        "answer_accuracy": _share(r.answer_ok for r in answerable),
        "citation_support": _share(r.citation_ok for r in answerable),
        "region_accuracy": _share(r.region_ok for r in answerable),
        "refusal_precision": round(true_refusals / len(did), 4) if did else (1.0 if not should else 0.0),
        "refusal_recall": round(true_refusals / len(should), 4) if should else None,
        "hit_at_1": _share(rank == 1 for rank in ranks) if ranks else None,
        "hit_at_5": _share(rank is not None and rank <= 5 for rank in ranks) if ranks else None,
        "mrr": round(float(np.mean([1 / r if r else 0.0 for r in ranks])), 4) if ranks else None,
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
    }


def run_eval(assistant, items: list[dict]) -> list[ItemResult]:
    """Ask every item through the same `ask` the CLI uses."""
    assistant.ask("Wanneer meld ik bij leerplicht?")  # warm-up, not scored
    results = []
    for item in items:
        answer = assistant.ask(item["question"])
        results.append(score_item(item, answer))
    return results


def report(results: list[ItemResult]) -> dict:
    """Overall, per split and per category summaries plus the failures."""
    splits = sorted({r.split for r in results})
    categories = sorted({r.category for r in results})
    return {
        "overall": summarise(results),
        "splits": {s: summarise([r for r in results if r.split == s]) for s in splits},
        "categories": {c: summarise([r for r in results if r.category == c]) for c in categories},
        "gates": GATES,
        "failures": [asdict(r) for r in results if r.reasons],
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


COLUMNS = [
    ("n", "n"),
    ("answer_accuracy", "answer"),
    ("citation_support", "cite"),
    ("region_accuracy", "region"),
    ("refusal_precision", "ref.P"),
    ("refusal_recall", "ref.R"),
    ("hit_at_1", "hit@1"),
    ("hit_at_5", "hit@5"),
    ("mrr", "MRR"),
    ("latency_p50_ms", "p50ms"),
    ("latency_p95_ms", "p95ms"),
]


def format_table(rep: dict) -> str:
    rows = [("overall", rep["overall"])]
    rows += [(f"split:{k}", v) for k, v in rep["splits"].items()]
    rows += [(f"cat:{k}", v) for k, v in rep["categories"].items()]
    head = f"{'':18}" + "".join(f"{label:>8}" for _, label in COLUMNS)
    lines = [head, "-" * len(head)]
    for name, summary in rows:
        cells = []
        for key, _ in COLUMNS:
            value = summary.get(key)
            cells.append(f"{'-':>8}" if value is None else f"{value:>8}")
        lines.append(f"{name:18}" + "".join(cells))
    return "\n".join(lines)


def format_failures(rep: dict) -> str:
    return "\n".join(f"  {f['id']} ({f['split']}): {'; '.join(f['reasons'])}" for f in rep["failures"])


def write_report(rep: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rep, indent=2, ensure_ascii=False))
