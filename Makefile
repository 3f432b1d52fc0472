# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/layerwise demo

# Headless Chromium renders the HTML report in the tests. Installing it needs
# apt and root; without them the report test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium not installed; the HTML report screenshot test will skip"

test: $(VENV)/.installed-test browser
	$(BIN)/python -m ruff check layerwise tests benchmarks
	$(BIN)/python -m ruff format --check layerwise tests benchmarks
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build *.egg-info
