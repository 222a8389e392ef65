"""Typed models of stage-recipe modifiers, one namespace per library (issue 12).

* :mod:`.sparseml`: SparseML 1.8.0's `sparseml.core` modifiers (the `…PyTorch` classes a recipe
  instantiates), with compressed-tensors 0.4.0's schemes (:mod:`.ct_0_4`); extra fields are
  ignored, as SparseML ignores them.
* :mod:`.llmcompressor`: llm-compressor 0.14.0.1's modifiers with compressed-tensors 0.19.0's
  schemes (:mod:`.ct_0_19`); `extra="forbid"`, and the validators the library runs when it
  creates a modifier.

Both are generated from the judges' introspection dumps (`scripts/gen_stage_models.py`) and
compared with them by tests/stage/test_models.py.
"""

from __future__ import annotations

import importlib
from typing import Any

#: target name -> (display name, module)
TARGETS: dict[str, tuple[str, str]] = {
    "sparseml": ("SparseML 1.8", "recipe_studio.models.stage.sparseml"),
    "llmcompressor": ("llm-compressor 0.14", "recipe_studio.models.stage.llmcompressor"),
}


def display(target: str) -> str:
    return TARGETS[target][0]


def registry(target: str) -> dict[str, Any]:
    """Registered modifier name -> model class for `target` (with the modifier stubs of
    the active catalogue, `recipe_studio.stubs`)."""
    from recipe_studio.stubs import active as stubs

    return stubs.stage_registry(target, importlib.import_module(TARGETS[target][1]).REGISTRY)
