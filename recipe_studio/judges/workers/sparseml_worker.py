"""SparseML 1.8.0 judge worker: run with the interpreter of the environment that has SparseML.

The judged step is what SparseML does when it loads a stage recipe and creates its modifiers for
PyTorch, before a model is touched (paths relative to ``site-packages/``, SparseML 1.8.0):

* ``sparseml/core/recipe/recipe.py:96-177`` ``Recipe.create_instance(path)``: read, ``.md`` front
  matter (``recipe.py:633-659``), JSON / ``yaml.safe_load``, then ``Recipe.model_validate`` whose
  ``remap_stages`` / ``extract_dict_stages`` (``recipe.py:394-499``) and
  ``RecipeStage.remap_modifiers`` (``sparseml/core/recipe/stage.py:144-204``) build the stages.
* ``recipe.py:325-358`` ``Recipe.evaluate()``: variables and ``eval(...)``; each
  ``RecipeModifier.evaluate`` (``sparseml/core/recipe/modifier.py:66-83``) rejects empty args.
* ``recipe.py:360-392`` ``Recipe.create_modifier(Framework.pytorch)`` ->
  ``stage.py:110-142`` ``RecipeStage.create_modifier`` (sets ``group`` = stage name, ``index``) ->
  ``modifier.py:85-100`` ``RecipeModifier.create_modifier`` -> ``sparseml/core/factory.py:109-152``
  ``ModifierFactory.create(type, framework=pytorch, allow_registered=True,
  allow_experimental=True, **args_evaluated)`` -> ``sparseml/core/framework_object.py:34-71``
  ``MultiFrameworkObject.__new__``, which builds ``<package>.pytorch.<Class>PyTorch(**kwargs)``.
* With a ``target_stage`` (a session's ``recipe_stage``): ``Recipe.simplify_combine_recipes(
  [RecipeTuple(recipe, [stage], {})])`` in place of ``evaluate()`` (what
  ``RecipeContainer.check_compile_recipe`` does), then ``create_modifier`` as above.

The record's ``recipe`` is the parse as ``expected.json`` of the shared corpus records it
(stages, groups, modifier types, evaluated args, ``calculate_start``/``calculate_end``); its
``stages`` are the created modifiers with every field value they hold.
"""

from __future__ import annotations

import os
import sys

if __package__:  # imported (e.g. by pkgutil.walk_packages): nothing runs, nothing heavy
    from . import _common
else:  # run as a script by the judge's interpreter
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _common  # noqa: E402


def setup() -> None:
    """Import SparseML (after the JSON channel is set aside) and fill its modifier registry."""
    import logging

    logging.disable(logging.CRITICAL)
    global ModifierFactory, Framework, MultiFrameworkObject, Recipe
    from sparseml.core.factory import ModifierFactory
    from sparseml.core.framework import Framework
    from sparseml.core.framework_object import MultiFrameworkObject
    from sparseml.core.recipe import Recipe

    ModifierFactory.refresh()


DISTRIBUTIONS = ["sparseml", "compressed-tensors", "transformers", "pydantic", "torch", "PyYAML"]


def _bounds(mod) -> dict:
    """``start``/``end`` from ``calculate_start``/``calculate_end`` (-1 = unset); absent when
    SparseML raises because the args were never evaluated (``modifier.py:46-64``)."""
    out = {}
    for key, call in (("start", mod.calculate_start), ("end", mod.calculate_end)):
        try:
            out[key] = _common.jsonable(call())
        except Exception:
            pass
    return out


def parse_record(recipe, evaluated: bool) -> dict:
    """The structure SparseML holds after ``create_instance`` (and ``evaluate`` when it ran)."""
    stages = []
    for stage in recipe.stages:
        modifiers = []
        for mod in stage.modifiers:
            args = mod.args_evaluated if (evaluated and mod.args_evaluated) else mod.args
            modifiers.append(
                {
                    "type": mod.type,
                    "group": mod.group,
                    "args": _common.jsonable(dict(args) if args is not None else None),
                    **_bounds(mod),
                }
            )
        stages.append(
            {
                "group": stage.group,
                "run_type": _common.jsonable(stage.run_type),
                "enabled": stage.enabled,
                "modifiers": modifiers,
            }
        )
    return {
        "version": recipe.version,
        "has_metadata": recipe.metadata is not None,
        "recipe_args": _common.jsonable(dict(recipe.args)) if recipe.args else None,
        "stages": stages,
    }


def judge(path: str, request: dict) -> dict:
    phase = "parse"
    record: dict = {}
    try:
        recipe = Recipe.create_instance(path)
        phase = "evaluate"
        evaluated = False
        try:
            stage = request.get("target_stage")
            if stage is not None:
                # a session's `recipe_stage` (``core/recipe/container.py:55-131``: a
                # RecipeTuple with ``[stage]``; ``recipe.py:181-289``: the stages whose
                # ``group`` is exactly ``stage``, evaluated with the recipe's args)
                from sparseml.core.recipe.recipe import RecipeTuple

                recipe = Recipe.simplify_combine_recipes([RecipeTuple(recipe, [stage], {})])
            else:
                recipe.evaluate()
            evaluated = True
        finally:
            record["recipe"] = parse_record(recipe, evaluated)
        phase = "create"
        created = recipe.create_modifier(Framework.pytorch)
    except Exception as exc:  # the verdict is the exception itself
        record.update(ok=False, phase=phase, error=_common.error_record(exc))
        return record
    record["stages"] = [
        {
            "group": sm.group,
            "index": sm.index,
            "modifiers": [
                dict(_common.instance_record(m), type=rm.type)
                for m, rm in zip(sm.modifiers, stage.modifiers)
            ],
        }
        for sm, stage in zip(created, recipe.stages)
    ]
    record.update(ok=True, phase="created")
    return record


def pytorch_class(cls):
    """The class ``MultiFrameworkObject.__new__`` instantiates for ``Framework.pytorch``."""
    package = cls.__module__.rsplit(".", 1)[0]
    try:
        return MultiFrameworkObject.load_framework_class(
            f"{package}.{Framework.pytorch}", f"{cls.__name__}{Framework.pytorch.class_name()}"
        )
    except ImportError:
        return cls


def dump(request: dict) -> dict:
    import compressed_tensors.quantization as cq
    from compressed_tensors.quantization import quant_scheme

    modifiers = {}
    for registry in ("main", "experimental"):
        for name, cls in sorted(getattr(ModifierFactory, f"_{registry}_registry").items()):
            created = pytorch_class(cls)
            modifiers[name] = dict(_common.model_record(created), registry=registry,
                                   registered_class=f"{cls.__module__}.{cls.__name__}")
    return {
        "library": "sparseml",
        "versions": _common.versions({"distributions": DISTRIBUTIONS}),
        "registry_errors": {k: repr(v) for k, v in sorted(ModifierFactory._errors.items())},
        "modifiers": modifiers,
        "compressed_tensors": _common.compressed_tensors_record(cq, quant_scheme),
    }


if __name__ == "__main__":
    CHANNEL = _common.open_channel()
    setup()
    _common.main(CHANNEL, judge, dump, distributions=DISTRIBUTIONS)
