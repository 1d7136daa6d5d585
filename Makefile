# lpperp: `make lab` opens the toolkit, `make test` runs every test, `make bench` prints the benchmarks,
# `make mutate` runs mutation testing over the core modules.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
NOTEBOOKS := $(shell git ls-files 'notebooks/*.ipynb' 'notebooks/**/*.ipynb' 2>/dev/null)

.PHONY: lab test bench mutate fuzz lint format strip clean

# One stamp per extra set: re-running a target when pyproject.toml did not change costs nothing.
$(VENV)/.lab: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[notebook]'
	touch $@

$(VENV)/.test: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[notebook,dev,dask]'
	touch $(VENV)/.lab $@

# The real Uniswap v3 contracts and the anvil node come from the npm registry (tests/evm).
node_modules/.package-lock.json: package.json package-lock.json
	if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; else echo "npm not found: the EVM tests will skip"; fi

# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(VENV)/.lab
	$(VENV)/bin/jupyter lab $(ALLOW_ROOT) notebooks/00_start_here.ipynb

test: $(VENV)/.test node_modules/.package-lock.json lint
	$(PY) -m pytest --nbval-lax --nbval-current-env --doctest-glob=README.md tests lpperp notebooks README.md

lint: $(VENV)/.test
	$(VENV)/bin/ruff check lpperp tests benchmarks notebooks
	$(VENV)/bin/nbstripout --verify $(NOTEBOOKS)

bench: $(VENV)/.test
	$(PY) -m benchmarks

# Mutation testing of the core modules (mutmut, 2 workers, each module against its own unit tests,
# in a scratch copy under $(MUTATE_WORKDIR)): score per module, survivors, phases' and total time.
# Stops at a 30-min budget (--budget-s; mutants not reached are reported as not run); the whole run
# took 13.1 min on 2 idle cores, every mutant reached, 100 % (mutation/README.md, 2026-11-30 22:58). Not part of
# `make test` (tests/test_mutants.py keeps the curated mutants there).
# `make mutate MODULES="units liquidity"` runs a subset; MUTATE_ARGS="--budget-s 2400" or
# "--per-module" are passed on to mutation/run.py.
MODULES ?=
MUTATE_WORKDIR ?= /tmp/lpperp-mutate
MUTATE_ARGS ?=
mutate: $(VENV)/.test
	$(PY) mutation/run.py --workdir $(MUTATE_WORKDIR) $(MUTATE_ARGS) $(MODULES)

# The project's own fuzz at full size (make test runs it small): the public API, every explorer
# control and a misbehaving JSON-RPC node, >= 10**5 calls in all. Slow (tens of minutes on 2 cores).
FUZZ_EXAMPLES ?= 500
fuzz: $(VENV)/.test
	LPPERP_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) LPPERP_FUZZ_EXPLORER_ROUNDS=3 $(PY) -m pytest -q -p no:randomly \
		tests/test_fuzz.py tests/test_oracle_fuzz.py tests/test_fuzz_explorers.py tests/test_rpc_fuzz.py

format: $(VENV)/.test
	$(VENV)/bin/ruff check --fix lpperp tests benchmarks notebooks
	$(VENV)/bin/ruff format lpperp tests benchmarks

strip: $(VENV)/.test
	$(VENV)/bin/nbstripout $(NOTEBOOKS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .hypothesis
