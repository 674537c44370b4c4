# The two commands a newcomer runs: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "fapai needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The demo records deposits as paid (no money moves; every page says so). A real deployment
# leaves FAPAI_PAYMENT_ADAPTER unset: deposits then wait for the court's confirmation.
serve: $(VENV)/.installed
	$(BIN)/fapai demo --if-empty
	FAPAI_PAYMENT_ADAPTER=$${FAPAI_PAYMENT_ADAPTER:-recorded} $(BIN)/fapai serve --host $(HOST) --port $(PORT)

# The tests run in PYTEST_WORKERS processes (pytest-xdist; each worker has its own SQLite files,
# PostgreSQL database, ports and Redis keys); PYTEST_WORKERS=0 runs them all in one process.
PYTEST_WORKERS ?= 2
test: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) fapai.db fapai.db-wal fapai.db-shm fapai.db.migrate.lock .pytest_cache
