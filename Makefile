# Two commands on a fresh machine: `make run` (the default study) and `make test`.
# Each creates .venv and installs the package with what it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CORES ?= 8
CONFIG ?= config/config.yaml
TARGET ?= all
# pytest-xdist workers: one per core, at most 4 (two end-to-end runs at once need ~4 GB);
# tests/conftest.py says what goes together and in which order
TEST_WORKERS ?= auto --maxprocesses=4
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

.PHONY: install run report test test-fast bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,slurm]"
	touch $(STAMP)

install: $(STAMP)

# `make run CONFIG=config/tiny.yaml TARGET=table1`: another config or target. The config file
# is checked first, so an empty or malformed one is named (Snakemake reads --configfile itself
# and would not say which file it could not use).
run: $(STAMP)  ## regenerate every table and figure of the default config
	$(BIN)/python -c "from imbgraph.io.strict_yaml import check_config_file as c; c('$(CONFIG)')"
	$(BIN)/snakemake --cores $(CORES) --configfile=$(CONFIG) $(TARGET)

report: $(STAMP)  ## self-contained HTML report of a finished run
	$(BIN)/snakemake --configfile=$(CONFIG) --report results/report.html

test: $(STAMP)  ## unit + workflow tests
	$(PYTEST)

test-fast: $(STAMP)  ## unit tests only (no Snakemake run), for development
	$(PYTEST) -m "not workflow"

bench: $(STAMP)  ## performance measurements, one JSON object per line
	$(BIN)/python benchmarks/run_all.py

lint: $(STAMP)  ## ruff (pyflakes, syntax, import order) and Snakemake's own lint
	$(BIN)/ruff check src tests workflow benchmarks
	$(BIN)/snakemake --lint

clean:
	rm -rf results .snakemake
