"""The arrows between the stages point one way: reading knows nothing of what comes after.

`read/` (text → Recipe) and `models/` are used by every later stage (`lint/`,
`transform/`, `render/`, `cli/`); an import the other way, even inside a function, would be
a circle waiting to happen and would make reading pay for the later stages' imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "recipe_studio"
#: the stages that come after reading, which reading must not import
LATER = ("lint", "transform", "cli", "render")


def imported_modules(path: Path, text: str | None = None) -> list[tuple[int, str]]:
    """(line, module) of every import in the file at `path` (or of `text`, as if it were
    there), at any depth (functions included)."""
    if text is None:
        text = path.read_text(encoding="utf-8")
    tree = ast.parse(text, str(path))
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = parts[: len(parts) - node.level]
                module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            else:
                module = node.module or ""
            out.append((node.lineno, module))
            # `from recipe_studio import lint` imports the package `lint`
            out.extend((node.lineno, f"{module}.{a.name}") for a in node.names)
    return out


def later_stage(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "recipe_studio" and parts[1] in LATER:
        return parts[1]
    return None


@pytest.mark.parametrize("stage", ["read", "models"])
def test_reading_imports_no_later_stage(stage):
    files = sorted((PACKAGE / stage).rglob("*.py"))
    assert files
    wrong = [f"{f.relative_to(PACKAGE.parent)}:{line} imports {module}"
             for f in files for line, module in imported_modules(f) if later_stage(module)]
    assert wrong == []


def test_the_check_sees_function_level_and_relative_imports():
    text = ("def f():\n    from recipe_studio.lint import fix\n"
            "from ..transform import edit\nimport recipe_studio.render.text\n"
            "from recipe_studio import cli\n")
    found = {later_stage(m) for _, m in imported_modules(PACKAGE / "read" / "x.py", text)}
    assert found == {"lint", "transform", "render", "cli", None}
