# Leadbook: `make run` to try it, `make test` before you commit.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Where `make test` runs the PostgreSQL-only tests (concurrency) when the main run is on SQLite.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
PG_EXTRA ?= 1

.PHONY: run install install-dev test lint format migrate pytest chromium fuzz load

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

.env:
	cp .env.example .env

install: $(VENV)/.installed .env

install-dev: $(VENV)/.installed-dev .env

migrate: install
	$(BIN)/python manage.py migrate --noinput

# Sets everything up, then serves the app with a background task worker. Ctrl-C stops both.
run: migrate
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	@$(BIN)/python manage.py worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

# The browser tests drive Debian's Chromium. Installed here when missing: with apt-get as
# root, or through sudo when it needs no password. Otherwise (no apt-get, no root, sudo
# asks for a password, or the install fails) a warning, and the tests are skipped loudly.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	why=; SUDO=; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		why="apt-get is not available"; \
	elif [ "$$(id -u)" != 0 ]; then \
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
		else why="installing it needs root, and sudo is missing or asks for a password"; fi; \
	fi; \
	if [ -z "$$why" ]; then \
		echo "== installing Debian's chromium for the browser tests"; \
		if $$SUDO apt-get update -qq && \
			$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; then \
			exit 0; \
		fi; \
		why="apt-get install chromium failed"; \
	fi; \
	echo "!! WARNING: $$why: install Chromium at $(CHROMIUM) yourself;"; \
	echo "!! the browser tests will be SKIPPED."

lint: install-dev chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=leads_project.settings_test $(BIN)/python manage.py makemigrations --check --dry-run

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

pytest: install-dev chromium
	$(BIN)/pytest

# Lint, then the whole suite on DATABASE_URL (SQLite unless set). On SQLite, the tests that
# need PostgreSQL then run against TEST_POSTGRES_URL when a server answers there.
# The one test that restarts the machine's PostgreSQL server (FAULT-3 in
# tests/reliability/test_faults.py) is skipped, with a message, unless
# LEADBOOK_FAULT_RESTART=1 is set: `LEADBOOK_FAULT_RESTART=1 make test` (as root, where
# pg_ctlcluster exists) runs it; .ci/run does.
test: lint
	$(BIN)/pytest
	@case "$${DATABASE_URL:-sqlite}" in postgres*) exit 0;; esac; \
	if [ "$(PG_EXTRA)" != "1" ]; then exit 0; fi; \
	if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(TEST_POSTGRES_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== PostgreSQL-only tests (concurrency) on $(TEST_POSTGRES_URL)"; \
		DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -m postgres; \
	else \
		echo "!! WARNING: no PostgreSQL at $(TEST_POSTGRES_URL): the concurrency tests were SKIPPED."; \
	fi

# Reliability battery, the long runs (docs/reliability.md). Not part of `make test`.
# Thousands of Schemathesis cases against our own OpenAPI document, every phase, a fresh
# seed each time (the report prints it).
FUZZ_EXAMPLES ?= 60
fuzz: install-dev
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED= FUZZ_PHASES=examples,coverage,fuzzing,stateful \
		$(BIN)/pytest tests/reliability/test_fuzz.py -p no:logging -q

# Steady-rate creates on every family for a few minutes against gunicorn + PostgreSQL on
# 127.0.0.1, then every request wrk logged reconciled exactly with the leads, timeline
# and outbox rows written during the run.
LOAD_SECONDS ?= 180
LOAD_RATE ?= 10
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/lb_rel_load
load: install-dev
	$(BIN)/python bench/load.py --seconds $(LOAD_SECONDS) --rate $(LOAD_RATE) \
		--database-url $(LOAD_DATABASE_URL)
