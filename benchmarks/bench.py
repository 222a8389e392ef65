"""Speed figures for recipe-studio beside yamllint's, printed (not asserted): `make bench`.

One run measures, on the same files and with the repetitions of the two tools interleaved
(so that the machine's load falls on both alike), medians of:

* cold `recipe-studio validate` of one recipe (a fresh interpreter each run; the console
  script, and `python -m recipe_studio`) against a cold `yamllint` of the same file;
* `recipe-studio lint` and `recipe-studio validate` over the 386 classic corpus recipes
  (one call each, the CLI's own use of the CPU cores) against `yamllint` over the same files;
* the language server: didChange -> publishDiagnostics on the 297-line recipe
  (benchmarks/lsp_bench.py), p95;

and prints each figure beside its goal (issue 11) with "met" or "missed", the CPU count
and the load average before and after. Optional: SparseML's own reading of the corpus
(`--sparseml`) and per-rule counts (`--rule-counts`).

The tree measured is the one this file is in (it is put first on PYTHONPATH of every child).
Its bytecode is compiled first, as installing a package does (yamllint's is, in
site-packages); without that, a cold start with PYTHONDONTWRITEBYTECODE set measures the
compiler.

The corpus is not part of the repository: it is read from `$RECIPE_STUDIO_CORPUS` (default
../shared/corpus, relative to the repository root), and without it the benchmark stops with
exit status 2 and says what to set.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS_ENV = "RECIPE_STUDIO_CORPUS"
CORPUS = (ROOT / (os.environ.get(CORPUS_ENV, "").strip() or "../shared/corpus")).resolve()
PY = sys.executable
BIN = Path(PY).parent

#: issue 11's goals: (figure, comparison, bound)
GOALS = {
    "cold_validate_ratio": ("cold validate / cold yamllint", "<=", 1.5),
    "lint_corpus_speedup": ("yamllint / recipe-studio lint, corpus", ">=", 5.0),
    "validate_corpus_speedup": ("yamllint / recipe-studio validate, corpus", ">=", 15.0),
    "lsp_p95_ms": ("language server p95, ms", "<", 30.0),
}


def corpus_files(kind: str = "classic") -> list[Path]:
    if not (CORPUS / "expected.json").is_file():
        print(f"bench: corpus not found: no expected.json in {CORPUS} (the benchmark needs "
              f"it; set {CORPUS_ENV} to the shared corpus directory)", file=sys.stderr)
        sys.exit(2)
    data = json.loads((CORPUS / "expected.json").read_text())
    return [CORPUS / e["file"] for e in data if e["kind"] == kind]


def timed(cmd: list[str], **kw) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - start


def interleaved(cmds: dict[str, list[str]], runs: int, **kw) -> dict[str, list[float]]:
    """Each command once per round, in turn, `runs` rounds: the times of each."""
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            times[name].append(timed(cmd, **kw))
    return times


def fmt_ms(s: float) -> str:
    return f"{s * 1000:,.0f} ms"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def verdict(key: str, value: float) -> str:
    label, op, bound = GOALS[key]
    ok = {"<=": value <= bound, ">=": value >= bound, "<": value < bound}[op]
    return f"goal {op} {bound:g}: {'met' if ok else 'MISSED'}"


def rule_counts(files: list[Path]) -> None:
    """Per-rule diagnostic counts over the corpus (the lint proof in issue 3)."""
    from collections import Counter

    from recipe_studio.lint.engine import LintSettings, lint

    counts: Counter[tuple[str, str]] = Counter()
    where: dict[str, set[str]] = {}
    for f in files:
        for d in lint(f, LintSettings(isolated=True)).diagnostics:
            counts[(d.code, d.name)] += 1
            where.setdefault(d.code, set()).add(f.name)
    print("\nlint findings over the corpus (default settings):")
    for (code, name), n in sorted(counts.items()):
        print(f"  {code} {name:38s} {n:5d} in {len(where[code]):3d} recipes")


def sparseml_figures(files: list[Path], runs: int, env: dict, results: dict) -> None:
    try:
        import sparseml  # noqa: F401
    except ImportError:
        print("sparseml not installed: skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        times = interleaved({"import": [PY, "-c", "from sparseml.pytorch.optim import "
                                                  "ScheduledModifierManager"]},
                            max(3, runs // 2), cwd=Path(tmp), env=env)["import"]
        results["sparseml_import_s"] = statistics.median(times)
        print(f"SparseML cold import                       median {fmt_ms(statistics.median(times))}")
        code = ("import sys,time,logging; logging.disable(logging.CRITICAL);"
                "from sparseml.pytorch.optim import ScheduledModifierManager as M\n"
                "fs=sys.argv[1:]; ok=0; t=time.perf_counter()\n"
                "for f in fs:\n"
                "    try:\n        M.from_yaml(f); ok+=1\n"
                "    except Exception: pass\n"
                "print(time.perf_counter()-t, ok)")
        out = subprocess.run([PY, "-c", code, *map(str, files)], capture_output=True,
                             text=True, cwd=tmp, env=env)
        spent, ok = out.stdout.strip().splitlines()[-1].split()
        results["sparseml_from_yaml_corpus_s"] = float(spent)
        print(f"SparseML from_yaml over the corpus, in-process {fmt_ms(float(spent))} "
              f"({ok} loaded)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15, help="rounds for the cold-start medians")
    ap.add_argument("--corpus-runs", type=int, default=3, help="rounds for the corpus medians")
    ap.add_argument("--edits", type=int, default=50, help="edits for the language server")
    ap.add_argument("--no-lsp", action="store_true", help="skip the language server")
    ap.add_argument("--sparseml", action="store_true",
                    help="also measure SparseML's own reading of the corpus")
    ap.add_argument("--no-sparseml", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--rule-counts", action="store_true",
                    help="also print how often each rule fires on the corpus")
    args = ap.parse_args()

    files = corpus_files()
    one = ROOT / "examples" / "prune-quantize.yaml"
    yamllint = shutil.which("yamllint", path=str(BIN)) or shutil.which("yamllint")
    if yamllint is None:
        print("bench: yamllint is not installed (it is in the dev extra: "
              "pip install -e '.[dev]')", file=sys.stderr)
        sys.exit(2)
    # the tree measured is this one, also for the console script and the language server
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    os.environ["NM_DISABLE_ANALYTICS"] = "1"
    env = dict(os.environ)
    compileall.compile_dir(str(ROOT / "recipe_studio"), quiet=1)
    script = BIN / "recipe-studio"
    rs = [str(script)] if script.exists() else [PY, "-m", "recipe_studio"]
    results: dict[str, float] = {}

    print(f"machine: {os.cpu_count()} CPUs ({cpu_name()}), Python {sys.version.split()[0]}")
    print(f"load average (1, 5, 15 min) at the start: {load_average()}")
    print(f"tree: {ROOT} (bytecode compiled); corpus: {len(files)} classic recipes from "
          f"{CORPUS}")
    print(f"yamllint: {yamllint} (default configuration, -f parsable)\n")

    # ---- cold start, one recipe -------------------------------------------------------------
    cmds = {
        "python -c pass": [PY, "-c", "pass"],
        "recipe-studio validate (console script)": [*rs, "validate", str(one)],
        "python -m recipe_studio validate": [PY, "-m", "recipe_studio", "validate", str(one)],
        "yamllint": [yamllint, "-f", "parsable", str(one)],
    }
    t = interleaved(cmds, args.runs, env=env, cwd=tempfile.gettempdir())
    med = {k: statistics.median(v) for k, v in t.items()}
    print(f"cold start on {one.relative_to(ROOT)}, medians of {args.runs} interleaved runs:")
    for name, value in med.items():
        print(f"  {name:42s} {fmt_ms(value):>9s}  (min {fmt_ms(min(t[name]))})")
    ratio = med["recipe-studio validate (console script)"] / med["yamllint"]
    ratio_m = med["python -m recipe_studio validate"] / med["yamllint"]
    results.update(python_startup_s=med["python -c pass"],
                   cold_validate_one_s=med["recipe-studio validate (console script)"],
                   cold_validate_one_m_s=med["python -m recipe_studio validate"],
                   yamllint_cold_one_s=med["yamllint"], cold_validate_ratio=ratio)
    print(f"  -> validate / yamllint: {ratio:.2f}x (console script), {ratio_m:.2f}x (-m)\n")

    # ---- the corpus ---------------------------------------------------------------------------
    paths = list(map(str, files))
    cmds = {
        "recipe-studio lint": [*rs, "lint", "--isolated", "--format", "json", *paths],
        "recipe-studio validate": [*rs, "validate", "--format", "json", *paths],
        "yamllint": [yamllint, "-f", "parsable", *paths],
    }
    t = interleaved(cmds, args.corpus_runs, env=env, cwd=tempfile.gettempdir())
    med = {k: statistics.median(v) for k, v in t.items()}
    print(f"{len(files)} corpus recipes, one call each, medians of {args.corpus_runs} "
          "interleaved runs:")
    for name, value in med.items():
        print(f"  {name:42s} {fmt_ms(value):>9s}  ({value / len(files) * 1000:.2f} ms/recipe;"
              f" runs: {', '.join(fmt_ms(x) for x in t[name])})")
    results.update(lint_corpus_cli_s=med["recipe-studio lint"],
                   validate_corpus_cli_s=med["recipe-studio validate"],
                   yamllint_corpus_s=med["yamllint"],
                   lint_corpus_speedup=med["yamllint"] / med["recipe-studio lint"],
                   validate_corpus_speedup=med["yamllint"] / med["recipe-studio validate"])
    print(f"  -> yamllint / lint: {results['lint_corpus_speedup']:.1f}x, yamllint / validate: "
          f"{results['validate_corpus_speedup']:.1f}x\n")

    # ---- the language server ------------------------------------------------------------------
    if not args.no_lsp:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import lsp_bench

        figures = asyncio.run(lsp_bench.measure(lsp_bench.recipe(300), args.edits))
        results["lsp_p95_ms"] = figures["p95_ms"]
        results["lsp_median_ms"] = figures["median_ms"]
        print(f"language server, {figures['lines']}-line recipe, {figures['edits']} edits: "
              f"median {figures['median_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms "
              f"(max {figures['max_ms']:.1f})\n")

    if args.sparseml:
        sparseml_figures(files, args.runs, env, results)
        print()

    print(f"goals (issue 11; {os.cpu_count()} CPUs, load average at the end: "
          f"{load_average()}):")
    for key, (label, _, _) in GOALS.items():
        if key in results:
            value = results[key]
            shown = f"{value:.1f}" if key == "lsp_p95_ms" else f"{value:.2f}x"
            print(f"  {label:44s} {shown:>8s}   {verdict(key, value)}")
    results["cpus"] = os.cpu_count() or 0
    if args.rule_counts:
        rule_counts(files)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
