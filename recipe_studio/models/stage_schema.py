"""JSON Schema of stage recipes (SparseML 1.8's `sparseml.core` form, llm-compressor 0.14's),
generated from the typed models in :mod:`recipe_studio.models.stage`, and the field
documentation the schema, hover and completion share.

Shape (what both loaders read, `read/stage/load.py`): a `*_stage` key holds a mapping of
`*_modifiers` groups (and `run_type`, `args`, `enabled`, `exclude_default`); a group holds one
`ModifierName: {args}` entry per modifier. The group's keys are closed (an unknown modifier name
fails in both libraries); a modifier's arguments are closed for llm-compressor (`extra="forbid"`)
and open for SparseML 1.8 (unknown fields are dropped: the loader warns, the schema cannot).
With no target, a modifier both libraries register gets an ``anyOf`` of the two.

Values follow pydantic's lax mode (what both libraries run): numbers also as numeric strings,
booleans also as 0/1; SparseML evaluates `eval(...)` strings before the model sees them.
"""

from __future__ import annotations

import copy
from typing import Any, Iterable

from recipe_studio.models import stage as stage_models

EVAL_PATTERN = r"^eval\([\s\S]*\)$"
NUMERIC_STRING_PATTERN = (r"^\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?"
                          r"|[iI]nf(inity)?|nan|NaN)\s*$")
INTEGER_STRING_PATTERN = r"^\s*[-+]?\d+\s*$"

#: definition-name prefix per target (the two compressed-tensors releases differ)
PREFIX = {"sparseml": "sml.", "llmcompressor": "llmc."}

