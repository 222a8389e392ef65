"""Comparing two recipes: `semantic` (the diff by modifier identity and field)."""
