# Two commands for a fresh machine: `make demo` and `make test`.
# Each creates its own virtual environment in .venv from pyproject.toml.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export SPRINTBACK_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/sprintback demo

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy engine
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/lint-imports

test: lint
	bash scripts/ensure-postgres
	$(VENV)/bin/pytest -q

bench: $(VENV)/.installed
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
