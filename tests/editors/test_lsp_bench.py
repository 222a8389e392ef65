"""benchmarks/lsp_bench.py runs end to end (a few edits) and reports what it measured."""

from __future__ import annotations

import json
import subprocess
import sys

from editors.helpers import ROOT


def test_benchmark_script_measures_edits(tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "lsp_bench.py"),
                             "--edits", "6", "--json", str(out)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "median" in result.stdout and "p95" in result.stdout
    figures = json.loads(out.read_text())
    assert figures["edits"] == 6
    assert 290 <= figures["lines"] <= 300
    # every other edit makes one sparsity invalid: the server saw each edit's text
    assert figures["diagnostics_per_edit"] == [0, 1]
    assert 0 < figures["min_ms"] <= figures["median_ms"] <= figures["p95_ms"] <= figures["max_ms"]
    assert not (ROOT / "bench-recipe.yaml").exists()
