# ksweep: every recipe is one call of the ksweep CLI. Variables reach it through the
# environment (make exports the ones set on its command line), never through a shell:
# `ksweep make TARGET` reads them. `make help` lists targets and variables; V=1 shows commands.

SHELL := /bin/bash

# The names set on make's command line, for the CLI to report a misspelt one (RANGE_CONIFG=).
export KSWEEP_MAKE_COMMAND_LINE := $(strip $(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),$(v))))
# Values are kept exactly as written: make would expand $(...) or $x in a command-line or
# environment value when it exports it to a recipe, so such a value becomes a simple variable
# holding its own text (SWEEP='..$(shell touch X)' names a folder; it runs nothing).
$(foreach v,$(filter-out MAKEFLAGS MAKEOVERRIDES MFLAGS .% %%,$(.VARIABLES)),$(if $(filter command line environment,$(origin $(v))),$(if $(findstring $$,$(value $(v))),$(eval override $(v) := $$(value $(v)))$(eval export $(v)))))
.DEFAULT_GOAL := help

VENV ?= .venv
# PYTHON=python3 uses an existing interpreter (with the dependencies already installed)
# instead of building $(VENV).
ifdef PYTHON
SETUP :=
else
PYTHON := $(VENV)/bin/python
SETUP := $(VENV)/.ksweep-installed
endif
KSWEEP := $(PYTHON) -m ksweep
Q := $(if $(filter 1,$(V)),,@)
# make help must work before the venv exists: the CLI's help needs only the standard library.
HELP_PYTHON := $(if $(wildcard $(PYTHON)),$(PYTHON),python3)

.PHONY: help setup data-link sweep sweep-generate sweep-run sweep-clean sweep-analyze menuconfig \
	sweep-parallel sweep-resume sweep-rerun-failed sweep-status sweep-estimate sweep-compare \
	sweep-audit-stop sweep-report \
	sweep-refine \
	savedefconfig olddefconfig test lint format bench clean distclean

help: ## list targets, variables and defconfigs
	@echo "ksweep targets:"
	@grep -E '^[a-zA-Z%_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | \
		awk -F'\t' '{printf "  make %-22s %s\n", $$1, $$2}'
	@echo ""
	@$(HELP_PYTHON) -m ksweep make-help
	@echo ""
	@echo "Defconfigs (make defconfig-NAME) and range configs (RANGE_CONFIG=defconfigs/NAME):"
	@$(HELP_PYTHON) -m ksweep list-defconfigs

setup: $(SETUP) ## create the virtual environment and install ksweep with its dependencies

$(VENV)/.ksweep-installed: pyproject.toml
	$(Q)python3 -m venv $(VENV)
	$(Q)$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(Q)$(VENV)/bin/python -m pip install --quiet -e '.[dev,ray,search]'
	$(Q)touch $@

data-link: $(SETUP) ## link SHARED_MNIST (default ../shared/data/mnist) into data/MNIST/raw, if present
	$(Q)$(KSWEEP) make data-link

sweep: $(SETUP) | data-link ## generate and run the sweep of RANGE_CONFIG (default: the quickstart)
	$(Q)$(KSWEEP) make sweep

sweep-generate: $(SETUP) ## expand RANGE_CONFIG into sweep_configs/ (validates; runs nothing)
	$(Q)$(KSWEEP) make sweep-generate

sweep-run: $(SETUP) | data-link ## run every config in sweep_configs/ into test_matrix_results/sweep_*/
	$(Q)$(KSWEEP) make sweep-run

sweep-parallel: $(SETUP) | data-link ## the guide's name: make sweep with PARALLEL=N trials at once
	$(Q)$(KSWEEP) make sweep-parallel

sweep-resume: $(SETUP) | data-link ## finish SWEEP=DIR (default: newest): run what did not finish
	$(Q)$(KSWEEP) make sweep-resume

sweep-rerun-failed: $(SETUP) | data-link ## run SWEEP=DIR's failed and unfinished trials again
	$(Q)$(KSWEEP) make sweep-rerun-failed

sweep-status: $(SETUP) ## progress of SWEEP=DIR (default: newest), running or finished
	$(Q)$(KSWEEP) make sweep-status

sweep-estimate: $(SETUP) ## count RANGE_CONFIG's trials and estimate their time
	$(Q)$(KSWEEP) make sweep-estimate

sweep-clean: $(SETUP) ## remove sweep_configs/
	$(Q)$(KSWEEP) make sweep-clean

sweep-analyze: $(SETUP) ## rewrite SWEEP=DIR's analysis, report.md, results.csv and plots/
	$(Q)$(KSWEEP) make sweep-analyze

sweep-report: $(SETUP) ## open SWEEP=DIR's report.html in a browser (or print its path)
	$(Q)$(KSWEEP) make sweep-report

sweep-compare: $(SETUP) ## compare sweeps A=DIR and B=DIR
	$(Q)$(KSWEEP) make sweep-compare

sweep-audit-stop: $(SETUP) ## replay EARLY_STOP=asha|median|topk on SWEEP=DIR: safe? what saved?
	$(Q)$(KSWEEP) make sweep-audit-stop

sweep-refine: $(SETUP) ## write the next round's range config from SWEEP=DIR (OUT=FILE)
	$(Q)$(KSWEEP) make sweep-refine

menuconfig: $(SETUP) ## edit KCONFIG_CONFIG (default .config) in kconfiglib's menuconfig
	$(Q)$(KSWEEP) make menuconfig

defconfig-%: export DEFCONFIG_NAME = $*
defconfig-%: $(SETUP) ## load defconfigs/NAME into KCONFIG_CONFIG (default .config)
	$(Q)$(KSWEEP) make defconfig

savedefconfig: $(SETUP) ## write KCONFIG_CONFIG's minimal form to defconfigs/NAME (DEFCONFIG=NAME)
	$(Q)$(KSWEEP) make savedefconfig

olddefconfig: $(SETUP) ## give every symbol missing from KCONFIG_CONFIG its default
	$(Q)$(KSWEEP) make olddefconfig

test: $(SETUP) ## run the test suite
	$(Q)$(PYTHON) -m pytest -q

lint: $(SETUP) ## ruff check and format check
	$(Q)$(PYTHON) -m ruff check ksweep models tests scripts examples
	$(Q)$(PYTHON) -m ruff format --check ksweep models tests scripts examples

format: $(SETUP) ## ruff format the code
	$(Q)$(PYTHON) -m ruff format ksweep models tests scripts examples

bench: $(SETUP) | data-link ## benchmarks: per-trial overhead, throughput by JOBS, trainer speed, search, early stopping, Ray
	$(Q)$(PYTHON) -m ksweep.bench

clean: ## remove the generated configs (results and the virtual environment are kept)
	$(Q)rm -rf sweep_configs

distclean: clean ## also remove the virtual environment
	$(Q)rm -rf $(VENV)
