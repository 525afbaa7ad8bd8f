# Two entry points for a fresh machine: `make run` (install, build corpus and index, serve) and
# `make test` (install, run the test suite). torch is pinned to the CPU build on local disk and
# installed before anything that would otherwise pull a multi-GB CUDA build. The milvus extra is
# installed too, so that the tests run QA_BACKEND=milvus against a milvus-lite server.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install browser run test index bench

$(BIN)/qa: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test,milvus]'
	touch $@

install: $(BIN)/qa

# Debian's Chromium for the browser tests (Playwright drives it; no browser is downloaded).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null)

index: install
	$(BIN)/qa corpus build
	$(BIN)/qa index build

run: index
	$(BIN)/qa serve --host $(HOST) --port $(PORT)

test: install browser
	$(BIN)/python -m pytest -q

bench: index
	$(BIN)/qa bench index
	$(BIN)/qa bench api
