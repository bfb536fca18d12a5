# Two commands do all set-up on a fresh Debian 12 machine (as root):
#   make demo   - the main job end to end on simulated drives
#   make test   - the whole test suite
# Both install what is missing first: Debian packages and a virtualenv. Installed packages
# start no services (policy-rc.d): openssh-server is there for the tests' own sshd, which
# listens on 127.0.0.1 only; the system sshd it brings stays off unless it was there before.

VENV        ?= .venv
PYTHON      ?= python3
PY          := $(VENV)/bin/python
APT_PACKAGES := fio nvme-cli smartmontools nbdkit nbdkit-plugin-python libnbd-bin \
                util-linux fdisk e2fsprogs python3-venv chromium openssh-client openssh-server
STAMP       := $(VENV)/.installed-stamp
GUEST_APT_PACKAGES := qemu-system-x86 kmod cpio
GUEST_OUT   ?= guest-out

.PHONY: all deps system-deps venv lint test test-fast test-guest validate demo bench clean

# make test runs the suite on TEST_WORKERS pytest-xdist workers. Most tests wait
# on fio and on simulated drives' modelled service times, so 4 workers on 2
# cores finish in under half the time of one. Tests that compare fio's
# measurements with a simulated drive's truth can read low while other workers
# load the CPU: a test that fails in the parallel pass is run once more, alone,
# and only that run decides (a real failure fails there too; the re-run is
# printed, never hidden). Tests that share a module-scoped fixture (the demo,
# a lab's tree, a fio run) carry an xdist_group mark, so --dist loadgroup
# runs that fixture once, on one worker, instead of once per worker.
TEST_WORKERS ?= 4

all: test

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "need root to install:$$missing" >&2; exit 2; fi; \
	  quiet=""; if [ ! -e /usr/sbin/policy-rc.d ]; then quiet=1; \
	    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  status=$$?; [ -z "$$quiet" ] || rm -f /usr/sbin/policy-rc.d; \
	  case " $$missing " in *" openssh-server "*) \
	    systemctl disable ssh.service ssh.socket >/dev/null 2>&1 || true;; esac; \
	  exit $$status; \
	fi

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

deps: system-deps venv

lint: deps
	$(PY) -m ruff check nvmeprobe tests bench guest
	$(PY) -m ruff format --check nvmeprobe tests bench guest
	$(PY) -m mypy

test: lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15 || { \
	  echo "== re-running, alone, the tests that failed in the parallel pass"; \
	  $(PY) -m pytest --last-failed --last-failed-no-failures none -n 0; }

# The quick loop over the pure logic: no programs, no devices (about a minute).
test-fast: deps
	$(PY) -m pytest -m "not live and not slow" -n $(TEST_WORKERS) --dist loadgroup

# The guest level: a QEMU guest (Debian 6.1 kernel built from packages, cached
# in .cache/guest) with emulated NVMe, null_blk and an nvmet-tcp namespace.
test-guest: APT_PACKAGES += $(GUEST_APT_PACKAGES)
test-guest: deps
	NVMEPROBE_GUEST_OUT=$(abspath $(GUEST_OUT)) $(PY) -m pytest -m guest tests/guest -p no:cacheprovider

validate: deps
	$(PY) -m pytest -m slow -p no:cacheprovider

demo: deps
	$(VENV)/bin/nvmeprobe demo --out demo-out

bench: deps
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache demo-out $(GUEST_OUT)
