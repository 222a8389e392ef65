"""Fixtures for the judges (SparseML 1.8 and llm-compressor 0.14, each in its own environment:
``make install`` creates both, and a missing one fails, ``tests.conftest.require_judge``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import require_judge


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "llmcompressor: runs llm-compressor 0.14's judge (the .venv-llmc environment)"
    )


@dataclass
class Judged:
    """One library's verdicts on the handmade cases (by name) and the corpus's stage recipes
    (by corpus file name, ``staged/<name>``), from one worker."""

    cases: dict = field(default_factory=dict)
    corpus: dict = field(default_factory=dict)


@pytest.fixture(scope="session")
def judged(tmp_path_factory):
    """``judged(library)``: the handmade cases and the corpus (when present) judged in one batch."""
    from recipe_studio.judges import corpus, judge
    from tests.judges.cases import CASES

    done: dict[str, Judged] = {}

    def run(library: str) -> Judged:
        require_judge(library)
        if library not in done:
            root = tmp_path_factory.mktemp(library)
            paths = []
            for name, (text, suffix, *_rest) in CASES.items():
                p = root / f"{name}{suffix}"
                p.write_text(text, encoding="utf-8")
                paths.append(p)
            corpus_root = corpus.corpus_root()
            files = corpus.staged_files(corpus_root) if corpus_root else []
            verdicts = judge(library, paths + files, timeout=120)
            result = Judged()
            for p, v in zip(paths + files, verdicts):
                assert Path(v.path) == p.resolve()
                if p in files:
                    result.corpus[f"staged/{p.name}"] = v
                else:
                    result.cases[p.stem] = v
            done[library] = result
        return done[library]

    return run
