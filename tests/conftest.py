"""Shared fixtures: one real model and one real index per test session.

The model is converted once into the repo's `data/models/` cache (as `make chat`
would); every index a test builds lives in a temporary data directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from assistant.config import REPO_ROOT, Settings  # noqa: E402


def shared_model_dir() -> Path:
    from assistant.model_build import ensure_model

    return ensure_model(REPO_ROOT / "data" / "models" / "multilingual-e5-small")


def make_settings(data_dir: Path, **overrides) -> Settings:
    """Settings for a temporary data dir, ignoring the developer's own .env and environment."""
    values = dict(data_dir=data_dir, model_dir=shared_model_dir(), corpus_dir=REPO_ROOT / "corpus")
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return shared_model_dir()


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def settings(session_data_dir, model_dir) -> Settings:
    return make_settings(session_data_dir)


@pytest.fixture(scope="session")
def assistant(settings):
    """A ready assistant over the real corpus (builds the index once per session)."""
    from assistant.ask import Assistant

    return Assistant.open(settings)
