"""Facts about stage recipes (SparseML 1.8's `sparseml.core` form and llm-compressor 0.14)
that the stage-recipe rules share: which modifiers there are, in the order the library runs
them, and the quantization config each quantizer resolves (presets expanded as
`QuantizationMixin.resolve_quantization_config` does, llmcompressor/modifiers/quantization/
quantization/mixin.py).

Rules read `StageModifier.spec` (the typed model; modifiers whose arguments failed to load
have none and are left out) and `StageModifier.args` (what was written, to tell a given
field from a default).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recipe_studio.diagnostics import Edit, Fix, Span
from recipe_studio.lint.rules._base import RuleContext

if TYPE_CHECKING:  # names only: linting a classic recipe does not import the stage reader
    from recipe_studio.read.stage.recipe import ArgPath, StageModifier, StageRecipe

LLMC = "llmcompressor"
SPARSEML = "sparseml"

#: modifiers that attach a quantization config (`QuantizationMixin` in llm-compressor 0.14;
#: SparseML 1.8's new-style QuantizationModifier and GPTQModifier)
QUANTIZERS = frozenset({"GPTQModifier", "QuantizationModifier", "AutoRoundModifier"})
#: modifiers that rescale or rotate weights to prepare them for a quantizer
PREPARERS = frozenset({"SmoothQuantModifier", "LogarithmicEqualizationModifier",
                       "SpinQuantModifier", "QuIPModifier"})
#: one-shot pruners that compute a mask from calibration data (SparsityModifierBase)
ONESHOT_PRUNERS = frozenset({"SparseGPTModifier", "WandaPruningModifier"})
PRUNERS = ONESHOT_PRUNERS | {"MagnitudePruningModifier"}

TARGET_NAMES = {LLMC: "llm-compressor 0.14", SPARSEML: "SparseML 1.8"}


def stage_recipe(ctx: RuleContext) -> StageRecipe | None:
    return getattr(ctx.recipe, "stage_recipe", None)


def target(ctx: RuleContext) -> str | None:
    sr = stage_recipe(ctx)
    return sr.target if sr is not None else None


def library(ctx: RuleContext) -> str:
    return TARGET_NAMES.get(target(ctx) or "", "the target library")


def modifiers(ctx: RuleContext, types: frozenset[str] | set[str] | str | None = None
              ) -> Iterator[StageModifier]:
    """The loaded modifiers of a stage recipe in run order (stages, groups, entries)."""
    sr = stage_recipe(ctx)
    if sr is None:
        return
    wanted = {types} if isinstance(types, str) else types
    for m in sr.modifiers:
        if m.spec is None:
            continue
        if wanted is None or m.type in wanted:
            yield m


def given(m: StageModifier, name: str) -> bool:
    """The field was written in the recipe (not a default)."""
    return isinstance(m.args, dict) and name in m.args


def field(m: StageModifier, name: str, default: Any = None) -> Any:
    return getattr(m.spec, name, default)


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return repr(v)
    return str(v)


# -- fixes ----------------------------------------------------------------------------------

def _yaml(ctx: RuleContext) -> bool:
    src = ctx.recipe.source
    return src is not None and not (ctx.recipe.path or "").lower().endswith(".json") and \
        not src.text.lstrip().startswith(("{", "["))


def delete_arg(ctx: RuleContext, m: StageModifier, name: str, message: str, *,
               safe: bool = True) -> Fix | None:
    """Delete a `name: value` line of a block-style modifier (not flow style, not JSON)."""
    site = m.sites.get((name,))
    src = ctx.recipe.source
    if site is None or src is None or site.key_span is None or not _yaml(ctx):
        return None
    key_line = site.key_span.line
    end_line = site.value_span.end_line
    if site.value_span.end_column == 1 and end_line > key_line:
        end_line -= 1
    before = src.line_text(key_line)[: site.key_span.column - 1]
    if before.strip() != "":
        return None
    after = src.line_text(end_line)[site.value_span.end_column - 1:]
    if after.strip() not in ("",) and not after.strip().startswith("#"):
        return None
    # the modifier must keep at least one other argument (empty args are a load error)
    if isinstance(m.args, dict) and len(m.args) <= 1:
        return None
    start = src.offset(key_line, 1)
    end = src.offset(end_line + 1, 1) if end_line < src.line_count else len(src.text)
    return Fix(message, (Edit(start, end, ""),), safe)


def replace_arg(ctx: RuleContext, m: StageModifier, path: ArgPath, text: str, message: str,
                *, safe: bool = True) -> Fix | None:
    """Replace the written scalar at `path` with `text`."""
    site = m.sites.get(tuple(path))
    src = ctx.recipe.source
    if site is None or src is None or not hasattr(site.node, "value"):
        return None
    if getattr(site.node, "tag", None) not in (None,) and \
            not str(site.node.tag).startswith("tag:yaml.org"):
        return None
    return Fix(message, (Edit(src.start + site.node.start, src.start + site.node.end, text),),
               safe)


# -- quantization config --------------------------------------------------------------------

@dataclass
class QGroup:
    """One resolved quantization scheme of a quantizer."""

    name: str
    targets: list[str]
    weights: dict[str, Any] | None
    input_activations: dict[str, Any] | None
    output_activations: dict[str, Any] | None
    #: the preset name when the scheme came from one
    preset: str | None
    #: where it was written (for positions)
    path: ArgPath


def _args_dict(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return dict(value)
    if hasattr(value, "model_dump"):
        d = value.model_dump()
        d["_set"] = set(getattr(value, "model_fields_set", set()))
        return d
    return None


def _presets(ctx: RuleContext) -> dict[str, dict]:
    if target(ctx) == LLMC:
        from recipe_studio.models.stage import ct_0_19

        return {k.upper(): v for k, v in ct_0_19.presets().items()}
    return {}


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return [str(x) for x in v]


def quant_groups(ctx: RuleContext, m: StageModifier) -> list[QGroup]:
    """The config groups a quantizer resolves (`resolve_quantization_config`): `scheme`
    (preset name, or {preset: targets}) takes precedence; else `config_groups`; else a
    default scheme without weights (nothing quantized)."""
    scheme = field(m, "scheme")
    targets = _as_list(field(m, "targets"))
    groups = field(m, "config_groups")
    presets = _presets(ctx)
    out: list[QGroup] = []
    if scheme is not None:
        items = {scheme: targets} if isinstance(scheme, str) else dict(scheme)
        for i, (name, tg) in enumerate(items.items()):
            p = presets.get(str(name).upper())
            out.append(QGroup(f"group_{i}", _as_list(tg),
                              _args_dict((p or {}).get("weights")),
                              _args_dict((p or {}).get("input_activations")),
                              _args_dict((p or {}).get("output_activations")),
                              str(name), ("scheme",)))
        return out
    if groups:
        for name, s in groups.items():
            out.append(QGroup(str(name), _as_list(getattr(s, "targets", None)),
                              _args_dict(getattr(s, "weights", None)),
                              _args_dict(getattr(s, "input_activations", None)),
                              _args_dict(getattr(s, "output_activations", None)),
                              None, ("config_groups", name)))
    return out


def ignore_list(m: StageModifier) -> list[str]:
    return _as_list(field(m, "ignore"))


def pattern_matches(pattern: str, name: str) -> bool:
    """compressed-tensors' `is_match` for a module name: `re:` prefix → `re.match`, else
    equality (class names are matched separately)."""
    if pattern.startswith("re:"):
        try:
            return re.match(pattern[3:], name) is not None
        except re.error:
            return False
    return pattern == name


def compile_error(pattern: str) -> str | None:
    if not pattern.startswith("re:"):
        return None
    try:
        re.compile(pattern[3:])
    except re.error as e:
        return str(e)
    return None


def span_of(m: StageModifier, *path: Any) -> Span:
    return m.value_span(*path)


def prunes(m: StageModifier) -> bool:
    """The pruner removes weights (SparseML 1.8 recipes use `SparseGPTModifier` with
    `sparsity: 0` as a quantizer only)."""
    v = field(m, "sparsity", None)
    if m.type in ONESHOT_PRUNERS and is_number(v) and v == 0:
        import re as _re
        return bool(_re.match(r"^\s*[1-9]\d*\s*:", str(field(m, "mask_structure", ""))))
    if m.type == "MagnitudePruningModifier":
        return is_number(field(m, "final_sparsity")) and field(m, "final_sparsity") > 0
    return True
