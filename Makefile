# One command to run the app, one to test it. The virtualenv is made on first use and
# requirements.txt is installed again only when it changes (the stamp file).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements.stamp
FLASK := $(BIN)/flask --app wsgi
PYTEST_ARGS ?=
RUN_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv run test migrate seed worker clean

help:
	@echo "make run      set up, migrate, load demo data, start Redis + worker + web on http://127.0.0.1:5000"
	@echo "make test     run the tests (PYTEST_ARGS='-k healthz' to pass options to pytest)"
	@echo "make migrate  apply database migrations (flask db upgrade)"
	@echo "make seed     load the demo district (idempotent)"
	@echo "make worker   run an RQ worker against REDIS_URL"
	@echo "make clean    remove .venv and instance/ (the SQLite database and embedded Redis data)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --no-input -q -r requirements.txt
	@touch $@

venv: $(STAMP)

run: venv
	$(BIN)/python scripts/run.py $(RUN_ARGS)

test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

migrate: venv
	@mkdir -p instance
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo

worker: venv
	$(FLASK) worker

clean:
	rm -rf $(VENV) instance .pytest_cache
