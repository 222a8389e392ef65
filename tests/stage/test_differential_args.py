"""Differential test of the stage modifiers' arguments: thousands of generated argument sets
(tests/stage/argcases.py: per field of every modifier each library registers, from the
judges' dumps, plus nested quantization schemes), one stage recipe each, and recipe-studio's
accept/reject verdict (`load(text, target=library).ok`) compared with the library's own
(its judge: Recipe.create_instance + modifier creation, before any model is loaded; one judge
child per library for the whole batch)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recipe_studio.read.load import load
from tests.stage.argcases import cases

#: (library, case-name prefix) -> why recipe-studio's verdict deliberately differs. Keep few.
ALLOWED: dict[tuple[str, str], str] = {}

LABEL = {"sparseml": "SparseML 1.8", "llmcompressor": "llm-compressor 0.14"}


def _allowed(library: str, name: str) -> bool:
    return any(lib == library and name.startswith(prefix) for lib, prefix in ALLOWED)


def compare(library: str, tmp: Path) -> tuple[dict, list]:
    from recipe_studio.judges import judge
    from tests.conftest import require_judge as require

    require(library)
    texts = cases(library)
    names = sorted(texts)
    paths = []
    for i, name in enumerate(names):
        p = tmp / f"case-{i:05d}.yaml"
        p.write_text(texts[name], encoding="utf-8")
        paths.append(p)
    verdicts = judge(library, paths, timeout=60)
    counts = {"cases": 0, "both accept": 0, "both reject": 0, "disagree": 0, "allowed": 0}
    wrong = []
    for name, verdict in zip(names, verdicts):
        ours = load(texts[name], path="x.yaml", target=library)
        counts["cases"] += 1
        if ours.ok == verdict.ok:
            counts["both accept" if ours.ok else "both reject"] += 1
        elif _allowed(library, name):
            counts["allowed"] += 1
        else:
            counts["disagree"] += 1
            wrong.append((name, f"{library}: {'accepts' if verdict.ok else 'rejects'}",
                          verdict.error_type, (verdict.error_message or "")[:160],
                          [f"{d.short()} {d.message}"[:160] for d in ours.errors][:2]))
    return counts, wrong


@pytest.mark.slow
@pytest.mark.sparseml
@pytest.mark.llmcompressor
@pytest.mark.parametrize("library", ["sparseml", "llmcompressor"])
def test_generated_arguments_agree(library, tmp_path):
    counts, wrong = compare(library, tmp_path)
    print(f"\n{LABEL[library]}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    assert counts["cases"] > 0
    assert not wrong, f"{len(wrong)} disagreements, first ones:\n" + "\n".join(map(str, wrong[:15]))
