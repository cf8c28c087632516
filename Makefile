# The compendium's two commands: `make` (install + build everything) and `make test`.
# Everything is installed from the project's own files: uv (pinned, from PyPI) installs the
# locked environment (uv.lock) into .venv; nothing else is needed on the machine.
SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

# The first installed interpreter in the supported range (3.11-3.13; uv.lock resolves for all
# three), oldest first: the committed manifest was made with 3.11. Override: make PYTHON=...
SUPPORTED_PYTHON := $(shell for p in python3.11 python3.12 python3.13 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null && { echo $$p; break; }; done)
PYTHON ?= $(SUPPORTED_PYTHON)
UV_VERSION := 0.13.8
VENV := .venv
BIN := $(VENV)/bin
ENV_STAMP := $(VENV)/.installed
SNAKEMAKE := $(BIN)/snakemake -s workflow/Snakefile

# Deterministic, offline builds: fixed timestamps (the public defence, 27 Sep 2024), hash
# seed, time zone and locale, defined once in compendium/buildenv.py (they win over the
# caller's environment); uv never downloads a Python.
$(foreach kv,$(shell $(or $(PYTHON),python3) -m compendium.buildenv --make),$(eval export $(kv)))
export UV_PYTHON_DOWNLOADS := never

DOCS := article1 article2 article3 thesis
OUTPUTS := $(foreach d,$(DOCS),$(foreach f,html pdf docx,results/manuscripts/$(d).$(f)))
SOURCES := $(shell find workflow analysis compendium config data manuscript notebooks -type f \
	! -path '*/__pycache__/*' ! -name '*.pyc' 2>/dev/null | LC_ALL=C sort)
STAMP := results/.build-stamp

.PHONY: all build env test lint synthetic bench environment clean verify manifest slurm \
	test-slurm test-browser

all: $(STAMP) ## install the environment and build every document (no job when up to date)

# The stamp lets a second `make` finish in milliseconds without starting Snakemake; it is
# rebuilt whenever a source changes or one of the 12 documents is missing.
$(STAMP): $(ENV_STAMP) $(SOURCES)
	@$(MAKE) --no-print-directory build
	@touch $@
ifneq ($(words $(wildcard $(OUTPUTS))),12)
.PHONY: $(STAMP)
endif

# Snakemake runs in the staging folder .build/ and results/ (and logs/) are replaced only
# after it succeeds, so a failed build leaves the previous results as they were
# (compendium/build.py; it also clears the lock of a build that was killed). Publishing
# mirrors .build/results exactly, so the stamp is written again after it.
build: $(ENV_STAMP) ## run the DAG in .build/ (Snakemake decides what is out of date), publish results/ on success
	$(BIN)/python -m compendium.build
	@touch $(STAMP)

env: $(ENV_STAMP) ## install the locked environment into .venv

$(ENV_STAMP): pyproject.toml uv.lock
	@test -n "$(PYTHON)" || { echo "make: no Python 3.11, 3.12 or 3.13 found on PATH;" \
		"install one (e.g. apt install python3.11) or run make PYTHON=/path/to/python3.x" >&2; exit 1; }
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	.tools/bin/uv sync --locked --python $(PYTHON)
	@touch $@

test: $(ENV_STAMP) ## install the environment and run the test suite
	$(BIN)/pytest -n 2 --dist loadgroup -m "not slurm and not browser"

slurm: $(ENV_STAMP) ## build through the SLURM profile (add your partition/account in SLURM_ARGS)
	$(BIN)/python -m compendium.build --profile workflow/profiles/slurm $(SLURM_ARGS)

test-slurm: $(ENV_STAMP) ## the DAG on a real single-node SLURM (needs Debian slurmctld slurmd munge)
	$(BIN)/pytest -m slurm tests/test_slurm.py

test-browser: $(ENV_STAMP) ## the HTML in headless Chromium (needs Debian chromium)
	$(BIN)/pytest -m browser -n 2 --dist loadgroup tests/test_browser.py

lint: $(ENV_STAMP) ## ruff (lint and format) and snakefmt checks, as CI runs them
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check workflow

synthetic: $(ENV_STAMP) ## regenerate data/synthetic/ (byte-identical unless parameters change)
	$(BIN)/python -m analysis.synthetic

bench: $(ENV_STAMP) ## time cold/no-op/incremental builds, the engine floor, qdpx, validate, tallies: bench/report.json + report.md
	$(BIN)/python -m compendium.bench --out bench

environment: $(ENV_STAMP) ## rewrite environment.yml from uv.lock
	$(BIN)/python -m analysis.environment

manifest: $(STAMP) ## write results.sha256 from the current results/ (commit it with your change)
	$(BIN)/python -m compendium.verify manifest

verify: $(ENV_STAMP) ## rebuild a clean copy offline and compare it with results.sha256
	$(BIN)/python -m compendium.verify check

clean: ## remove generated results, logs and the staging folder (not the environment)
	rm -rf results logs .snakemake .build
