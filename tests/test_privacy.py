"""Issue 7: private by default — telemetry off in code, no question text stored anywhere."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

NAME, BSN = "Jantje Pietersma", "123456782"  # made up; 123456782 passes the elfproef
QUESTION = f"Mijn leerling {NAME} (BSN {BSN}) zit al zes weken thuis. Wanneer meld ik bij leerplicht?"


def test_telemetry_is_off_in_code():
    import assistant  # noqa: F401  (applies the environment)
    from assistant.config import Settings
    from assistant.index import make_chroma_client

    truthy, falsy = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "DO_NOT_TRACK"):
        assert os.environ[key].lower() in truthy, key
    for key in ("ANONYMIZED_TELEMETRY", "GRADIO_ANALYTICS_ENABLED"):
        assert os.environ[key].lower() in falsy, key
    assert Settings(_env_file=None).host == "127.0.0.1"


def test_chroma_client_has_telemetry_off(tmp_path):
    from assistant.config import Settings
    from assistant.index import make_chroma_client

    client = make_chroma_client(Settings(_env_file=None, data_dir=tmp_path))
    assert client.get_settings().anonymized_telemetry is False


def files_containing(root: Path, needles: list[str]) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path}: {n}" for n in needles if n.encode() in data]
    return hits


@pytest.mark.slow
def test_question_text_is_not_stored(settings, assistant, caplog):
    caplog.set_level(logging.DEBUG)
    answer = assistant.ask(QUESTION)
    assert answer.answer
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir),
           "ASSISTANT_MODEL_DIR": str(settings.resolved_model_dir)}
    out = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", QUESTION],
                         capture_output=True, text=True, env=env, timeout=600, check=True)
    assert NAME not in out.stderr and BSN not in out.stderr
    assert files_containing(settings.data_dir, [NAME, "Pietersma", BSN]) == []
    assert all(NAME not in r.getMessage() and BSN not in r.getMessage() for r in caplog.records)
