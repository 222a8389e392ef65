"""Finalized recipes reloaded in SparseML 1.8 give the same manager as the originals.

`recipe-studio finalize` output for every loadable corpus recipe is loaded with
`ScheduledModifierManager.from_yaml` in a subprocess (PYTHONHASHSEED=0, as the corpus was
made) and `str(manager)` is compared with SparseML's own serialization of the original
(`expected_serialized/`), plus `max_epochs`/`min_epochs`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recipe_studio.finalize import finalize_yaml
from recipe_studio.load import load
from tests.conformance.corpus import CORPUS, NOT_LOAD_FAILURES, classic

pytestmark = [pytest.mark.slow, pytest.mark.sparseml]

RUNNER = r"""
import json, logging, sys
logging.disable(logging.CRITICAL)
from sparseml.pytorch.optim import ScheduledModifierManager as M
out = {}
for name, path in json.load(open(sys.argv[1])).items():
    try:
        m = M.from_yaml(path)
        out[name] = {"str": str(m), "max": m.max_epochs, "min": m.min_epochs}
    except Exception as e:
        out[name] = {"error": f"{type(e).__name__}: {e}"}
json.dump(out, open(sys.argv[2], "w"))
"""


def test_finalized_recipes_reload_into_the_same_manager(tmp_path: Path) -> None:
    entries = [e for e in classic() if e["loads"]]
    paths = {}
    for e in entries:
        recipe = load(CORPUS / e["file"])
        assert not [d for d in recipe.errors if d.code not in NOT_LOAD_FAILURES], e["file"]
        p = tmp_path / (Path(e["file"]).name.replace(".md", "") + ".final.yaml")
        p.write_text(finalize_yaml(recipe))
        paths[e["file"]] = str(p)
    listing = tmp_path / "paths.json"
    listing.write_text(json.dumps(paths))
    result = tmp_path / "result.json"
    env = {**os.environ, "PYTHONHASHSEED": "0", "NM_DISABLE_ANALYTICS": "1"}
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(listing), str(result)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(result.read_text())
    problems = []
    for e in entries:
        r = got[e["file"]]
        if "error" in r:
            problems.append((e["file"], r["error"]))
            continue
        if (r["max"], r["min"]) != (e["max_epochs"], e["min_epochs"]):
            problems.append((e["file"], "epochs", r["max"], r["min"]))
        serialized = (CORPUS / e["serialized_file"]).read_text()
        if r["str"].strip() != serialized.strip():
            problems.append((e["file"], "str(manager) differs"))
    assert not problems, f"{len(problems)} of {len(entries)}: {problems[:8]}"
