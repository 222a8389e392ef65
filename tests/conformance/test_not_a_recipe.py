"""RS016 (not-a-recipe): real files that are not recipes get exactly that one diagnostic,
and no recipe of the corpus ever gets it.

Measured when the heuristic was designed: all 33 `.yaml`/`.yml`/`.md`/`.toml` files in the
development environment's site-packages get RS016 alone; none of the 583 corpus recipes does.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from recipe_studio.read.load import load
from tests.conformance.corpus import CORPUS, expected
from tests.conftest import require_corpus

ROOT = Path(__file__).resolve().parents[2]

#: (package, file inside it): other tools' YAML configs, Markdown docs, TOML
PACKAGE_FILES = [
    ("yamllint", "conf/default.yaml"),
    ("markdown_it", "port.yaml"),
    ("pre_commit", "resources/empty_template_environment.yml"),
    ("pre_commit", "resources/empty_template_Cargo.toml"),
    ("sparseml", "yolov8/default.yaml"),  # SparseML's own YAML, not a recipe
    ("sparseml", "evaluation/integrations_config.yaml"),
    ("torchgen", "packaged/autograd/README.md"),
    ("typer", ".agents/skills/typer/SKILL.md"),  # Markdown with a front matter at the top
    ("pytest_lsp", "clients/README.md"),
]


def _package_file(package: str, name: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / name
    return path if path.is_file() else None


@pytest.mark.parametrize("name", ["pyproject.toml", "Makefile", ".pre-commit-hooks.yaml"])
def test_repository_files_are_not_recipes(name: str):
    recipe = load(ROOT / name)
    assert [d.code for d in recipe.diagnostics] == ["RS016"]
    assert recipe.diagnostics[0].span.line >= 1


@pytest.mark.parametrize("package,name", PACKAGE_FILES, ids=lambda x: str(x))
def test_other_tools_files_are_not_recipes(package: str, name: str):
    path = _package_file(package, name)
    # the packages come with the dev extra that `make test` installs: missing is a failure
    assert path is not None, f"{package} does not ship {name} in this environment"
    recipe = load(path)
    assert [d.code for d in recipe.diagnostics] == ["RS016"], \
        [(d.code, d.message) for d in recipe.diagnostics]


@pytest.mark.slow
def test_no_corpus_recipe_is_called_not_a_recipe():
    require_corpus()  # skipped on a fresh clone, a failure where the corpus is required
    flagged = [e["file"] for e in expected()
               if any(d.code == "RS016" for d in load(CORPUS / e["file"]).diagnostics)]
    assert len(expected()) > 500
    assert flagged == []
