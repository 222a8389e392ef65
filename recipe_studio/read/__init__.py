"""Reading: recipe text → positioned YAML → resolved variables → typed `Recipe`.

`source` (bytes → text, front matter) → `yamltree` (positioned tree, PyYAML's reading) →
`rewrite` (SparseML's `!Tag` text rewrite, simulated) → `evaluator` / `variables`
(`eval()` and variable resolution) → `load` (the typed `Recipe` of `recipe`, every problem a
Diagnostic with a code from `codes`); `partial` holds the fields of modifiers that failed.
"""
