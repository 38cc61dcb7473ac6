# Two commands for a fresh machine: `make demo` and `make test`.
# Each creates its own virtual environment in .venv from pyproject.toml.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export SPRINTBACK_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test lint bench clean catalogues compile-catalogues check-catalogues

# Message catalogues (README "Languages"): bot/locale/<lang>/LC_MESSAGES/sprintback.po, compiled
# into .mo files that are never committed (the wheel build compiles its own, see setup.py).
LOCALE := bot/locale
POT := $(LOCALE)/sprintback.pot
PYBABEL := $(VENV)/bin/pybabel
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(LOCALE)/*/LC_MESSAGES/sprintback.po))

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed $(MO_FILES)
	$(VENV)/bin/sprintback demo

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy engine bot
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/lint-imports

# Three workers on two cores: a quarter of the suite's time is spent waiting (HTTP to the Bot
# API sandbox, subprocesses, database waits), so a third worker shortens it (about 16 vs 18
# minutes on the CI machine).
test: lint $(MO_FILES)
	bash scripts/ensure-postgres
	$(VENV)/bin/pytest -q -n 3 --dist loadfile

bench: $(VENV)/.installed
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

# Extract every marked text (code and protocols, babel.cfg) into the template, then bring each
# language's catalogue up to date: new texts arrive untranslated, changed ones marked fuzzy for
# review. The English catalogue is the source itself (scripts/tidy-catalogues).
catalogues: $(VENV)/.installed
	$(PYBABEL) extract -F babel.cfg --no-location --no-wrap --omit-header -o $(POT) .
	$(PYBABEL) update -i $(POT) -d $(LOCALE) -D sprintback --no-wrap --ignore-obsolete --no-fuzzy-matching
	$(PY) scripts/tidy-catalogues $(LOCALE)
	$(MAKE) compile-catalogues

compile-catalogues: $(MO_FILES)

%.mo: %.po | $(VENV)/.installed
	$(PY) scripts/compile-catalogue $<

# Every catalogue complete, nothing fuzzy, placeholders kept, the template current.
check-catalogues: $(VENV)/.installed
	$(VENV)/bin/pytest -q tests/i18n

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
	rm -f $(MO_FILES)
