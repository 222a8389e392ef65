"""Fixtures for the judges: skip cleanly when a library's environment is absent.

Under CI (``CI`` set) a missing environment is a failure: ``make test`` creates both.
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "llmcompressor: runs llm-compressor 0.14's judge (the .venv-llmc environment)"
    )


def require(library: str) -> None:
    from recipe_studio.judges import available

    why = available(library)
    if why is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{library} judge unavailable under CI: {why}")
    pytest.skip(f"{library} judge unavailable: {why}")
