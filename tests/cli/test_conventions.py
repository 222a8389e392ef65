"""The conventions users of ruff, yamllint and pre-commit expect (issue 10, section 3):
`--version`, NO_COLOR/FORCE_COLOR, `-` with `--stdin-filename`, `show` at the terminal's
width, one meaning per flag, help text without framework type names, summaries that count
what they claim, and progress for long work."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

GOOD = """modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 10.0
  - !GlobalMagnitudePruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0.0
    end_epoch: 6.0
    update_frequency: 1.0
"""
# RS102 on line 5 (a misspelt field)
BAD = GOOD.replace("    start_epoch: 0.0\n    end_epoch: 10.0",
                   "    start_epoch: 0.0\n    end_epoch: 10.0\n    end_epch: 3.0")
# a ragged layout that `format` rewrites
RAGGED = "modifiers:\n    - !EpochRangeModifier\n        end_epoch: 10.0\n        start_epoch: 0\n"
ANSI = "\x1b["


@pytest.fixture(autouse=True)
def plain_env(monkeypatch):
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stdin(monkeypatch):
    """Feed bytes (or text) to the CLI's standard input."""
    def feed(data: str | bytes) -> None:
        raw = data.encode() if isinstance(data, str) else data
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
    return feed


def all_commands():
    from recipe_studio.cli import COMMANDS, app, load_commands

    load_commands([])
    import typer.main

    group = typer.main.get_command(app)
    return group, {name: group.get_command(None, name) for name in COMMANDS}


# ---- --version -------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_alone_prints_it_and_exits_0(cli, flag):
    from recipe_studio import __version__

    r = cli(flag)
    assert r.code == 0 and r.out == f"recipe-studio {__version__}\n" and r.err == ""


# ---- colour ------------------------------------------------------------------------------

class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_color_rules():
    from recipe_studio.render.console import color_wanted

    assert color_wanted(None, Tty()) and not color_wanted(None, io.StringIO())
    assert color_wanted(True, io.StringIO()) and not color_wanted(False, Tty())


def test_no_color_is_honoured_on_a_terminal(monkeypatch):
    from recipe_studio.render.console import color_wanted, make_console

    monkeypatch.setenv("NO_COLOR", "1")
    assert not color_wanted(None, Tty())
    out = Tty()
    make_console(out).print("x", style="red")
    assert ANSI not in out.getvalue()
    assert color_wanted(True, Tty())  # --color beats the environment


def test_force_color_colours_a_pipe_and_no_color_wins(cli, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    broken = str(EXAMPLES / "broken.yaml")
    assert ANSI in cli("validate", broken).out
    assert ANSI in cli("show", str(EXAMPLES / "yolov5-gmp.yaml")).out
    assert ANSI not in cli("validate", broken, "--no-color").out
    monkeypatch.setenv("NO_COLOR", "1")
    assert ANSI not in cli("validate", broken).out
    assert ANSI not in cli("show", str(EXAMPLES / "yolov5-gmp.yaml")).out


# ---- standard input ------------------------------------------------------------------------

def test_validate_reads_stdin_and_names_it(cli, stdin):
    stdin(BAD)
    r = cli("validate", "-", "-f", "concise")
    assert r.code == 1
    assert r.out.splitlines()[0].startswith("<stdin>:5:5: RS102 ")
    stdin(BAD)
    r = cli("validate", "-", "--stdin-filename", "recipes/prune.yaml", "-f", "json")
    [d] = json.loads(r.out)
    assert (d["path"], d["line"], d["code"]) == ("recipes/prune.yaml", 5, "RS102")
    stdin(GOOD)
    r = cli("validate", "-")
    assert r.code == 0 and "All good: no problems found in 1 file." in r.out


def test_stdin_filename_md_means_markdown(cli, stdin):
    card = "# A recipe card\n\n---\n" + GOOD + "---\n\nSome prose.\n"
    stdin(card)
    assert cli("validate", "-", "--stdin-filename", "card.md").code == 0
    stdin(card)  # the same text read as YAML is not a recipe
    assert cli("validate", "-").code == 1
    stdin(GOOD)  # a .md name without front matter: SparseML's Markdown rule applies
    r = cli("validate", "-", "--stdin-filename", "card.md", "-f", "json")
    assert [d["code"] for d in json.loads(r.out)] == ["RS006"]


def test_stdin_filename_finds_the_nearest_config(cli, stdin, tmp_path):
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / ".recipe-studio.toml").write_text('ignore = ["RS401"]\n')
    late = GOOD.replace("    end_epoch: 6.0", "    end_epoch: 12.0")  # RS401: after training
    stdin(late)
    r = cli("lint", "-", "--stdin-filename", str(tmp_path / "team" / "r.yaml"), "-f", "json")
    assert r.code == 0 and "RS401" not in [d["code"] for d in json.loads(r.out)]
    stdin(late)
    r = cli("lint", "-", "--stdin-filename", str(tmp_path / "r.yaml"), "-f", "json")
    assert r.code == 1 and "RS401" in [d["code"] for d in json.loads(r.out)]
    # show: steps-per-epoch from the configuration next to the name
    (tmp_path / "team" / ".recipe-studio.toml").write_text("steps-per-epoch = 3\n")
    stdin(GOOD)
    r = cli("show", "-", "--stdin-filename", str(tmp_path / "team" / "r.yaml"), "-f", "json")
    assert r.code == 0 and json.loads(r.out)["steps_per_epoch"] == 3


