# Two commands do all the set-up on a fresh machine:
#   make demo   creates .venv, installs the runtime (no torch) and converts examples/logo.png
#   make test   installs everything (training extras, Ray, test tools) and runs ruff, mypy and pytest
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
RUNTIME_FILES := pyproject.toml setup.cfg plugins/svgai-quality/pyproject.toml plugins/svgai-quality/setup.cfg

.PHONY: demo test lint venv clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "svgai needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.runtime: $(BIN)/python $(RUNTIME_FILES)
	$(PIP) install -q -e . -e plugins/svgai-quality
	touch $@

$(VENV)/.everything: $(VENV)/.runtime
	$(PIP) install -q -e ".[train,ray,dev]" -e plugins/svgai-quality
	touch $@

venv: $(VENV)/.runtime

demo: $(VENV)/.runtime
	mkdir -p out
	$(BIN)/svgai convert examples/logo.png -o out/logo.svg

lint: $(VENV)/.everything
	$(BIN)/ruff check backend plugins tests
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
