"""Finalized recipes reloaded in SparseML 1.8 give the same manager as the originals.

`recipe-studio finalize` output for every loadable corpus recipe is loaded with
`ScheduledModifierManager.from_yaml` in a subprocess (PYTHONHASHSEED=0, as the corpus was
made) and `str(manager)` is compared with SparseML's own serialization of the original
(`expected_serialized/`), plus `max_epochs`/`min_epochs`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recipe_studio.transform.finalize import finalize_yaml
from recipe_studio.read.load import load
from tests.conformance.corpus import CORPUS, NOT_LOAD_FAILURES, classic
from tests.sparseml_load import sparseml_load

pytestmark = [pytest.mark.slow, pytest.mark.sparseml]

def test_finalized_recipes_reload_into_the_same_manager(tmp_path: Path) -> None:
    entries = [e for e in classic() if e["loads"]]
    paths = {}
    for e in entries:
        recipe = load(CORPUS / e["file"])
        assert not [d for d in recipe.errors if d.code not in NOT_LOAD_FAILURES], e["file"]
        p = tmp_path / (Path(e["file"]).name.replace(".md", "") + ".final.yaml")
        p.write_text(finalize_yaml(recipe))
        paths[e["file"]] = str(p)
    got = sparseml_load(paths, tmp_path)
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
