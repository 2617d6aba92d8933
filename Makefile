# detente: two commands on a fresh clone: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench stress fuzz clean screenshots

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/detente forecast

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP)
	COLUMNS=$${COLUMNS:-150} $(BIN)/python -m benchmarks

stress: $(STAMP)
	$(BIN)/python -m detente.stress

fuzz: $(STAMP)
	$(BIN)/pip install -q -e '.[fuzz]'
	$(BIN)/python fuzz/atheris_loaders.py -max_total_time=$${FUZZ_SECONDS:-300} -max_len=8192

# One PNG per web workbench tab at 1366 px and 400 px, in artifacts/screenshots (gitignored).
screenshots: $(STAMP)
	$(BIN)/python tests/web/screenshots.py artifacts/screenshots

clean:
	rm -rf $(VENV) build dist *.egg-info