#: what a field means, by name (the libraries' models carry no field descriptions); shared by
#: both libraries' modifiers unless a (target, modifier, field) entry says otherwise
FIELD_DOCS: dict[str, str] = {
    "index": "Position of the modifier in the recipe (set by the library when it reads the "
             "recipe).",
    "group": "The modifier's group: the library sets it from the `*_modifiers` key.",
    "start": "When the modifier starts (epoch in a training stage; `-1`/unset for one-shot).",
    "end": "When the modifier ends (epoch in a training stage; `-1`/unset for one-shot).",
    "update": "How often (in epochs) the modifier updates while active.",
    "targets": "Modules (class names, module names or `re:` regular expressions) the "
               "modifier applies to.",
    "ignore": "Modules (names or `re:` regular expressions) left out.",
    "scheme": "A preset scheme name (e.g. `W4A16`, `W8A8`, `FP8_DYNAMIC`) applied to "
              "`targets`, or a mapping of preset names to target lists.",
    "config_groups": "Quantization schemes by group name: each lists its `targets` and how "
                     "`weights`, `input_activations` and `output_activations` are quantized.",
    "kv_cache_scheme": "Quantization of the attention key/value cache.",
    "sparsity": "Target sparsity (fraction of weights pruned), or one per layer.",
    "sparsity_profile": "`owl` for outlier-weighted layer-wise sparsity (needs `owl_m` and "
                        "`owl_lmbda`).",
    "owl_m": "OWL: number of outliers (with `sparsity_profile: owl`).",
    "owl_lmbda": "OWL: the sparsity range across layers (with `sparsity_profile: owl`).",
    "mask_structure": "Sparsity structure: `N:M` (e.g. `2:4`), `0:0` for unstructured.",
    "sequential_update": "Compress layer by layer (deprecated; always on in llm-compressor).",
    "block_size": "Columns processed at once by the GPTQ/SparseGPT solver.",
    "dampening_frac": "Fraction of the Hessian's mean diagonal added to it for stability.",
    "preserve_sparsity_mask": "Keep the existing sparsity mask while compressing.",
    "offload_hessians": "Keep the Hessians on the CPU.",
    "actorder": "Activation ordering of the columns (`static`, `weight`), or none.",
    "batched_quantization": "`auto` or the number of layers quantized together.",
    "smoothing_strength": "Migration strength alpha of SmoothQuant (0 to 1).",
    "mappings": "Which layers are balanced against which (modifier specific).",
    "num_calibration_steps": "Calibration batches used (all when unset).",
    "algorithm": "`smoothquant` or `log_equalization`.",
    "init_sparsity": "Sparsity at `start`.",
    "final_sparsity": "Sparsity at `end`.",
    "update_scheduler": "How sparsity grows from `init_sparsity` to `final_sparsity` "
                        "(`cubic`, `linear`, ...).",
    "scheduler_args": "Arguments of the sparsity scheduler.",
    "leave_enabled": "Keep the masks after `end`.",
    "apply_globally": "Rank weights across all targets together.",
    "duo_scaling": "AWQ: use activations and weights for the scales (`both`: try both).",
    "n_grid": "AWQ: grid points searched for each scale.",
    "offload_device": "Where AWQ keeps cached activations.",
    "rotations": "Which rotations are applied.",
    "transform_type": "`hadamard`, `random-hadamard` or `random-matrix`.",
    "randomize": "Random rotations (not supported yet).",
    "learnable": "Learnable rotations (not supported yet).",
    "precision": "Precision the transforms are computed in.",
    "transform_block_size": "Block size of the transforms (the full size when unset).",
    "transform_config": "A full transform configuration (instead of the shortcuts).",
    "norm_mappings": "SpinQuant: norms fused into the rotated linears.",
    "weight_observer": "Observer of the weights (e.g. `minmax`, `mse`).",
    "input_observer": "Observer of the input activations.",
    "output_observer": "Observer of the output activations.",
    "observer": "Observers by tensor: keys `weights`, `input`, `output`.",
    "bypass_divisibility_checks": "Skip the checks that group sizes divide the weight shapes.",
    "requires_calibration_data": "Whether the modifier needs calibration data.",
    "iters": "AutoRound: tuning iterations per block.",
    "enable_torch_compile": "AutoRound: compile the block with torch.compile.",
    "batch_size": "AutoRound: calibration batch size.",
    "lr": "AutoRound: learning rate (its default when unset).",
    "device_ids": "AutoRound: devices used.",
    "disable_opt_rtn": "AutoRound: plain round-to-nearest when `iters` is 0.",
    "report_path": "REAP: where the pruning report (`.json`) is written.",
    "quantize": "SparseML GPTQ: `true` to quantize too (with `config_groups`), or a "
                "QuantizationModifier's arguments.",
    "disable_quantization_observer_epoch": "Epoch after which observers stop updating.",
    "freeze_bn_stats_epoch": "Epoch after which batch-norm statistics freeze.",
    "model_fuse_fn_name": "Function fusing the model's modules before QAT.",
    "model_fuse_fn_kwargs": "Arguments of the fuse function.",
    "post_oneshot_calibration": "Calibrate again after one-shot.",
    "strict": "Fail on unsupported layers.",
    "scheme_overrides": "Schemes by module type or name, overriding `scheme`.",
    "projection": "Distillation: projection of the student's outputs.",
    "projection_args": "Arguments of the projection.",
    "transforms": "Distillation: transforms of the outputs before comparing.",
    "transforms_args": "Arguments of the transforms.",
    "comparison": "Distillation: how outputs are compared (`kl_divergence`, ...).",
    "comparison_args": "Arguments of the comparison.",
    "orig_scale": "Distillation: weight of the original loss.",
    "distill_scale": "Distillation: weight of the distillation loss.",
    "offload_layer_output": "Distillation: keep layer outputs on the CPU.",
    "calibration_function": "A calibration function (not expressible in a recipe).",
    "model": "The model (set by the library, not by recipes).",
    # compressed-tensors
    "num_bits": "Bits per quantized value.",
    "type": "`int` or `float`.",
    "symmetric": "Symmetric quantization (no zero point).",
    "group_size": "Columns per group (`strategy: group`); `-1` means per channel.",
    "strategy": "Granularity of the scales: `tensor`, `channel`, `group`, `block`, "
                "`token`, ...",
    "block_structure": "`[rows, cols]` of a block (`strategy: block`).",
    "dynamic": "Compute scales at run time (`true`, or `local` for tensor_group).",
    "scale_dtype": "dtype of the scales (a torch dtype name).",
    "zp_dtype": "dtype of the zero points (a torch dtype name).",
    "observer_kwargs": "Arguments of the observer.",
    "weights": "How the weights are quantized.",
    "input_activations": "How the input activations are quantized.",
    "output_activations": "How the output activations are quantized.",
    "format": "The compression format the scheme is saved in.",
}
INTERNAL_DOC = "Internal state of the library (it sets this field itself; not for recipes)."

