# SME Advisor. The two commands a newcomer needs: `make run` and `make test`.
VENV      := .venv
PY        := $(VENV)/bin/python
CLI       := $(VENV)/bin/sme-advisor
RASA      := .venv-rasa/bin/rasa

.PHONY: setup run run-scaled index train validate lint test test-unit test-live test-browser test-stories \
        bench eval clean

setup:  ## create .venv and .venv-rasa (idempotent)
	@bash scripts/setup.sh

run: setup  ## build the index, train if needed, start rasa + actions + gateway
	$(CLI) run

run-scaled: setup  ## PostgreSQL, Redis, haproxy, 2 Rasa replicas, 2 action servers and the gateway (same ports)
	$(CLI) run --replicas 2

index: setup
	$(CLI) index build

train: setup  ## train the Rasa model if its data changed
	$(CLI) train

validate: setup  ## rasa data validate, failing on any warning
	$(CLI) validate

lint: setup  ## ruff and mypy (rules, scope and the modules still excused: pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: setup  ## every test: build, train, validate, then unit, live, browser and Rasa stories
	$(CLI) index build
	$(CLI) train
	$(CLI) validate
	$(MAKE) --no-print-directory test-unit test-live test-browser test-stories

test-unit: setup  ## no servers: every test not marked live or browser
	$(PY) -m pytest -q -rs -m "not live and not browser"

test-live: setup  ## through the real processes (a throwaway stack on free ports), no browser
	$(PY) -m pytest -q -rs -m "live and not browser"

test-browser: setup  ## headless chromium: the widget, the admin pages, the flows (some on a live stack)
	$(PY) -m pytest -q -rs -m browser

test-stories: train  ## rasa test on tests/stories (trains first if the Rasa data changed)
	$(CLI) test-stories

bench: setup  ## speed and memory figures
	$(PY) bench/run_all.py

eval: setup  ## search and routing quality (CLI), then questions, conversations and answer facts through a running stack
	$(CLI) eval --chat

clean:
	rm -rf var test-artifacts
