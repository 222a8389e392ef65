# recipe-studio: `make demo` runs the main job, `make test` runs every test.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export NM_DISABLE_ANALYTICS := 1

.PHONY: install test demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e '.[sparseml,plot,lsp,dev]'
	touch $(STAMP)

test: install
	$(BIN)/python -m pytest

demo: install
	$(BIN)/python scripts/demo.py

bench: install
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .hypothesis
