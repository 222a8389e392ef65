"""Lint rules of the `structure` family (one module per rule, named after it)."""
