"""Issue 2: the converted model ranks the right passage first for Dutch questions (dense only)."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow

# question -> a phrase of the passage that must rank first among all corpus chunks
PAIRS = {
    "Hoeveel uur ongeoorloofd verzuim moet ik melden bij leerplicht?": "zestien uur lestijd",
    "Binnen hoeveel dagen komt de actietafel bij elkaar?": "Binnen 5 dagen actietafel",
    "Wat moet de schoolcontactpersoon van PPO doen bij een thuiszitter?": "Schoolcontactpersoon",
    "Wat doet het Interventieteam VO?": "Interventieteam",
    "Kind spijbelt al weken, wat is problematisch verzuim?": "problematisch verzuim",
}


def test_right_passage_ranks_first(assistant):
    got = assistant.index.chunks.get(include=["embeddings", "documents"])
    vectors = np.asarray(got["embeddings"], dtype=np.float32)
    misses = []
    for question, phrase in PAIRS.items():
        q = assistant.embed_model.encode_queries([question])[0]
        best = got["documents"][int(np.argmax(vectors @ q))]
        if phrase.lower() not in best.lower():
            misses.append((question, best[:120]))
    assert not misses, misses
