"""SparseML's manager sorts modifiers as it loads them; where two tie on end and start it
compares their `identifier()`s, and the legacy QuantizationModifier's fails on a
`submodules` number. recipe-studio replays the sort (`schedule.order.ordering_failure`):
its verdict must be SparseML's on every arrangement."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import pytest

from recipe_studio.read.load import load

pytestmark = [pytest.mark.slow, pytest.mark.sparseml]

QAT = "  - !QuantizationModifier\n    start_epoch: {start}\n    submodules: {sub}\n"
LR = "  - !SetLearningRateModifier\n    start_epoch: {start}\n    learning_rate: 0.01\n"
RANGE = "  - !EpochRangeModifier\n    start_epoch: 0.0\n    end_epoch: {end}\n"


# `from_yaml` alone: `str(manager)` reads every property and fails on such a value in any
# recipe (tests/sparseml_load.py's runner calls it), while loading fails only in the sort
RUNNER = r"""
import json, logging, sys
logging.disable(logging.CRITICAL)
from sparseml.pytorch.optim import ScheduledModifierManager as M
out = []
for path in json.load(open(sys.argv[1])):
    try:
        M.from_yaml(path)
        out.append(True)
    except Exception:
        out.append(False)
print(json.dumps(out))
"""


def from_yaml_verdicts(paths: list, workdir) -> list[bool]:
    listing = workdir / "paths.json"
    listing.write_text(json.dumps([str(p) for p in paths]))
    env = {**os.environ, "NM_DISABLE_ANALYTICS": "1"}
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(listing)], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def recipes() -> list[str]:
    out = []
    for sub, qat_start, lr_start, qat_first, end in itertools.product(
            ["1", "2.5", "true", "[model]", "model"], ["0.0", "2.0"], ["0.0", "2.0"],
            [True, False], ["-1", "10.0"]):
        parts = [QAT.format(start=qat_start, sub=sub), LR.format(start=lr_start)]
        if not qat_first:
            parts.reverse()
        if end != "-1":
            parts.append(RANGE.format(end=end))
        out.append("modifiers:\n" + "".join(parts))
    return out


def test_sort_failure_matches_sparseml(tmp_path):
    texts = recipes()
    paths = []
    for i, text in enumerate(texts):
        p = tmp_path / f"r{i}.yaml"
        p.write_text(text)
        paths.append(p)
    work = tmp_path / "work"
    work.mkdir()
    theirs = from_yaml_verdicts(paths, work)
    ours = [load(str(p)).ok for p in paths]
    disagree = [(t, o, s) for t, o, s in zip(texts, ours, theirs) if o != s]
    assert not disagree, disagree
    assert 0 < sum(ours) < len(ours)  # both verdicts occur
