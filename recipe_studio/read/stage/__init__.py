"""Stage recipes (`*_stage:` / `*_modifiers:` / `Name: {args}`) as SparseML 1.8's
`sparseml.core` and llm-compressor 0.14 read them (issue 12).

:func:`recipe_studio.read.stage.load.dispatch` is the loader's hook: it takes a recipe whose
top level is a stage recipe and returns a :class:`~recipe_studio.read.recipe.Recipe` whose
`stage_recipe` holds the stages, groups and typed modifiers for the target library.
"""

from recipe_studio.read.stage.load import TARGETS, dispatch, infer_target, is_stage_recipe

__all__ = ["TARGETS", "dispatch", "infer_target", "is_stage_recipe"]
