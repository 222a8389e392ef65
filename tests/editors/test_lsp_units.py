"""The language server's pure parts, in-process: document filtering, position conversion
(UTF-16), phase text without the schedule engine, completion contexts; and the import
boundary (pygls only under `recipe_studio.lsp`)."""

from __future__ import annotations

import json
import subprocess
import sys

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from editors.helpers import ROOT
from recipe_studio.diagnostics import Edit
from recipe_studio.lsp import completion, hover
from recipe_studio.lsp.analysis import analyze, looks_like_recipe
from recipe_studio.lsp.convert import Converter

RECIPE = """\
num_epochs: 10.0
modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: eval(num_epochs)
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 2.0
    end_epoch: 8.0
    update_frequency: 1.0
"""


def test_only_recipes_are_linted():
    assert looks_like_recipe(RECIPE, "/x/a.yaml")
    assert looks_like_recipe("modifiers:\n", "/x/a.yaml")
    assert looks_like_recipe("", "/x/my-recipe.yaml")
    assert not looks_like_recipe("on: [push]\njobs: {}\n", "/x/ci.yaml")
    assert analyze("on: [push]\n", "/x/ci.yaml").ignored
    assert not analyze("on: [push]\n", "/x/ci.yaml", force=True).ignored


def test_utf16_and_utf32_columns():
    text = "a: '\U0001F600'  # x\nmodifiers: []\n"
    analysis = analyze(text, "/x/r.yaml", force=True)
    utf16 = Converter(analysis, PositionCodec(types.PositionEncodingKind.Utf16))
    utf32 = Converter(analysis, PositionCodec(types.PositionEncodingKind.Utf32))
    col = text.index("#") + 1  # 1-based code-point column of `#`
    assert utf32.position(1, col).character == col - 1
    assert utf16.position(1, col).character == col  # the emoji is two UTF-16 units
    assert utf16.from_lsp(types.Position(line=0, character=col)) == (1, col)
    # an edit's offsets (into the text) become the same range
    start = text.index("#")
    rng = utf16.text_edit(Edit(start, start + 3, "")).range
    assert (rng.start.character, rng.end.character) == (col, col + 3)
    # positions past the end are clamped, not errors
    assert utf16.position(99, 1) == types.Position(line=2, character=0)


def test_crlf_documents_get_crlf_edits():
    text = RECIPE.replace("\n", "\r\n")
    analysis = analyze(text, "/x/r.yaml")
    conv = Converter(analysis)
    edit = conv.text_edit(Edit(0, 0, "a: 1\nb: 2\n"))
    assert edit.new_text == "a: 1\r\nb: 2\r\n"
    assert analysis.lines[0] == "num_epochs: 10.0"


def test_phase_text_without_the_engine():
    analysis = analyze(RECIPE, "/x/r.yaml")
    analysis.__dict__["phases"] = None  # as if recipe_studio.schedule.simulation were absent
    assert hover.phase_text(analysis, 4.0) == (
        "epochs 2–8 of 10 — active: pruning: `GMPruningModifier` (2–8)")
    assert hover.phase_text(analysis, 9.0) == "epochs 8–10 of 10: no modifier is active"
    assert hover.phase_text(analysis, 12.0) == "after the end of training (epoch 10)"
    assert hover.phase_text(analysis, -0.5).endswith("the modifier never starts")


def test_completion_contexts():
    assert completion._eval_prefix("    end_epoch: eval(num_") == "num_"
    assert completion._eval_prefix("    end_epoch: eval(a + ") == ""
    assert completion._eval_prefix("    end_epoch: eval(a) ") is None
    assert completion._eval_prefix("    end_epoch: eval(max(a, b") == "b"
    analysis = analyze(RECIPE, "/x/r.yaml")
    # a key under the GMP modifier, and nothing at the top level
    text = RECIPE + "    \n"
    analysis = analyze(text, "/x/r.yaml")
    labels = [i.label for i in completion.complete(analysis, 13, 5)]
    assert "leave_enabled" in labels and "params" not in labels
    assert completion.complete(analysis, 13, 1) == []


def test_pygls_is_imported_only_by_the_server():
    probe = ("import sys\n"
             "import recipe_studio.cli.lsp, recipe_studio.cli.schema\n"
             "import recipe_studio.lsp.analysis, recipe_studio.lsp.hover\n"
             "import recipe_studio.lsp.completion, recipe_studio.lsp.navigation\n"
             "print(sorted(m for m in ('pygls', 'lsprotocol', 'torch', 'jsonschema') "
             "if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert json.loads(out.stdout.strip().replace("'", '"')) == []


def _actions_at(text: str, needle: str) -> tuple[Converter, list[types.CodeAction]]:
    analysis = analyze(text, "/x/r.yaml")
    conv = Converter(analysis)
    index = text.index(needle)
    line = text[:index].count("\n")
    column = index - (text.rfind("\n", 0, index) + 1)
    rng = types.Range(start=types.Position(line=line, character=column),
                      end=types.Position(line=line, character=column + 1))
    return conv, conv.code_actions("file:///x/r.yaml", rng)


def _apply_one(text: str, action: types.CodeAction) -> str:
    (edits,) = action.edit.changes.values()
    lines = text.splitlines(keepends=True)
    starts = [0]
    for x in lines:
        starts.append(starts[-1] + len(x))
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                    reverse=True):
        a = starts[e.range.start.line] + e.range.start.character
        b = starts[e.range.end.line] + e.range.end.character
        text = text[:a] + e.new_text + text[b:]
    return text


def test_did_you_mean_is_the_preferred_quick_fix_and_load_errors_get_no_disable():
    cases = [  # (misspelling, line to look at, expected code, fixed text)
        (RECIPE.replace("final_sparsity", "final_sparsty"), "final_sparsty", "RS102",
         RECIPE),
        (RECIPE.replace("!GMPruningModifier", "!GMPruningModifer"), "!GMPruningModifer",
         "RS101", RECIPE),
        (RECIPE.replace("eval(num_epochs)", "eval(num_epoch)"), "eval(num_epoch)", "RS301",
         RECIPE),
        (RECIPE.replace("__ALL_PRUNABLE__", "__ALL_PRUNABLES__"), "__ALL_PRUNABLES__",
         "RS205", RECIPE),
        (RECIPE.replace("    update_frequency: 1.0\n",
                        "    update_frequency: 1.0\n    inter_func: cubc\n"), "cubc",
         "RS203", RECIPE.replace("    update_frequency: 1.0\n",
                                 "    update_frequency: 1.0\n    inter_func: cubic\n")),
    ]
    for text, needle, code, fixed in cases:
        conv, found = _actions_at(text, needle)
        titles = [a.title for a in found]
        preferred = [a for a in found if a.is_preferred]
        assert len(preferred) == 1 and f"({code})" in preferred[0].title, titles
        assert "rename" in preferred[0].title
        # a load error cannot be suppressed: no "disable" action for it
        assert not any(t.startswith(f"Disable {code}") for t in titles), titles
        assert _apply_one(text, preferred[0]) == fixed
        assert analyze(fixed, "/x/r.yaml").diagnostics == []


def test_rule_diagnostics_keep_their_disable_action():
    text = RECIPE.replace("num_epochs: 10.0\n", "num_epochs: 10.0\nspare: 3\n")
    _, found = _actions_at(text, "spare: 3")
    assert any(a.title.startswith("Disable RS311") for a in found)
