"""Measure the Python-recipe reader (read/python.py) on a tree of scripts, e.g. llm-compressor's
`examples/`: scripts, recipes found, fully / partially evaluated, what the checks say.

    python scripts/measure_python_recipes.py DIR [--target llmcompressor]
"""

from __future__ import annotations

import argparse
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from recipe_studio.lint.engine import LintSettings, lint_recipe  # noqa: E402
from recipe_studio.read.load import load  # noqa: E402
from recipe_studio.read.python import looks_like_recipe_script  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--target", default=None)
    ap.add_argument("-v", action="store_true", help="every diagnostic")
    a = ap.parse_args()
    scripts = sorted(os.path.join(d, f) for d, _, fs in os.walk(a.root) for f in fs
                     if f.endswith(".py"))
    stats = collections.Counter()
    by_code = collections.Counter()
    messages = collections.Counter()
    for path in scripts:
        stats["scripts"] += 1
        text = open(path, encoding="utf-8").read()
        if not looks_like_recipe_script(text):
            continue
        stats["recipe scripts"] += 1
        recipe = load(path, target=a.target)
        diags = lint_recipe(recipe, LintSettings(isolated=True))
        for part in recipe.parts:
            stats["recipes"] += 1
            notes = [d for d in part.diagnostics if d.code == "RS017"]
            mods = part.stage_recipe.modifiers
            stats["modifiers"] += len(mods)
            stats["modifiers fully evaluated"] += sum(1 for m in mods if not any(
                n.span.line >= m.span.line and n.span.end_line <= m.span.end_line
                for n in notes))
            if notes:
                stats["recipes partially evaluated"] += 1
            else:
                stats["recipes fully evaluated"] += 1
            if not any(d.severity.value == "error" for d in part.diagnostics):
                stats["recipes without errors"] += 1
        if not recipe.parts:
            stats["recipe scripts without a modifier call"] += 1
        for d in diags:
            by_code[(d.code, d.name, d.severity.value)] += 1
            messages[(d.code, _shape(d.message))] += 1
            if a.v:
                print(f"{os.path.relpath(path, a.root)}:{d.span.line}:{d.span.column}: "
                      f"{d.code} {d.message}")
    for k, v in stats.items():
        print(f"{k}: {v}")
    print("diagnostics by code:")
    for (code, name, sev), n in sorted(by_code.items()):
        print(f"  {code} {name} ({sev}): {n}")
    print("most common:")
    for (code, m), n in messages.most_common(25):
        print(f"  {n:3d} {code} {m}")


def _shape(message: str) -> str:
    return message if len(message) < 150 else message[:147] + "..."


if __name__ == "__main__":
    main()
