# detente: two commands on a fresh clone: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench stress fuzz docs clean

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

# The documentation site, built offline into site/ (the reference pages and the gallery are
# generated from the code first).
docs: $(STAMP)
	$(BIN)/python -c "import mkdocs, material, jsonschema" 2>/dev/null || $(BIN)/pip install -q -e '.[docs]'
	$(BIN)/python scripts/gen_docs.py
	$(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) build dist *.egg-info site
