"""Reading: recipe text → positioned YAML → resolved variables → typed `Recipe`.

`source` (bytes → text, front matter, the line index) → `yamltree` (positioned tree,
PyYAML's reading) → `rewrite` (SparseML's `!Tag` text rewrite, simulated) → `load` (the
entry point: `load`, `validate`), which reads the document's shape with `document` (root,
variables, stages, modifier lists) and each modifier with `fields` (`evaluator` and
`variables` for `eval()`; `pydantic_errors` words the models' errors), into the `Recipe`
of `recipe`, every problem a Diagnostic with a code from `codes`; `partial` holds the
fields of modifiers that failed, `detect` tells a recipe from other YAML.
"""
