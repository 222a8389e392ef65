"""The exceptions of linting, in a leaf module (it imports nothing of the package), so that
`config`, `engine`, the CLI and the language server can all raise and catch them without
importing one another."""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration problem; the CLI reports it and exits 2."""
