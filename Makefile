# humas: two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HUMAS  := $(VENV)/bin/humas
export HUMAS_CONFIG ?= $(CURDIR)/config.example.toml
# the shipped sentiment data (train/valid splits) beside the checkout: training, evaluation and their tests use it
SENTIMENT_DATA := $(firstword $(wildcard $(abspath $(CURDIR)/../shared/data/sentiment)))
ifneq ($(SENTIMENT_DATA),)
export HUMAS_SENTIMENT_DATA ?= $(SENTIMENT_DATA)
endif

.PHONY: run test install install-dev lint typecheck bench messages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PIP) install -q -e '.[dev]'
	# torch only from the pinned CPU wheel (never a loose requirement that pulls the CUDA build)
	$(PIP) install -q 'torch==2.13.0' && $(PIP) install -q -e '.[transformers,instagram-private]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, initialise the SQLite database under data/ and start humas (sandbox accounts, web UI on 127.0.0.1)
run: install
	$(HUMAS) init
	$(HUMAS) run

## make test: install the dev dependencies, check the layer contracts (pyproject.toml) and run the whole suite,
## one worker per core (at most 4), each test file whole on one worker (module fixtures are built once)
test: install-dev
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -q -n auto --maxprocesses 4 --dist loadfile

lint: install-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

## make bench: the quick, load-independent figures (statements per job) and the SQLite pipeline; bench/RESULTS.md
## names the command of every figure, including the long and the PostgreSQL runs
bench: install-dev
	$(PY) bench/queue_statements.py
	$(PY) bench/pipeline_bench.py --db sqlite

## make messages: add the texts new in the sources to the gettext catalogs (src/humas/web/locale/*/LC_MESSAGES/*.po)
## as empty entries for a translator; the unit tests fail until each has its translation
messages: install
	$(PY) -m humas.web.extract

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
