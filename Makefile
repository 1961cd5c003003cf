# Two commands: `make lab` (open the course) and `make test` (the whole test suite).
# Both create .venv on first use (Python 3.11+, exact versions from constraints.txt)
# and reuse it afterwards.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.labkit-installed
LAB_ARGS ?=
PYTEST_ARGS ?=
CELL_TIMEOUT ?= 300
SHARED_MNIST := $(abspath ../shared/data/mnist)

.PHONY: lab test unit notebooks e2e venv clean-venv

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $(LAB_ARGS)

# Fast mode, offline, MNIST from ../shared when present (CI sets LABKIT_DATA itself).
test: $(STAMP)
	@if [ -z "$$LABKIT_DATA" ] && [ -d "$(SHARED_MNIST)" ]; then export LABKIT_DATA="$(SHARED_MNIST)"; fi; \
	LABKIT_MODE=fast LABKIT_OFFLINE=1 MPLBACKEND=Agg $(PY) -m pytest -q -p no:cacheprovider \
	  --nbval-lax --nbval-current-env --nbval-cell-timeout=$(CELL_TIMEOUT) \
	  --timeout=900 --durations=25 tests notebooks $(PYTEST_ARGS)

unit: $(STAMP)
	LABKIT_MODE=fast LABKIT_OFFLINE=1 MPLBACKEND=Agg $(PY) -m pytest -q -p no:cacheprovider tests $(PYTEST_ARGS)

notebooks: $(STAMP)
	LABKIT_MODE=fast LABKIT_OFFLINE=1 $(PY) -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env \
	  --nbval-cell-timeout=$(CELL_TIMEOUT) notebooks $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