#: the strings pydantic's lax `bool` takes (any case, no surrounding blanks): SparseML 1.8's
#: `RecipeStage.enabled` / `exclude_default` are `bool` fields
#: (`sparseml/core/recipe/stage.py:54,56`)
_BOOL_STRINGS = ("0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes")
_LAX_BOOL = [{"type": "boolean"}, {"enum": [0, 1]},
             {"type": "string", "pattern": "^(" + "|".join(
                 "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)
                 for word in _BOOL_STRINGS) + ")$"}]

#: the keys of a stage besides its groups, as SparseML 1.8 reads them (`RecipeStage`,
#: `sparseml/core/recipe/stage.py:51-57`, pydantic: other keys are ignored). llm-compressor 0.14
#: reads none of them: `Recipe.from_dict` (`llmcompressor/recipe/recipe.py:183-197`) only looks
#: at the stage's `*_modifiers` keys whose value is a mapping and ignores every other key and
#: value, so its schema leaves them open (`stage_properties("llmcompressor")`).
STAGE_KEYS: dict[str, dict[str, Any]] = {
    "run_type": {"description": "SparseML 1.8: how the stage runs (`oneshot` or `train`); "
                                "llm-compressor 0.14 does not read it.",
                 "enum": ["oneshot", "train", None]},
    "args": {"description": "SparseML 1.8 refuses `args` in a stage (move the variables to "
                            "the top level); llm-compressor 0.14 ignores it.",
             "type": ["object", "null"]},
    "enabled": {"description": "SparseML 1.8: whether the stage runs (llm-compressor 0.14 "
                               "does not read it).",
                "anyOf": _LAX_BOOL},
    "exclude_default": {"description": "SparseML 1.8: leave the stage out of the default "
                                       "serialization (llm-compressor 0.14 does not read it).",
                        "anyOf": [*_LAX_BOOL, {"type": "null"}]},
}


def field_doc(name: str) -> str | None:
    if name.endswith("_"):
        return INTERNAL_DOC
    return FIELD_DOCS.get(name)


def presets(target: str) -> list[str]:
    """The preset scheme names `scheme` accepts in `target`."""
    if target == "sparseml":
        from recipe_studio.models.stage import ct_0_4

        return list(ct_0_4.PRESETS)
    from recipe_studio.models.stage import ct_0_19

    return list(ct_0_19.presets())


def _case_insensitive(names: Iterable[str]) -> str:
    def one(name: str) -> str:
        return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else
                       ("\\" + c if not c.isalnum() and c != "_" else c) for c in name)
    return "^(" + "|".join(one(n) for n in names) + ")$"


def _walk(node: Any, fn: Any) -> Any:
    if isinstance(node, list):
        return [_walk(n, fn) for n in node]
    if not isinstance(node, dict):
        return node
    return fn({k: _walk(v, fn) for k, v in node.items()})


def _lax(node: dict[str, Any]) -> dict[str, Any]:
    """pydantic's lax mode: numbers also as numeric strings, booleans also as 0/1; drop
    pydantic's titles; `allOf: [$ref]` to `$ref` (yaml-language-server follows both)."""
    node.pop("title", None) if isinstance(node.get("title"), str) else None
    if list(node.get("allOf", [None]))[0:1] and len(node.get("allOf", [])) == 1:
        ref = node.pop("allOf")[0]
        node = {**ref, **node}
    t = node.get("type")
    extra = None
    if t == "number":  # lax mode also takes a bool as 0/1 (both judges: `start: true`)
        extra = {"type": ["string", "boolean"], "pattern": NUMERIC_STRING_PATTERN}
    elif t == "integer":
        extra = {"type": ["string", "boolean"], "pattern": INTEGER_STRING_PATTERN}
    elif t == "boolean":
        extra = {"enum": [0, 1]}
    if extra is not None and set(node) - {"type", "default", "description"} == set():
        meta = {k: node.pop(k) for k in ("default", "description") if k in node}
        return {**meta, "anyOf": [node, extra]}
    return node


#: compressed-tensors 0.19 lower-cases these before checking them (`QuantizationArgs` validators)
_LOWERED = frozenset({"QuantizationType", "QuantizationStrategy", "DynamicType"})


