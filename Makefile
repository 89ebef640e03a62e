# The runbook's two commands are `make run` and `make test`; both install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Debian 12 packages the build and tests need. Installed only when missing, so repeated runs are no-ops.
APT_PACKAGES := libsqlite3-dev libcurl4-openssl-dev libmicrohttpd-dev libssl-dev pkg-config python3-yaml python3-jsonschema \
	chromium chromium-driver python3-selenium python3-pytest fonts-ipafont-gothic \
	python3-pip python3-venv qrencode zbar-tools
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DB ?= var/madoguchi.sqlite

.PHONY: help deps python-deps build run test proof bench format lint clean

# The debug build folder, asked of SwiftPM once per make run (each `swift build --show-bin-path` loads the
# package: 1-3 s, and `make test` needed it six times).
BIN_PATH = $(eval BIN_PATH := $$(shell swift build --show-bin-path))$(BIN_PATH)
# The proof harness (Tests/Proof, docs/PROOF.md) runs against the debug binary the tests built.
PROOF = PYTHONDONTWRITEBYTECODE=1 MADOGUCHI_BIN="$(BIN_PATH)/madoguchi" /usr/bin/python3

help:
	@echo "make run     install what is missing, build, migrate $(DB), add demo accounts and serve on http://127.0.0.1:8080 (development mode)"
	@echo "make test    install what is missing, build and run every test"
	@echo "make proof   the long proof harness: 50 kill -9 rounds, 50,000 hostile requests, full disk, backups (docs/PROOF.md)"
	@echo "make bench   build a release binary and measure it against nginx (bench/run)"
	@echo "make format  format Sources and Tests with swift format"

deps:
	@command -v swift >/dev/null || { echo "Swift 6 is required: https://www.swift.org/install/linux/debian/12/" >&2; exit 1; }
	@missing=""; \
	for package in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# axe-core 4.x for the accessibility check comes as a file inside a pinned PyPI wheel; its playwright dependency
# is never imported, so it is installed without dependencies. The stamp makes a second run a no-op, offline.
# (schemathesis goes into its own virtualenv: Tests/Proof/conformance.py installs it the same once-only way.)
PYTHON_TARGET := .build/python
python-deps: deps
	@pin="$$(grep -m1 '^axe-playwright-python==' Tests/Proof/requirements.txt)"; \
	[ -f "$(PYTHON_TARGET)/.installed-$$pin" ] || { \
	  /usr/bin/python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target $(PYTHON_TARGET) "$$pin" && \
	  touch "$(PYTHON_TARGET)/.installed-$$pin"; }

build: deps
	swift build --product madoguchi

# Development only: demo-data prints a demo admin's and a demo resident's passwords, and serve --dev uses a
# plain-HTTP session cookie so the browser keeps it on http://127.0.0.1:8080.
run: build
	@mkdir -p var
	"$$(swift build --show-bin-path)/madoguchi" migrate --db $(DB)
	"$$(swift build --show-bin-path)/madoguchi" demo-data --dev --db $(DB)
	exec "$$(swift build --show-bin-path)/madoguchi" serve --dev --db $(DB)

test: deps python-deps
	swift build --build-tests
	swift test --skip-build
	PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$(PYTHON_TARGET) MADOGUCHI_BIN="$(BIN_PATH)/madoguchi" /usr/bin/python3 -m pytest -q -p no:cacheprovider --durations=10 Tests/Browser
	$(PROOF) Tests/Proof/kill9_loop.py --rounds 5 --clients 200 --seed 1
	$(PROOF) Tests/Proof/backup_drill.py --backups 3 --clients 100 --seed 1
	$(PROOF) Tests/Proof/full_disk.py ci --allow-skip
	$(PROOF) Tests/Proof/hostile_http.py --cases 2000 --seed 1
	$(PROOF) Tests/Proof/conformance.py ci

# The same checks at full size; about half an hour on two cores. Figures go into docs/PROOF.md by hand.
proof: deps
	swift build --product madoguchi
	$(PROOF) Tests/Proof/kill9_loop.py --rounds 50 --clients 200 --seed 1
	$(PROOF) Tests/Proof/backup_drill.py --backups 20 --clients 100 --seed 1
	$(PROOF) Tests/Proof/full_disk.py proof
	$(PROOF) Tests/Proof/hostile_http.py --cases 50000 --seed 1
	$(PROOF) Tests/Proof/conformance.py proof

# bench/run exits 2 when a target ratio is missed; the table is still written, and line-send still runs.
bench: deps
	bench/run --write || [ $$? -eq 2 ]
	bench/line-send --write
	bench/login-flood --write || [ $$? -eq 2 ]
	bench/upload-memory --write || [ $$? -eq 2 ]

format:
	swift format --in-place --recursive --parallel Sources Tests Package.swift

lint:
	swift format lint --recursive --strict Sources Tests Package.swift

clean:
	rm -rf .build
