# `make chat` starts the app, `make test` runs the tests; both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# torch==2.13.0 (CPU) lies on local disk on these machines; an unpinned torch
# would pull a multi-GB CUDA build from PyPI.
PIP_FIND := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
# No wheel cache: CI machines can be short of disk, and a cached copy of every
# download would double what the install writes (stop 13 died of ENOSPC in pip).
PIP := $(BIN)/python -m pip --disable-pip-version-check --no-cache-dir
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: venv browser chat test test-fast index eval bench bench-scale lock clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q $(PIP_FIND) -c constraints.txt "torch==2.13.0"
	$(PIP) install -q $(PIP_FIND) -c constraints.txt -e ".[test]"
	touch $(STAMP)

chat: venv
	$(BIN)/assistant chat

index: venv
	$(BIN)/assistant index

test: venv browser
	$(BIN)/python -m pytest

# Debian's Chromium for the end-to-end browser test (Playwright drives /usr/bin/chromium;
# `playwright install` would download a browser, which these machines cannot).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: chromium could not be installed; the browser test will be skipped"; \
	  else echo "warning: no chromium and no root apt-get; the browser test will be skipped"; fi; }

# Unit tests only (no model, no index): seconds.
test-fast: venv
	$(BIN)/python -m pytest -m "not slow and not browser"

eval: venv
	$(BIN)/assistant eval

bench: venv
	$(BIN)/python benchmarks/bench_embedding.py
	$(BIN)/python benchmarks/bench_ask.py

bench-scale: venv
	$(BIN)/python benchmarks/bench_scale.py

# Re-pin constraints.txt to what the venv holds (after changing pyproject.toml).
lock: venv
	$(PIP) freeze --exclude-editable | grep -v '^routeboek-assistant' \
	  | sed -E 's#^([A-Za-z0-9_.-]+) @ file://.*/[A-Za-z0-9_]+-([0-9][^-]*)-py3.*$$#\1==\2#' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache
