"""llm-compressor 0.14.0.1 judge worker: run with the interpreter of its own environment.

The judged step is what llm-compressor does when it loads a recipe, before any model is loaded
(paths relative to ``site-packages/``, llmcompressor 0.14.0.1):

* ``llmcompressor/recipe/recipe.py:88-165`` ``Recipe.create_instance(path, target_stage=None)``:
  read, ``.md`` front matter (``llmcompressor/recipe/utils.py:29-53``), JSON / ``yaml.safe_load``,
  ``filter_dict(obj, target_stage)`` (``utils.py:99-109``, a prefix match on top-level keys).
* ``recipe.py:167-204`` ``Recipe.from_dict``: every ``*_stage`` dict, every ``*_modifiers`` dict
  in it, ``ModifierFactory.create(type, group=..., allow_registered=True,
  allow_experimental=True, **args)`` (``llmcompressor/modifiers/factory.py:131-169``), which
  calls ``Class(**kwargs)``: pydantic models with ``extra="forbid"``
  (``llmcompressor/modifiers/modifier.py:42``) and their construction-time validators.
* ``recipe.py:206-233`` ``Recipe.validate_model_after`` (AWQ needs a later quantization
  modifier).

The record holds what the library holds afterwards: ``stage`` (the last stage's name),
``args`` and the flat list of created modifiers with every field value.
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
    """Import llm-compressor (after the JSON channel is set aside) and fill its registry."""
    import logging

    logging.disable(logging.CRITICAL)
    from loguru import logger

    logger.remove()  # llmcompressor/logger.py:109-110 adds a stdout sink when configured
    global ModifierFactory, Recipe
    from llmcompressor.modifiers import ModifierFactory
    from llmcompressor.recipe import Recipe

    logger.remove()
    ModifierFactory.refresh()


DISTRIBUTIONS = ["llmcompressor", "compressed-tensors", "transformers", "pydantic", "torch",
                 "PyYAML", "numpy"]


def judge(path: str, request: dict) -> dict:
    try:
        recipe = Recipe.create_instance(path, target_stage=request.get("target_stage"))
    except Exception as exc:  # the verdict is the exception itself
        return {"ok": False, "phase": "create", "error": _common.error_record(exc)}
    return {
        "ok": True,
        "phase": "created",
        "stage": recipe.stage,
        "args": _common.jsonable(recipe.args),
        "modifiers": [
            dict(_common.instance_record(m), type=type(m).__name__, group=m.group)
            for m in recipe.modifiers
        ],
    }


def dump(request: dict) -> dict:
    import compressed_tensors.quantization as cq
    from compressed_tensors.quantization import quant_scheme

    modifiers = {}
    for registry in ("main", "experimental"):
        for name, cls in sorted(getattr(ModifierFactory, f"_{registry}_registry").items()):
            modifiers[name] = dict(_common.model_record(cls), registry=registry,
                                   registered_class=f"{cls.__module__}.{cls.__name__}")
    return {
        "library": "llmcompressor",
        "versions": _common.versions({"distributions": DISTRIBUTIONS}),
        "registry_errors": {k: repr(v) for k, v in sorted(ModifierFactory._errors.items())},
        "modifiers": modifiers,
        "compressed_tensors": _common.compressed_tensors_record(cq, quant_scheme),
    }


if __name__ == "__main__":
    CHANNEL = _common.open_channel()
    setup()
    _common.main(CHANNEL, judge, dump, distributions=DISTRIBUTIONS)