def _nested(target: str, name: str, node: dict[str, Any]) -> dict[str, Any]:
    """A nested model's definition: field docs added; enums the library lower-cases first
    also accepted in any case."""
    for fname, prop in node.get("properties", {}).items():
        doc = field_doc(fname)
        if doc and "description" not in prop:
            prop["description"] = doc
    if target == "llmcompressor" and name in _LOWERED and "enum" in node:
        return {"anyOf": [{"enum": node["enum"]},
                          {"type": "string", "pattern": _case_insensitive(node["enum"])}]}
    return node


def _default(value: Any) -> Any:
    return str(value) if isinstance(value, str) else value


def _generator() -> type:
    from pydantic.json_schema import GenerateJsonSchema

    class Generator(GenerateJsonSchema):
        def handle_invalid_for_json_schema(self, schema: Any, error_info: str) -> Any:
            # `Opaque` (a module, callable, device, tensor type): no recipe value passes
            return {"not": {}, "description": "A runtime object: no recipe value can be one."}

    return Generator


def modifier_schema(target: str, name: str, model: type) -> tuple[dict[str, Any], dict]:
    """(closed-or-open schema of one modifier's arguments, nested definitions)."""
    prefix = PREFIX[target]
    generated = model.model_json_schema(mode="validation", schema_generator=_generator(),
                                        ref_template="#/definitions/" + prefix + "{model}")
    defs = {prefix + k: _nested(target, k, _walk(v, _lax))
            for k, v in generated.pop("$defs", {}).items()}
    props = generated.get("properties", {})
    properties: dict[str, Any] = {}
    for fname, field in model.model_fields.items():
        prop = _walk(copy.deepcopy(props.get(fname, {})), _lax)
        prop.pop("default", None)
        doc = field.description or field_doc(fname)
        meta: dict[str, Any] = {}
        if doc:
            meta["description"] = doc
        if not field.is_required() and field.default_factory is None:
            try:
                import json

                json.dumps(field.default)
                meta["default"] = _default(field.default)
            except (TypeError, ValueError):
                pass
        elif field.default_factory is not None:
            try:
                meta["default"] = field.default_factory()
            except TypeError:
                pass
        if fname == "scheme":
            prop = _scheme_schema(target)
        if target == "sparseml" and prop:  # SparseML evaluates `eval(...)` first
            branches = prop.pop("anyOf") if set(prop) == {"anyOf"} else [prop]
            prop = {"anyOf": [*branches, {"type": "string", "pattern": EVAL_PATTERN}]}
        properties[fname] = {**meta, **prop}
    display = stage_models.display(target)
    doc = " ".join((model.__doc__ or name).split())
    required = [f for f, info in model.model_fields.items() if info.is_required()]
    schema: dict[str, Any] = {
        "title": f"{name} ({display})",
        "description": doc,
        "markdownDescription": f"**{name}** ({display})\n\n{doc}",
        "type": "object",
        "properties": properties,
        "additionalProperties": target == "sparseml",
    }
    if target == "sparseml":
        schema["minProperties"] = 1  # `args must be set before evaluating`
    if required:  # the modifier is named by its key: unlike a classic tag, the schema sees it
        schema["required"] = required
    return schema, defs


def _scheme_schema(target: str) -> dict[str, Any]:
    names = presets(target)
    if target == "sparseml":
        # SparseML 1.8 reads any string here and looks at it only when GPTQ builds its own
        # quantization modifier (`on_initialize_structure`): a preset (`is_preset_scheme`
        # upper-cases) becomes `{name: targets}`, any other string fails there
        # (`self.scheme.keys()` on a str); with `quantize: false`, a `quantize` mapping or an
        # earlier quantization modifier it is ignored. A string that is no preset is thus never
        # meaningful, and the schema flags it, as it applies the classic checks SparseML only
        # makes later. Without this the default schema (either library) let a misspelt preset
        # through SparseML's branch of the `anyOf`: yaml-language-server answered at once,
        # with no diagnostic (tests/editors/test_yaml_language_server.py, `test_stage_recipes`).
        return {"anyOf": [{"enum": names},
                          {"type": "string", "pattern": _case_insensitive(names)},
                          {"type": "object"}, {"type": "null"}]}
    return {"anyOf": [
        {"enum": names},
        {"type": "string", "pattern": _case_insensitive(names)},
        {"type": "object", "propertyNames": {"pattern": _case_insensitive(names)},
         "additionalProperties": {"anyOf": [{"type": "string"},
                                            {"type": "array", "items": {"type": "string"}}]}},
        {"type": "null"}]}


