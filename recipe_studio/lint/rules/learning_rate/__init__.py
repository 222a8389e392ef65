"""Lint rules of the `learning-rate` family (one module per rule, named after it)."""
