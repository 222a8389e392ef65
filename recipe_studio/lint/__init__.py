"""Linting: the loader's diagnostics plus the rules, under a configuration.

`engine` runs a recipe through `read.load` and the rules of `registry` (one module per rule
under `rules/<family>/`), applies `config` (files and command-line choices) and `suppress`
(inline comments); `fix` is the policy for fixes; `modelinfo` reads parameter names of a model
for the model-aware rules.
"""
