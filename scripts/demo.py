"""The main job (`make demo`): recipe-studio end to end on the project's examples.

Each step prints the command it runs, then its real output.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OUT = ROOT / "demo-output"
CLI = [sys.executable, "-m", "recipe_studio"]


def step(title: str, args: list[str], *, expect: set[int] = frozenset({0})) -> int:
    print(f"\n=== {title}", flush=True)
    print("$ recipe-studio " + " ".join(shlex.quote(a) for a in args), flush=True)
    proc = subprocess.run([*CLI, *args], cwd=ROOT, env={**os.environ, "COLUMNS": "100"})
    if proc.returncode not in expect:
        print(f"demo: unexpected exit code {proc.returncode}", file=sys.stderr)
        sys.exit(1)
    print(f"(exit code {proc.returncode})", flush=True)
    return proc.returncode


def main() -> None:
    OUT.mkdir(exist_ok=True)
    good = sorted(str(p.relative_to(ROOT)) for p in EXAMPLES.iterdir()
                  if p.suffix in (".yaml", ".md") and p.name != "broken.yaml")
    step("Lint the examples: the broken recipe shows its diagnostics, the others are clean",
         ["lint", "examples/"], expect={1})
    step("Validate the good examples (all load in SparseML 1.8)", ["validate", *good])
    step("Finalize the variable-driven prune+QAT recipe (eval resolved, anchors expanded)",
         ["finalize", "examples/prune-quantize.yaml"])
    step("Finalize it for a 20-epoch budget with an override",
         ["finalize", "examples/prune-quantize.yaml", "--var", "num_epochs=20", "--format",
          "json", "-o", str((OUT / "prune-quantize.final.json").relative_to(ROOT))])
    step("Finalize the Markdown recipe card", ["finalize", "examples/resnet-pruned.md", "-o",
         str((OUT / "resnet-pruned.final.yaml").relative_to(ROOT))])
    print(f"\nDemo finished; outputs are in {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
