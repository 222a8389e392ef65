"""`recipe-studio oneshot`: llm-compressor's one-shot compression, linted first and checked after.

* :func:`run` — the run in llm-compressor 0.14's environment (a child process), then the
  saved checkpoint compared with what the recipe asked for (:class:`OneshotReport`);
* :func:`tiny_model` — a tiny random Llama model and tokenizer, for tests and the demo;
* :func:`inspect` — what a checkpoint directory holds (config.json's quantization config,
  the stored weights' sparsity, bytes), with the standard library only;
* :func:`gate` — the lint that comes first.

Nothing here imports torch or llm-compressor; the attributes are loaded on first use.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {"run": "run", "tiny_model": "run", "format_table": "run", "compare": "run",
            "OneshotReport": "run", "OneshotError": "run", "OneshotUnavailable": "run",
            "inspect": "checkpoint", "Checkpoint": "checkpoint",
            "CheckpointError": "checkpoint", "gate": "gate"}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(f"recipe_studio.oneshot.{_EXPORTS[name]}"), name)


__all__ = sorted(_EXPORTS)
