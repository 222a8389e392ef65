"""Lint rules of the `pruning` family (one module per rule, named after it)."""
