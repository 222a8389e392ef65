"""Shared by the stage-recipe model rules (RS82x): which fields of which modifiers name
modules, and how each library matches them against a Hugging Face model directory."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recipe_studio.lint import hfmodel

if TYPE_CHECKING:
    from recipe_studio.lint.modelinfo import ModelParams
    from recipe_studio.lint.rules._base import RuleContext
    from recipe_studio.read.stage.recipe import StageModifier

#: llm-compressor 0.14: modifiers whose `targets`/`ignore` go to compressed-tensors'
#: `match_named_modules` (quantization mixin, gptq/base.py, autoround/base.py,
#: sparsegpt/sgpt_base.py:122, transform/quip/base.py:122)
LLMC_TARGETED = {"GPTQModifier", "QuantizationModifier", "AutoRoundModifier",
                 "SparseGPTModifier", "WandaPruningModifier", "QuIPModifier"}
#: ... and whose `ignore` does (smoothquant/base.py:202 too)
LLMC_IGNORING = LLMC_TARGETED | {"SmoothQuantModifier", "LogarithmicEqualizationModifier"}
#: SparseML 1.8: `targets` of the one-shot modifiers are the layers run one at a time
#: (`match_layers_params`: name, `re:`, exact class name)
SPARSEML_TARGETED = {"SparseGPTModifier", "GPTQModifier", "WandaPruningModifier"}
#: SparseML 1.8: `ignore` (compressed-tensors 0.4 `find_first_name_or_class_match`)
SPARSEML_IGNORING = {"GPTQModifier", "QuantizationModifier", "SmoothQuantModifier",
                     "LogarithmicEqualizationModifier"}
MAPPING_MODIFIERS = {"SmoothQuantModifier", "LogarithmicEqualizationModifier", "AWQModifier"}

LIBRARY = {"llmcompressor": "llm-compressor 0.14", "sparseml": "SparseML 1.8"}


@dataclass
class Pattern:
    """One module pattern as written: the modifier, where (arg path), the string."""

    modifier: StageModifier
    path: tuple[Any, ...]
    value: str
    field: str


def hf_model(ctx: RuleContext) -> ModelParams | None:
    """The `--model` when it is a Hugging Face directory and the recipe a stage recipe."""
    model = ctx.model
    if model is None or model.hf_config is None and not model.classes:
        return None
    if getattr(ctx.recipe, "stage_recipe", None) is None:
        return None
    return model


def modifiers(ctx: RuleContext) -> Iterator[StageModifier]:
    for m in ctx.recipe.stage_recipe.modifiers:
        if m.spec is not None:
            yield m


def target(ctx: RuleContext) -> str:
    return ctx.recipe.stage_recipe.target


def _strings(m: StageModifier, path: tuple[Any, ...], value: Any, field: str
             ) -> Iterator[Pattern]:
    if isinstance(value, str):
        yield Pattern(m, path, value, field)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            if isinstance(v, str):
                yield Pattern(m, (*path, i), v, field)


def target_patterns(ctx: RuleContext) -> Iterator[Pattern]:
    """`targets` (as written), `config_groups.<g>.targets` and `scheme: {PRESET: targets}`."""
    lib = target(ctx)
    for m in modifiers(ctx):
        if m.type not in (LLMC_TARGETED if lib == "llmcompressor" else SPARSEML_TARGETED):
            continue
        if "targets" in m.args:
            yield from _strings(m, ("targets",), m.args["targets"], "targets")
        groups = m.args.get("config_groups")
        if isinstance(groups, dict):
            for g, scheme in groups.items():
                if isinstance(scheme, dict) and "targets" in scheme:
                    yield from _strings(m, ("config_groups", g, "targets"), scheme["targets"],
                                        f"config_groups.{g}.targets")
        scheme = m.args.get("scheme")
        if lib == "llmcompressor" and isinstance(scheme, dict):
            for k, v in scheme.items():
                if isinstance(k, str) and k.upper() == k:
                    yield from _strings(m, ("scheme", k), v, f"scheme.{k}")


def ignore_patterns(ctx: RuleContext) -> Iterator[Pattern]:
    lib = target(ctx)
    for m in modifiers(ctx):
        if m.type in (LLMC_IGNORING if lib == "llmcompressor" else SPARSEML_IGNORING):
            if "ignore" in m.args:
                yield from _strings(m, ("ignore",), m.args["ignore"], "ignore")


def mapping_patterns(ctx: RuleContext) -> Iterator[Pattern]:
    """SmoothQuant/LogarithmicEqualization `[[balance...], smooth]` and AWQ
    `{smooth_layer, balance_layers}` entries."""
    lib = target(ctx)
    for m in modifiers(ctx):
        if m.type not in MAPPING_MODIFIERS or (lib == "sparseml" and m.type == "AWQModifier"):
            continue
        mappings = m.args.get("mappings")
        if not isinstance(mappings, list):
            continue
        for i, mp in enumerate(mappings):
            if isinstance(mp, dict):
                if isinstance(mp.get("smooth_layer"), str):
                    yield Pattern(m, ("mappings", i, "smooth_layer"), mp["smooth_layer"],
                                  "smooth_layer")
                yield from _strings(m, ("mappings", i, "balance_layers"),
                                    mp.get("balance_layers"), "balance_layers")
            elif isinstance(mp, (list, tuple)) and len(mp) == 2:
                yield from _strings(m, ("mappings", i, 0), mp[0], "balance layers")
                if isinstance(mp[1], str):
                    yield Pattern(m, ("mappings", i, 1), mp[1], "smooth layer")


def matches(ctx: RuleContext, model: ModelParams, pattern: str) -> list[str] | None:
    """Module names `pattern` selects in the target library (None: cannot be decided)."""
    found = hfmodel.ct_matches(model, pattern)
    if target(ctx) == "sparseml" and not found and pattern.startswith("re:"):
        # compressed-tensors 0.4 and SparseML also `re.match` the class name
        for mod, classes in model.classes.items():
            if any(hfmodel.ct_match_name(c, pattern) for c in classes):
                return [mod]
    return found


def close_name(model: ModelParams, pattern: str) -> str | None:
    if pattern.startswith("re:"):
        return None
    pool = hfmodel.implied_class_names(model) if re.fullmatch(r"[A-Z]\w*", pattern) \
        else sorted(model.modules)
    close = difflib.get_close_matches(pattern, pool, n=1, cutoff=0.75)
    return close[0] if close else None


def hint(model: ModelParams, pattern: str) -> str | None:
    """A did-you-mean, or the `re:` form of a plain suffix, or what names look like."""
    close = close_name(model, pattern)
    if close:
        return f"did you mean `{close}`?"
    if not pattern.startswith("re:") and any(m.endswith("." + pattern) for m in model.modules):
        return (f"a plain entry must be a full module name; `re:.*{re.escape(pattern)}$` "
                f"selects every `{pattern}`")
    return example(model)


def describe(model: ModelParams) -> str:
    return f"`{model.source}` ({len(model.modules) + 1} modules)"


def example(model: ModelParams) -> str | None:
    names = [n for n in sorted(model.modules) if model.classes.get(n) == ("Linear",)]
    if not names:
        return None
    deepest = max(names, key=lambda n: n.count("."))
    return f"module names look like `{deepest}`"
