"""Issue 7: 20 concurrent users x 5 questions against the real Gradio app (slow, runs in CI)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from assistant.app import ALL_REGIONS
from test_app import free_port

pytestmark = pytest.mark.slow

QUESTIONS = [
    ("Wat is een thuiszitter in Rotterdam?", "Rotterdam"),
    ("Hoe lang duurt een brugplaatsing op het KDC?", "Drechtsteden"),
    ("Binnen hoeveel dagen is er een actietafel in Utrecht?", "Utrecht"),
    ("Wat is de hoofdstad van Frankrijk?", None),
    ("Wat doet het Interventieteam VO in Utrecht?", "Utrecht"),
]
USERS = 20


def test_twenty_concurrent_users(settings, assistant):
    from gradio_client import Client

    from assistant.app import serve

    served = serve(settings.model_copy(update={"port": free_port()}), assistant=assistant, block=False)
    try:
        def user(_: int) -> list[tuple[str, str, str | None, float]]:
            client = Client(served.url, verbose=False, analytics_enabled=False, download_files=False)
            results = []
            for question, region in QUESTIONS:
                started = time.perf_counter()
                text, sources = client.predict(question, ALL_REGIONS, api_name="/chat")
                results.append((text, sources, region, (time.perf_counter() - started) * 1000))
            return results

        with ThreadPoolExecutor(max_workers=USERS) as pool:
            runs = [r for rs in pool.map(user, range(USERS)) for r in rs]
    finally:
        served.close()

    assert len(runs) == USERS * len(QUESTIONS)
    for text, sources, region, _ in runs:
        assert "Traceback" not in text and "fout" not in text.lower()
        if region is None:
            assert "staat niet in de documenten" in text
        else:
            assert "[1]" in text and region in sources
    latencies = [ms for *_, ms in runs]
    p50, p95 = np.percentile(latencies, 50), np.percentile(latencies, 95)
    print(f"\nload: {len(runs)} answers, p50 {p50:.0f} ms, p95 {p95:.0f} ms (20 users, queue concurrency 2)")
