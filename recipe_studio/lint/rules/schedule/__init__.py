"""Lint rules of the `schedule` family (one module per rule, named after it)."""
