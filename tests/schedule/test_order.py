"""SparseML's modifier order, rebuilt without SparseML (sparseml-recipes.md §7.4).

SparseML's own `str(manager)` of every loadable corpus recipe (`expected_serialized/`) lists
the modifiers in the manager's order with their serialised properties, the same properties
`identifier()` hashes. Our properties must be identical, modifier by modifier, in our order.
"""

from __future__ import annotations

import ast
import json
import re

import pytest

from recipe_studio.read.load import load
from recipe_studio.schedule.order import identifier, manager_order, sparseml_props
from tests.conftest import CORPUS


def _blocks(text: str) -> list[tuple[str, dict[str, str]]]:
    """(class, {property: text}) for each `- !Class` block of `str(manager)`."""
    out: list[tuple[str, dict[str, str]]] = []
    current: dict[str, str] | None = None
    indent = 0
    for line in text.splitlines():
        m = re.match(r"^(\s*)- !(\w+)\s*$", line)
        if m:
            current = {}
            indent = len(m.group(1))
            out.append((m.group(2), current))
            continue
        m = re.match(r"^(\s*)(\w+): (.*)$", line)
        if m and current is not None and len(m.group(1)) > indent:
            current[m.group(2)] = m.group(3)
        elif line.strip():
            current = None
    return out


def _loadable() -> list[dict]:
    expected = json.loads((CORPUS / "expected.json").read_text())
    return [e for e in expected if e["kind"] == "classic" and e["loads"]]


@pytest.mark.corpus
def test_corpus_order_and_properties_match_sparseml() -> None:
    checked = modifiers = 0
    problems = []
    for e in _loadable():
        recipe = load(CORPUS / e["file"])
        if not recipe.ok:
            continue  # recipe-studio reports an error SparseML lets through (RS005)
        checked += 1
        want = _blocks((CORPUS / e["serialized_file"]).read_text())
        got = manager_order(recipe)
        if [name for name, _ in want] != [m.type for m in got]:
            problems.append((e["file"], "order", [m.type for m in got]))
            continue
        for (name, theirs), entry in zip(want, got):
            modifiers += 1
            ours = {k: str(v) for k, v in sparseml_props(entry).items()}
            if "submodules" in ours and "submodules" in theirs:
                # a set in SparseML: its order depends on the hash seed
                same = set(ast.literal_eval(ours["submodules"])) == \
                    set(ast.literal_eval(theirs["submodules"]))
                if same:
                    ours["submodules"] = theirs["submodules"]
            if ours != theirs:
                diff = {k: (ours.get(k), theirs.get(k)) for k in set(ours) | set(theirs)
                        if ours.get(k) != theirs.get(k)}
                problems.append((e["file"], name, diff))
    assert not problems, problems[:5]
    assert checked >= 270 and modifiers >= 4000


def test_order_rules() -> None:
    recipe = load("""
modifiers:
  - !SetLearningRateModifier
    start_epoch: 0.0
    learning_rate: 0.1
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 2.0
    end_epoch: 10.0
    update_frequency: 1.0
  - !LearningRateFunctionModifier
    lr_func: linear
    init_lr: 0.1
    final_lr: 0.01
    start_epoch: 1.0
    end_epoch: 10.0
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 5.0
""")
    order = [m.type for m in manager_order(recipe)]
    # end 5 first; then end 10 (start 1 before start 2); end -1 (never) last
    assert order == ["EpochRangeModifier", "LearningRateFunctionModifier", "GMPruningModifier",
                     "SetLearningRateModifier"]


@pytest.mark.parametrize("first,second", [(0.1, 0.2), (0.2, 0.1)])
def test_same_epoch_set_lr_order_does_not_follow_the_file(first: float, second: float) -> None:
    """Two SetLRs at one epoch: sorted by the MD5 of their properties, not file order."""
    text = f"""
modifiers:
  - !SetLearningRateModifier
    start_epoch: 1.0
    learning_rate: {first}
  - !SetLearningRateModifier
    start_epoch: 1.0
    learning_rate: {second}
"""
    recipe = load(text)
    order = manager_order(recipe)
    ids = [identifier(m) for m in order]
    assert ids == sorted(ids)
    assert {m.args["learning_rate"] for m in order} == {0.1, 0.2}
    assert [m.args["learning_rate"] for m in order] == \
        [m.args["learning_rate"] for m in manager_order(load(text.replace(
            f"learning_rate: {first}\n", "learning_rate: X\n").replace(
            f"learning_rate: {second}\n", f"learning_rate: {first}\n").replace(
            "learning_rate: X\n", f"learning_rate: {second}\n")))]


def test_identifier_format() -> None:
    recipe = load("modifiers:\n  - !SetLearningRateModifier\n    learning_rate: 0.05\n"
                  "    start_epoch: 0.0\n")
    entry = recipe.modifiers[0]
    props = sparseml_props(entry)
    assert props == {"learning_rate": 0.05, "start_epoch": 0.0, "end_epoch": -1.0,
                     "constant_logging": False}
    assert re.fullmatch(r"SetLearningRateModifier-[0-9a-f]{32}", identifier(entry))
