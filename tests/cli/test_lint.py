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
