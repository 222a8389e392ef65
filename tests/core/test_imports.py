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
