"""The judges: SparseML 1.8's and llm-compressor 0.14's own verdicts on stage recipes.

Each library loads a recipe and creates its modifiers in a child process run by that library's
interpreter (see ``runner``); this package imports neither. Used by the tests (conformance with
the real loaders, the corpus attribution) and meant for a future ``--target`` check.

    >>> from recipe_studio.judges import judge_sparseml, judge_llmcompressor
    >>> [v.ok for v in judge_llmcompressor(["recipe.yaml"])]
"""

from .runner import (
    LIBRARIES,
    JudgeUnavailable,
    Verdict,
    available,
    dump,
    judge,
    judge_llmcompressor,
    judge_sparseml,
    judge_texts,
    python_for,
)

__all__ = [
    "LIBRARIES",
    "JudgeUnavailable",
    "Verdict",
    "available",
    "dump",
    "judge",
    "judge_llmcompressor",
    "judge_sparseml",
    "judge_texts",
    "python_for",
]
