# Real S3 servers for tests/e2e/test_servers_e2e.py: Ceph RGW and OpenStack Swift with s3api
# (Debian packages) and s3rver (npm), and a scheduler for tests/datalad/test_publish_shards.py:
# Slurm and munge (Debian packages; the test starts its own daemons, tests/support/slurm.py),
# installed on a fresh Debian machine; quick and idempotent when all are there. Runs as root (CI)
# or through sudo, never reads stdin. Included by the Makefile.
SERVERS_DIR    ?= .servers
SERVERS_NPM    := $(SERVERS_DIR)/npm
S3RVER         := $(SERVERS_NPM)/node_modules/.bin/s3rver
CEPH_PACKAGES  := radosgw ceph-mon ceph-osd ceph-common
# Swift's daemons are run by tests/support/swift.py (no systemd); swift ships /etc/swift/swift.conf
SWIFT_PACKAGES := swift swift-proxy swift-object swift-container swift-account python3-swift \
                  memcached
SLURM_PACKAGES := slurmctld slurmd slurm-client munge
SERVERS_APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get -y -qq -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=600

.PHONY: servers servers-ceph servers-swift servers-s3rver servers-slurm test-servers

servers: servers-ceph servers-swift servers-s3rver servers-slurm

servers-ceph: PACKAGES = $(CEPH_PACKAGES)
servers-swift: PACKAGES = $(SWIFT_PACKAGES)
servers-slurm: PACKAGES = $(SLURM_PACKAGES)
servers-ceph servers-swift servers-slurm:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing $$missing"; \
	  $(SERVERS_APT) install --no-install-recommends $$missing </dev/null || \
	  { $(SERVERS_APT) update </dev/null && \
	    $(SERVERS_APT) install --no-install-recommends $$missing </dev/null; }; \
	fi

servers-s3rver: $(S3RVER)

$(S3RVER):
	@command -v npm >/dev/null || { $(SERVERS_APT) update </dev/null && \
	  $(SERVERS_APT) install --no-install-recommends nodejs npm </dev/null; }
	@mkdir -p $(SERVERS_NPM)
	@[ -f $(SERVERS_NPM)/package.json ] || echo '{"name": "s3py-test-servers", "private": true}' \
	  > $(SERVERS_NPM)/package.json
	cd $(SERVERS_NPM) && npm install --no-audit --no-fund --loglevel=error s3rver@3 </dev/null
	@touch $@

test-servers: setup servers
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -q $(PYTEST_ARGS) \
	  tests/e2e/test_servers_e2e.py
