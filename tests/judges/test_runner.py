"""The runner's plumbing, with a fake interpreter (no library needed): batching, the JSON
channel, the watchdog that kills a stuck worker and restarts one for the recipes left."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from recipe_studio.judges import runner

FAKE = """#!{python}
import json, sys, time
request = json.loads(sys.stdin.read())
print("library noise on stdout?  no: the real workers move fd 1 to stderr", file=sys.stderr)
print(json.dumps({{"ready": True}}), flush=True)
for i, path in enumerate(request["paths"]):
    text = open(path).read()
    if text == "hang":
        time.sleep(60)
    if text == "die":
        sys.exit(3)
    print(json.dumps({{"index": i, "path": path, "ok": text == "good", "phase": "created"}}), flush=True)
"""


@pytest.fixture
def fake(tmp_path, monkeypatch):
    exe = tmp_path / "fake-python"
    exe.write_text(FAKE.format(python=sys.executable))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv(runner.PYTHON_ENV["sparseml"], str(exe))
    monkeypatch.setattr(runner, "WATCHDOG_SLACK", 0.0)

    def recipes(*texts: str) -> list[Path]:
        paths = []
        for i, t in enumerate(texts):
            p = tmp_path / f"r{i}.yaml"
            p.write_text(t)
            paths.append(p)
        return paths

    return recipes


def test_batch_in_order(fake):
    verdicts = runner.judge("sparseml", fake("good", "bad", "good"))
    assert [v.ok for v in verdicts] == [True, False, True]
    assert [Path(v.path).name for v in verdicts] == ["r0.yaml", "r1.yaml", "r2.yaml"]


def test_watchdog_and_restart(fake):
    verdicts = runner.judge("sparseml", fake("good", "hang", "good", "die", "good"), timeout=1.0)
    assert [(v.ok, v.phase) for v in verdicts] == [
        (True, "created"), (False, "timeout"), (True, "created"), (False, "crash"), (True, "created")]
    assert "exit status 3" in verdicts[3].error_message


def test_unknown_library():
    with pytest.raises(ValueError):
        runner.python_for("tensorflow")


def test_no_heavy_imports():
    import subprocess

    code = ("import sys, recipe_studio.judges, recipe_studio.judges.corpus, "
            "recipe_studio.judges.__main__, recipe_studio.judges.workers.sparseml_worker, "
            "recipe_studio.judges.workers.llmcompressor_worker; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'sparseml', 'llmcompressor', 'compressed_tensors', 'pydantic', 'yaml'))))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True,
                         text=True, check=True, cwd=Path(runner.REPO_ROOT))
    assert json.loads(out.stdout) == []


def test_judge_texts(fake):
    verdicts = runner.judge_texts("sparseml", ["good", "bad"], suffix=".json")
    assert [v.ok for v in verdicts] == [True, False]
    assert [Path(v.path).name for v in verdicts] == ["recipe-0.json", "recipe-1.json"]


def test_missing_llmc_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(runner.PYTHON_ENV["llmcompressor"], raising=False)
    monkeypatch.setattr(runner, "REPO_ROOT", tmp_path)
    assert "make install" in runner.available("llmcompressor")
