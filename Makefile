# detente: two commands on a fresh clone: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
CORE := $(VENV)/.installed-core
STAMP := $(VENV)/.installed

.PHONY: setup run test lint typecheck bench calibrate stress fuzz docs screenshots clean

# `make run` installs detente with every extra (`pip install .` alone is the lean core: every model
# forecasts with numpy), in well under two minutes here.
$(CORE): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check --prefer-binary -e '.[all]'
	touch $(CORE)

# The dev tools on top, for tests and benchmarks.
$(STAMP): $(CORE)
	$(PIP) install -q --disable-pip-version-check --prefer-binary -e '.[all,dev]'
	touch $(STAMP)
	@# Compile the numba kernels into numba's cache in the background: nobody waits for it.
	( nohup $(BIN)/python -m detente.bargaining.warmup > $(VENV)/warmup.log 2>&1 & )

setup: $(STAMP)

run: $(CORE)
	$(BIN)/detente forecast

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/ruff check src tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy src

bench: $(STAMP)
	COLUMNS=$${COLUMNS:-150} $(BIN)/python -m benchmarks

# The war model's calibration on the COW wars before 1946 (needs ../shared/data/war), then its
# backtest on the wars from 1946 on and the ukraine-2025 hindcast: src/detente/war/data/.
calibrate: $(STAMP)
	$(BIN)/python tools/calibrate_war.py

stress: $(STAMP)
	$(BIN)/python -m tools.stress

fuzz: $(STAMP)
	$(PIP) install -q -e '.[fuzz]'
	$(BIN)/python fuzz/atheris_loaders.py -max_total_time=$${FUZZ_SECONDS:-300} -max_len=8192

# The documentation site, built offline into site/ (the reference pages and the gallery are
# generated from the code first).
docs: $(STAMP)
	$(BIN)/python -c "import mkdocs, material, jsonschema" 2>/dev/null || $(PIP) install -q -e '.[docs]'
	$(BIN)/python scripts/gen_docs.py
	$(BIN)/mkdocs build --strict --site-dir site

# One PNG per web workbench tab at 1366 px and 400 px, in artifacts/screenshots (gitignored).
screenshots: $(STAMP)
	$(BIN)/python tests/web/screenshots.py artifacts/screenshots

clean:
	rm -rf $(VENV) build dist *.egg-info site .import_linter_cache .mypy_cache
