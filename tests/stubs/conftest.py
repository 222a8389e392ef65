"""Fixtures for the modifier-stubs tests: the user's modules written into a project folder."""

from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "llmcompressor: runs llm-compressor 0.14's judge (the .venv-llmc environment)"
    )
