"""Offline and telemetry-off defaults, applied before any third-party import.

Questions may contain pupils' names, so nothing may leave the machine: no
model hub, no analytics, no telemetry. These variables are set in code (not
only documented) because the libraries read them at import time.
"""

from __future__ import annotations

import os

# Forced, not defaulted: a user environment must not switch these back on by accident.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "DO_NOT_TRACK": "1",
    "ANONYMIZED_TELEMETRY": "False",  # Chroma
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_offline_env() -> None:
    """Set the offline/telemetry variables in this process (and its children)."""
    os.environ.update(OFFLINE_ENV)
