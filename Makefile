# Two commands for a fresh machine (only python3 3.11 with pip and venv needed):
#   make demo   set everything up, then run the demo on the embedded default
#   make test   set everything up, then run the checks and the whole test suite
# `make check` runs ruff (lint + format check) and mypy only.

PYTHON      ?= python3
UV_VERSION  := 0.13.8
TOOLS       := .tools
UV          := $(TOOLS)/bin/uv
VENV        := .venv
STAMP       := $(VENV)/.synced
PACKAGES    := cdp storage pipelines identity consent segments dagster_project api
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

.PHONY: setup demo test check lint format clean

setup: $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The project venv follows the lock file exactly (editable install of the project itself).
# Bytecode is compiled once here: every process (CLI, ingest cluster members, test servers)
# then starts without compiling its imports, also where PYTHONDONTWRITEBYTECODE is set.
$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	$(VENV)/bin/python -m compileall -q -j 0 $(PACKAGES) > /dev/null
	@touch $(STAMP)

demo: setup
	$(VENV)/bin/cdp demo

check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: check
	$(VENV)/bin/pytest

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache lakehouse data
