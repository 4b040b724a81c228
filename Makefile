# Keel: developer and CI entry points. `make run` and `make test` are all a newcomer needs.
#
# Variables (set on the command line or in the environment):
#   PYTHON             interpreter that creates .venv (python3)
#   RUN_DATABASE_URL   database for run/worker/beat (the SQLite file keel.sqlite3)
#   RUN_REDIS_URL      Redis for run (empty: no Redis, tasks run in-process);
#                      worker/beat use it too, else redis://127.0.0.1:6379/0
#   RUN_ADDR           address for run (127.0.0.1:8000)
#   DATABASE_URL       database for test (postgres://postgres@127.0.0.1:5432/keel)
#                      and bench-ingest (postgres://postgres@127.0.0.1:5432/keel_bench)
#   REDIS_URL          Redis for test (redis://127.0.0.1:6379/0) and bench-ingest (.../1)
#   PYTEST_ARGS        extra pytest arguments, e.g. PYTEST_ARGS="-k webhook -x"
#   BENCH_ARGS         extra bench/ingest.py arguments, e.g. BENCH_ARGS="--scale 0.2"

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

RUN_DATABASE_URL ?= sqlite:///$(CURDIR)/keel.sqlite3
RUN_REDIS_URL ?=
RUN_ADDR ?= 127.0.0.1:8000
PYTEST_ARGS ?=
BENCH_ARGS ?=

TEST_DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/keel)
TEST_REDIS_URL := $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
BENCH_DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/keel_bench)
BENCH_REDIS_URL := $(or $(REDIS_URL),redis://127.0.0.1:6379/1)
WORKER_REDIS_URL := $(or $(RUN_REDIS_URL),redis://127.0.0.1:6379/0)

# The embedded default for `make run`: DEBUG on, SQLite, no Redis, tasks in-process.
# Every variable that could point it elsewhere is pinned here, so neither the caller's
# environment nor a production `.env` (read by config/settings.py) leaks in.
RUN_ENV := DJANGO_DEBUG=1 \
	DATABASE_URL='$(RUN_DATABASE_URL)' \
	REDIS_URL='$(RUN_REDIS_URL)' \
	$(if $(RUN_REDIS_URL),,KEEL_TASKS_EAGER=1) \
	DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost \
	DJANGO_SECURE_SSL_REDIRECT=0 \
	DJANGO_SECURE_HSTS_SECONDS=0 \
	KEEL_DEMO_SLI=1 \
	KEEL_BASE_URL=http://$(RUN_ADDR)

# Without Redis, `make run` runs beat beside the server: each periodic task it sends runs
# inside the beat process (tasks are in-process), on the same SQLite file.
RUN_BEAT := env -u REDIS_URL -u DATABASE_URL $(RUN_ENV) $(BIN)/celery -A config beat \
	--loglevel WARNING --schedule $(VENV)/celerybeat-schedule-embedded

WORKER_ENV := DJANGO_DEBUG=1 \
	DATABASE_URL='$(RUN_DATABASE_URL)' \
	REDIS_URL='$(WORKER_REDIS_URL)' \
	KEEL_TASKS_EAGER=0

TEST_ENV := DJANGO_SECRET_KEY='$(or $(DJANGO_SECRET_KEY),keel-test)' \
	DATABASE_URL='$(TEST_DATABASE_URL)' \
	REDIS_URL='$(TEST_REDIS_URL)' \
	KEEL_TASKS_EAGER=1

BENCH_ENV := DJANGO_SECRET_KEY='$(or $(DJANGO_SECRET_KEY),keel-bench)' \
	DATABASE_URL='$(BENCH_DATABASE_URL)' \
	REDIS_URL='$(BENCH_REDIS_URL)'

# `manage.py check` and makemigrations need no real database.
CHECK_ENV := DATABASE_URL=sqlite://:memory: REDIS_URL=

# Creates the PostgreSQL database named in DATABASE_URL if it does not exist yet.
define CREATE_DB_PY
import os, sys
import environ, psycopg
from psycopg import errors, sql
cfg = environ.Env.db_url_config(os.environ["DATABASE_URL"])
if "postgresql" not in cfg["ENGINE"]:
    sys.exit(0)
name = cfg["NAME"]
params = {"host": cfg.get("HOST") or None, "port": cfg.get("PORT") or None,
          "user": cfg.get("USER") or None, "password": cfg.get("PASSWORD") or None}
with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=10, **params) as conn:
    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        sys.exit(0)
    try:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created database {name}")
    except (errors.DuplicateDatabase, errors.UniqueViolation):
        pass
endef
export CREATE_DB_PY

.DEFAULT_GOAL := help
.PHONY: help install install-dev run test lint check bench-ingest bench-pages bench-oncall bench-pdf bench-slos bench-pm-budget bench-big-incident worker beat clean distclean

help:
	@echo "make run           demo instance on http://$(RUN_ADDR) (SQLite, no Redis, demo data)"
	@echo "make test          test suite against PostgreSQL and Redis on 127.0.0.1"
	@echo "make lint          ruff check, ruff format --check, mypy"
	@echo "make check         Django system checks, missing migrations, check --deploy"
	@echo "make bench-ingest  webhook ingestion benchmark (bench/ingest.py)"
	@echo "make bench-pages   web page latency over 100k incidents (bench/pages.py)"
	@echo "make bench-oncall  rotation math: a year of a 3-layer schedule (bench/oncall.py)"
	@echo "make bench-pdf     postmortem PDF rendering, warm process (bench/postmortem_pdf.py)"
	@echo "make bench-slos    1,000 SLOs x 30 days of buckets: evaluation, list page (bench/slos.py)"
	@echo "make bench-pm-budget  postmortem budget facts and burn-down (bench/postmortem_budget.py)"
	@echo "make bench-big-incident  one incident of 100k alerts: room and API detail (bench/big_incident.py)"
	@echo "make worker/beat   Celery worker / beat for a local instance with Redis"
	@echo "make clean         remove caches, collected static files and the demo database"
	@echo "make distclean     clean, and remove .venv"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[dev]'
	touch $@ $(STAMP_RUN)

install: $(STAMP_RUN)

install-dev: $(STAMP_DEV)

run: $(STAMP_RUN)
	env -u REDIS_URL -u DATABASE_URL $(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	env -u REDIS_URL -u DATABASE_URL $(RUN_ENV) $(BIN)/python manage.py seed_demo
	$(if $(RUN_REDIS_URL),,$(RUN_BEAT) & beat=$$!; trap 'kill $$beat 2>/dev/null' EXIT INT TERM;) \
	env -u REDIS_URL -u DATABASE_URL $(RUN_ENV) $(BIN)/python manage.py runserver $(RUN_ADDR)

test: $(STAMP_DEV)
	$(TEST_ENV) $(BIN)/python -c "$$CREATE_DB_PY"
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(CHECK_ENV) DJANGO_DEBUG=1 $(BIN)/mypy .
	$(BIN)/lint-imports

check: $(STAMP_DEV)
	$(CHECK_ENV) DJANGO_DEBUG=1 $(BIN)/python manage.py check
	$(CHECK_ENV) DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(CHECK_ENV) DJANGO_DEBUG=0 DJANGO_ALLOWED_HOSTS=keel.example \
		DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))')" \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

