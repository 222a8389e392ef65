"""Reading the shared corpus and SparseML's view of a loaded modifier.

The corpus is found through `$RECIPE_STUDIO_CORPUS` (default `../shared/corpus`; see
tests/conftest.py). `expected()`, `classic()` and `staged()` may be called at import time
(to parametrize tests): without the corpus they then return an empty list, and the module's
tests carry `pytest.mark.corpus` so they are skipped with the reason. Called inside a test,
they skip it (or fail it when the corpus is required) instead of returning nothing.
"""

from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from typing import Any

from recipe_studio.read.recipe import ModifierEntry
from tests.conftest import CORPUS, corpus_available, require_corpus

__all__ = ["CORPUS", "NOT_LOAD_FAILURES", "classic", "expected", "match_modifiers", "same",
           "sparseml_value", "staged"]

#: the only errors recipe-studio reports on recipes SparseML loads: a duplicate key with two
#: different values (SparseML silently keeps the last; the issue asks for an error)
NOT_LOAD_FAILURES = {"RS005"}


@lru_cache(maxsize=1)
def _read_expected() -> list[dict[str, Any]]:
    return json.loads((CORPUS / "expected.json").read_text())


def expected() -> list[dict[str, Any]]:
    """SparseML's reading of every corpus recipe (expected.json)."""
    if corpus_available():
        return _read_expected()
    if os.environ.get("PYTEST_CURRENT_TEST"):  # inside a test: skip (or fail) it
        require_corpus()
    return []  # at collection: no parameters; the `corpus` mark gives the reason


def classic() -> list[dict[str, Any]]:
    return [e for e in expected() if e["kind"] == "classic"]


def staged() -> list[dict[str, Any]]:
    return [e for e in expected() if e["kind"] == "staged"]


def sparseml_value(entry: ModifierEntry, key: str) -> Any:
    """The value SparseML's modifier object holds for `key` (forced values applied)."""
    spec = entry.spec
    assert spec is not None
    if key == "type":
        return entry.type
    if key == "start_epoch":
        return spec.effective_start_epoch
    if key == "end_epoch":
        return spec.effective_end_epoch
    if key == "update_frequency":
        if "update_frequency" in spec.ignored_fields():
            return -1.0
        return getattr(spec, "update_frequency")
    if key == "lr_class":
        cls = getattr(spec, "lr_class")
        return "StepLR" if cls == "ExponentialLR" else cls
    return getattr(spec, key)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) or (a == b)
    if isinstance(a, dict) and isinstance(b, dict):
        # expected.json is JSON: float keys (final_sparsity: {0.9: [...]}) became strings
        a2 = {str(k): v for k, v in a.items()}
        b2 = {str(k): v for k, v in b.items()}
        return a2.keys() == b2.keys() and all(same(a2[k], b2[k]) for k in a2)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def match_modifiers(ours: list[ModifierEntry], theirs: list[dict[str, Any]]) -> list[str]:
    """Problems pairing our modifiers with SparseML's (order-free); empty when they agree."""
    problems = []
    pool = list(ours)
    for exp in theirs:
        found = None
        for m in pool:
            if m.spec is None or m.type != exp["type"]:
                continue
            if all(same(sparseml_value(m, k), v) for k, v in exp.items()):
                found = m
                break
        if found is None:
            cands = [m for m in pool if m.type == exp["type"]]
            detail = ""
            if cands:
                m = cands[0]
                diffs = {k: (sparseml_value(m, k) if m.spec else None, v) for k, v in exp.items()
                         if m.spec is None or not same(sparseml_value(m, k), v)}
                detail = f" closest differs in {diffs}"
            problems.append(f"no match for {exp}{detail}")
        else:
            pool.remove(found)
    if pool:
        problems.append(f"extra modifiers: {[m.type for m in pool]}")
    return problems
