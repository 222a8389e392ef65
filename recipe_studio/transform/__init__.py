"""Rewriting recipes: every command that produces recipe text.

`scale` (a new epoch budget), `format` (the canonical layout), `new` (templates), `finalize`
(the concrete recipe), and `edit`, the position-exact text edits they all write with.
"""
