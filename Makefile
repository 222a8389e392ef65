# recipe-studio: `make demo` runs the main job, `make test` runs every test.
# The conformance tests read the shared corpus from $RECIPE_STUDIO_CORPUS (default
# ../shared/corpus); without it they are skipped, or fail with RECIPE_STUDIO_REQUIRE_CORPUS=1.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LLMC_VENV  ?= .venv-llmc
LLMC_STAMP := $(LLMC_VENV)/.installed

export NM_DISABLE_ANALYTICS := 1

.PHONY: install test demo bench docs clean

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

# the three speed figures of issue 11 beside yamllint's (cold validate, corpus lint/validate,
# language server), interleaved; BENCH_ARGS e.g. "--runs 31 --sparseml --json out.json"
bench: install
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# regenerate docs/rules/ and the README's rule summary, then every page's command output
docs: install
	$(BIN)/python scripts/gen_docs.py
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/docs --update-docs

clean:
	rm -rf $(VENV) $(LLMC_VENV) demo-output .pytest_cache .hypothesis
