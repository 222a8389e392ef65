"""Fixtures for the modifier-stubs tests: the user's modules written into a project folder."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "llmcompressor: runs llm-compressor 0.14's judge (the .venv-llmc environment)"
    )


def require(library: str) -> str:
    """The interpreter of `library`'s environment, or skip (fail under CI)."""
    from recipe_studio.judges import available, python_for

    why = available(library)
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{library} environment unavailable under CI: {why}")
        pytest.skip(f"{library} environment unavailable: {why}")
    return python_for(library)
