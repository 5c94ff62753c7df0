# The git-annex matrix: Debian's git-annex (apt, 10.20230126) and the newest release (the PyPI
# wheel, pinned). Included from the Makefile; alone: make -f Makefile -f mk/git-annex.mk TARGET.
#
# The wheel goes into its own venv; ANNEX_NEWEST_BIN holds symlinks to ONLY its git-annex and
# git-annex-shell, so prepending that directory to PATH changes git-annex and nothing else.
# The e2e tiers pick their git-annex from S3PY_TEST_GIT_ANNEX_BIN (tests/support/local_s3.py
# puts it first on PATH) and tests/support/annex_version.py checks the version at session start.
ANNEX_NEWEST_VERSION ?= 10.20261026
ANNEX_NEWEST_VENV    ?= .venv-annex-newest
ANNEX_NEWEST_BIN     := $(CURDIR)/$(ANNEX_NEWEST_VENV)/annex-bin
ANNEX_NEWEST_STAMP   := $(ANNEX_NEWEST_VENV)/.installed-$(ANNEX_NEWEST_VERSION)
ANNEX_DEBIAN_VERSION ?= 10.20230126
E2E_TIERS            ?= tests/e2e tests/datalad

.PHONY: annex-newest test-e2e-debian test-e2e-newest test-matrix

$(ANNEX_NEWEST_STAMP):
	@[ -x $(ANNEX_NEWEST_VENV)/bin/python ] || python3 -m venv $(ANNEX_NEWEST_VENV)
	@# the wheel is large: a download that arrives damaged (pip: "do not match the hashes",
	@# seen once in a CI dry run) is fetched again, up to three times
	@for attempt in 1 2 3; do \
	  $(ANNEX_NEWEST_VENV)/bin/python -m pip install -q --no-cache-dir \
	    'git-annex==$(ANNEX_NEWEST_VERSION)' && break; \
	  [ $$attempt = 3 ] && exit 1; echo "pip install git-annex failed; attempt $$((attempt + 1)) of 3"; \
	done
	@mkdir -p $(ANNEX_NEWEST_BIN)
	@for tool in git-annex git-annex-shell; do \
	  ln -sf "$(CURDIR)/$(ANNEX_NEWEST_VENV)/bin/$$tool" "$(ANNEX_NEWEST_BIN)/$$tool"; done
	@$(ANNEX_NEWEST_BIN)/git-annex version --raw | grep -q '^$(ANNEX_NEWEST_VERSION)' || \
	  { echo "$(ANNEX_NEWEST_BIN)/git-annex is not $(ANNEX_NEWEST_VERSION)"; exit 1; }
	@touch $@

annex-newest: $(ANNEX_NEWEST_STAMP)

test-e2e-debian: setup servers
	S3PY_TEST_GIT_ANNEX_BIN= S3PY_TEST_GIT_ANNEX_VERSION=$(ANNEX_DEBIAN_VERSION) \
	  PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -q $(E2E_TIERS) $(PYTEST_ARGS)

test-e2e-newest: setup servers annex-newest
	S3PY_TEST_GIT_ANNEX_BIN=$(ANNEX_NEWEST_BIN) S3PY_TEST_GIT_ANNEX_VERSION=$(ANNEX_NEWEST_VERSION) \
	  PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -q $(E2E_TIERS) $(PYTEST_ARGS)

# ruff and the fast tiers once (test-fast), then the e2e and DataLad tiers against each git-annex
test-matrix: test-fast test-e2e-debian test-e2e-newest
