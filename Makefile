# ksweep: every recipe is one call of the ksweep CLI (python -m ksweep).
# `make help` lists targets, variables and defconfigs.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
# PYTHON=python3 uses an existing interpreter (with the dependencies already
# installed) instead of building $(VENV).
ifdef PYTHON
SETUP :=
else
PYTHON := $(VENV)/bin/python
SETUP := $(VENV)/.ksweep-installed
endif

RANGE_CONFIG ?= defconfigs/quickstart-range
CONFIG_DIR ?= sweep_configs
OUTPUT_DIR ?= test_matrix_results
DEVICE ?=
BASE ?=
FORCE ?=
DEFCONFIG ?=
SWEEP ?=
METRIC ?=
GOAL ?=
A ?=
B ?=
KSWEEP := $(PYTHON) -m ksweep
SHARED_MNIST ?= ../shared/data/mnist
DATA_LINK := data/MNIST/raw

GENERATE_FLAGS = $(if $(BASE),--base $(BASE)) $(if $(filter 1 y yes,$(FORCE)),--force)
JOBS ?= $(PARALLEL)
PARALLEL ?=
GPUS ?=
TRIALS_PER_GPU ?=
TRIAL_TIMEOUT ?=
RETRIES ?=
FAIL_FAST ?=
LAUNCHER ?=
BACKEND ?=
HEARTBEAT ?=
LAUNCH_FLAGS = $(if $(DEVICE),--device $(DEVICE)) $(if $(JOBS),--jobs $(JOBS)) \
	$(if $(GPUS),--gpus $(GPUS)) $(if $(TRIALS_PER_GPU),--trials-per-gpu $(TRIALS_PER_GPU)) \
	$(if $(TRIAL_TIMEOUT),--timeout $(TRIAL_TIMEOUT)) $(if $(RETRIES),--retries $(RETRIES)) \
	$(if $(filter 1 y yes,$(FAIL_FAST)),--fail-fast) $(if $(LAUNCHER),--launcher $(LAUNCHER)) \
	$(if $(BACKEND),--backend $(BACKEND)) $(if $(HEARTBEAT),--heartbeat $(HEARTBEAT))
RUN_FLAGS = --output-dir $(OUTPUT_DIR) $(LAUNCH_FLAGS)
# SWEEP names a results folder; without it, status and resume take the newest one.
NEWEST_SWEEP = $(lastword $(sort $(wildcard $(OUTPUT_DIR)/sweep_*)))
SWEEP_OR_NEWEST = $(or $(SWEEP),$(NEWEST_SWEEP))

.PHONY: help setup data-link sweep sweep-generate sweep-run sweep-clean sweep-analyze menuconfig \
	sweep-parallel sweep-resume sweep-rerun-failed sweep-status sweep-estimate sweep-compare \
	savedefconfig olddefconfig test lint format bench clean

help: ## list targets, variables and defconfigs
	@echo "ksweep targets:"
	@grep -E '^[a-zA-Z%_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | \
		awk -F'\t' '{printf "  make %-22s %s\n", $$1, $$2}'
	@echo ""
	@echo "Variables (make VAR=value):"
	@echo "  RANGE_CONFIG=FILE   range config to sweep (default: $(RANGE_CONFIG))"
	@echo "  DEVICE=cpu|cuda     device for every trial (default: the config's, auto = cuda if visible)"
	@echo "  BASE=FILE           defconfig a sweep starts from (default: the range file's base line)"
	@echo "  FORCE=1             allow sweeps of more than 1,000 configurations"
	@echo "  CONFIG_DIR=DIR      generated configs (default: $(CONFIG_DIR))"
	@echo "  OUTPUT_DIR=DIR      results root (default: $(OUTPUT_DIR))"
	@echo "  JOBS=N (PARALLEL=N) trials at once (default: half the cores on CPU, 1 per GPU)"
	@echo "  GPUS=0,1            GPUs to spread trials over (default: all visible)"
	@echo "  TRIALS_PER_GPU=N    trials sharing one GPU (small models leave a GPU idle)"
	@echo "  TRIAL_TIMEOUT=S     stop a trial after S seconds (recorded as timeout)"
	@echo "  RETRIES=N           re-run a failed trial up to N times"
	@echo "  FAIL_FAST=1         stop the sweep at the first failed trial"
	@echo "  LAUNCHER=ray        run trials as Ray tasks (RAY_ADDRESS picks a cluster)"
	@echo "  BACKEND=fork|exec   fork trials from a server with torch imported, or exec fresh ones"
	@echo "  HEARTBEAT=S         with JOBS>1, each running trial's newest epoch every S s (default 30, 0: off)"
	@echo "  DEFCONFIG=NAME      target of savedefconfig"
	@echo "  SWEEP=DIR           a results folder, for sweep-analyze (default: the newest)"
	@echo "  METRIC=NAME         rank by test_acc, val/loss, val/acc, training_time, final_sparsity, ..."
	@echo "                      (default: CONFIG_SWEEP_METRIC of the trials, else test_acc)"
	@echo "  GOAL=max|min        the better direction (default: CONFIG_SWEEP_GOAL, else the metric's own)"
	@echo "  A=DIR B=DIR         the two sweep folders of sweep-compare (change = B - A)"
	@echo "  PYTHON=python3      use an existing interpreter instead of building $(VENV)"
	@echo ""
	@echo "Defconfigs (make defconfig-NAME) and range configs (RANGE_CONFIG=defconfigs/NAME):"
	@ls defconfigs | sed 's/^/  /'

setup: $(SETUP) ## create the virtual environment and install ksweep with its dependencies

