"""The package's public names stay what the README documents, whatever was imported.

`recipe_studio.load` is a function while the loader's module is `recipe_studio.read.load`; when
that module was `recipe_studio/load.py`, importing it (as `scale_text()` does) replaced the
function by the module. Each check
runs in a fresh interpreter so that the order of imports is the one under test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# what every documented public name must be
CHECK = r"""
import enum, importlib, inspect, json, sys
import recipe_studio

{setup}

KINDS = {{"load": "function", "validate": "function", "finalize_yaml": "function",
          "finalize_data": "function", "Recipe": "class", "Diagnostic": "class",
          "Fix": "class", "Span": "class", "Severity": "enum"}}
out = {{}}
for name in recipe_studio.__all__:
    value = getattr(recipe_studio, name)
    home = importlib.import_module(recipe_studio._LAZY[name])
    kind = KINDS[name]
    ok = {{"function": inspect.isfunction(value) and callable(value),
           "class": inspect.isclass(value),
           "enum": inspect.isclass(value) and issubclass(value, enum.Enum)}}[kind]
    out[name] = [ok, value is getattr(home, name)]
from recipe_studio import load as imported
out["from-import"] = [inspect.isfunction(imported), imported is recipe_studio.load]
out["module-still-importable"] = [
    inspect.ismodule(sys.modules["recipe_studio.read.load"]),
    importlib.import_module("recipe_studio.read.load").load is recipe_studio.load]
print(json.dumps(out))
"""

WALK = """
import pkgutil, importlib
for info in pkgutil.walk_packages(recipe_studio.__path__, "recipe_studio."):
    importlib.import_module(info.name)
"""

SETUPS = {
    # the reported bug: a call of scale_text() imports recipe_studio.read.load
    "scale_text": """
from recipe_studio.transform.scale import scale_text
scale_text("num_epochs: 4.0\\nmodifiers:\\n  - !EpochRangeModifier\\n    start_epoch: 0.0\\n"
           "    end_epoch: eval(num_epochs)\\n", 2)
""",
    # every submodule of the package, imported before any public name is used
    "walk_first": WALK,
    # the public names used first (cached on the package), every submodule imported after
    "names_first": "[getattr(recipe_studio, n) for n in recipe_studio.__all__]\n" + WALK,
    "plain_import": "import recipe_studio.read.load, recipe_studio.transform.finalize, recipe_studio.read.recipe",
}


@pytest.mark.parametrize("setup", list(SETUPS))
def test_public_names_survive_submodule_imports(setup, tmp_path):
    code = CHECK.format(setup=SETUPS[setup])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env={**__import__("os").environ,
                                             "PYTHONPATH": str(ROOT),
                                             "NM_DISABLE_ANALYTICS": "1"},
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    bad = {name: v for name, v in result.items() if v != [True, True]}
    assert not bad, bad
    assert not (tmp_path / "sparse_logs").exists()


def test_load_is_callable_after_scale_text_in_process():
    import recipe_studio
    from recipe_studio.transform.scale import scale_text

    scale_text("num_epochs: 4.0\nmodifiers:\n  - !EpochRangeModifier\n    start_epoch: 0.0\n"
               "    end_epoch: eval(num_epochs)\n", 2)
    import recipe_studio.read.load  # noqa: F401  (the import that used to shadow the function)

    recipe = recipe_studio.load("num_epochs: 4.0\nmodifiers:\n  - !EpochRangeModifier\n"
                                "    start_epoch: 0.0\n    end_epoch: 4.0\n")
    assert recipe.ok
    assert recipe_studio.validate("modifiers: []\n") is not None
