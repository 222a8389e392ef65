"""The figures docs/editors.md (and tests/editors/test_stage_schema.py's docstring) give for the
schemas on the corpus's stage recipes, computed here from the judges themselves (SparseML 1.8
and llm-compressor 0.14 on every corpus stage recipe, as tests/judges runs them) and each
schema (jsonschema, on the YAML the recipe holds), so the text cannot drift from them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from recipe_studio.models import schema
from recipe_studio.read.load import load
from recipe_studio.read.yamltree import to_python
from tests.conftest import require_corpus

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "editors.md"
DOCSTRING = REPO / "tests" / "editors" / "test_stage_schema.py"
LIBRARIES = ("sparseml", "llmcompressor")


def _flat(text: str) -> str:
    return " ".join(text.replace('"""', " ").split())


@pytest.fixture(scope="module")
def figures() -> dict:
    from recipe_studio.judges import corpus, judge
    from tests.conftest import require_judge as require

    require_corpus()
    root = corpus.corpus_root()
    assert root is not None
    files = corpus.staged_files(root)
    validators = {t: jsonschema.Draft7Validator(schema.build_schema(t))
                  for t in (None, *LIBRARIES)}
    out: dict = {"recipes": len(files)}
    for library in LIBRARIES:
        require(library)
        verdicts = judge(library, files, timeout=120)
        accepted = rejected = caught = caught_default = flagged_accepted = 0
        missed: Counter = Counter()
        for path, verdict in zip(files, verdicts):
            recipe = load(path, target=library)
            assert recipe.ok == verdict.ok, path.name  # tests/stage/test_fidelity.py's claim
            data = (json.loads(json.dumps(to_python(recipe.doc.root), default=str))
                    if recipe.doc is not None and recipe.doc.root is not None else None)
            flags = {t: data is not None and any(True for _ in v.iter_errors(data))
                     for t, v in validators.items()}
            if verdict.ok:
                accepted += 1
                flagged_accepted += flags[library] or flags[None]
            else:
                rejected += 1
                caught += flags[library]
                caught_default += flags[None]
                if not flags[library]:
                    missed[verdict.error_type] += 1
        out[library] = {"accepted": accepted, "rejected": rejected, "caught": caught,
                        "caught_default": caught_default, "flagged_accepted": flagged_accepted,
                        "missed": dict(missed)}
    return out


def doc_sentences(f: dict) -> list[str]:
    s, l = f["sparseml"], f["llmcompressor"]
    return [
        f"Measured against the judges over the corpus's {f['recipes']} stage recipes: "
        f"SparseML 1.8 accepts {s['accepted']}, llm-compressor 0.14 accepts {l['accepted']}; "
        "every schema (default, `--target sparseml`, `--target llmcompressor`) flags none of "
        "the accepted ones.",
        f"the `--target sparseml` schema catches {s['caught']} of {s['rejected']} (the rest are "
        f"{s['missed'].get('NameError', 0)} undefined `eval` names and a tab), the "
        f"`--target llmcompressor` schema {l['caught']} of {l['rejected']} (the rest are "
        "`actorder` in a `QuantizationModifier`'s config group and the tab), the default "
        f"schema {s['caught_default']} of the {s['rejected']} and {l['caught_default']} of the "
        f"{l['rejected']} (`tests/stage/test_schema_figures.py` computes these figures",
    ]


def docstring_sentence(f: dict) -> str:
    s, l = f["sparseml"], f["llmcompressor"]
    return (f"SparseML 1.8 accepts {s['accepted']} and llm-compressor 0.14 {l['accepted']} of "
            f"the {f['recipes']} stage recipes, the schema flags none of them, and catches "
            f"{s['caught']} of SparseML's {s['rejected']} rejections (with `--target sparseml`) "
            f"and {l['caught']} of llm-compressor's {l['rejected']} (with `--target "
            f"llmcompressor`); the default schema {s['caught_default']} and "
            f"{l['caught_default']}.")


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.sparseml
@pytest.mark.llmcompressor
def test_editors_doc_figures_are_the_judges(figures):
    for library in LIBRARIES:
        assert figures[library]["flagged_accepted"] == 0, library
    # what the parenthetical remarks say the misses are
    assert figures["sparseml"]["missed"] == {"NameError": 3, "ScannerError": 1}
    assert figures["llmcompressor"]["missed"] == {"ValidationError": 1, "ScannerError": 1}
    doc = _flat(DOC.read_text(encoding="utf-8"))
    for sentence in doc_sentences(figures):
        assert sentence in doc, f"docs/editors.md should say:\n{sentence}"
    sentence = docstring_sentence(figures)
    assert sentence in _flat(DOCSTRING.read_text(encoding="utf-8")), \
        f"tests/editors/test_stage_schema.py's docstring should say:\n{sentence}"