# A local copy of MNIST (SHARED_MNIST, the four idx files) is linked in as data/MNIST/raw,
# where CONFIG_DATA_DIR's default ("data") finds it and where torchvision would download it:
# defconfigs then name no path of one machine. Without such a copy this does nothing.
data-link: ## link SHARED_MNIST (default ../shared/data/mnist) into data/MNIST/raw, if present
	@if [ ! -e $(DATA_LINK) ] && [ -d "$(SHARED_MNIST)" ]; then \
		mkdir -p $(dir $(DATA_LINK)) && ln -s "$(abspath $(SHARED_MNIST))" $(DATA_LINK) && \
		echo "linked $(SHARED_MNIST) as $(DATA_LINK)"; fi

$(VENV)/.ksweep-installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev,ray]'
	touch $@

sweep: $(SETUP) | data-link ## generate and run the sweep of RANGE_CONFIG (default: the quickstart)
	$(KSWEEP) sweep $(RANGE_CONFIG) --out $(CONFIG_DIR) $(GENERATE_FLAGS) $(RUN_FLAGS)

sweep-generate: $(SETUP) ## expand RANGE_CONFIG into sweep_configs/ (validates; runs nothing)
	$(KSWEEP) generate $(RANGE_CONFIG) --out $(CONFIG_DIR) $(GENERATE_FLAGS)

sweep-run: $(SETUP) | data-link ## run every config in sweep_configs/ into test_matrix_results/sweep_*/
	$(KSWEEP) run --config-dir $(CONFIG_DIR) $(RUN_FLAGS)

sweep-parallel: $(SETUP) | data-link ## generate and run RANGE_CONFIG with PARALLEL=N trials at once
	$(KSWEEP) sweep $(RANGE_CONFIG) --out $(CONFIG_DIR) $(GENERATE_FLAGS) $(RUN_FLAGS)

sweep-resume: $(SETUP) | data-link ## finish SWEEP=DIR (default: newest): run what did not finish
	@test -n "$(SWEEP_OR_NEWEST)" || { echo "error: no sweep to resume under $(OUTPUT_DIR)/; name one: make sweep-resume SWEEP=DIR" >&2; exit 2; }
	$(KSWEEP) run --resume $(SWEEP_OR_NEWEST) $(LAUNCH_FLAGS)

sweep-rerun-failed: $(SETUP) | data-link ## run SWEEP=DIR's failed and unfinished trials again
	@test -n "$(SWEEP_OR_NEWEST)" || { echo "error: no sweep under $(OUTPUT_DIR)/; name one: make sweep-rerun-failed SWEEP=DIR" >&2; exit 2; }
	$(KSWEEP) run --resume $(SWEEP_OR_NEWEST) --rerun-failed $(LAUNCH_FLAGS)

sweep-status: $(SETUP) ## progress of SWEEP=DIR (default: newest), running or finished
	$(KSWEEP) status $(SWEEP) --output-dir $(OUTPUT_DIR)

sweep-estimate: $(SETUP) ## count RANGE_CONFIG's configurations and estimate their time
	$(KSWEEP) estimate $(RANGE_CONFIG) --output-dir $(OUTPUT_DIR) $(GENERATE_FLAGS) $(if $(JOBS),--jobs $(JOBS))

sweep-clean: $(SETUP) ## remove sweep_configs/
	$(KSWEEP) clean --out $(CONFIG_DIR)

sweep-analyze: $(SETUP) ## rewrite SWEEP=DIR's analysis, report.md, results.csv and plots/
	$(KSWEEP) analyze $(SWEEP) --output-dir $(OUTPUT_DIR) $(if $(METRIC),--metric $(METRIC)) $(if $(GOAL),--goal $(GOAL))

sweep-compare: $(SETUP) ## compare sweeps A=DIR and B=DIR
	@test -n "$(A)" -a -n "$(B)" || { echo "error: name both sweeps: make sweep-compare A=DIR B=DIR" >&2; exit 2; }
	$(KSWEEP) compare $(A) $(B) $(if $(METRIC),--metric $(METRIC)) $(if $(GOAL),--goal $(GOAL))

menuconfig: $(SETUP) ## edit .config in kconfiglib's menuconfig
	KCONFIG_CONFIG=.config $(PYTHON) -m menuconfig Kconfig

defconfig-%: $(SETUP) | data-link ## load defconfigs/NAME into .config
	$(KSWEEP) defconfig $*

savedefconfig: $(SETUP) ## write .config's minimal form to defconfigs/NAME (DEFCONFIG=NAME)
	@test -n "$(DEFCONFIG)" || { echo "error: name the target: make savedefconfig DEFCONFIG=NAME" >&2; exit 2; }
	$(KSWEEP) savedefconfig $(DEFCONFIG)

olddefconfig: $(SETUP) ## give every symbol missing from .config its default
	$(KSWEEP) olddefconfig

test: $(SETUP) ## run the test suite
	$(PYTHON) -m pytest -q

lint: $(SETUP) ## ruff check and format check
	$(PYTHON) -m ruff check ksweep tests scripts
	$(PYTHON) -m ruff format --check ksweep tests scripts

format: $(SETUP) ## ruff format the code
	$(PYTHON) -m ruff format ksweep tests scripts

bench: $(SETUP) | data-link ## benchmarks: per-trial overhead, sweep throughput by JOBS, trainer speed
	$(PYTHON) -m ksweep.bench
	$(PYTHON) -m ksweep.bench_trainer

clean: ## remove generated configs and the virtual environment (results are kept)
	rm -rf $(CONFIG_DIR) $(VENV)
