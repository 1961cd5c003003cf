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
# Browser tests (tests/e2e): Debian's chromium driven by playwright (in the [dev] extras).
CHROMIUM ?= /usr/bin/chromium
E2E_ARGS ?=
# Colab's widget stack (ipywidgets 7.7.1, ipykernel 6.17.1, IPython 7.34) in a small second venv
# that reuses everything else (torch, labkit, pytest) from .venv through a .pth file.
VENV7  := .venv-iw7
PY7    := $(VENV7)/bin/python
STAMP7 := $(VENV7)/.labkit-iw7-installed
IW7_PKGS := ipywidgets==7.7.1 ipykernel==6.17.1 ipython==7.34.0 ipython_genutils==0.2.0 \
            backcall==0.2.0 pickleshare==0.7.5 decorator==5.3.1
WIDGETS7_TESTS ?= $(wildcard tests/test_*widget*.py) tests/test_colab_ready.py
WIDGETS7_NOTEBOOKS ?= notebooks/00_setup_check.ipynb

.PHONY: lab test lint unit roundtrip notebooks nbbuild e2e widgets7 venv venv7 clean-venv

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $(LAB_ARGS)

# Fast mode, offline, MNIST from ../shared when present (CI sets LABKIT_DATA itself).
# The nbgrader round trip (tests/test_nbgrader_roundtrip.py) runs in the background alongside the
# main run (notebooks use one torch thread, so it takes the other core); its output is shown at
# the end and `make test` fails if either fails.
ROUNDTRIP_LOG ?= build/roundtrip.log
test: $(STAMP)
	@$(MAKE) --no-print-directory lint
	@if [ -z "$$LABKIT_DATA" ] && [ -d "$(SHARED_MNIST)" ]; then export LABKIT_DATA="$(SHARED_MNIST)"; fi; \
	export LABKIT_MODE=fast LABKIT_OFFLINE=1 MPLBACKEND=Agg; \
	start=$$(date +%s); mkdir -p build; \
	$(PY) -m pytest -q -p no:cacheprovider -s --timeout=2400 tests/test_nbgrader_roundtrip.py > $(ROUNDTRIP_LOG) 2>&1 & rt=$$!; \
	$(PY) -m pytest -q -p no:cacheprovider \
	  --nbval-lax --nbval-current-env --nbval-cell-timeout=$(CELL_TIMEOUT) \
	  --timeout=900 --durations=25 --ignore=tests/e2e --ignore=tests/test_nbgrader_roundtrip.py \
	  tests notebooks $(PYTEST_ARGS); main=$$?; \
	echo "main run done after $$(( $$(date +%s) - start )) s; waiting for the nbgrader round trip"; \
	wait $$rt; rtrc=$$?; \
	echo "--- nbgrader round trip (alongside the main run; done after $$(( $$(date +%s) - start )) s) ---"; \
	tail -n 80 $(ROUNDTRIP_LOG); \
	test $$main -eq 0 && test $$rtrc -eq 0
	@$(MAKE) --no-print-directory widgets7
	@$(MAKE) --no-print-directory e2e

# ruff (rules and line length in pyproject.toml): lint errors, then the formatting check.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --quiet . || { echo "lint: run $(VENV)/bin/ruff format ."; exit 1; }

unit: $(STAMP)
	@if [ -z "$$LABKIT_DATA" ] && [ -d "$(SHARED_MNIST)" ]; then export LABKIT_DATA="$(SHARED_MNIST)"; fi; \
	LABKIT_MODE=fast LABKIT_OFFLINE=1 MPLBACKEND=Agg $(PY) -m pytest -q -p no:cacheprovider --ignore=tests/e2e \
	  --ignore=tests/test_nbgrader_roundtrip.py tests $(PYTEST_ARGS)

