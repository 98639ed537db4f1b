# RightsGraph: `make run` (local Neo4j + bundled reports + API) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=
TEST_WORKERS ?= 2

.PHONY: setup run test test-slow lint format bench bench-big docs neo4j-stop clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(STAMP): pyproject.toml scripts/ensure-tools.sh web/package-lock.json
	bash scripts/ensure-tools.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	if [ -f web/package.json ]; then npm ci --prefix web --no-audit --no-fund --ignore-scripts; fi
	touch $(STAMP)

setup: $(STAMP)  ## create the virtual environment and install the project (and Java/Maven if missing)

run: setup  ## start the local Neo4j, load the bundled reports, serve the API on $(HOST):$(PORT)
	exec bash scripts/run.sh $(HOST) $(PORT) $(BIN)

test: setup  ## run the whole test suite against a real local Neo4j (its own port and data folder)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-slow: setup  ## the suite plus long fuzzing and load tests
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --run-slow $(PYTEST_ARGS)

lint: setup  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

docs: setup  ## regenerate the JSON-LD context and the ontology documentation
	$(BIN)/rightsgraph ontology generate

bench: setup  ## run the benchmarks and write docs/benchmarks.md
	$(BIN)/python bench/run_all.py

BIG_ROWS ?= 1000000
bench-big: setup  ## ingest $(BIG_ROWS) synthetic holdings rows: ours (bulk path), its re-run, LOAD CSV
	$(BIN)/python bench/ingest_speed.py --rows $(BIG_ROWS) --runs 1 --methods ours,rerun,load_csv --pagecache 2g

neo4j-stop:  ## stop the local Neo4j of `make run`
	$(BIN)/rightsgraph neo4j stop

clean:  ## remove the virtual environment, local data and build output
	-$(BIN)/rightsgraph neo4j stop
	rm -rf $(VENV) .data docker/neo4j/target build *.egg-info
