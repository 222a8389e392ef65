# recipe-studio: `make demo` runs the main job, `make test` runs every test.
# The conformance tests read the shared corpus from $RECIPE_STUDIO_CORPUS (default
# ../shared/corpus); without it they are skipped, or fail with RECIPE_STUDIO_REQUIRE_CORPUS=1.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export NM_DISABLE_ANALYTICS := 1

.PHONY: install test demo bench docs clean

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

# regenerate docs/rules/ and the README's rule summary, then every page's command output
docs: install
	$(BIN)/python scripts/gen_docs.py
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/docs --update-docs

clean:
	rm -rf $(VENV) demo-output .pytest_cache .hypothesis
