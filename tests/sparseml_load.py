"""Load recipe files with SparseML 1.8's own `ScheduledModifierManager.from_yaml`, in a
child process (SparseML's import, logging and analytics stay out of the test process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

RUNNER = r"""
import json, logging, sys
logging.disable(logging.CRITICAL)
from sparseml.pytorch.optim import ScheduledModifierManager as M
ATTRS = ["start_epoch", "end_epoch", "update_frequency", "init_sparsity", "final_sparsity",
         "learning_rate", "init_lr", "final_lr", "lr_func", "lr_class",
         "freeze_bn_stats_epoch", "disable_quantization_observer_epoch", "weight_decay"]
out = {}
for name, path in json.load(open(sys.argv[1])).items():
    try:
        m = M.from_yaml(path)
        flat = m.modifiers if isinstance(m.modifiers, list) else [
            x for v in m.modifiers.values() for x in v]
        mods = []
        for mod in flat:
            d = {"type": type(mod).__name__}
            for a in ATTRS:
                try:
                    d[a] = getattr(mod, a)
                    json.dumps(d[a])
                except Exception:
                    d.pop(a, None)
            mods.append(d)
        out[name] = {"str": str(m), "max": m.max_epochs, "min": m.min_epochs,
                     "n": len(m.modifiers), "modifiers": mods}
    except Exception as e:
        out[name] = {"error": f"{type(e).__name__}: {e}"[:300]}
json.dump(out, open(sys.argv[2], "w"))
"""


def sparseml_load(paths: dict[str, str], workdir: Path, *, timeout: float = 900
                  ) -> dict[str, dict[str, Any]]:
    """`{name: path}` → `{name: {"str": str(manager), "max", "min", "n": len(modifiers),
    "modifiers": [{"type", <epoch/sparsity/LR attributes>}]}}`, or `{name: {"error": ...}}`
    for a recipe SparseML refuses. Runs in `workdir` (SparseML may write logs there)."""
    listing = workdir / "paths.json"
    listing.write_text(json.dumps(paths))
    result = workdir / "result.json"
    env = {**os.environ, "PYTHONHASHSEED": "0", "NM_DISABLE_ANALYTICS": "1"}
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(listing), str(result)],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(result.read_text())
