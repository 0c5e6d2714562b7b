# Two commands on a fresh machine: `make run` (the default study) and `make test`.
# Each creates .venv and installs the package with what it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CORES ?= 8

.PHONY: install run report test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,slurm]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## regenerate every table of the default config
	$(BIN)/snakemake --cores $(CORES) all

report: $(STAMP)  ## self-contained HTML report of a finished run
	$(BIN)/snakemake --report results/report.html

test: $(STAMP)  ## unit + workflow tests
	$(BIN)/python -m pytest

bench: $(STAMP)  ## performance measurements, one JSON object per line
	$(BIN)/python benchmarks/run_all.py

lint: $(STAMP)
	$(BIN)/snakemake --lint

clean:
	rm -rf results .snakemake