def test_lint_stdin_diff_but_not_fix(cli, stdin):
    stdin(GOOD.replace("0.8", "'0.8'"))
    r = cli("lint", "-", "--fix")
    assert r.code == 2 and "--diff" in r.err
    stdin("n: 1e-5\n" + GOOD)
    r = cli("lint", "-", "--diff", "--unsafe-fixes")
    assert r.code == 1 and r.out.startswith("--- a/<stdin>\n+++ b/<stdin>\n")
    assert "\n-n: 1e-5\n" in r.out  # the unused variable is removed


def test_finalize_and_show_read_stdin(cli, stdin):
    stdin((EXAMPLES / "prune-quantize.yaml").read_text())
    r = cli("finalize", "-")
    assert r.code == 0 and "!GlobalMagnitudePruningModifier" in r.out
    stdin((EXAMPLES / "prune-quantize.yaml").read_text())
    r = cli("show", "-", "--stdin-filename", "pq.yaml")
    assert r.code == 0 and r.out.startswith("pq.yaml: 50 epochs")
    stdin(BAD)
    r = cli("finalize", "-")
    assert r.code == 1 and r.out == "" and "<stdin>:5:5" in r.err


def test_format_stdin_writes_stdout(cli, stdin, tmp_path):
    stdin(RAGGED)
    r = cli("format", "-")
    assert r.code == 0
    assert r.out == "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0.0\n" \
                    "    end_epoch: 10.0\n"
    stdin(RAGGED)
    r = cli("format", "-", "--check", "--stdin-filename", "x.yaml")
    assert r.code == 1 and r.out == "would reformat x.yaml\n"
    stdin(r"modifiers: [")
    r = cli("format", "-")
    assert r.code == 2 and r.out == "" and "cannot format <stdin>" in r.err
    assert list(tmp_path.iterdir()) == []


