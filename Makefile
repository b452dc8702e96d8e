# Two commands from a fresh clone: `make run` and `make test`. Both create .venv/ on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/modbot run

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check bot tests bench scripts
	$(VENV)/bin/ruff format --check bot tests bench scripts

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check: $(STAMP)
	$(VENV)/bin/modbot check rules.example.yaml

bench: $(STAMP)
	-$(PY) bench/engine.py
	-$(PY) bench/storage.py
	-$(PY) bench/toxicity.py
	-$(PY) bench/replay.py --messages 500000
	-$(PY) bench/telegram.py
	-$(PY) bench/discord.py --seconds 30

clean:
	rm -rf $(VENV)
