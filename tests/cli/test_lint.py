"""`recipe-studio lint`: formats, exit codes, configuration, suppressions and fixes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CLEAN = """num_epochs: 50.0
modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: eval(num_epochs)
  - !GlobalMagnitudePruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0.0
    end_epoch: 30.0
    update_frequency: 1.0
"""

# one error (RS401) and two warnings (RS210 number read as string, RS311 unused variable)
FLAWED = """# comment at the top stays
num_epochs: &n 30.0
unused_lr: 1e-5   # a trailing comment stays too
modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: *n
  - !GlobalMagnitudePruningModifier
    params: ['re:.*weight']
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0.0
    end_epoch: 40.0
    update_frequency: 1.0
"""


@pytest.fixture
def recipes(tmp_path: Path) -> Path:
    (tmp_path / "clean.yaml").write_text(CLEAN)
    (tmp_path / "flawed.yaml").write_text(FLAWED)
    return tmp_path


def test_clean_exits_zero(cli, recipes):
    r = cli("lint", recipes / "clean.yaml")
    assert r.code == 0, r.out
    assert "no problems" in r.out


def test_errors_exit_one_and_json_has_fix(cli, recipes):
    r = cli("lint", recipes / "flawed.yaml", "--format", "json", "--isolated")
    assert r.code == 1
    diags = json.loads(r.out)
    assert [(d["code"], d["line"]) for d in diags] == [("RS311", 3), ("RS210", 3), ("RS401", 13)]
    d = diags[1]
    assert set(d) >= {"path", "line", "column", "end_line", "end_column", "code", "severity",
                      "message", "fix"}
    assert d["fix"]["applicability"] == "safe" and d["fix"]["edits"][0]["content"] == "1.0e-5"


def test_strict_and_exit_zero(cli, recipes):
    p = recipes / "warn.yaml"
    p.write_text(CLEAN.replace("num_epochs: 50.0", "num_epochs: 50.0\nspare: 3"))
    assert cli("lint", p, "--isolated").code == 0  # warnings only
    assert cli("lint", p, "--isolated", "--strict").code == 1
    assert cli("lint", recipes / "flawed.yaml", "--exit-zero").code == 0


def test_select_ignore_by_code_name_prefix_family(cli, recipes):
    f = recipes / "flawed.yaml"
    codes = lambda *a: [d["code"] for d in json.loads(cli("lint", f, "-f", "json", *a).out)]
    assert codes("--select", "RS4") == ["RS401"]
    assert codes("--select", "unused-variable") == ["RS311"]
    assert codes("--ignore", "variables,RS2") == ["RS401"]
    assert codes("--select", "schedule", "--extend-select", "RS210") == ["RS210", "RS401"]


def test_unknown_selector_is_usage_error(cli, recipes):
    r = cli("lint", recipes / "flawed.yaml", "--select", "RS4O1")
    assert r.code == 2 and "RS401" in r.err  # did-you-mean
    r = cli("lint", recipes / "flawed.yaml", "--ignore", "modifier-end-after-training")
    assert r.code == 2 and "modifier-ends-after-training" in r.err


def test_concise_and_github(cli, recipes):
    r = cli("lint", recipes / "flawed.yaml", "-f", "concise")
    assert f"{recipes / 'flawed.yaml'}:13:16: RS401 [error]" in r.out
    r = cli("lint", recipes / "flawed.yaml", "-f", "github")
    line = [x for x in r.out.splitlines() if "RS401" in x][0]
    assert line.startswith("::error file=") and ",line=13,col=16,endLine=13,endColumn=20," in line
    assert "title=recipe-studio (RS401 modifier-ends-after-training)::" in line


def test_fix_writes_safe_fixes_preserving_everything_else(cli, recipes):
    f = recipes / "flawed.yaml"
    r = cli("lint", f, "--fix")
    text = f.read_text()
    assert "unused_lr: 1.0e-5   # a trailing comment stays too" in text
    assert text.startswith("# comment at the top stays\nnum_epochs: &n 30.0\n")
    assert "end_epoch: *n" in text and "end_epoch: 40.0" in text  # unsafe fix not applied
    assert r.code == 1  # RS401 remains
    before = f.read_text()
    cli("lint", f, "--fix")
    assert f.read_text() == before  # idempotent


def test_unsafe_fixes_and_diff(cli, recipes):
    f = recipes / "flawed.yaml"
    r = cli("lint", f, "--diff", "--unsafe-fixes")
    # RS401's unsafe fix ends pruning at 30.0, then RS312 notices 30.0 is `num_epochs`
    assert r.code == 1 and "-    end_epoch: 40.0" in r.out
    assert "+    end_epoch: eval(num_epochs)" in r.out
    assert f.read_text() == FLAWED  # --diff writes nothing
    r = cli("lint", f, "--fix", "--unsafe-fixes")
    assert "end_epoch: eval(num_epochs)" in f.read_text()
    assert "unused_lr" not in f.read_text()


def test_config_in_pyproject_and_nearest_wins(cli, recipes):
    (recipes / "pyproject.toml").write_text(
        '[tool.recipe-studio]\nignore = ["RS311"]\n[tool.recipe-studio.severity]\nRS401 = "warning"\n')
    r = cli("lint", recipes / "flawed.yaml", "-f", "json")
    diags = json.loads(r.out)
    assert [d["code"] for d in diags] == ["RS210", "RS401"]
    assert diags[1]["severity"] == "warning" and r.code == 0
    sub = recipes / "sub"
    sub.mkdir()
    (sub / "flawed.yaml").write_text(FLAWED)
    (sub / ".recipe-studio.toml").write_text('select = ["RS2"]\n')
    r = cli("lint", sub / "flawed.yaml", "-f", "json")
    assert [d["code"] for d in json.loads(r.out)] == ["RS210"]


def test_per_file_ignores_and_rule_options(cli, recipes):
    (recipes / ".recipe-studio.toml").write_text(
        '[per-file-ignores]\n"flawed.yaml" = ["RS401"]\n'
        '[rules.no-recovery-epochs]\nmin-recovery-epochs = 25\n')
    codes = [d["code"] for d in json.loads(cli("lint", recipes, "-f", "json").out)]
    assert "RS401" not in codes and codes.count("RS505") == 1  # clean.yaml: 20 < 25 epochs


@pytest.mark.parametrize("content, fragment", [
    ('selct = ["RS4"]\n', "did you mean `select`"),
    ('select = ["RS4O1"]\n', "did you mean `RS401`"),
    ('[rules.no-recovery-epochs]\nmin-recovery = 2\n', "did you mean `min-recovery-epochs`"),
    ('[rules.no-recovery-epochs]\nmin-recovery-epochs = "x"\n', "min_recovery_epochs"),
    ('steps-per-epoch = 0\n', "positive integer"),
    ('select = [\n', "not valid TOML"),
])
def test_config_errors_exit_two(cli, recipes, content, fragment):
    (recipes / ".recipe-studio.toml").write_text(content)
    r = cli("lint", recipes / "clean.yaml")
    assert r.code == 2 and fragment in r.err, r.err


def test_explicit_config_option(cli, recipes):
    cfg = recipes / "ci.toml"
    cfg.write_text('select = ["RS4"]\n')
    r = cli("lint", recipes / "flawed.yaml", "--config", cfg, "-f", "json")
    assert [d["code"] for d in json.loads(r.out)] == ["RS401"]
    assert cli("lint", recipes / "clean.yaml", "--config", recipes / "missing.toml").code == 2


def test_suppressions(cli, recipes):
    f = recipes / "s.yaml"
    f.write_text(FLAWED.replace("end_epoch: 40.0", "end_epoch: 40.0  # recipe-studio: disable=RS401")
                 .replace("unused_lr: 1e-5", "# recipe-studio: disable-file=unused-variable\nunused_lr: 1e-5"))
    codes = [d["code"] for d in json.loads(cli("lint", f, "-f", "json").out)]
    assert codes == ["RS210"]


def test_steps_per_epoch_enables_grid_rules(cli, recipes):
    f = recipes / "grid.yaml"
    f.write_text(CLEAN.replace("update_frequency: 1.0", "update_frequency: 0.3"))
    assert "RS503" not in cli("lint", f, "-f", "concise").out
    assert "RS503" in cli("lint", f, "-f", "concise", "--steps-per-epoch", "4").out


def test_model_option(cli, recipes):
    names = recipes / "params.txt"
    names.write_text("features.0.weight 8x1x3x3\nfeatures.0.bias 8\nclassifier.weight 10x32\n")
    out = cli("lint", recipes / "flawed.yaml", "-f", "concise", "--model", names).out
    assert "RS802" not in out and "RS804 [info] pruning covers 2 of 2" in out
    everything = recipes / "all.yaml"
    everything.write_text(FLAWED.replace("'re:.*weight'", "'re:.*'"))
    out = cli("lint", everything, "-f", "concise", "--model", names).out
    assert "RS802" in out and "features.0.bias" in out
    assert cli("lint", recipes / "flawed.yaml", "--model", recipes / "none.onnx").code == 2


def test_rule_command(cli):
    r = cli("rule")
    assert r.code == 0 and "| RS401 | `modifier-ends-after-training` |" in r.out
    r = cli("rule", "RS401")
    assert r.code == 0 and "## Why is this bad?" in r.out and "## SparseML behaviour" in r.out
    r = cli("rule", "pruning-never-ends")
    assert "RS501" in r.out
    r = cli("rule", "RS4O1")
    assert r.code == 2 and "RS401" in r.err


def test_validate_errors_are_lint_errors(cli, tmp_path):
    p = tmp_path / "b.yaml"
    p.write_text("modifiers:\n  - !GMPruningModifer\n    params: __ALL_PRUNABLE__\n")
    v = json.loads(cli("validate", p, "-f", "json").out)
    lint = json.loads(cli("lint", p, "-f", "json").out)
    assert v == [d for d in lint if d["code"] == "RS101"] and v[0]["code"] == "RS101"


# -- lint is validate plus rules: load errors always count ---------------------------------

# the recipe: a misspelt field (SparseML cannot load it) whose pruner also ends
# after training (RS401, found on the modifier's valid fields)
MISSPELT = FLAWED.replace("final_sparsity: 0.8", "final_sparsty: 0.8")


@pytest.fixture
def misspelt(tmp_path: Path) -> Path:
    p = tmp_path / "misspelt.yaml"
    p.write_text(MISSPELT)
    return p


def test_a_suppression_comment_cannot_hide_a_load_error(cli, misspelt):
    misspelt.write_text(MISSPELT.replace("final_sparsty: 0.8",
                                         "final_sparsty: 0.8  # recipe-studio: disable=RS102"))
    assert cli("validate", misspelt).code == 1
    r = cli("lint", misspelt, "-f", "json", "--isolated")
    diags = {d["code"]: d for d in json.loads(r.out)}
    assert r.code == 1 and {"RS102", "RS902", "RS401"} <= set(diags)
    assert "load errors cannot be suppressed" in diags["RS902"]["message"]
    assert "did you mean `final_sparsity`" in diags["RS902"]["help"]
    # also a modifier-wide or file-wide comment
    misspelt.write_text("# recipe-studio: disable-file=ALL\n" + MISSPELT)
    r = cli("lint", misspelt, "-f", "concise", "--isolated")
    assert r.code == 1 and "RS102" in r.out and "RS902" in r.out


@pytest.mark.parametrize("args", [
    (), ("--select", "RS4"), ("--select", "RS311"), ("--ignore", "ALL"), ("--exit-zero",),
    ("--ignore", "RS4,RS2,RS3", "--exit-zero"),
])
def test_lint_exits_at_least_as_validate(cli, misspelt, args):
    assert cli("validate", misspelt).code == 1
    r = cli("lint", misspelt, "-f", "json", "--isolated", *args)
    assert r.code == 1, r.out
    assert "RS102" in [d["code"] for d in json.loads(r.out)]


def test_rule_errors_still_obey_exit_zero(cli, recipes):
    assert cli("validate", recipes / "flawed.yaml").code == 0
    assert cli("lint", recipes / "flawed.yaml", "--exit-zero").code == 0


@pytest.mark.parametrize("config", [
    'ignore = ["RS102"]\n', 'ignore = ["unknown-field", "RS4"]\n',
    '[severity]\nRS102 = "warning"\n', '[per-file-ignores]\n"*.yaml" = ["RS1"]\n'.replace(
        "RS1", "RS10"),
])
def test_configuration_cannot_ignore_or_downgrade_a_load_error(cli, misspelt, config):
    (misspelt.parent / ".recipe-studio.toml").write_text(config)
    r = cli("lint", misspelt)
    assert r.code == 2 and "load errors" in r.err and "cannot be ignored" in r.err, r.err


def test_configuration_selecting_families_keeps_load_errors(cli, misspelt):
    (misspelt.parent / ".recipe-studio.toml").write_text(
        'select = ["RS4"]\nignore = ["RS1"]\n[severity]\nALL = "info"\n')
    r = cli("lint", misspelt, "-f", "json")
    diags = json.loads(r.out)
    assert r.code == 1
    assert [(d["code"], d["severity"]) for d in diags] == [("RS102", "error"), ("RS401", "info")]


def test_ignore_option_naming_only_load_errors_is_a_usage_error(cli, misspelt):
    r = cli("lint", misspelt, "--ignore", "RS102")
    assert r.code == 2 and "cannot be ignored" in r.err and "`RS102`" in r.err


def test_diff_exits_one_on_a_load_error_without_a_fix(cli, tmp_path):
    p = tmp_path / "nofix.yaml"
    p.write_text(CLEAN.replace("final_sparsity: 0.8", "final_sparsity: 1.5"))
    assert cli("validate", p).code == 1
    r = cli("lint", p, "--diff")
    assert r.code == 1 and r.out == ""


# -- did-you-mean fixes ------------------------------------------------------------------

TYPOS = """num_epochs: 50.0
pruning_end: eval(num_epoch - 20)
modifiers:
  - !EpochRangeModifer
    start_epoch: 0.0
    end_epoch: eval(num_epochs)
  - !GlobalMagnitudePruningModifier
    params: __ALL_PRUNABL__
    init_sparsity: 0.05
    final_sparsty: 0.8
    start_epoch: 0.0
    end_epoch: eval(pruning_end)
    update_frequency: 1.0
    inter_func: cubc