def test_stdin_usage_errors(cli, stdin, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    stdin(GOOD)
    r = cli("validate", "-", good)
    assert r.code == 2 and "cannot be combined" in r.err
    r = cli("validate", good, "--stdin-filename", "x.yaml")
    assert r.code == 2 and "pass `-`" in r.err


def test_stdin_has_the_file_size_limit(cli, stdin):
    from recipe_studio.read.source import MAX_FILE_BYTES

    stdin(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    r = cli("validate", "-", "-f", "json")
    assert r.code == 1 and [d["code"] for d in json.loads(r.out)] == ["RS002"]


# ---- show fits the terminal ----------------------------------------------------------------

SHOWN = ["prune-quantize.yaml", "yolov5-gmp.yaml", "yolov5-qat.yaml", "resnet-pruned.md"]


def chart_lines(out: str) -> tuple[list[str], int, int]:
    """The chart's lines, the column where the chart starts and its width."""
    lines = out.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("modifier "))
    rule = lines[i + 1]
    start = rule.index("├")
    assert re.fullmatch(r"├[─┼]*┤", rule[start:]), rule
    return lines[i:], start, len(rule) - start - 1


@pytest.mark.parametrize("width", [60, 80, 120, 200])
@pytest.mark.parametrize("name", SHOWN)
def test_show_fits_the_width_with_the_chart_intact(cli, monkeypatch, name, width):
    monkeypatch.setenv("COLUMNS", str(width))
    r = cli("show", str(EXAMPLES / name), "--steps-per-epoch", "2")
    assert r.code == 0
    assert max(len(line) for line in r.out.splitlines()) <= width
    lines, start, chart = chart_lines(r.out)
    assert 20 <= chart <= 50
    # the header explains the columns; every modifier has its row, bars inside the chart
    assert re.match(r"modifier +line +epochs +0", lines[0])
    assert lines[2].startswith("phases")
    rows = [line for line in lines if re.match(r"#\d+ ", line)]
    assert rows and all(len(row[start:start + chart].rstrip()) <= chart for row in rows)
    assert all(re.search(r" L\d+ ", row) for row in rows)
    if width == 200:  # nothing wrapped: annotations on the rows
        assert len(rows) == len([line for line in lines if line.startswith("#")])


def test_show_wraps_long_annotations_instead_of_cutting_them(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    r = cli("show", str(EXAMPLES / "prune-quantize.yaml"))
    text = " ".join(line.strip() for line in r.out.splitlines())
    assert "QAT from 45, BN frozen 48, observers off 49" in text
    monkeypatch.setenv("COLUMNS", "200")
    wide = cli("show", str(EXAMPLES / "prune-quantize.yaml")).out
    assert re.search(r"#5 Quantization .*█.* QAT from 45, BN frozen 48, observers off 49$",
                     wide, re.M)


# ---- one meaning per flag -------------------------------------------------------------------

def test_each_short_flag_has_one_meaning_everywhere():
    group, commands = all_commands()
    meaning: dict[str, set[str]] = {}
    for name, command in commands.items():
        for param in command.params:
            if param.param_type_name != "option":
                continue
            shorts = [o for o in param.opts if not o.startswith("--")]
            longs = [o for o in param.opts if o.startswith("--")]
            for s in shorts:
                meaning.setdefault(s, set()).add(longs[0])
    ambiguous = {s: m for s, m in meaning.items() if len(m) > 1}
    assert not ambiguous
    assert meaning["-q"] == {"--quiet"} and meaning["-o"] == {"--output"}
    assert meaning["-f"] == {"--format"} and meaning["-e"] == {"--epochs"}
    for name in ("validate", "lint"):
        opts = {o for p in commands[name].params for o in p.opts}
        assert {"--quiet", "-q", "--stdin-filename", "--format"} <= opts
    every = {o for c in commands.values() for p in c.params for o in p.opts}
    assert not every & {"--output-file", "--out"}


def test_validate_offers_the_lint_formats(cli, tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(BAD)
    r = cli("validate", p, "-f", "github")
    assert r.code == 1 and r.out.startswith("::error file=")
    r = cli("validate", p, "-f", "sarif")
    log = json.loads(r.out)
    assert log["runs"][0]["results"][0]["ruleId"] == "RS102"


def test_rule_format_is_a_checked_choice(cli):
    r = cli("rule", "RS102", "-f", "yaml")
    assert r.code == 2 and "yaml" in r.err
    assert json.loads(cli("rule", "RS102", "-f", "json").out)["code"] == "RS102"


def test_lint_output_option_writes_the_report_whole(cli, tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(BAD)
    report = tmp_path / "report.json"
    r = cli("lint", p, "-o", report, "-f", "json")
    assert r.code == 1 and r.out == ""
    assert json.loads(report.read_text())[0]["code"] == "RS102"
    r = cli("lint", p, "--output", tmp_path / "missing-dir" / "r.txt")
    assert r.code == 2 and "cannot write" in r.err


# ---- help text ----------------------------------------------------------------------------

FRAMEWORK = re.compile(r"<(bool|int|float|str|list|path|text)\b|list\[|\[x[<>]=|\{[a-z_]+\}|"
                       r"(int|float) range")


@pytest.mark.parametrize("columns", ["80", "120"])
def test_no_help_shows_framework_type_names(cli, monkeypatch, columns):
    from recipe_studio.cli import COMMANDS

    monkeypatch.setenv("COLUMNS", columns)
    for args in [[], *[[name] for name in COMMANDS]]:
        r = cli(*args, "--help")
        assert r.code == 0, args
        found = FRAMEWORK.findall(r.out)
        assert not found, (args, found)


def test_help_paragraphs_are_not_broken_mid_sentence():
    group, commands = all_commands()
    for name, command in {"": group, **commands}.items():
        for paragraph in (command.help or "").split("\n\n"):
            assert "\n" not in paragraph, (name, paragraph)


def test_list_options_say_repeated_or_comma_separated():
    _, commands = all_commands()
    for name, command in commands.items():
        for param in command.params:
            if getattr(param, "multiple", False):
                assert re.search(r"repeat|comma-separated", param.help or ""), \
                    (name, param.opts)


# ---- summaries ----------------------------------------------------------------------------

def test_summary_counts_the_files_with_problems(cli, tmp_path):
    bad, good = tmp_path / "bad.yaml", tmp_path / "good.yaml"
    bad.write_text(BAD)
    good.write_text(GOOD)
    r = cli("validate", bad, good, "--no-color")
    assert r.out.splitlines()[-1] == "Found 1 error in 1 file (2 files checked)."
    r = cli("validate", bad, "--no-color")
    assert r.out.splitlines()[-1] == "Found 1 error in 1 file."
    r = cli("validate", good, good.parent / "good.yaml", "--no-color")
    assert r.out == "All good: no problems found in 1 file.\n"


def test_concise_ends_with_the_summary_and_quiet_prints_only_it(cli, tmp_path):
    bad, good = tmp_path / "bad.yaml", tmp_path / "good.yaml"
    bad.write_text(BAD)
    good.write_text(GOOD)
    for command in ("validate", "lint"):
        r = cli(command, bad, good, "-f", "concise", "--isolated"
                if command == "lint" else "--no-color")
        lines = r.out.splitlines()
        assert lines[0].startswith(f"{bad}:5:5: RS102")
        assert lines[-1] == "Found 1 error in 1 file (2 files checked)."
        r = cli(command, bad, good, "-q")
        assert r.code == 1 and r.out == "Found 1 error in 1 file (2 files checked).\n"
        r = cli(command, good, "--quiet")
        assert r.code == 0 and r.out == "All good: no problems found in 1 file.\n"


# ---- progress -------------------------------------------------------------------------------

def test_bench_progress_names_the_setting_on_a_terminal(monkeypatch):
    from recipe_studio.cli.bench import progress_display

    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    with progress_display(2, quiet=False, color=False) as step:
        step("model.onnx: onnxruntime, batch 16")
        err.seek(0)
    assert "measuring model.onnx: onnxruntime, batch 16" in err.getvalue()
    for quiet, stream in ((True, Tty()), (False, io.StringIO())):
        monkeypatch.setattr(sys, "stderr", stream)
        with progress_display(2, quiet=quiet, color=False) as step:
            step("x")
        assert stream.getvalue() == ""


class _Handle:
    max_epochs, steps_per_epoch = 3, 4

    class recipe:
        path = "r.yaml"


class _Task:
    name = "digits"


def test_train_progress_shows_elapsed_and_eta_on_stderr(monkeypatch):
    from recipe_studio.cli.train import _console, _Progress

    err, out = Tty(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", out)
    view = _Progress(_console(False), quiet=False, color=False)
    with view:
        view.start(_Handle(), _Task())
        view.step(0, 1, 4, 0.5)
        view.progress.refresh()
    shown = err.getvalue()
    assert "epoch 1/3" in shown and "elapsed" in shown and "eta" in shown and "loss 0.5" in shown
    assert out.getvalue().startswith("training `digits` for 3 epochs")
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal: lines only
    view = _Progress(_console(False), quiet=False, color=False)
    view.start(_Handle(), _Task())
    assert view.progress is None



@pytest.mark.slow  # DeepSparse's CPU probe alone takes seconds
def test_bench_runs_each_setting_and_reports_them_together(cli):
    import onnxruntime
    model = Path(onnxruntime.__file__).parent / "datasets" / "sigmoid.onnx"  # batch 3
    r = cli("bench", model, "--engine", "onnxruntime", "-b", "3,2", "-n", "2", "--warmup",
            "0", "-f", "json")
    assert r.code == 1  # batch 2 is skipped: the model's batch is fixed
    results = json.loads(r.out)["results"]
    assert [(x["engine"], x["batch_size"]) for x in results] == [("onnxruntime", 3),
                                                                  ("onnxruntime", 2)]
    assert results[0]["median_ms"] > 0 and "fixed batch size of 3" in results[1]["skipped"]
    assert r.err == ""  # no progress display when stderr is not a terminal


def test_format_summary_counts_every_file(cli, tmp_path):
    (tmp_path / "ragged.yaml").write_text(RAGGED)
    (tmp_path / "broken.yaml").write_text("modifiers:\n  - !EpochRangeModifier\n    a: [\n")
    (tmp_path / "good.yaml").write_text(
        "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0.0\n    end_epoch: 10.0\n")
    r = cli("format", tmp_path, "--check")
    assert r.code == 2
    assert r.err.splitlines()[-1] == \
        "1 file would be reformatted, 1 already formatted, 1 could not be formatted"


def test_every_console_comes_from_the_one_factory():
    """NO_COLOR/FORCE_COLOR hold everywhere only if no module builds its own Console."""
    import recipe_studio

    package = Path(recipe_studio.__file__).parent
    builders = [str(p.relative_to(package)) for p in package.rglob("*.py")
                if re.search(r"\bConsole\(", p.read_text(encoding="utf-8"))]
    assert builders == ["render/console.py"]
