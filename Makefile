# git-annex-remote-s3py: every target installs what it needs on a fresh Debian machine.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=
BENCH_ARGS ?=

include mk/servers.mk

.PHONY: setup demo test test-fast lint bench docs clean

$(STAMP): pyproject.toml
	@command -v git-annex >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq git-annex; }
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,datalad]'
	@touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(PY) scripts/demo.py

# The whole suite: every tier, the real git-annex and DataLad included.
test: setup servers
	$(VENV)/bin/ruff check git_annex_remote_s3py tests scripts
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -q $(PYTEST_ARGS)

# Lint and the fast tiers (tests/unit, tests/store, tests/protocol): no git-annex, < 10 s.
test-fast: setup
	$(VENV)/bin/ruff check git_annex_remote_s3py tests scripts
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -q -m "not e2e" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check git_annex_remote_s3py tests scripts

bench: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) scripts/bench.py $(BENCH_ARGS)

docs: setup
	$(PY) scripts/update_docs.py

clean:
	rm -rf $(VENV) demo bench-results .pytest_cache
