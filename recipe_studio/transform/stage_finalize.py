"""The concrete stage recipe its library runs: variables and `eval(...)` resolved (issue 12).

A stage recipe (`*_stage:` / `*_modifiers:` / `Name: {args}`) is finalized for the library it
was read for (:attr:`StageRecipe.target`):

* **SparseML 1.8** evaluates every top-level key as a variable and every modifier argument
  with `eval(...)`; the finalized recipe holds the evaluated arguments, so it needs no
  variables. `version` and `metadata` are kept (as evaluated); the other variables are
  listed in the header comment. Stages keep their order and their `run_type`, `enabled`
  and `exclude_default`; stages given under `stages:` stay there (SparseML reads them
  first).
* **llm-compressor 0.14** evaluates nothing: the arguments are written as read, `args` is
  kept, and the keys it ignores are dropped.

In both, stages outside a `target_stage` selection (`--stage`) are left out: the finalized
recipe loads, without a selection, into the modifiers the library creates with it.

In both, every stage, group and modifier is written in its original order with the same
arguments, so that the library loads the finalized text into the same modifiers (the tests
check this with the judges). Keys the library ignores (with a warning from the reader) are
not written.
"""

from __future__ import annotations

from typing import Any

import yaml

from recipe_studio.read.recipe import Recipe
from recipe_studio.read.stage.recipe import RecipeStage, StageRecipe

#: top-level variables SparseML-era stage recipes carry as information, kept when finalizing
KEPT_VARIABLES = ("version", "metadata")
#: stage keys copied as they were read
STAGE_KEYS = ("run_type", "enabled", "exclude_default")


def _stage_keys(recipe: Recipe, stage: RecipeStage) -> dict[str, Any]:
    """`run_type`, `enabled`, `exclude_default` of a stage as written (llm-compressor does not
    read them, SparseML does: the values are the reader's when it has them)."""
    sr: StageRecipe = recipe.stage_recipe
    out: dict[str, Any] = {}
    if sr.target == "sparseml":
        if stage.run_type is not None:
            out["run_type"] = stage.run_type
        for key in ("enabled", "exclude_default"):
            if key in stage.values:
                out[key] = stage.values[key]
        return out
    node = _stage_node(recipe, stage)
    if node is None:
        return out
    from recipe_studio.read.yamltree import to_python

    for key, pair in node.entries():
        if key in STAGE_KEYS:
            out[key] = to_python(pair.value.node)
    return out


def _stage_node(recipe: Recipe, stage: RecipeStage) -> Any:
    from recipe_studio.read.yamltree import YMap

    root = recipe.doc.root if recipe.doc is not None else None
    if not isinstance(root, YMap):
        return None
    for key, pair in root.entries():
        if key == stage.key and isinstance(pair.value.node, YMap):
            return pair.value.node
    return None


def listed_stage(stage: RecipeStage) -> bool:
    """A stage SparseML read from the `stages:` mapping (its name is its key, unstripped)."""
    return stage.listed


def _stage_body(recipe: Recipe, stage: RecipeStage) -> dict[str, Any]:
    body = _stage_keys(recipe, stage)
    for group in stage.groups:
        mods: dict[str, Any] = body.setdefault(group.key, {})
        for m in group.modifiers:
            mods[m.type] = dict(m.args)
    return body


def finalize_document(recipe: Recipe) -> dict[str, Any]:
    """The finalized stage recipe as plain data (what gets written as YAML)."""
    sr: StageRecipe = recipe.stage_recipe
    doc: dict[str, Any] = {}
    if sr.target == "sparseml":
        for key in KEPT_VARIABLES:
            if key in sr.variables:
                doc[key] = sr.variables[key]
        listed = [s for s in sr.stages if listed_stage(s)]
        if listed:
            doc["stages"] = {s.key: _stage_body(recipe, s) for s in listed}
        for s in sr.stages:
            if not listed_stage(s):
                doc[s.key] = _stage_body(recipe, s)
        return doc
    if sr.variables:
        doc["args"] = dict(sr.variables)
    for s in sr.stages:
        doc[s.key] = _stage_body(recipe, s)
    return doc


def finalize_yaml(recipe: Recipe, *, header: bool = True) -> str:
    """YAML text that the recipe's library loads into the same modifiers, literals only."""
    from recipe_studio.models import stage as stage_models
    from recipe_studio.transform.finalize import _Dumper, _short

    sr: StageRecipe = recipe.stage_recipe
    text = yaml.dump(finalize_document(recipe), Dumper=_Dumper, sort_keys=False,
                     default_flow_style=False, allow_unicode=True, width=100)
    if not header:
        return text
    how = {"option": "", "inferred": " (inferred)", "default": " (default)"}[sr.target_reason]
    what = ("variables and eval() resolved" + (f", stage `{sr.target_stage}` only"
                                               if sr.target_stage else "")
            if sr.target == "sparseml" else
            "keys it ignores dropped" + (f", stages `{sr.target_stage}*` only"
                                        if sr.target_stage else ""))
    lines = [f"# Finalized by recipe-studio from {recipe.path or '<text>'} for "
             f"{stage_models.display(sr.target)}{how}: {what}."]
    if sr.target == "sparseml":
        values = {k: v for k, v in sr.variables.items()
                  if k not in KEPT_VARIABLES and isinstance(v, (int, float, str, bool))}
        if values:
            lines.append("# Variables: " + ", ".join(f"{k}={_short(v)}"
                                                      for k, v in values.items()))
    return "\n".join(lines) + "\n" + text


def finalize_data(recipe: Recipe) -> dict[str, Any]:
    """The JSON form (`finalize --format json`): target, variables, stages with their
    modifiers (type, group, line, args)."""
    sr: StageRecipe = recipe.stage_recipe
    stages = []
    for s in sr.stages:
        stage: dict[str, Any] = {"name": s.name, "key": s.key}
        stage.update(_stage_keys(recipe, s))
        stage["modifiers"] = [{"type": m.type, "group": m.group, "line": m.key_span.line,
                               "args": m.args} for m in s.modifiers]
        stages.append(stage)
    out: dict[str, Any] = {"target": sr.target, "target_reason": sr.target_reason,
                           "variables": dict(sr.variables), "stages": stages}
    if sr.target_stage:
        out["target_stage"] = sr.target_stage
    return out


def structure(document: dict[str, Any]) -> list[dict[str, Any]]:
    """SparseML's parse of a (finalized) stage recipe's stages, in `expected.json`'s shape:
    `[{group, run_type, enabled, modifiers: [{type, group, args}]}]` (for the tests and
    `show`; a plain-data reading of the document, for literal-only recipes)."""
    out = []
    stages = []
    listed = document.get("stages")
    if isinstance(listed, dict):
        stages.extend((k, v) for k, v in listed.items())
    stages.extend((k.rsplit("_stage", 1)[0], v) for k, v in document.items()
                  if isinstance(k, str) and k.endswith("_stage"))
    for group, body in stages:
        mods = []
        for key, value in body.items():
            if isinstance(key, str) and key.endswith("_modifiers") and isinstance(value, dict):
                for name, args in value.items():
                    mods.append({"type": name, "group": key.rsplit("_modifiers", 1)[0],
                                 "args": args})
        out.append({"group": group, "run_type": body.get("run_type"),
                    "enabled": body.get("enabled", True), "modifiers": mods})
    return out
