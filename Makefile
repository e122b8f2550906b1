# SPDX-License-Identifier: GPL-3.0-or-later
# Thin wrapper around Meson. `make run` and `make test` install what they
# need first (scripts/deps), so a fresh Debian 12 machine needs nothing else.

BUILD   ?= build
PYTHON  ?= /usr/bin/python3
MESON_OPTS ?=

.PHONY: all build deps deps-test run test unit system fuzz bench soak clean

all: build

deps:
	@scripts/deps build

deps-test:
	@scripts/deps test

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	@scripts/demo-setup
	exec $(BUILD)/ddnsd -c var/ddnsd.conf

unit: build
	meson test -C $(BUILD) --print-errorlogs

system: build deps-test
	$(PYTHON) -m pytest -q tests/system

# Unit tests and corpus replays first, then the system tests; pytest's
# summary line is the last thing printed.
test: build deps-test
	@scripts/demo-setup >/dev/null
	meson test -C $(BUILD) --print-errorlogs
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/system

fuzz:
	scripts/fuzz $(FUZZ_SECONDS)

bench: build
	@scripts/deps bench
	bench/run

soak: build deps-test
	DDNSD_SOAK=1 $(PYTHON) -m pytest -q -p no:cacheprovider tests/system -k soak

clean:
	rm -rf $(BUILD)
