# recipe-studio: `make demo` runs the main job, `make test` runs every test.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LLMC_VENV  ?= .venv-llmc
LLMC_STAMP := $(LLMC_VENV)/.installed

export NM_DISABLE_ANALYTICS := 1

.PHONY: install test demo bench clean

install: $(STAMP) $(LLMC_STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e '.[sparseml,plot,lsp,dev]'
	touch $(STAMP)

# llm-compressor 0.14 (numpy>=2, transformers 5) cannot share SparseML 1.8's environment: its
# own, for the judges (recipe_studio/judges). torch==2.13.0 is pinned there (CPU wheel on disk).
$(LLMC_STAMP): requirements/llmcompressor.txt
	$(PYTHON) -m venv $(LLMC_VENV)
	$(LLMC_VENV)/bin/python -m pip install --quiet --upgrade "pip>=24"
	$(LLMC_VENV)/bin/python -m pip install --quiet -r requirements/llmcompressor.txt
	touch $(LLMC_STAMP)

test: install
	$(BIN)/python -m pytest

demo: install
	$(BIN)/python scripts/demo.py

bench: install
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .hypothesis
