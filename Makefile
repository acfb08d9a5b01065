# SME Advisor. The two commands a newcomer needs: `make run` and `make test`.
VENV      := .venv
PY        := $(VENV)/bin/python
CLI       := $(VENV)/bin/sme-advisor
RASA      := .venv-rasa/bin/rasa

.PHONY: setup run run-scaled test test-unit test-rasa validate bench eval train index clean

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

test: setup  ## every test: unit, integration through the running processes, browser, Rasa stories
	$(CLI) index build
	$(CLI) train
	$(CLI) validate
	$(PY) -m pytest -q -rs
	$(CLI) test-stories

bench: setup  ## speed and memory figures
	$(PY) bench/run_all.py

eval: setup  ## search and routing quality (CLI), then questions, conversations and answer facts through a running stack
	$(CLI) eval --chat

clean:
	rm -rf var test-artifacts
