"""The eval gate (issue 4): the whole eval set through `ask`, held to the published bars."""

from __future__ import annotations

import json

import pytest

from assistant.evaluate import GATES, format_failures, format_table, load_items, report, run_eval, write_report

pytestmark = [pytest.mark.slow, pytest.mark.eval_gate]


@pytest.mark.xfail(
    strict=True,
    reason="issue 4 open: the extractive answerer does not reach the bars yet (whole set on 86daa56, "
    "2026-12-08: answer accuracy 0.953 (202 of 212) and citation support 0.953 meet theirs, refusal "
    "precision 0.94 (two answerable held-out questions refused, at most one may be) does not; "
    "refusal recall is 1.0); "
    "strict, so this marker must go the day the gate passes",
)
def test_eval_gate(assistant, tmp_path):
    rep = report(run_eval(assistant, load_items()))
    write_report(rep, tmp_path / "eval.json")
    print("\n" + format_table(rep) + "\n" + format_failures(rep))
    overall = rep["overall"]
    misses = {k: (overall[k], bar) for k, bar in GATES.items() if overall[k] is None or overall[k] < bar}
    assert not misses, json.dumps(misses)