# labkit grade and nbgrader on the same solution / blank / wrong submissions of every notebook
# with exercises (table in build/roundtrip.json).
roundtrip: $(STAMP)
	@if [ -z "$$LABKIT_DATA" ] && [ -d "$(SHARED_MNIST)" ]; then export LABKIT_DATA="$(SHARED_MNIST)"; fi; \
	LABKIT_MODE=fast LABKIT_OFFLINE=1 MPLBACKEND=Agg $(PY) -m pytest -q -p no:cacheprovider -s --timeout=2400 \
	  tests/test_nbgrader_roundtrip.py $(PYTEST_ARGS)

# Rebuild notebooks/*.ipynb from their sources in tools/notebooks/ (jupytext percent files).
nbbuild: $(STAMP)
	$(PY) tools/nbbuild.py

notebooks: $(STAMP)
	LABKIT_MODE=fast LABKIT_OFFLINE=1 $(PY) -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env \
	  --nbval-cell-timeout=$(CELL_TIMEOUT) notebooks $(PYTEST_ARGS)

# Every notebook with a widget, in JupyterLab + headless Chromium: run all cells (fast mode), move
# every slider, check that the picture changes and nothing shows an error. Screenshots in
# tests/e2e/artifacts/. Skipped, saying so, when chromium or playwright is missing.
e2e: $(STAMP)
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "*** e2e: browser tests SKIPPED: no Chromium at $(CHROMIUM) (apt-get install -y chromium) ***"; \
	elif ! $(PY) -c "import playwright.sync_api" 2>/dev/null; then \
	  echo "*** e2e: browser tests SKIPPED: playwright missing in $(VENV) (pip install playwright) ***"; \
	else \
	  if [ -z "$$LABKIT_DATA" ] && [ -d "$(SHARED_MNIST)" ]; then export LABKIT_DATA="$(SHARED_MNIST)"; fi; \
	  echo "e2e: browser tests with $$($(CHROMIUM) --version 2>/dev/null) and playwright $$($(PY) -c 'from importlib.metadata import version; print(version("playwright"))')"; \
	  LABKIT_E2E_CHROMIUM=$(CHROMIUM) $(PY) -m pytest -q -p no:cacheprovider -rs --timeout=3600 \
	    --durations=10 tests/e2e $(E2E_ARGS); \
	fi

venv7: $(STAMP7)

$(STAMP7): $(STAMP) Makefile
	@test -x $(PY7) || $(PY) -m venv $(VENV7)
	@rm -f $(VENV7)/lib/python*/site-packages/zz_labkit_main_venv.pth
	$(PY7) -m pip install -q --no-deps $(IW7_PKGS)
	@$(PY) -c 'import sysconfig; print("import site; site.addsitedir(%r)" % sysconfig.get_paths()["purelib"])' \
	  > "$$($(PY7) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/zz_labkit_main_venv.pth"
	@$(PY7) -c "import ipywidgets, labkit, torch; assert ipywidgets.__version__ == '7.7.1', ipywidgets.__version__"
	@touch $(STAMP7)

# The widget unit tests and the setup notebook under Colab's ipywidgets 7.7.1.
widgets7: $(STAMP7)
	@if [ -z "$$LABKIT_DATA" ] && [ -d "$(SHARED_MNIST)" ]; then export LABKIT_DATA="$(SHARED_MNIST)"; fi; \
	echo "widgets7: ipywidgets $$($(PY7) -c 'import ipywidgets; print(ipywidgets.__version__)') tests: $(WIDGETS7_TESTS) $(WIDGETS7_NOTEBOOKS)"; \
	LABKIT_MODE=fast LABKIT_OFFLINE=1 MPLBACKEND=Agg $(PY7) -m pytest -q -p no:cacheprovider \
	  --nbval-lax --nbval-current-env --nbval-cell-timeout=$(CELL_TIMEOUT) --timeout=900 \
	  $(WIDGETS7_TESTS) $(WIDGETS7_NOTEBOOKS)

clean-venv:
	rm -rf $(VENV) $(VENV7)
