# One command to run the app, one to test it. The virtualenv is made on first use and
# requirements.txt is installed again only when it changes (the stamp file).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements.stamp
FLASK := $(BIN)/flask --app wsgi
PYTEST_ARGS ?=
RUN_ARGS ?=
# Translations: the .po files are the source (committed); the .mo files are compiled from them
# by make whenever a .po changes (git ignores them), so a fresh clone's `make run` / `make test` work.
PYBABEL := $(BIN)/pybabel
TRANSLATIONS := app/translations
POT := $(TRANSLATIONS)/messages.pot
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))

.DEFAULT_GOAL := help
.PHONY: help venv run test migrate seed worker clean translations translations-compile

help:
	@echo "make run      set up, migrate, load demo data, start Redis + worker + web on http://127.0.0.1:5000"
	@echo "make test     run the tests (PYTEST_ARGS='-k healthz' to pass options to pytest)"
	@echo "make migrate  apply database migrations (flask db upgrade)"
	@echo "make seed     load the demo district (idempotent)"
	@echo "make worker   run an RQ worker against REDIS_URL"
	@echo "make translations  extract the strings into $(POT), update each .po, compile (README: Translations)"
	@echo "make clean    remove .venv and instance/ (the SQLite database and embedded Redis data)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --no-input -q -r requirements.txt
	@touch $@

venv: $(STAMP)

run: venv $(MO_FILES)
	$(BIN)/python scripts/run.py $(RUN_ARGS)

test: venv $(MO_FILES)
	$(BIN)/pytest $(PYTEST_ARGS)

migrate: venv
	@mkdir -p instance
	$(FLASK) db upgrade

# Compile a catalogue when its .po is newer (fuzzy entries are left out: they show in English).
%.mo: %.po | $(STAMP)
	$(PYBABEL) -q compile -i $< -o $@

translations-compile: $(MO_FILES)

# Extract every wrapped string (babel.cfg says where), merge into each language's .po, compile,
# and say how much is left to translate.
translations: venv
	$(PYBABEL) -q extract -F babel.cfg --sort-by-file --add-location=file --no-wrap --ignore-dirs='.* __pycache__' \
		--project="Business District Butler" --copyright-holder="Jing'an Temple Sub-district Office" \
		-o $(POT) .
	$(PYBABEL) -q update -i $(POT) -d $(TRANSLATIONS) --no-wrap --ignore-obsolete --ignore-pot-creation-date --previous
	$(PYBABEL) compile -d $(TRANSLATIONS) --statistics

seed: migrate
	$(FLASK) seed-demo

worker: venv $(MO_FILES)
	$(FLASK) worker

clean:
	rm -rf $(VENV) instance .pytest_cache
