"""Typed models of SparseML 1.8's PyTorch modifiers (one module per family).

`recipe_studio.models.catalog` is the one tag → model table.
"""
