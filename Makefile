# rebal: two commands do all the set-up on a fresh machine with Python 3.11.
#   make report  - create .venv, install, build the sample lakehouse if missing, run the weekly job, render
#   make test    - create .venv, install with test extras, run the tests (all tiers)
#   make test-fast - the unit tier only (no sample lakehouse, notebooks, PDF, Dask or slow tests)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
LAKEHOUSE := data/lakehouse/rebal.duckdb
WORKERS ?=
ASOF ?=
PROFILES ?=
# The unit tier: tests with none of the markers registered in pyproject.toml.
FAST_TESTS := not integration and not notebook and not pdf and not dask and not slow
PYTEST_WORKERS ?= 2
# committed notebooks: the report templates and the analysts' starting point
NOTEBOOKS := $(wildcard notebooks/*.ipynb notebooks/explore/*.ipynb)

.PHONY: help install install-test lakehouse report test test-fast lab profiles check-notebooks strip-notebooks bench clean-reports drift-monitor accept-state audit factor-map risk4 bench-risk4 propose bench-allocation backtest bench-backtest bench-scale bench-lab bench-universe bench-packet

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "rebal needs Python >= 3.11, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

# the benchmarks' peers (bt 1.4.1, PyPortfolioOpt + OSQP): an extra, never a runtime dependency
$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $@

install: $(VENV)/.installed  ## create .venv and install rebal

install-test: $(VENV)/.installed-test  ## install rebal with its test extras

$(LAKEHOUSE): | $(VENV)/.installed
	$(BIN)/rebal data build-sample

lakehouse: $(LAKEHOUSE)  ## build the sample lakehouse from real data shipped in packages (if missing)

report: $(VENV)/.installed $(LAKEHOUSE)  ## run the weekly job for every profile: HTML + PDF + committee packet
	$(BIN)/rebal run $(if $(ASOF),--as-of $(ASOF)) $(if $(WORKERS),--workers $(WORKERS)) $(foreach p,$(PROFILES),--profile $(p))

test: $(VENV)/.installed-test  ## install with test extras and run every test (all tiers)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q

test-fast: $(VENV)/.installed-test  ## the unit tier: no sample lakehouse, notebook, PDF, Dask or slow test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q -m "$(FAST_TESTS)"

profiles: $(VENV)/.installed  ## list the profiles
	$(BIN)/rebal profiles

lab: $(VENV)/.installed $(LAKEHOUSE)  ## open the notebooks in JupyterLab (as root too: --allow-root; LAB_ARGS=--no-browser)
	$(BIN)/rebal lab $(LAB_ARGS)

check-notebooks: $(VENV)/.installed-test  ## fail if a committed notebook holds outputs (nbstripout --verify; the pre-commit hook strips them)
	$(BIN)/nbstripout --keep-id --verify $(NOTEBOOKS)

strip-notebooks: $(VENV)/.installed-test  ## strip outputs and execution counts from notebooks/ (nbstripout)
	$(BIN)/nbstripout --keep-id $(NOTEBOOKS)

bench: $(VENV)/.installed $(LAKEHOUSE)  ## weekly job: after / before / naive chain, with the time split
	$(BIN)/python benchmarks/bench_weekly.py

bench-packet: $(VENV)/.installed  ## rebuild the packet of a built week (make report first): assembly steps, rebal packet
	$(BIN)/python benchmarks/bench_packet.py $(if $(ASOF),--as-of $(ASOF))

bench-lab: $(VENV)/.installed $(LAKEHOUSE)  ## each template in Lab's kernel: first cell, top to bottom, and again
	$(BIN)/python benchmarks/bench_lab.py

bench-scale: $(VENV)/.installed $(LAKEHOUSE)  ## weekly job for 6/24/96 SYNTHETIC profiles: local vs a 2-worker Dask LocalCluster
	$(BIN)/python benchmarks/bench_scale.py $(if $(QUICK),--quick)

clean-reports:  ## delete rendered reports
	rm -rf reports/*/

drift-monitor: $(VENV)/.installed $(LAKEHOUSE)  ## drift vs the Last Implemented State for every profile (first run records a baseline)
	$(BIN)/rebal drift-monitor $(foreach p,$(PROFILES),--profile $(p))

accept-state: $(VENV)/.installed $(LAKEHOUSE)  ## record today's targets as implemented (PROFILES="a b" to limit)
	$(BIN)/rebal accept-state $(foreach p,$(PROFILES),--profile $(p))

audit: $(VENV)/.installed $(LAKEHOUSE)  ## beta, correlation, flags and drift status of every profile
	$(BIN)/rebal audit $(foreach p,$(PROFILES),--profile $(p))

factor-map: $(VENV)/.installed $(LAKEHOUSE)  ## write summaries/factor_map.png
	$(BIN)/rebal factor-map

risk4: $(VENV)/.installed $(LAKEHOUSE)  ## Risk4 picks and trades (ASOF=date, default latest) -> reports/risk4/
	$(BIN)/rebal risk4 generate $(if $(ASOF),--date $(ASOF)) $(foreach p,$(PROFILES),--profile $(p))

bench-risk4: $(VENV)/.installed  ## Risk4 generate on a synthetic 500..5,000-ticker x 20-year lakehouse
	$(BIN)/python benchmarks/bench_risk4.py

bench-universe: $(VENV)/.installed  ## propose, risk and a prices import on SYNTHETIC universes of 100..5,000 names: seconds, peak memory
	$(BIN)/python benchmarks/bench_universe.py $(if $(SIZES),--sizes $(SIZES))

propose: $(VENV)/.installed $(LAKEHOUSE)  ## dry-run rebalance proposal per profile -> reports/<as_of>/<profile>/proposal.json (MODE=, ASOF=)
	@for p in $(if $(PROFILES),$(PROFILES),$$($(BIN)/rebal profiles --json | $(BIN)/python -c 'import json,sys; print(" ".join(r["name"] for r in json.load(sys.stdin) if r["valid"]))')); do \
		$(BIN)/rebal propose --profile $$p $(if $(ASOF),--as-of $(ASOF)) $(if $(MODE),--mode $(MODE)) || exit $$?; echo; done

bench-allocation: $(VENV)/.installed-bench  ## HRP and mean-variance fits at N = 50/200/500, rebal vs skfolio and PyPortfolioOpt
	$(BIN)/python benchmarks/bench_allocation.py

backtest: $(VENV)/.installed $(LAKEHOUSE)  ## rule lab: backtest rules + hypotheses per profile -> reports/backtests/ (RULES="threshold:0.05 ...", GRID=full)
	@for p in $(if $(PROFILES),$(PROFILES),min_variance hrp_balanced max_sharpe bl_tilts strategy_sleeves); do \
		$(BIN)/rebal backtest --profile $$p $(foreach r,$(RULES),--rule $(r)) $(if $(filter full,$(GRID)),--full) || exit $$?; echo; done

bench-backtest: $(VENV)/.installed-bench  ## rule-lab engine vs bt 1.4.1 and the reference loop; grids of 24 and 60 configurations, local vs Dask
	$(BIN)/python benchmarks/bench_backtest.py