"""
TYPOS_FIXED = (TYPOS.replace("num_epoch -", "num_epochs -").replace("Modifer", "Modifier").replace("__ALL_PRUNABL__", "__ALL_PRUNABLE__")
               .replace("final_sparsty", "final_sparsity").replace("cubc", "cubic"))


def test_fix_applies_the_safe_rename_of_a_misspelt_field(cli, misspelt):
    r = cli("lint", misspelt, "--fix", "--isolated")
    assert misspelt.read_text() == MISSPELT.replace("final_sparsty", "final_sparsity") \
        .replace("1e-5", "1.0e-5")  # and RS210's safe fix
    assert "fixed 2 problems" in r.err
    assert cli("validate", misspelt).code == 0
    assert r.code == 1  # RS401 (an unsafe fix) remains


def test_unsafe_fixes_rename_every_misspelling_until_it_validates(cli, tmp_path):
    p = tmp_path / "typos.yaml"
    p.write_text(TYPOS)
    # safe fixes alone: the field (the only way the pruner loads); the rest are guesses
    r = cli("lint", p, "--diff", "--isolated")
    assert r.code == 1 and "+    final_sparsity: 0.8" in r.out
    assert len([x for x in r.out.splitlines() if x.startswith("+") and
                not x.startswith("+++")]) == 1, r.out
    assert p.read_text() == TYPOS  # --diff writes nothing
    r = cli("lint", p, "--diff", "--unsafe-fixes", "--isolated")
    for line in ("+  - !EpochRangeModifier", "+    params: __ALL_PRUNABLE__",
                 "+pruning_end: eval(num_epochs - 20)", "+    inter_func: cubic"):
        assert line in r.out, r.out
    r = cli("lint", p, "--fix", "--unsafe-fixes", "--isolated")
    assert p.read_text() == TYPOS_FIXED
    assert cli("validate", p).code == 0
    assert r.code == 0, r.out


def test_json_shows_the_rename_fix_and_its_safety(cli, tmp_path):
    p = tmp_path / "typos.yaml"
    p.write_text(TYPOS)
    diags: dict[str, dict] = {}
    for d in json.loads(cli("lint", p, "-f", "json", "--isolated").out):
        diags.setdefault(d["code"], d)  # the first of each code
    assert diags["RS102"]["fix"]["applicability"] == "safe"
    assert diags["RS102"]["fix"]["edits"][0]["content"] == "final_sparsity"
    for code in ("RS101", "RS203", "RS205", "RS301"):
        assert diags[code]["fix"]["applicability"] == "unsafe", code


def test_misnamed_modifier_list_is_renamed_by_an_unsafe_fix(cli, tmp_path):
    p = tmp_path / "list.yaml"
    p.write_text(CLEAN.replace("modifiers:", "modifers:"))
    diags = json.loads(cli("lint", p, "-f", "json", "--isolated").out)
    assert [(d["code"], d["fix"]["applicability"]) for d in diags] == [("RS105", "unsafe")]
    assert cli("lint", p, "--fix", "--isolated").code == 1 and "modifers" in p.read_text()
    assert cli("lint", p, "--fix", "--unsafe-fixes", "--isolated").code == 0
    assert p.read_text() == CLEAN and cli("validate", p).code == 0


@pytest.mark.slow
@pytest.mark.sparseml
def test_sparseml_refuses_the_misspellings_and_loads_the_fixed_recipes(cli, tmp_path):
    """SparseML 1.8 is the judge: every recipe below fails to load; after `lint --fix`
    (safe fixes only for the first, unsafe too for the others) it loads."""
    from tests.sparseml_load import sparseml_load

    broken = {"field": (MISSPELT, ()), "typos": (TYPOS, ("--unsafe-fixes",)),
              "list": (CLEAN.replace("modifiers:", "modifers:"), ("--unsafe-fixes",))}
    before, after = {}, {}
    for name, (text, args) in broken.items():
        b = tmp_path / f"{name}-before.yaml"
        b.write_text(text)
        a = tmp_path / f"{name}-after.yaml"
        a.write_text(text)
        cli("lint", a, "--fix", "--isolated", *args)
        assert cli("validate", a).code == 0, name
        before[name], after[name] = str(b), str(a)
    loaded = sparseml_load({**{f"b-{k}": v for k, v in before.items()},
                            **{f"a-{k}": v for k, v in after.items()}}, tmp_path)
    for name in broken:
        assert "error" in loaded[f"b-{name}"], (name, loaded[f"b-{name}"])
        assert "error" not in loaded[f"a-{name}"], (name, loaded[f"a-{name}"])
    assert sorted(m["type"] for m in loaded["a-typos"]["modifiers"]) == [
        "EpochRangeModifier", "GlobalMagnitudePruningModifier"]  # SparseML's own order


@pytest.mark.slow
def test_lint_never_exits_lower_than_validate_on_the_corpus(cli, tmp_path):
    """Over the shared corpus (its broken recipes included), with options that would hide
    every rule finding: every error `validate` reports is in `lint`'s report, and the exit
    code is at least `validate`'s."""
    from tests.conformance.corpus import CORPUS

    corpus = CORPUS / "classic"
    v = cli("validate", corpus, "-f", "json", "--jobs", "1")
    errors = {(d["path"], d["line"], d["column"], d["code"]) for d in json.loads(v.out)
              if d["severity"] == "error"}
    assert v.code == 1 and len(errors) > 10
    (tmp_path / "quiet.toml").write_text('ignore = ["ALL"]\n[severity]\nALL = "info"\n')
    for args in (("--exit-zero", "--ignore", "ALL"), ("--config", tmp_path / "quiet.toml"),
                 ("--select", "RS9",)):
        r = cli("lint", corpus, "-f", "json", "--jobs", "1", *args)
        found = {(d["path"], d["line"], d["column"], d["code"]) for d in json.loads(r.out)
                 if d["severity"] == "error"}
        assert errors <= found, sorted(errors - found)[:5]
        assert r.code >= v.code, args


def test_the_warning_form_of_a_duplicate_key_can_still_be_ignored(cli, tmp_path):
    p = tmp_path / "dup.yaml"
    p.write_text(CLEAN.replace("num_epochs: 50.0\n", "num_epochs: 50.0\nnum_epochs: 50.0\n"))
    assert [d["code"] for d in json.loads(cli("lint", p, "-f", "json", "--isolated").out)] \
        == ["RS005"]
    r = cli("lint", p, "-f", "json", "--isolated", "--ignore", "RS005")
    assert r.code == 0 and json.loads(r.out) == []
    # its error form (two different values) is a load error
    p.write_text(CLEAN.replace("num_epochs: 50.0\n", "num_epochs: 40.0\nnum_epochs: 50.0\n"))
    r = cli("lint", p, "-f", "json", "--isolated", "--ignore", "RS005")
    assert r.code == 1 and [d["code"] for d in json.loads(r.out)] == ["RS005"]
