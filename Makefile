# nbtrack developer tasks. Two commands on a fresh machine:
#   make demo   records synthetic runs under ./nbruns, writes nbruns/report.html, and opens the
#               quickstart notebook in JupyterLab (train a network there and watch its live dashboard)
#   make test   installs everything and runs the whole test suite (browser tests included: make test-e2e)
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip -q --disable-pip-version-check
STAMP   = $(VENV)/.installed

.PHONY: demo test install js lint test-python test-js test-wheel test-e2e browser bench bench-live clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -U pip

js/node_modules/.package-lock.json: js/package-lock.json
	npm --prefix js ci --no-audit --no-fund

nbtrack/static/widget.js: js/node_modules/.package-lock.json $(wildcard js/src/*.js) js/build.mjs
	npm --prefix js run build

js: nbtrack/static/widget.js

# torch's own SummaryWriter writes event files in tests/tensorboard, and the framework integrations train with it in
# tests/integrations (pinned: torch 2.13.0's CPU wheel is the one this machine holds; a looser pin would download a
# CUDA build of several GB; Keras, Lightning and Transformers are installed in the same command as that pin so that
# pip keeps it). Outside CI a missing torch is tolerated and those tests skip, saying why; with CI set it fails.
$(STAMP): $(VENV)/bin/python pyproject.toml nbtrack/static/widget.js
	$(PIP) install -e ".[test,dev]"
	$(PIP) install "torch==2.13.0" || [ -z "$$CI" ]
	$(PIP) install -e ".[frameworks]" "torch==2.13.0" || [ -z "$$CI" ]  # Keras, Lightning, Transformers: torch kept
	touch $(STAMP)

install: $(STAMP)

LAB_PORT ?= 8888

demo: install
	$(PY) -m nbtrack demo --dir nbruns
	@echo "Runs are in ./nbruns: read them with nbtrack.open('nbruns').runs(); show them with .show()"
	@echo "Opening notebooks/quickstart.ipynb in JupyterLab: run all cells (Ctrl+C here stops the server)"
	$(VENV)/bin/jupyter lab notebooks/quickstart.ipynb --port=$(LAB_PORT) --ServerApp.root_dir=. \
		$$( [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || echo --no-browser ) $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

lint: install
	$(VENV)/bin/ruff check nbtrack tests benchmarks

test-python: install
	$(PY) -m pytest -q -m "not e2e"

# Debian's Chromium for the browser tests (apt-get as root; never `playwright install`)
browser:
	bash scripts/install-browser.sh

# Browser tests: JupyterLab driven by Playwright in /usr/bin/chromium. Outside CI a browser that cannot be
# installed (not root) is tolerated here and the tests skip, saying why; with CI set it fails.
test-e2e: install
	bash scripts/install-browser.sh || [ -z "$$CI" ]
	$(PY) -m pytest -q -m e2e tests/e2e

test-js: js
	npm --prefix js test
	npm --prefix js run typecheck

test-wheel: install
	rm -rf dist && $(PIP) wheel --no-deps -w dist .
	unzip -l dist/*.whl | grep -q "nbtrack/static/widget.js" || (echo "wheel lacks the JS bundle" && exit 1)
	@echo "wheel carries nbtrack/static/widget.js"

test: lint test-js test-wheel test-e2e test-python

bench: install
	$(PIP) install -r benchmarks/requirements.txt
	$(PY) benchmarks/bench_scalars.py

# The live dashboard path in JupyterLab + Chromium (no peers needed; see benchmarks/README.md)
bench-live: install
	bash scripts/install-browser.sh
	$(PY) benchmarks/bench_live.py

clean:
	rm -rf $(VENV) js/node_modules nbtrack/static build dist .pytest_cache
