"""`new`: every generated recipe loads, lints clean, scales cleanly; options are checked."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import recipe_studio.cli.new  # noqa: F401  (registers the command)
from recipe_studio.lint.config import LintConfig
from recipe_studio.lint.engine import LintSettings, lint_recipe
from recipe_studio.read.load import load
from recipe_studio.transform.new import (
    LR_CHOICES, PRUNING_CHOICES, NewError, RecipeOptions, as_markdown, new_recipe,
)
from recipe_studio.transform.scale import scale_text
from recipe_studio.schedule.timeline import timeline
from tests.scale.checks import Plan, budget, field_problems
from tests.sparseml_load import sparseml_load

MASKS = ("unstructured", "block4", "2:4")


def grid():
    for pruning, quant, lr, epochs, mask, distill in itertools.product(
            PRUNING_CHOICES, (False, True), LR_CHOICES, (50.0, 10.0, 4.0), MASKS, (False, True)):
        yield RecipeOptions(pruning=pruning, quantization=quant, lr_schedule=lr, epochs=epochs,
                            mask_type=mask, distillation=distill,
                            sparsity=0.5 if mask == "2:4" else 0.8)


def lint_clean(text: str, path: str = "recipe.yaml") -> list[str]:
    recipe = load(text, path=path)
    return [f"{d.code} {d.message}" for d in lint_recipe(recipe, LintSettings(config=LintConfig()))]


def test_every_recipe_of_the_option_grid_lints_clean():
    made = refused = 0
    for options in grid():
        try:
            text = new_recipe(options)
        except NewError:
            refused += 1
            continue
        made += 1
        assert lint_clean(text) == [], options
        recipe = load(text, path="recipe.yaml")
        assert timeline(recipe).max_epochs == math.ceil(options.epochs)
        types = [m.type for m in recipe.modifiers]
        assert ("QuantizationModifier" in types) == options.quantization
        assert ("DistillationModifier" in types) == options.distillation
    # refused: masks the second-order/AC-DC pruners do not take, and 4 epochs with QAT
    assert made > 800 and refused < made


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PRUNING_CHOICES), st.booleans(), st.sampled_from(LR_CHOICES),
       st.floats(1, 400), st.floats(0.05, 0.95), st.floats(0.05, 0.99),
       st.floats(1e-5, 0.5), st.one_of(st.none(), st.floats(0.5, 20)))
def test_any_accepted_options_give_a_clean_recipe(pruning, quant, lr, epochs, fraction,
                                                    sparsity, init_lr, qat):
    options = RecipeOptions(pruning=pruning, quantization=quant, lr_schedule=lr, epochs=epochs,
                            pruning_fraction=fraction, sparsity=sparsity, init_lr=init_lr,
                            qat_epochs=qat)
    try:
        text = new_recipe(options)
    except NewError as e:
        assert str(e) and "--" in str(e)
        return
    assert lint_clean(text) == []


def test_variables_at_the_top_and_a_comment_per_phase():
    text = new_recipe(RecipeOptions(quantization=True))
    head, _, body = text.partition("training_modifiers:")
    assert "num_epochs: 50.0" in head and "qat_epochs: 5.0" in head
    # every epoch in the modifiers follows a variable (starts at 0 excepted)
    epochs = [line.split(":", 1)[1].strip() for line in body.splitlines()
              if line.strip().split(":")[0].endswith("_epoch")]
    assert epochs and all(v.startswith("eval(") or v in ("0.0", "0") for v in epochs), epochs
    for phase in ("Phase 1, pruning", "Phase 2, recovery", "Phase 3, QAT"):
        assert phase in body
    recipe = load(text, path="r.yaml")
    pruner = recipe.modifiers[4].spec
    assert (pruner.start_epoch, pruner.end_epoch, pruner.final_sparsity) == (0.0, 27.0, 0.8)
    assert recipe.modifiers[5].spec.start_epoch == 45.0


def test_scales_by_changing_variables_only():
    for options in (RecipeOptions(quantization=True), RecipeOptions(pruning="gmp"),
                    RecipeOptions(pruning="none", quantization=True, lr_schedule="step"),
                    RecipeOptions(pruning="constant", lr_schedule="linear")):
        text = new_recipe(options)
        result = scale_text(text, 2 * options.epochs, path="r.yaml")
        assert all(c.what.startswith("variable ") for c in result.changes), result.changes
        new = load(result.text, path="r.yaml")
        orig = load(text, path="r.yaml")
        assert field_problems(orig, new, Plan(budget(orig), 2 * options.epochs)) == []
        assert lint_clean(result.text) == []


@pytest.mark.parametrize("options, message", [
    (RecipeOptions(epochs=2), "left to recover"),
    (RecipeOptions(epochs=3, quantization=True), "left to recover"),
    (RecipeOptions(epochs=4, quantization=True, qat_epochs=5), "--qat-epochs (5 epochs)"),
    (RecipeOptions(mask_type="2:4"), "--sparsity 0.5"),
    (RecipeOptions(sparsity=1.2), "--sparsity"),
    (RecipeOptions(pruning="obs", mask_type="block4"), "not supported"),
    (RecipeOptions(pruning="prune"), "--pruning must be one of"),
    (RecipeOptions(lr_schedule="exp"), "--lr-schedule"),
    (RecipeOptions(init_lr=2), "--init-lr"),
    (RecipeOptions(pruning_fraction=1.0), "--pruning-fraction"),
])
def test_bad_options_are_refused_with_a_reason(options, message):
    with pytest.raises(NewError, match=message.replace("(", r"\(").replace(")", r"\)")):
        new_recipe(options)


def test_model_params(tmp_path):
    names = tmp_path / "params.txt"
    names.write_text("input_conv.weight 16x3x3x3\nlayer1.conv.weight 16x16x3x3\n"
                     "layer1.bn.weight 16\nlayer1.conv.bias 16\nfc.weight 10x16\n"
                     "output.weight 10x10\n")
    from recipe_studio.transform.new import prunable_params

    params, _ = prunable_params(str(names))
    assert params == ["layer1.conv.weight", "fc.weight"]
    text = new_recipe(RecipeOptions(params=params, model="params.txt"))
    assert "prunable_params:\n  - layer1.conv.weight\n  - fc.weight\n" in text
    recipe = load(text, path="r.yaml")
    assert recipe.modifiers[3].spec.params == ["layer1.conv.weight", "fc.weight"]
    assert lint_clean(text) == []


def test_markdown_card(tmp_path):
    options = RecipeOptions(quantization=True, distillation=True)
    text = as_markdown(new_recipe(options), options, "card.md")
    assert lint_clean(text, "card.md") == []
    recipe = load(text, path="card.md")
    assert recipe.ok and "## Using it" in text.split("\n---\n", 1)[1]


# ---- command line -----------------------------------------------------------------------

def test_cli_prints_or_writes(cli, tmp_path):
    r = cli("new", "--pruning", "gmp", "--sparsity", "0.9", "--epochs", "30")
    assert r.code == 0 and "!GMPruningModifier" in r.out
    assert "Generated by `recipe-studio new --pruning gmp --sparsity 0.9 --epochs 30`" in r.out
    out = tmp_path / "r.md"
    r = cli("new", "--quantization", "--target", "vnni", "-o", out)
    assert r.code == 0 and out.read_text().startswith("---\n")
    assert "mask_type: block4" in out.read_text()
    assert lint_clean(out.read_text(), str(out)) == []


def test_cli_model_and_errors(cli, tmp_path):
    model = tmp_path / "names.txt"
    model.write_text("features.0.weight 8x3x3x3\nclassifier.weight 10x8\n")
    r = cli("new", "--model", model)
    assert r.code == 0 and "features.0.weight" in r.out and "--model names.txt" in r.out
    assert cli("new", "--model", tmp_path / "missing.onnx").code == 2
    r = cli("new", "--epochs", "2")
    assert r.code == 2 and "recover" in r.err and "Traceback" not in r.err
    assert cli("new", "--target", "gpu").code == 2
    assert cli("new", "--target", "tensorrt", "--mask-type", "block4").code == 2


# ---- SparseML ---------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.sparseml
def test_every_recipe_of_the_option_grid_loads_in_sparseml(tmp_path: Path):
    paths, want = {}, {}
    for options in grid():
        try:
            text = new_recipe(options)
        except NewError:
            continue
        name = f"r{len(paths):04d}.md" if len(paths) % 5 == 0 else f"r{len(paths):04d}.yaml"
        if name.endswith(".md"):
            text = as_markdown(text, options, name)
        (tmp_path / name).write_text(text)
        paths[name] = str(tmp_path / name)
        want[name] = {"max": math.ceil(options.epochs),
                      "n": len(load(text, path=name).modifiers)}
    got = {name: r if "error" in r else {"max": r["max"], "n": r["n"]}
           for name, r in sparseml_load(paths, tmp_path).items()}
    bad = {k: v for k, v in got.items() if v != want[k]}
    assert len(got) > 800 and not bad, list(bad.items())[:3]
