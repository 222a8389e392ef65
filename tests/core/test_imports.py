"""Importing the package, validating and linting never pay for torch & co."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["torch", "sparseml", "onnx", "onnxruntime", "deepsparse", "matplotlib", "pygls",
         "lsprotocol", "sklearn", "numpy", "jsonschema"]

PROBE = r"""
import json, sys
import recipe_studio
after_import = sorted(m for m in {heavy} if m in sys.modules)
from recipe_studio.cli import main
for argv in (["validate", {path!r}], ["lint", {path!r}, "--isolated"]):
    try:
        main(argv)
    except SystemExit:
        pass
print(json.dumps({{"import": after_import,
                  "run": sorted(m for m in {heavy} if m in sys.modules)}}))
"""


def test_import_validate_and_lint_stay_light(tmp_path):
    recipe = ROOT / "examples" / "prune-quantize.yaml"
    code = PROBE.format(heavy=HEAVY, path=str(recipe))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == {"import": [], "run": []}
    assert not (tmp_path / "sparse_logs").exists()


COLD = r"""
import sys
from recipe_studio.cli import main
try:
    main(["validate", {path!r}])
except SystemExit:
    pass
modules = sorted(sys.modules)
from recipe_studio.models.base import ModifierSpec
built, todo = set(), [ModifierSpec]
while todo:
    for sub in todo.pop().__subclasses__():
        built.add(sub.__name__)
        todo.append(sub)
import json
print(json.dumps([modules, sorted(built)]))
"""


def test_cold_validate_builds_only_the_models_the_recipe_uses(tmp_path):
    """A cold `validate` imports the model modules of the modifiers the recipe names (the
    catalogue is lazy, pruning is split by group, a scheme mapping's models are apart) and
    nothing only another command or output format needs: no lint rule, no simulation, no
    stage reader, no rich (typer's rich help is unused), no json (text output), no pydantic
    TypeAdapter (only partial views of modifiers that failed build one)."""
    recipe = ROOT / "examples" / "prune-quantize.yaml"  # EpochRange, SetLR, LRFunction,
    # GlobalMagnitudePruning, QuantizationModifier (its legacy form: `submodules` is given)
    out = subprocess.run([sys.executable, "-c", COLD.format(path=str(recipe))],
                         capture_output=True, text=True, cwd=tmp_path, check=True)
    modules, built = json.loads(out.stdout.strip().splitlines()[-1])
    loaded = set(modules)
    models = {m for m in loaded if m.startswith("recipe_studio.models.")}
    assert models == {f"recipe_studio.models.{m}" for m in (
        "base", "catalog", "training", "learning_rate", "pruning", "quantization",
        "quantization_legacy")}
    for absent in ("rich", "typer.rich_utils", "recipe_studio.lint.rules",
                   "recipe_studio.lint.engine", "recipe_studio.schedule.simulation",
                   "recipe_studio.read.stage", "recipe_studio.transform", "recipe_studio.lsp",
                   "json", "pydantic.type_adapter"):
        assert absent not in loaded, absent
    # the pydantic classes built: those of the modules above (no MFAC/OBS/RigL, no
    # fixed-target pruner, no model of a scheme mapping: building a class is most of what
    # importing a model costs)
    assert set(built) == {
        "ScheduledSpec", "EpochRangeModifier", "SparsificationLoggingModifier",
        "SetLearningRateModifier", "LearningRateFunctionModifier", "LearningRateModifier",
        "PrunerSpec", "GMPFamilySpec", "GMPruningModifier", "MagnitudePruningModifier",
        "GlobalMagnitudePruningModifier", "MovementPruningModifier",
        "StructuredPruningModifier", "QuantizationSpec", "QuantizationModifier",
        "LegacyQuantizationModifier"}
