"""The fields marked `SparseMLCast` are exactly the fields SparseML 1.8 converts itself.

A probe, not a list: every field of every model is given as a string (`'0.5'`, `1e-7` as
PyYAML reads it, `'2'`, `'false'`, `'yes'`) in a one-modifier recipe that SparseML's
`ScheduledModifierManager.from_yaml` loads, and the value SparseML stores is read back.
A field whose strings come back as the number (or boolean) they spell is a cast field;
the kind (`float`, `int`, `bool`) follows from which strings pass. The loaded value must
also be the value the model produces, so RS210 can stay silent on those fields.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

from recipe_studio.lint.engine import lint
from recipe_studio.models import catalog

from .cases import BASES
from .conftest import _cwd, recipe_text

pytestmark = [pytest.mark.sparseml, pytest.mark.slow,
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]

MODELS = {m.__name__: m for m in catalog.MODELS}
#: string → the value it spells
PROBES: dict[str, Any] = {"0.5": 0.5, "1e-7": 1e-7, "2": 2, "3": 3, "false": False, "yes": True}


def _stored(modifier: Any, field: str) -> Any:
    for attr in (field, "_" + field):
        try:
            value = getattr(modifier, attr)
        except Exception:  # noqa: BLE001 - some properties need a model
            continue
        if hasattr(value, "item") and not isinstance(value, (str, list, dict)):
            value = value.item()  # a torch scalar
        return value
    return None


def _spells(value: Any, want: Any) -> bool:
    if isinstance(value, str) or not isinstance(value, (int, float, bool)):
        return False
    if isinstance(want, bool):
        return isinstance(value, bool) and value is want
    return not isinstance(value, bool) and math.isclose(value, want, rel_tol=1e-12)


def _kind(passed: set[str]) -> str | None:
    if {"0.5", "1e-7"} <= passed:
        return "float"
    if {"2", "3"} <= passed:
        return "int"
    if {"false", "yes"} <= passed:
        return "bool"
    return None


def _probe(sparseml: Any, name: str) -> tuple[dict[str, str], list[str]]:
    """(SparseML's cast fields of one model by kind, disagreements on the loaded value)."""
    tag, base = BASES[name]
    model = MODELS[name]
    kinds: dict[str, str] = {}
    mismatches: list[str] = []
    for field in model.model_fields:
        passed: dict[str, Any] = {}
        for text, want in PROBES.items():
            args = {**base, field: text}
            with _cwd(sparseml.workdir):
                try:
                    manager = sparseml.manager.from_yaml(recipe_text(tag, args))
                except Exception:  # noqa: BLE001 - SparseML refuses the string
                    continue
            value = _stored(manager.modifiers[0], field)
            if _spells(value, want):
                passed[text] = value
        kind = _kind(set(passed))
        if kind is None:
            continue
        kinds[field] = kind
        for text, value in passed.items():
            try:
                ours = getattr(model.model_validate({**base, field: text}), field)
            except ValidationError as exc:
                mismatches.append(f"{name}.{field}={text!r}: the model rejects it "
                                  f"({exc.errors()[0]['msg']})")
                continue
            if ours != value:
                mismatches.append(f"{name}.{field}={text!r}: SparseML {value!r}, model {ours!r}")
    return kinds, mismatches


@pytest.mark.parametrize("name", sorted(MODELS))
def test_cast_fields_match_sparseml(name: str, sparseml):
    kinds, mismatches = _probe(sparseml, name)
    assert MODELS[name].cast_fields() == kinds
    assert mismatches == []


def test_the_probe_finds_the_known_casts(sparseml):
    """The probe itself can tell a cast from a stored string (it is not vacuous)."""
    kinds, _ = _probe(sparseml, "OBSPruningModifier")
    assert kinds["damp"] == "float"
    assert "num_grads" not in kinds  # stored as the string it was given
    assert _probe(sparseml, "ACDCPruningModifier")[0]["update_frequency"] == "int"
    assert _probe(sparseml, "TrainableParamsModifier")[0]["trainable"] == "bool"


OBS_DAMP = """\
modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 10.0
  - !OBSPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0.0
    end_epoch: 8.0
    update_frequency: 1.0
    damp: 1e-7
"""


def test_damp_spelled_as_sparseml_docs_loads_and_is_not_flagged(sparseml):
    with _cwd(sparseml.workdir):
        manager = sparseml.manager.from_yaml(OBS_DAMP)
    obs = next(m for m in manager.modifiers if type(m).__name__ == "OBSPruningModifier")
    assert _stored(obs, "damp") == 1e-7
    codes = [d.code for d in lint(OBS_DAMP, path="obs.yaml").diagnostics]
    assert "RS210" not in codes, codes
