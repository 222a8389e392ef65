"""Speed figures for recipe-studio, printed (not asserted): `make bench`.

Measured in one run, on the same files:

* cold `recipe-studio validate` of one recipe (fresh interpreter; median of N runs);
* `recipe-studio validate` throughput over the whole classic corpus (in one process, and as
  one CLI call);
* yamllint over the same files (one CLI call), and SparseML's
  `ScheduledModifierManager.from_yaml` over the same files (in one process, after import),
  plus SparseML's cold import.

The corpus is not part of the repository: it is read from `$RECIPE_STUDIO_CORPUS` (default
../shared/corpus, relative to the repository root), and without it the benchmark stops with
exit status 2 and says what to set.
"""

from __future__ import annotations

import argparse
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


def corpus_files(kind: str = "classic") -> list[Path]:
    if not (CORPUS / "expected.json").is_file():
        print(f"bench: corpus not found: no expected.json in {CORPUS} (the benchmark needs "
              f"it; set {CORPUS_ENV} to the shared corpus directory)", file=sys.stderr)
        sys.exit(2)
    data = json.loads((CORPUS / "expected.json").read_text())
    return [CORPUS / e["file"] for e in data if e["kind"] == kind]


def timed(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_runs(cmd: list[str], runs: int, **kw) -> tuple[float, list[float]]:
    times = [timed(cmd, **kw) for _ in range(runs)]
    return statistics.median(times), times


def fmt_ms(s: float) -> str:
    return f"{s * 1000:.0f} ms"


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=7, help="runs for cold-start medians")
    ap.add_argument("--no-sparseml", action="store_true", help="skip SparseML figures")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--rule-counts", action="store_true",
                    help="also print how often each rule fires on the corpus")
    args = ap.parse_args()

    files = corpus_files()
    one = ROOT / "examples" / "prune-quantize.yaml"
    cli = [str(BIN / "recipe-studio")] if (BIN / "recipe-studio").exists() else \
        [PY, "-m", "recipe_studio"]
    env = {**os.environ, "NM_DISABLE_ANALYTICS": "1"}
    results: dict[str, float] = {}

    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"corpus: {len(files)} classic recipes from {CORPUS}\n")

    med, _ = median_runs([PY, "-c", "pass"], args.runs)
    results["python_startup_s"] = med
    print(f"python -c pass                         median {fmt_ms(med)}")
    med, times = median_runs([*cli, "validate", str(one)], args.runs, env=env)
    results["cold_validate_one_s"] = med
    print(f"cold recipe-studio validate (1 file)    median {fmt_ms(med)}  "
          f"(runs: {', '.join(fmt_ms(t) for t in times)})")

    # in-process throughput
    code = ("import sys,time; from recipe_studio.read.load import load; fs=sys.argv[1:]; "
            "t=time.perf_counter(); [load(f) for f in fs]; print(time.perf_counter()-t)")
    out = subprocess.run([PY, "-c", code, *map(str, files)], capture_output=True, text=True,
                         env=env)
    inproc = float(out.stdout.strip().splitlines()[-1])
    results["validate_corpus_inprocess_s"] = inproc
    print(f"validate, in-process, {len(files)} recipes    {inproc * 1000:.0f} ms "
          f"({inproc / len(files) * 1000:.2f} ms/recipe)")
    whole = timed([*cli, "validate", "--format", "json", *map(str, files)], env=env)
    results["validate_corpus_cli_s"] = whole
    print(f"recipe-studio validate <corpus> (1 call) {whole * 1000:.0f} ms "
          f"({whole / len(files) * 1000:.2f} ms/recipe)")

    lint_cli = timed([*cli, "lint", "--isolated", "--format", "json", *map(str, files)], env=env)
    results["lint_corpus_cli_s"] = lint_cli
    print(f"recipe-studio lint <corpus> (1 call)     {lint_cli * 1000:.0f} ms "
          f"({lint_cli / len(files) * 1000:.2f} ms/recipe)")

    yamllint = shutil.which("yamllint") or str(BIN / "yamllint")
    if Path(yamllint).exists():
        yl = timed([yamllint, "-f", "parsable", *map(str, files)])
        results["yamllint_corpus_s"] = yl
        print(f"yamllint <corpus> (1 call)               {yl * 1000:.0f} ms "
              f"({yl / len(files) * 1000:.2f} ms/recipe)")
        print(f"  -> recipe-studio validate is {yl / whole:.1f}x faster than yamllint, "
              f"lint {yl / lint_cli:.1f}x (CLI vs CLI, same files)")
    else:
        print("yamllint not installed: skipped")

    if not args.no_sparseml:
        try:
            import sparseml  # noqa: F401
        except ImportError:
            print("sparseml not installed: skipped")
        else:
            with tempfile.TemporaryDirectory() as tmp:
                med, _ = median_runs(
                    [PY, "-c", "from sparseml.pytorch.optim import ScheduledModifierManager"],
                    max(3, args.runs // 2), cwd=Path(tmp), env=env)
                results["sparseml_import_s"] = med
                print(f"SparseML cold import                     median {fmt_ms(med)}")
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
                print(f"SparseML from_yaml, in-process           {float(spent) * 1000:.0f} ms "
                      f"({float(spent) / len(files) * 1000:.2f} ms/recipe; {ok} loaded)")
                print(f"  -> recipe-studio in-process is {float(spent) / inproc:.1f}x faster")
    if args.rule_counts:
        rule_counts(files)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
