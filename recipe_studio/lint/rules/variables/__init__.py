"""Lint rules of the `variables` family (one module per rule, named after it)."""
