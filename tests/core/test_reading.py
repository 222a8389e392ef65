"""Reading exactly as SparseML 1.8 reads (PyYAML's pure-Python `safe_load` of its rewritten
text), class by class. Every verdict below was measured with SparseML 1.8's
`ScheduledModifierManager.from_yaml` (the differential fuzzer re-measures them in bulk)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from recipe_studio.read.load import load
from recipe_studio.read.source import from_text
from recipe_studio.read.yamltree import needs_pure_python, parse_yaml, to_python

ROOT = Path(__file__).resolve().parents[2]
MOD = "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0.0\n    end_epoch: 10.0\n"


def errors(text: str, path: str = "r.yaml") -> list[str]:
    return [d.short() for d in load(text, path=path).errors]


# ---- 1. tabs: refused by the pure-Python scanner outside quotes, block scalars, comments --

@pytest.mark.parametrize("text, where", [
    (MOD.replace("start_epoch: 0.0", "start_epoch:\t0.0"), "3:17"),        # after `key:`
    (MOD.replace("start_epoch: 0.0", "start_epoch: 0.0\t"), "3:21"),       # after a value
    (MOD.replace("start_epoch: 0.0", "start_epoch: 0.0\t# c"), "3:21"),    # before a comment
    (MOD.replace("start_epoch: 0.0", "start_epoch: 0.0 \t# c"), "3:22"),
    ("note: a\tb\n" + MOD, "1:8"),                                          # in a plain scalar
    ("layers: [a,\tb]\n" + MOD, "1:12"),                                    # in a flow list
    ("layers: {a:\t1}\n" + MOD, "1:12"),                                    # in a flow mapping
    (MOD.replace("!EpochRangeModifier", "!EpochRangeModifier\t"), "2:24"),  # after a tag line
    ("a: &x\t1\nb: *x\n" + MOD, "1:6"),                                     # after an anchor
    ("\tnote: 1\n" + MOD, "1:1"),                                           # indentation
    ("note: 1\n  \t  \n" + MOD, "2:3"),                                     # a blank line
    ("note:\t\n  a: 1\n" + MOD, "1:6"),
])
def test_a_tab_is_an_error_where_sparseml_refuses_it(text, where):
    recipe = load(text, path="r.yaml")
    assert [d.short() for d in recipe.errors] == [f"{where} RS004"]
    message = recipe.errors[0].message
    assert "tab character" in message and "PyYAML" in message
    assert "'\\t'" in message  # what SparseML itself prints
    assert "spaces" in recipe.errors[0].help


@pytest.mark.parametrize("text", [
    "note: \"a\tb\"\n" + MOD, "note: 'a\tb'\n" + MOD, "note: |\n  a\tb\n" + MOD,
    "note: 1  # a\tcomment\n" + MOD, "# \t\n" + MOD,
])
def test_a_tab_inside_quotes_block_scalars_and_comments_is_fine(text):
    assert errors(text) == []


def test_tab_fixes_give_text_sparseml_reads():
    for text in [MOD.replace("start_epoch: 0.0", "start_epoch:\t0.0"),
                 MOD.replace("end_epoch: 10.0", "end_epoch: 10.0\t"),
                 "note: 1\n  \t  \n" + MOD]:
        recipe = load(text, path="r.yaml")
        fixed = _apply(recipe)
        assert errors(fixed) == [], fixed
        yaml.compose(fixed, Loader=yaml.SafeLoader)  # the pure-Python scanner agrees


def _apply(recipe) -> str:
    text = recipe.source.text
    edits = sorted((e for d in recipe.errors if d.fix for e in d.fix.edits),
                   key=lambda e: e.start, reverse=True)
    for e in edits:
        text = text[:e.start] + e.text + text[e.end:]
    return text


def test_no_tab_no_pure_python_cost():
    text = (ROOT / "examples" / "yolov5-gmp.yaml").read_text()
    assert not needs_pure_python(text)
    assert needs_pure_python(text.replace(": ", ":\t", 1))


# ---- 2. YAML's own `!!` tags go through SparseML's text rewrite -------------------------

@pytest.mark.parametrize("text, where", [
    ("num_epochs: !!float 1\n" + MOD, "1:13"),
    ("num_epochs: !!int '3'\n" + MOD, "1:13"),
    ("num_epochs: !!str 5\n" + MOD, "1:13"),
    (MOD.replace("start_epoch: 0.0", "start_epoch: !!float 0"), "3:18"),
])
def test_yaml_tags_that_the_rewrite_mangles(text, where):
    recipe = load(text, path="r.yaml")
    assert [d.short() for d in recipe.errors] == [f"{where} RS015"]
    assert "!OBJECT." in recipe.errors[0].message
    assert "could not determine a constructor" in recipe.errors[0].message


def test_yaml_tags_the_rewrite_skips_load():
    # a `.` later on the line stops the rewrite: SparseML loads these
    assert errors("num_epochs: !!float 1.5\n" + MOD) == []
    assert errors("note: !!str 5  # v1.0\n" + MOD) == []


@pytest.mark.parametrize("text, code, where", [
    ("a: !!str [1]  # 1.0\n" + MOD, "RS004", "1:4"),      # wrong node kind
    ("a: !!seq 5  # 1.0\n" + MOD, "RS004", "1:4"),
    ("a: !<tag:yaml.org,2002:foo> 1\n" + MOD, "RS004", "1:4"),  # no constructor
    ("a: !!set {x}  # 1.0\n" + MOD, "RS015", "1:4"),      # re-dumped as `!!set`
    ("a: !!binary aGk=  # 1.0\n" + MOD, "RS015", "1:4"),
    ("a: !!timestamp 5  # 1.0\n" + MOD, "RS004", "1:4"),  # the constructor fails
])
def test_explicit_yaml_tags_as_safe_load_and_the_re_dump_judge_them(text, code, where):
    assert errors(text) == [f"{where} {code}"]


# ---- 3. a `- !Tag` line whose fields sit left of the tag --------------------------------

@pytest.mark.parametrize("text, where", [
    ("modifiers:\n    - !EpochRangeModifier\n     start_epoch: 0.0\n     end_epoch: 1.0\n",
     "2:7"),  # the tag one column deeper than its fields
    ("modifiers:\n    -  !EpochRangeModifier\n      start_epoch: 0.0\n      end_epoch: 1.0\n",
     "2:8"),  # two spaces after the dash
    ("modifiers:\n- !EpochRangeModifier\n start_epoch: 0.0\n end_epoch: 1.0\n", "2:3"),
])
def test_tag_line_that_does_not_fit_its_fields(text, where):
    recipe = load(text, path="r.yaml")
    assert [d.short() for d in recipe.errors] == [f"{where} RS011"]
    assert "left of that key" in recipe.errors[0].message


def test_a_flow_mapping_under_the_tag_at_its_column():
    # `- OBJECT.Name:` then `{...}` at the key's column: a new key without `:`
    text = "modifiers:\n  - !EpochRangeModifier\n\n    {start_epoch: 0.0, end_epoch: 1.0}\n"
    assert errors(text) == ["2:5 RS011"]
    assert errors(text.replace("    {", "      {")) == []


@pytest.mark.parametrize("text", [
    "modifiers:\n    - !EpochRangeModifier\n      start_epoch: 0.0\n      end_epoch: 1.0\n",
    "modifiers:\n    - !EpochRangeModifier\n       start_epoch: 0.0\n       end_epoch: 1.0\n",
    "modifiers:\n    -  !EpochRangeModifier\n        start_epoch: 0.0\n        end_epoch: 1.0\n",
])
def test_fields_at_or_right_of_the_tag_load(text):
    assert errors(text) == []


# ---- 4. what only the pure-Python scanner accepts -------------------------------------

def test_a_surrogate_escape_loads_as_in_sparseml():
    text = 'note: "\\ud800"\n' + MOD
    assert errors(text) == []
    doc = parse_yaml(from_text(text, path="r.yaml"))
    assert to_python(doc.root)["note"] == "\ud800" == yaml.safe_load('note: "\\ud800"')["note"]


def test_other_pure_python_readings():
    # a BOM inside the text is content; `?` ends a plain scalar inside brackets
    assert errors("note: a\ufeffb\n" + MOD) == []
    assert errors("layers: [conv?]\n" + MOD) == ["1:14 RS004"]
    # a bare `!` makes an empty value null (libyaml: '')
    doc = parse_yaml(from_text("a: !\n", path="r.yaml"))
    assert to_python(doc.root) == {"a": None}
    # `|#` is not a block scalar header
    assert errors("note: |#\n  x\n" + MOD) == ["1:8 RS004"]


def test_a_byte_order_mark_before_a_cards_front_matter():
    card = "---\n" + MOD + "---\n# card\n"
    assert errors(card, path="r.md") == []
    recipe = load("\ufeff" + card, path="r.md")
    assert [d.short() for d in recipe.errors] == ["1:1 RS006"]
    assert "byte-order mark" in recipe.errors[0].message
    assert errors("\ufeff" + MOD) == []  # a `.yaml` file: PyYAML skips the BOM


def test_the_two_loaders_read_real_recipes_identically():
    """The fast path is only taken where libyaml's events equal PyYAML's pure-Python ones."""
    paths = sorted((ROOT / "examples").glob("*.yaml"))
    for path in paths:
        text = path.read_text()
        assert _events(text, yaml.CSafeLoader) == _events(text, yaml.SafeLoader), path


def _events(text: str, loader: type) -> list[tuple]:
    out = []
    try:
        for e in yaml.parse(text, Loader=loader):
            out.append((type(e).__name__, getattr(e, "anchor", None), getattr(e, "tag", None),
                        getattr(e, "implicit", None), getattr(e, "value", None),
                        e.start_mark.index, e.end_mark.index))
    except yaml.YAMLError:
        out.append(("error",))
    return out


def test_a_surrogate_value_in_a_message_is_printable(cli, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text('modifiers:\n  - !GMPruningModifier\n    params: "\\ud800"\n'
                    "    init_sparsity: 0.05\n    final_sparsity: 0.8\n    start_epoch: 0.0\n"
                    "    end_epoch: 10.0\n    update_frequency: 1.0\n")
    result = cli("validate", str(path))
    assert result.code == 1, result.err
    assert "'\\ud800'" in result.out and "internal error" not in result.out + result.err
    result.out.encode("utf-8")
