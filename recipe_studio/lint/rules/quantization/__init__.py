"""Lint rules of the `quantization` family (one module per rule, named after it)."""
