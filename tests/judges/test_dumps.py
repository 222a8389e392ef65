"""The committed introspection dumps (recipe_studio/judges/data/) match the installed libraries.

Regenerate with ``python -m recipe_studio.judges dump sparseml -o data`` (and ``llmcompressor``)
after changing a pin; the diff shows what changed in the libraries.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import require_judge as require


def _check(library: str) -> None:
    require(library)
    from recipe_studio.judges.__main__ import dump_path, dump_text

    fresh = json.loads(dump_text(library))
    committed = json.loads(dump_path(library).read_text(encoding="utf-8"))
    for d in (fresh, committed):
        d["versions"].pop("python", None)
    assert fresh["versions"] == committed["versions"], "library versions changed: regenerate the dump"
    for key in sorted(set(fresh) | set(committed)):
        assert fresh.get(key) == committed.get(key), (
            f"{library} dump drifted in {key!r}: run `python -m recipe_studio.judges dump {library} -o data`"
        )


@pytest.mark.slow
@pytest.mark.sparseml
def test_sparseml_dump_is_current():
    _check("sparseml")


@pytest.mark.slow
@pytest.mark.llmcompressor
def test_llmcompressor_dump_is_current():
    _check("llmcompressor")


def test_committed_dumps_shape():
    from recipe_studio.judges.__main__ import dump_path

    sml = json.loads(dump_path("sparseml").read_text(encoding="utf-8"))
    llmc = json.loads(dump_path("llmcompressor").read_text(encoding="utf-8"))
    # SparseML 1.8 with compressed-tensors 0.4.0: 11 registered names (the base `Modifier` too)
    assert len(sml["modifiers"]) == 11 and {"GPTQModifier", "QuantizationModifier"} <= set(sml["modifiers"])
    assert sml["modifiers"]["GPTQModifier"]["class"] == "GPTQModifierPyTorch"
    assert sorted(sml["compressed_tensors"]["presets"]) == ["W4A16", "W8A8"]
    assert sml["registry_errors"] == {} and llmc["registry_errors"] == {}
    assert {"AWQModifier", "AutoRoundModifier", "QuIPModifier", "SpinQuantModifier"} <= set(llmc["modifiers"])
    assert all(m["extra"] == "forbid" for m in llmc["modifiers"].values())
    assert len(llmc["compressed_tensors"]["presets"]) == 30
