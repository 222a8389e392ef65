"""Recipes built in Python scripts (read/python.py): found by static analysis, checked by the
stage reader, diagnostics at the Python positions; what is not a literal is a note."""

from __future__ import annotations

import textwrap

import pytest

from recipe_studio.cli.discover import discover
from recipe_studio.lint.engine import lint
from recipe_studio.read.load import load
from recipe_studio.read.python import looks_like_recipe_script
from recipe_studio.read.source import from_text


def read(code: str, **kw):
    return load(from_text(textwrap.dedent(code), path="script.py"), **kw)


def found(recipe):
    return [(d.code, d.span.line, d.span.column) for d in recipe.diagnostics]


def mods(recipe):
    return [m.type for m in recipe.stage_recipe.modifiers]


W8A8 = """\
from llmcompressor import oneshot
from llmcompressor.modifiers.quantization import GPTQModifier
from llmcompressor.modifiers.smoothquant import SmoothQuantModifier

recipe = [
    SmoothQuantModifier(smoothing_strength=0.8),
    GPTQModifier(targets="Linear", scheme="W8A8", ignore=["lm_head"]),
]
oneshot(model="m", recipe=recipe)
"""


def test_the_issue_example_is_read_whole_and_clean():
    recipe = read(W8A8)
    assert recipe.diagnostics == []
    assert mods(recipe) == ["SmoothQuantModifier", "GPTQModifier"]
    assert len(recipe.parts) == 1
    sr = recipe.parts[0].stage_recipe
    assert sr.target == "llmcompressor" and sr.target_reason == "inferred"
    gptq = sr.modifiers[1]
    assert gptq.ok and gptq.spec.scheme == "W8A8" and gptq.spec.ignore == ["lm_head"]
    # the positions are the script's: line 7, the keyword and its value
    assert gptq.key_span.line == 7 and gptq.key_span.column == 5
    assert gptq.value_span("scheme").line == 7
    assert gptq.key_span_of("scheme").column == 36


def test_unknown_keyword_is_an_error_with_did_you_mean_at_the_keyword():
    recipe = read(W8A8.replace("smoothing_strength", "smoothing_strenght"))
    (d,) = recipe.diagnostics
    assert (d.code, d.span.line, d.span.column, d.span.end_column) == ("RS131", 6, 25, 43)
    assert "did you mean `smoothing_strength`" in d.help
    assert d.fix is not None and not d.fix.safe


def test_aliases_module_imports_and_attribute_chains():
    recipe = read("""\
        import llmcompressor.modifiers.quantization as q
        import llmcompressor
        from llmcompressor.modifiers.quantization import GPTQModifier as G
        from llmcompressor import modifiers

        a = G(scheme="W4A16", targets=["Linear"])
        b = q.QuantizationModifier(scheme="FP8_DYNAMIC", targets="Linear")
        c = llmcompressor.modifiers.quantization.QuantizationModifier(scheme="FP8", targets="Linear")
        d = modifiers.smoothquant.SmoothQuantModifier(smoothing_strength=0.5)
        """)
    assert recipe.diagnostics == []
    assert mods(recipe) == ["GPTQModifier", "QuantizationModifier", "QuantizationModifier",
                            "SmoothQuantModifier"]
    assert len(recipe.parts) == 4  # each modifier in no list is a recipe of its own


def test_names_bound_once_to_literals_are_evaluated_in_their_scope():
    recipe = read("""\
        from llmcompressor.modifiers.quantization import GPTQModifier
        SCHEME = "W4A17"
        IGNORE = ["lm_head"]
        GROUPS = dict(group_0=dict(targets=["Linear"], weights={"num_bits": 4, "type": "int",
                                                                 "symmetric": True,
                                                                 "strategy": "group",
                                                                 "group_size": 2 ** 7}))

        def main():
            SCHEME = "W4A16"
            return [GPTQModifier(scheme=SCHEME, ignore=IGNORE, targets="Linear"),
                    GPTQModifier(config_groups=GROUPS, dampening_frac=1 / 100)]
        """)
    assert recipe.diagnostics == []  # the function's own SCHEME, not the module's
    first, second = recipe.stage_recipe.modifiers
    assert first.spec.scheme == "W4A16" and first.spec.ignore == ["lm_head"]
    assert second.ok and second.spec.dampening_frac == 0.01


