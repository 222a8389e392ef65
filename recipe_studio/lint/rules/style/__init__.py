"""Lint rules of the `style` family (one module per rule, named after it)."""
