"""Scaled recipes reload in SparseML 1.8 with `max_epochs == N` and every modifier's epochs
scaled — over every loadable classic corpus recipe (0.5x and 1.7x) and the examples."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from recipe_studio.transform.edit import comment_texts
from recipe_studio.transform.scale import scale_file
from recipe_studio.read.source import read_source
from tests.conformance.corpus import CORPUS, classic
from tests.conftest import EXAMPLES
from tests.sparseml_load import sparseml_load

pytestmark = [pytest.mark.slow, pytest.mark.sparseml]

POSITIONS = ("start_epoch", "end_epoch", "freeze_bn_stats_epoch",
             "disable_quantization_observer_epoch")


def scaled_expectation(modifier: dict[str, Any], ratio: float) -> dict[str, Any]:
    """SparseML's view of the original modifier, with its epochs scaled."""
    out = dict(modifier)
    for key in POSITIONS:
        v = modifier.get(key)
        if isinstance(v, (int, float)) and v >= 0:
            out[key] = v * ratio
    v = modifier.get("update_frequency")
    if isinstance(v, (int, float)) and v > 0:
        out["update_frequency"] = v * ratio
    return out


def same(a: Any, b: Any, whole: bool | str) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if whole == "whole":  # ACDC epochs are rounded to whole numbers
            return float(a).is_integer() and abs(a - b) < 1
        if whole == "near":  # moved by a rounding that the notes report
            return abs(a - b) < 1
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        a2 = {str(k): v for k, v in a.items()}
        b2 = {str(k): v for k, v in b.items()}
        return a2.keys() == b2.keys() and all(same(a2[k], b2[k], whole) for k in a2)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, whole) for x, y in zip(a, b))
    return a == b


EPOCH_KEYS = (*POSITIONS, "update_frequency")


def unmatched(theirs: list[dict[str, Any]], expected: list[dict[str, Any]],
              notes: str) -> tuple[list[Any], int]:
    """Expected modifiers SparseML does not have, and how many matched only within a
    rounding the notes report (ACDC's whole epochs, a variable rounded for them)."""
    pool = list(theirs)
    missing, near = [], 0
    for exp in expected:
        modes = ["exact"]
        if exp["type"] == "ACDCPruningModifier":
            modes = ["whole"]
        if f"`!{exp['type']}`" in notes:
            modes.append("near")
        for mode in modes:
            hit = next((m for m in pool if m["type"] == exp["type"] and all(
                same(m.get(k), v, mode if k in EPOCH_KEYS else False)
                for k, v in exp.items())), None)
            if hit is not None:
                near += mode == "near"
                pool.remove(hit)
                break
        else:
            missing.append(exp)
    return missing, near


def test_scaled_corpus_recipes_reload_in_sparseml(tmp_path: Path) -> None:
    paths, cases = {}, {}
    for e in classic():
        if not e["loads"] or e["max_epochs"] <= 0:
            continue
        for factor in (0.5, 1.7):
            epochs = factor * e["max_epochs"]
            result = scale_file(str(CORPUS / e["file"]), epochs)
            suffix = ".md" if e["file"].endswith(".md") else ".yaml"
            out = tmp_path / f"{len(paths):04d}{suffix}"
            out.write_bytes(result.text.encode("utf-8"))
            paths[out.name] = str(out)
            cases[out.name] = (e, factor, epochs, result)
    got = sparseml_load(paths, tmp_path)
    problems = []
    rounded = 0
    for name, (e, factor, epochs, result) in cases.items():
        r = got[name]
        if "error" in r:
            problems.append((e["file"], factor, r["error"]))
            continue
        if r["max"] != math.ceil(epochs):
            problems.append((e["file"], factor, "max_epochs", r["max"], epochs))
        ratio = epochs / result.old_epochs
        missing, near = unmatched(r["modifiers"], [scaled_expectation(m, ratio)
                                                   for m in e["modifiers"]],
                                  " ".join(result.notes))
        rounded += bool(near)
        if missing:
            problems.append((e["file"], factor, "modifiers", missing[:2]))
        original = read_source(str(CORPUS / e["file"])).text
        if comment_texts(original) != comment_texts(result.text):
            problems.append((e["file"], factor, "comments"))
    print(f"\n{len(cases)} scaled recipes ({len(cases) // 2} corpus recipes x 2), "
          f"{len(cases) - len(problems)} reload with the expected max_epochs and epochs "
          f"({rounded} with an epoch moved by a reported whole-number rounding)")
    assert not problems, problems[:5]


def test_examples_reload_with_max_epochs_n(tmp_path: Path) -> None:
    paths, want = {}, {}
    for path in sorted(EXAMPLES.glob("*.*")):
        if path.name == "broken.yaml":
            continue
        for n in (7, 20, 64, 123):
            result = scale_file(str(path), n)
            out = tmp_path / f"{path.stem}-{n}{path.suffix}"
            out.write_text(result.text)
            paths[out.name] = str(out)
            want[out.name] = n
    for keep in (40, 100):
        result = scale_file(str(EXAMPLES / "prune-quantize.yaml"), keep, keep_quantization=True)
        out = tmp_path / f"keep-{keep}.yaml"
        out.write_text(result.text)
        paths[out.name] = str(out)
        want[out.name] = keep
    got = sparseml_load(paths, tmp_path)
    assert {k: v.get("max", v.get("error")) for k, v in got.items()} == want