def test_the_value_of_a_name_is_checked_where_it_is_written():
    recipe = read("""\
        from llmcompressor.modifiers.quantization import GPTQModifier
        SCHEME = "W4A17"
        recipe = GPTQModifier(scheme=SCHEME, targets="Linear")
        """)
    assert found(recipe) == [("RS220", 2, 10)]


@pytest.mark.parametrize("value, reason", [
    ("get_scheme()", "the result of a call (`get_scheme()`)"),
    ('f"W{bits}A16"', "an f-string with names"),
    ("args.scheme", "an attribute (`args.scheme`)"),
    ("TWICE", "`TWICE`, assigned more than once"),
    ("PARAM", "not bound to a value written in the script"),
    ("SCHEMES[0]", "a subscript"),
    ("UNDEFINED", "`UNDEFINED`, not defined in the script"),
])
def test_what_is_not_a_literal_is_skipped_with_a_note_never_guessed(value, reason):
    recipe = read(f"""\
        from llmcompressor.modifiers.quantization import GPTQModifier
        TWICE = "W4A16"
        TWICE = "W8A8"
        SCHEMES = ["W4A16"]
        def build(PARAM):
            return [GPTQModifier(scheme={value}, targets="Linear", ignore=["lm_head"])]
        """)
    (d,) = recipe.diagnostics
    assert d.code == "RS017" and d.severity.value == "info" and reason in d.message
    assert d.span.line == 6
    (gptq,) = recipe.stage_recipe.modifiers
    assert gptq.spec is None  # the rules never see a made-up scheme
    assert "scheme" not in gptq.args and gptq.args["ignore"] == ["lm_head"]


def test_fstring_without_names_is_a_constant():
    recipe = read("""\
        from llmcompressor.modifiers.quantization import GPTQModifier
        r = GPTQModifier(scheme=f"W4A16", targets="Linear")
        """)
    assert recipe.diagnostics == [] and recipe.stage_recipe.modifiers[0].spec.scheme == "W4A16"


def test_kwargs_spread_is_a_note_and_skipped_fields_are_not_missing():
    recipe = read("""\
        from sparseml.modifiers import SmoothQuantModifier
        def f(m, **kw):
            return [SmoothQuantModifier(smoothing_strength=0.5, mappings=m),
                    SmoothQuantModifier(smoothing_strength=0.5, **kw),
                    SmoothQuantModifier(smoothing_strength=0.5)]
        """)
    assert recipe.stage_recipe.target == "sparseml"
    # SparseML 1.8's SmoothQuant needs `mappings`: missing only where nothing was skipped
    assert found(recipe) == [("RS017", 3, 66), ("RS017", 4, 57), ("RS132", 5, 13)]


def test_positional_arguments_are_an_error():
    recipe = read("""\
        from llmcompressor.modifiers.quantization import GPTQModifier
        r = GPTQModifier("W4A16", targets="Linear")
        """)
    assert found(recipe) == [("RS133", 2, 18)]


def test_each_list_is_its_own_recipe_for_the_recipe_rules():
    recipe = read("""\
        from llmcompressor.modifiers.awq import AWQModifier
        from llmcompressor.modifiers.quantization import QuantizationModifier
        awq = AWQModifier(duo_scaling=True)
        good = [awq, QuantizationModifier(scheme="W4A16", targets="Linear")]
        bad = [AWQModifier(duo_scaling=False)]
        """)
    assert len(recipe.parts) == 2
    assert found(recipe) == [("RS136", 5, 8)]  # only the AWQ with no quantizer after it


def test_syntax_error_and_scripts_without_modifiers():
    assert found(read("from sparseml.modifiers import *\ndef f(:\n    pass\n")) == [
        ("RS018", 2, 7)]
    assert read("def f(:\n").diagnostics == []  # not a recipe script: Python's business
    plain = read("import os\nprint(os.getcwd())\n")
    assert plain.diagnostics == [] and plain.stage_recipe is None
    assert lint(plain).diagnostics == []


