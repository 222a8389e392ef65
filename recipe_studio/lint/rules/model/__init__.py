"""Lint rules of the `model` family (one module per rule, named after it)."""
