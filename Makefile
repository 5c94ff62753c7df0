# git-annex-remote-s3py: every target installs what it needs on a fresh Debian machine.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=
# The fast tiers run on pytest-xdist workers (one per core; PYTEST_WORKERS=0: one process).
PYTEST_WORKERS ?= auto
FAST_TIERS ?= tests/unit tests/store tests/protocol
BENCH_ARGS ?=

.DEFAULT_GOAL := setup
.PHONY: setup demo test test-fast lint bench docs clean

include mk/servers.mk    # Ceph RGW and s3rver for tests/e2e/test_servers_e2e.py
include mk/git-annex.mk  # the newest git-annex next to Debian's; the test-matrix target

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

# ruff, unit/store/protocol once, e2e + DataLad against Debian's and the newest git-annex
test: test-matrix

# Lint (ruff, mypy) and the fast tiers (tests/unit, tests/store, tests/protocol): no git-annex. Bytecode is
# cached (in the ignored __pycache__/) even where PYTHONDONTWRITEBYTECODE is set: each of the
# remote's ~80 start-ups, and each worker's assertion rewriting, would otherwise compile again.
test-fast: setup
	$(VENV)/bin/ruff check git_annex_remote_s3py tests scripts
	$(VENV)/bin/mypy
	PYTHONDONTWRITEBYTECODE= PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
	  $(PY) -m pytest -q -n $(PYTEST_WORKERS) -m "not e2e" $(FAST_TIERS) $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check git_annex_remote_s3py tests scripts
	$(VENV)/bin/mypy

# matplotlib (the bench extra) draws the scale row's plot; nothing else needs it
$(VENV)/.installed-bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	@touch $@

bench: setup annex-newest $(VENV)/.installed-bench
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) scripts/bench/bench.py $(BENCH_ARGS)

docs: setup
	$(PY) scripts/update_docs.py

clean:
	rm -rf $(VENV) $(ANNEX_NEWEST_VENV) demo bench-results .pytest_cache
