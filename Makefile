# Two commands: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Links in emails and command output point at the server `make run` starts.
BASE_URL ?= http://$(HOST):$(PORT)
export FLASK_APP := app

.PHONY: run test install install-dev check clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "eventhub needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)."; \
		  echo "Run: make PYTHON=python3.11 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# `make run DEMO=0` starts without the demo data: an empty network whose first admin signs up at /admin/setup.
DEMO ?= 1

## run: install, migrate, load demo data into an empty database (not with DEMO=0), serve with emails written to instance/mail/
run: export FLASK_DEBUG := 1
run: export BASE_URL := $(BASE_URL)
run: $(VENV)/.installed
	$(BIN)/flask db upgrade
	@if [ "$(DEMO)" != 0 ]; then $(BIN)/flask seed-demo --if-empty; fi
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## test: install test dependencies and run every test (a run that collects no test fails)
test: $(VENV)/.installed-dev
	@$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests; failing."; exit 1; fi; exit $$status

## check: lint and import order (ruff), types (mypy), and the migrations, applied to an empty database, match the models
check: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	@d=$$(mktemp -d); export FLASK_DEBUG=1 DATABASE_URL=sqlite:///$$d/check.sqlite3; \
	$(BIN)/flask db upgrade && $(BIN)/flask db check; status=$$?; rm -rf $$d; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache
