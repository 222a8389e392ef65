"""recipe-studio's verdict on stage recipes against the judges (SparseML 1.8 and llm-compressor
0.14 loading the recipe and creating its modifiers, each in its own environment): for every
corpus stage recipe, every handmade case, the reference's probe cases and deterministic mutants
of all of them, `load(path, target=library).ok` must equal that library's own verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from recipe_studio.read.load import load
from tests.stage.mutants import HANDMADE, mutants, probe_cases

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture(scope="session")
def cases(tmp_path_factory) -> dict[str, Path]:
    """name -> file: handmade, probe cases, corpus stage recipes and mutants of all of them."""
    from recipe_studio.judges import corpus

    root = tmp_path_factory.mktemp("stage-cases")
    texts = dict(HANDMADE)
    texts.update({f"probe:{k}": v for k, v in probe_cases(SHARED).items()})
    files: dict[str, Path] = {}
    corpus_root = corpus.corpus_root()
    sources = [(k, t) for k, (t, s) in texts.items() if s in (".yaml", ".yml")]
    if corpus_root is not None:
        for p in corpus.staged_files(corpus_root):
            files[f"corpus:{p.name}"] = p
            if p.suffix in (".yaml", ".yml"):
                sources.append((f"corpus:{p.name}", p.read_text(encoding="utf-8")))
    texts.update({f"mutant:{k}": v for k, v in mutants(sources).items()})
    for i, (name, (text, suffix)) in enumerate(sorted(texts.items())):
        p = root / f"case-{i:04d}{suffix}"
        p.write_text(text, encoding="utf-8")
        files[name] = p
    return files


@pytest.fixture(scope="session")
def verdicts(cases):
    from recipe_studio.judges import judge
    from tests.conftest import require_judge as require

    done = {}

    def run(library: str) -> dict:
        require(library)
        if library not in done:
            names = list(cases)
            got = judge(library, [cases[n] for n in names], timeout=120)
            done[library] = dict(zip(names, got))
        return done[library]

    return run


def agreement(cases: dict[str, Path], judged: dict, library: str) -> tuple[dict, list]:
    """Per kind of case (corpus, handmade, probe, mutant): [agree, total]; the disagreements."""
    table: dict[str, list[int]] = {}
    wrong = []
    for name, path in cases.items():
        kind = name.split(":", 1)[0] if ":" in name else "handmade"
        ours = load(path, target=library)
        theirs = judged[name]
        row = table.setdefault(kind, [0, 0])
        row[1] += 1
        if ours.ok == theirs.ok:
            row[0] += 1
        else:
            wrong.append((name, theirs.ok, theirs.error_type, (theirs.error_message or "")[:200],
                          [f"{d.short()} {d.message}" for d in ours.errors][:3]))
    return table, wrong


@pytest.mark.slow
@pytest.mark.sparseml
def test_sparseml_verdicts(cases, verdicts):
    table, wrong = agreement(cases, verdicts("sparseml"), "sparseml")
    print("\nSparseML 1.8:", {k: f"{a}/{n}" for k, (a, n) in table.items()})
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.slow
@pytest.mark.llmcompressor
def test_llmcompressor_verdicts(cases, verdicts):
    table, wrong = agreement(cases, verdicts("llmcompressor"), "llmcompressor")
    print("\nllm-compressor 0.14:", {k: f"{a}/{n}" for k, (a, n) in table.items()})
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.corpus
def test_corpus_has_the_stage_recipes():
    from tests.conftest import require_corpus

    root = require_corpus()
    assert len(list((root / "staged").iterdir())) == 197
