# Two commands do all set-up on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench install assets clean

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(BIN)/python || $$(scripts/find-python.sh) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test]"
	@touch $@

install: $(VENV)/.installed

static/build/civic.css: package.json package-lock.json $(wildcard frontend/*.scss)
	bash scripts/build-assets.sh

assets: static/build/civic.css

run: install assets
	bash scripts/run.sh

test: install assets
	bash scripts/test.sh $(PYTEST_ARGS)

bench: install assets
	$(BIN)/python bench/run.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/contacts_segment.py
	$(BIN)/python bench/contacts_import.py
	$(BIN)/python bench/mailing_send.py
	$(BIN)/python bench/consultations_results.py
	$(BIN)/python bench/consultations_export.py
	$(BIN)/python bench/petitions_spike.py
	$(BIN)/python bench/budgets_results.py
	$(BIN)/python bench/budgets_voting.py
	$(BIN)/python bench/debates_conversation_voting.py
	$(BIN)/python bench/debates_conversation_groups.py
	$(BIN)/python bench/debates_page.py
	$(BIN)/python bench/events_rush.py

clean:
	rm -rf var static/build node_modules