def targets_of(target: str | None) -> list[str]:
    return [target] if target else list(stage_models.TARGETS)


def definitions(target: str | None = None) -> dict[str, Any]:
    """Every stage-recipe definition: one per (target, modifier), the modifier group, the
    stage; `stage_group` and `stage` are what the recipe schema refers to."""
    defs: dict[str, Any] = {}
    by_name: dict[str, list[str]] = {}
    for t in targets_of(target):
        for name, model in stage_models.registry(t).items():
            if name == "Modifier":
                continue  # abstract: creating it fails in both libraries
            schema, nested = modifier_schema(t, name, model)
            defs.update(nested)
            key = PREFIX[t] + name
            defs[key] = schema
            by_name.setdefault(name, []).append(key)
    properties = {}
    for name in sorted(by_name):
        refs = [{"$ref": f"#/definitions/{k}"} for k in by_name[name]]
        properties[name] = refs[0] if len(refs) == 1 else {
            "description": f"`{name}`: registered by both libraries; the arguments are "
                           "checked against each.", "anyOf": refs}
    which = " or ".join(stage_models.display(t) for t in targets_of(target))
    defs["stage_group"] = {
        "description": f"A modifier group (`*_modifiers`) of a stage recipe: one "
                       f"`ModifierName: {{args}}` entry per modifier ({which}).",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    return defs


def stage_properties(target: str | None = None) -> dict[str, Any]:
    """The keys a stage (`*_stage`) has besides its groups: typed for SparseML 1.8; open
    (descriptions only) for llm-compressor 0.14, which ignores them, and so with no target
    too (a schema never rejects what either library accepts)."""
    if target == "sparseml":
        return copy.deepcopy(STAGE_KEYS)
    return {k: {"description": v["description"]} for k, v in STAGE_KEYS.items()}


def group_keys(target: str | None = None) -> dict[str, Any]:
    """`patternProperties` of a stage: the groups, and the other keys containing `modifiers`.

    A key ending in `_modifiers` is a group in both libraries: SparseML 1.8 fails unless its
    value is a mapping (`value.items()`, `stage.py:193-199`); llm-compressor 0.14 reads it only
    when it is one (`recipe.py:187`) and ignores any other value. A classic recipe's stage
    holds a list of `!Modifier`s there (with no target a list is checked as one: what
    llm-compressor ignores but classic SparseML reads). Any other key containing `modifiers`
    is ignored by both stage readers (`other_modifiers_keys`).
    """
    group: list[dict[str, Any]] = [{"$ref": "#/definitions/stage_group"},
                                   {"$ref": "#/definitions/modifier_list"}, {"type": "null"}]
    if target == "llmcompressor":
        group = [{"$ref": "#/definitions/stage_group"}, {"not": {"type": "object"}}]
    elif target is None:  # llm-compressor's scalars too; a list stays a classic list
        group = [*group[:2], {"not": {"type": ["object", "array"]}}]
    return {"_modifiers$": {"anyOf": group}}


#: a stage of a stage recipe: some `*_modifiers` key holds a mapping (a group)
STAGE_RECIPE_STAGE = {"not": {"patternProperties": {"_modifiers$": {"not": {"type": "object"}}}}}


def other_modifiers_keys(target: str | None = None) -> dict[str, Any]:
    """The stage's `if`/`else` for its keys containing `modifiers` that are no group: both
    stage readers ignore them (SparseML 1.8's pydantic drops unknown keys; a truthy `modifiers`
    fails, `stage.py:185-190`), a classic stage reads a list of `!Modifier`s there. So in a
    stage recipe's stage they are free; in any other stage a list is checked."""
    if target == "llmcompressor":
        return {}
    return {"if": STAGE_RECIPE_STAGE, "else": {"patternProperties": {
        "^(?!.*_modifiers$).*modifiers": {"anyOf": [{"$ref": "#/definitions/modifier_list"},
                                                    {"not": {"type": "array"}}]}}}}
