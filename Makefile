# The two commands in the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
export QC_DATA_DIR ?= var

.PHONY: run test test-all lint bench samples vendor clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

## Start the platform with demo data on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/qc demo --no-transcribe
	QC_QUEUE_REFRESH_MINUTES=1 $(BIN)/qc serve --host 127.0.0.1 --port 8000

## Run the test suite (SQLite; set QC_TEST_DATABASE_URL / QC_TEST_REDIS_URL for PostgreSQL + Redis)
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check qc tests bench scripts
	$(BIN)/ruff format --check qc tests bench scripts
	$(BIN)/mypy qc

bench: $(STAMP)
	$(BIN)/python bench/asr.py

samples: $(STAMP)
	$(BIN)/python scripts/make_sample_calls.py

vendor: $(STAMP)
	$(BIN)/python scripts/vendor_assets.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