bench-ingest: $(STAMP_DEV)
	$(BENCH_ENV) $(BIN)/python -c "$$CREATE_DB_PY"
	$(BENCH_ENV) $(BIN)/python bench/ingest.py $(BENCH_ARGS)

# Page latency at scale; seeds keel_bench_pages once (PAGES_ARGS="--reseed" to seed again).
PAGES_DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/keel_bench_pages)
PAGES_ARGS ?=

bench-pages: $(STAMP_DEV)
	DATABASE_URL='$(PAGES_DATABASE_URL)' $(BIN)/python -c "$$CREATE_DB_PY"
	DATABASE_URL='$(PAGES_DATABASE_URL)' REDIS_URL= $(BIN)/python bench/pages.py $(PAGES_ARGS)

# Rotation math alone (pure Python; no database).
bench-oncall: $(STAMP_DEV)
	$(BIN)/python bench/oncall.py

# A ~10-page postmortem to PDF with WeasyPrint (no database; PDF_ARGS="--runs 30").
PDF_ARGS ?=

bench-pdf: $(STAMP_DEV)
	DATABASE_URL=sqlite://:memory: REDIS_URL= DJANGO_DEBUG=1 $(BIN)/python bench/postmortem_pdf.py $(PDF_ARGS)

# Error budgets at scale; seeds keel_bench_slos once (SLOS_ARGS="--reseed" to seed again).
SLOS_DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/keel_bench_slos)
SLOS_ARGS ?=
bench-slos: $(STAMP_DEV)
	DATABASE_URL='$(SLOS_DATABASE_URL)' REDIS_URL= $(BIN)/python bench/slos.py $(SLOS_ARGS)

# A postmortem's budget figures over 30 days of buckets; reseeds keel_bench_pm_budget each run.
PM_BUDGET_DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/keel_bench_pm_budget)
bench-pm-budget: $(STAMP_DEV)
	DATABASE_URL='$(PM_BUDGET_DATABASE_URL)' REDIS_URL= $(BIN)/python bench/postmortem_budget.py

# One incident of 100,000 alerts and timeline entries; seeds keel_bench_big_incident once
# (BIG_INCIDENT_ARGS="--reseed" to seed again, "--requests 50" for more samples).
BIG_INCIDENT_DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/keel_bench_big_incident)
BIG_INCIDENT_ARGS ?=
bench-big-incident: $(STAMP_DEV)
	DATABASE_URL='$(BIG_INCIDENT_DATABASE_URL)' REDIS_URL= $(BIN)/python bench/big_incident.py $(BIG_INCIDENT_ARGS)

worker: $(STAMP_RUN)
	env $(WORKER_ENV) $(BIN)/celery -A config worker -l INFO

beat: $(STAMP_RUN)
	env $(WORKER_ENV) $(BIN)/celery -A config beat -l INFO \
		--schedule $(VENV)/celerybeat-schedule

clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis staticfiles test-artifacts \
		*.egg-info keel.sqlite3 keel.sqlite3-* $(STAMP_RUN) $(STAMP_DEV) \
		$(VENV)/celerybeat-schedule*

distclean: clean
	rm -rf $(VENV)
