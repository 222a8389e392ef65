"""The README's demo table is what `make demo` (scripts/demo.py) really prints.

The demo runs in a copy of `scripts/` and `examples/`; its `demo-output/report.json` is
compared with the README's table (the block marked `<!-- docs-test: demo-table -->`):

* the models, their sparsity and ONNX sizes, and which targets are met: exactly;
* accuracy within `ACCURACY_POINTS` percentage points and gzip sizes within `GZIP_RATIO`:
  training is seeded but not bit-for-bit reproducible across CPUs and thread counts;
* latencies: not compared (microseconds on a shared machine).

With `--update-docs` the table and the README's measured demo time are rewritten from the run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.docs import mdexec

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ACCURACY_POINTS = 1.5
GZIP_RATIO = 0.03

pytestmark = [pytest.mark.slow, pytest.mark.sparseml]


def table_block() -> mdexec.Block:
    (block,) = [b for b in mdexec.blocks(README) if "demo-table" in b.options]
    return block


def parse(lines: list[str]) -> tuple[dict[str, dict[str, str]], list[tuple[str, str]]]:
    """Rows by model name (column name -> text), and the (status, target) lines."""
    header = re.split(r"\s{2,}", lines[0].strip())
    rows, targets = {}, []
    for line in lines[2:]:
        m = re.match(r"^(met|MISSED)\s+(.*?):", line)
        if m:
            targets.append((m.group(1), m.group(2)))
            continue
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = dict(zip(header, cells))
    return rows, targets


def number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%x"))


def format_seconds(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def test_readme_demo_table_matches_a_real_run(tmp_path: Path, request) -> None:
    from recipe_studio.bridge.demo import format_table

    repo = tmp_path / "recipe-studio"
    shutil.copytree(ROOT / "examples", repo / "examples")
    shutil.copytree(ROOT / "scripts", repo / "scripts")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NM_DISABLE_ANALYTICS": "1",
           "NO_COLOR": "1", "PYTHONHASHSEED": "0"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "scripts/demo.py"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((repo / "demo-output" / "report.json").read_text())
    table = format_table(report).split("\n")
    assert "\n".join(table) in proc.stdout  # what the demo printed is the report's table

    block = table_block()
    if request.config.getoption("--update-docs"):
        text = mdexec.replace_lines(README.read_text(), [(block.start, block.end, table)])
        text = re.sub(r"(<!-- measured:demo -->)[^<]*(<!-- /measured -->)",
                      rf"\g<1>{format_seconds(seconds)}\g<2>", text)
        README.write_text(text)
        return

    want_rows, want_targets = parse(block.lines)
    got_rows, got_targets = parse(table)
    assert list(want_rows) == list(got_rows)
    assert [s for s, _ in want_targets] == [s for s, _ in got_targets], got_targets
    assert [t for _, t in want_targets] == [t for _, t in got_targets]
    problems = []
    for name, want in want_rows.items():
        got = got_rows[name]
        for col in ("sparsity", "ONNX bytes"):
            if want[col] != got[col]:
                problems.append((name, col, want[col], got[col]))
        if abs(number(want["accuracy"]) - number(got["accuracy"])) > ACCURACY_POINTS:
            problems.append((name, "accuracy", want["accuracy"], got["accuracy"]))
        if abs(number(want["gzip bytes"]) / number(got["gzip bytes"]) - 1) > GZIP_RATIO:
            problems.append((name, "gzip bytes", want["gzip bytes"], got["gzip bytes"]))
    assert not problems, f"{problems} (`pytest tests/docs/test_demo.py --update-docs` " \
                         f"rewrites the README's table)"
    print(f"\ndemo: {seconds:.0f} s on this machine\n" + "\n".join(table))
