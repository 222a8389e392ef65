"""Lint rules of the `values` family (one module per rule, named after it)."""
