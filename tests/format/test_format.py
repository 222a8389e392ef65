"""`format`: the canonical layout, what it keeps, idempotency, and its safety checks."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import recipe_studio.cli.format  # noqa: F401  (registers the command)
from recipe_studio.diff.semantic import diff_texts
from recipe_studio.transform.edit import comment_texts
from recipe_studio.transform.finalize import _Dumper, _Tagged, finalize_document
from recipe_studio.transform.format import FormatError, format_text
from recipe_studio.read.load import load
from tests.conftest import EXAMPLES
from tests.scale.test_scale_properties import recipes

MESSY = """\
# a recipe written by hand
num_epochs: &n 20   # the run
modifiers:
    - !GMPruningModifier
        # what to prune
        params: ['re:.*weight']   # all weights
        end_epoch: 15
        start_epoch: 0
        # the ramp
        init_sparsity: 0.05
        final_sparsity: 0.8
        mask_type: "unstructured"
        update_frequency: 1

    # the learning rate
    - !LearningRateModifier   # step schedule
        lr_class: CosineAnnealingWarmRestarts
        lr_kwargs: {lr_min: 0.0001, cycle_epochs: 5}
        init_lr: 0.1
        start_epoch: 0
        end_epoch: *n
    - !EpochRangeModifier {start_epoch: 0.0, end_epoch: *n}
"""


def test_canonical_layout():
    # (an end-of-line comment keeps its column; a comment line follows its field)
    out = format_text(MESSY, path="r.yaml")
    assert out == """\
# a recipe written by hand
num_epochs: &n 20   # the run
modifiers:
  - !GMPruningModifier
    # the ramp
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0.0
    end_epoch: 15.0
    update_frequency: 1.0
    # what to prune
    params: ['re:.*weight']       # all weights
    mask_type: "unstructured"

  # the learning rate
  - !LearningRateModifier     # step schedule
    lr_class: CosineAnnealingWarmRestarts
    lr_kwargs: {lr_min: 0.0001, cycle_epochs: 5}
    init_lr: 0.1
    start_epoch: 0.0
    end_epoch: *n

  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: *n
"""
    # the same recipe for SparseML (the flow modifier on its tag line was an error: RS010)
    assert diff_texts(MESSY, out).equivalent
    assert "RS010" in {d.code for d in load(MESSY, path="r.yaml").diagnostics}
    assert load(out, path="r.yaml").ok
    assert format_text(out, path="r.yaml") == out


def test_already_formatted_is_unchanged_and_identical():
    out = format_text(MESSY, path="r.yaml")
    assert format_text(out, path="r.yaml") is not None
    for text in (out, out.replace("\n", "\r\n"), "\ufeff" + out):
        assert format_text(text, path="r.yaml") == text


def test_newlines_and_bom_are_kept():
    text = "\ufeff" + MESSY.replace("\n", "\r\n")
    out = format_text(text, path="r.yaml")
    assert out.startswith("\ufeff") and "\r\n" in out and "\n" not in out.replace("\r\n", "")


def test_markdown_prose_is_untouched():
    text = (EXAMPLES / "resnet-pruned.md").read_text()
    messy = text.replace("\n    ", "\n      ").replace("\n  - !", "\n    - !")
    assert messy != text and load(messy, path="card.md").ok
    out = format_text(messy, path="card.md")
    assert out.split("\n---\n", 1)[1] == text.split("\n---\n", 1)[1]
    assert out.startswith("---\n# A recipe card")
    assert diff_texts(text, out, path_a="a.md", path_b="b.md").equivalent


def test_unused_anchors_quotes_and_integer_kwargs_are_kept():
    text = """\
base: &base 0.5
name: 'quoted'
other: "double"
modifiers:
  - !LearningRateModifier
    lr_class: CosineAnnealingWarmRestarts
    lr_kwargs:
      lr_min: 0.001
      cycle_epochs: 4
    init_lr: 0.1
    start_epoch: 1
  - !QuantizationModifier
    start_epoch: &q 8
    freeze_bn_stats_epoch: 9
"""
    out = format_text(text, path="r.yaml")
    assert "base: &base 0.5\nname: 'quoted'\nother: \"double\"\n" in out
    assert "cycle_epochs: 4\n" in out  # torch needs an int T_0: not an epoch style change
    assert "start_epoch: &q 8\n" in out  # an anchored value is not restyled
    assert "freeze_bn_stats_epoch: 9.0" in out


def test_refuses_what_it_cannot_do_safely():
    with pytest.raises(FormatError, match="cannot be read"):
        format_text("a: [1, 2\nb: 3\n", path="r.yaml")
    dup = "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0.0\n    start_epoch: 1.0\n" \
          "    end_epoch: 2.0\n"
    with pytest.raises(FormatError, match="duplicate key"):
        format_text(dup, path="r.yaml")
    # the same value twice: the document does not change, the duplicate goes
    same = dup.replace("start_epoch: 1.0", "start_epoch: 0.0")
    assert format_text(same, path="r.yaml").count("start_epoch") == 1


def test_examples():
    for path in sorted(EXAMPLES.glob("*.*")):
        text = path.read_text()
        out = format_text(text, path=path.name)
        assert format_text(out, path=path.name) == out
        assert Counter(comment_texts(out)) == Counter(comment_texts(text))
        a, b = load(text, path=path.name), load(out, path=path.name)
        assert {d.code for d in b.errors} <= {d.code for d in a.errors}
        if a.ok:
            assert diff_texts(text, out, path_a=path.name, path_b=path.name).equivalent


# ---- properties ----------------------------------------------------------------------------

def relayout(text: str, indent: int, flow: bool, seed: int) -> str:
    """The recipe, finalized and dumped with another indentation, style and field order,
    with a comment above every modifier and at the end of every list line."""
    import random

    rng = random.Random(seed)
    doc = finalize_document(load(text, path="r.yaml"))
    for group in doc.values():
        if isinstance(group, list):
            for i, mod in enumerate(group):
                items = list(mod.args.items())
                rng.shuffle(items)
                group[i] = _Tagged(mod.tag, dict(items))
    out = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, indent=indent,
                    default_flow_style=None if flow else False)
    lines: list[str] = []
    items = lists = 0
    for line in out.splitlines():
        if line.lstrip().startswith("- !"):
            items += 1
            lines.append(" " * (len(line) - len(line.lstrip())) + f"# modifier {items}")
        if line.rstrip().endswith("]"):
            lists += 1
            line += f"   # list {lists}"
        lines.append(line)
    return "# relaid\n" + "\n".join(lines) + "\n"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes(), st.sampled_from([2, 4]), st.booleans(), st.integers(0, 999))
def test_format_is_idempotent_and_changes_nothing_sparseml_reads(text, indent, flow, seed):
    for source in (text, relayout(text, indent, flow, seed)):
        out = format_text(source, path="r.yaml")
        assert format_text(out, path="r.yaml") == out
        assert Counter(comment_texts(out)) == Counter(comment_texts(source))
        assert diff_texts(source, out).equivalent
        assert load(out, path="r.yaml").ok
        # the canonical layout does not depend on indentation or field order (nested
        # lists keep their flow or block style)
        if source is not text and not flow:
            assert out == format_text(relayout(text, 2, False, seed), path="r.yaml")