def test_lint_runs_on_the_script_and_the_fix_renames_the_keyword(tmp_path):
    from recipe_studio.lint.engine import LintSettings
    from recipe_studio.lint.run import RunOptions, check_files

    script = tmp_path / "quantize.py"
    script.write_text(W8A8.replace("smoothing_strength", "smoothing_strenght"))
    result = check_files([str(script)], RunOptions(settings=LintSettings(), fix=True,
                                                   unsafe_fixes=True))
    assert result.files[0].fixed == 1 and result.exit_code() == 0
    assert script.read_text() == W8A8


def test_discovery_takes_scripts_that_import_modifiers_only_for_lint(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "quantize.py").write_text(W8A8)
    (tmp_path / "a" / "train.py").write_text("import torch\n")
    (tmp_path / "b.py").write_text("from sparseml.modifiers.obcq import SparseGPTModifier\n")
    got = discover([tmp_path], scripts=True).files
    assert sorted(p.rsplit("/", 1)[-1] for p in got) == ["b.py", "quantize.py"]
    assert discover([tmp_path]).files == []  # format never walks into scripts
    assert looks_like_recipe_script("import llmcompressor.modifiers.quantization as q\n")
    assert not looks_like_recipe_script("from llmcompressor import oneshot\n")


def test_compressed_tensors_schemes_built_from_literals_are_values():
    recipe = read("""\
        from compressed_tensors.quantization import QuantizationArgs, QuantizationScheme, QuantizationType
        from llmcompressor.modifiers.quantization import QuantizationModifier
        scheme = QuantizationScheme(targets=["Linear"], weights=QuantizationArgs(
            num_bits=8, type=QuantizationType.FLOAT, strategy="channel", symmetric=True))
        r = QuantizationModifier(config_groups={"group_0": scheme}, ignore=["lm_head"])
        bad = QuantizationModifier(config_groups={"g": QuantizationScheme(targets=["Linear"],
            weights=QuantizationArgs(num_bits=8, type=QuantizationType.FLOAT, nbits=3))})
        """)
    assert [(d.code, d.span.line) for d in recipe.diagnostics] == [("RS131", 7, )]
    good = recipe.stage_recipe.modifiers[0]
    assert good.ok


# -- llm-compressor's own examples (tests/pyrecipe/examples, NOTICE.md: Apache-2.0, unchanged) --
EXAMPLES = {
    # the issue's W8A8 example: both modifiers read whole, nothing to say
    "w8a8_int8_llama3_example.py": (["SmoothQuantModifier", "GPTQModifier"], []),
    # written for a newer llm-compressor, where AWQModifier quantizes by itself: 0.14 refuses it
    "awq_qwen3_next_example.py": (["AWQModifier"], [("RS136", 53, 5), ("RS131", 54, 9),
                                                    ("RS131", 55, 9), ("RS131", 56, 9)]),
    # command-line arguments (`args.iters`): skipped with a note, never guessed
    "autoround_mxfp8_example.py": (["AutoRoundModifier"], [("RS017", 67, 11), ("RS017", 68, 16)]),
    # a template's placeholder scheme `<SCHEME>`
    "fp8_template_oneshot.py": (["QuantizationModifier"], [("RS220", 14, 12)]),
    # three modifiers in one list, AWQ's mappings built with AWQMapping(...)
    "quantization_multiple_modifiers.py": (["GPTQModifier", "AWQModifier", "QuantizationModifier"],
                                           [("RS017", 67, 13)]),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_llmcompressor_examples_give_the_expected_findings(name):
    from pathlib import Path

    path = Path(__file__).parent / "examples" / name
    result = lint(str(path))
    modifiers, expected = EXAMPLES[name]
    assert mods(result.recipe) == modifiers
    assert [(d.code, d.span.line, d.span.column) for d in result.diagnostics] == expected
