"""JSON Schema for SparseML recipes, for yaml-language-server (and any JSON Schema tool).

The schema is generated from the modifier models (:data:`recipe_studio.models.catalog.MODELS`)
and committed as ``schemas/recipe.schema.json``; ``recipe-studio schema --check`` fails
when the committed file no longer matches the models.

Design (measured with yaml-language-server 1.25.0, lint-ux-anchors.md §2):

* JSON Schema cannot see a YAML tag, so a modifier list's items are an ``anyOf`` over one
  *closed* schema per modifier (``additionalProperties: false``), each with a ``title``
  (yaml-language-server shows it as the diagnostic source and the hover header). ``oneOf``
  gives false "matches multiple schemas" errors (several modifiers have identical or
  nested field sets) and open schemas catch nothing.
* Modifier lists are matched by key pattern (every key containing ``modifiers``, as
  SparseML reads them), at the top level and inside classic stages; every other
  top-level key is a recipe variable.
* Every field also accepts an ``eval(...)`` string (SparseML evaluates it before the
  modifier is built); fields SparseML passes through ``float()`` also accept numeric
  strings. Ranges are the ones SparseML checks when it loads a recipe, plus the ones it
  only checks later (at modify or train time) where the models document them.

The schema is a convenience for editors that run yaml-language-server; the exact checks
(per tag, cross-field, variables, PyYAML semantics) are `recipe-studio lint` and
`recipe-studio lsp`.
"""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Set as AbstractSet
from typing import Any

from recipe_studio.models import catalog
from recipe_studio.models.catalog import GMP_FAMILY
from recipe_studio.models.base import ALL_PRUNABLE_TOKEN, ALL_TOKEN, ModifierSpec

#: where the generated files live, relative to the repository root
SCHEMA_FILE = "schemas/recipe.schema.json"
CUSTOM_TAGS_FILE = "schemas/custom-tags.json"

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
#: an `eval(...)` expression, as SparseML recognises it (the whole value)
EVAL_PATTERN = r"^eval\([\s\S]*\)$"
#: a string `float()` converts (what SparseML accepts for fields it converts itself)
NUMERIC_STRING_PATTERN = (r"^\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?"
                          r"|[iI]nf(inity)?|nan|NaN)\s*$")
INTEGER_STRING_PATTERN = r"^\s*[-+]?\d+\s*$"

#: validators of bool fields SparseML only tests for truthiness (0 and 1 are common)
_TRUTHY = frozenset({"_bool_arg"})
#: validators of `params`-like fields: a token string or a list of names
_PARAMS_VALIDATORS = frozenset({"_params_arg", "_prunable_params_arg"})

#: ranges SparseML checks (at load unless the field is an `x-expects` field), by
#: (model names or "*", field) → bounds applied to the field's numeric branch
_BOUNDS: list[tuple[AbstractSet[str] | str, str, dict[str, Any]]] = [
    ("*", "start_epoch", {"minimum": -1}),
    ("*", "update_frequency", {"minimum": -1}),
    (GMP_FAMILY, "init_sparsity", {"minimum": 0, "maximum": 1}),
    (GMP_FAMILY, "final_sparsity", {"exclusiveMinimum": 0, "exclusiveMaximum": 1}),
    (("LearningRateFunctionModifier",), "init_lr", {"minimum": 0, "maximum": 1}),
    (("LearningRateFunctionModifier",), "final_lr", {"minimum": 0, "maximum": 1}),
    (("LearningRateModifier",), "init_lr", {"exclusiveMinimum": 0, "maximum": 1}),
    (("SetLearningRateModifier",), "learning_rate", {"exclusiveMinimum": 0, "maximum": 1}),
]

_MASK_TYPES = ["unstructured", "block4"]

#: what an `x-expects` text (a value SparseML only checks later) means as a schema
_EXPECTS: dict[str, dict[str, Any]] = {
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "positive number": {"type": "number", "exclusiveMinimum": 0},
    "number in [0, 1]": {"type": "number", "minimum": 0, "maximum": 1},
    "float in (0, 1)": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    "integer or null": {"type": ["integer", "null"]},
    "string or null": {"type": ["string", "null"]},
    "mapping": {"type": "object"},
    "mapping or null": {"type": ["object", "null"]},
    "list or null": {"type": ["array", "null"]},
    "true, false or null": {"type": ["boolean", "null"]},
    "list of integers or null": {"type": ["array", "null"], "items": {"type": "integer"}},
    "list of names or null": {"type": ["array", "null"], "items": {"type": "string"}},
    "list of module names or null": {"type": ["array", "null"], "items": {"type": "string"}},
    "list of class names or null": {"type": ["array", "null"], "items": {"type": "string"}},
    "list of device strings or null": {"type": ["array", "null"],
                                       "items": {"type": ["string", "integer"]}},
    "list of lists of parameter names": {
        "type": "array", "items": {"type": "array", "items": {"type": "string"}}},
    "device string or integer": {"type": ["string", "integer"]},
    "number or nested list of numbers": {
        "anyOf": [{"type": "number"},
                  {"type": "array", "items": {"$ref": "#/definitions/values"}}]},
    "integer or {sparsity: integer}": {
        "anyOf": [{"type": "integer"},
                  {"type": "object", "additionalProperties": {"type": "integer"}}]},
    "'linear', 'cubic' or 'inverse_cubic'": {"enum": ["linear", "cubic", "inverse_cubic"]},
    "float in [0, 1] or '__FROM_PARAM__'": {
        "anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                  {"enum": ["__FROM_PARAM__"]}]},
    "float in (0, 1) or {sparsity: [params]}": {
        "anyOf": [{"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                  {"$ref": "#/definitions/sparsity_mapping"}]},
    "'unstructured', 'block4', 'N:M' string, 'tensorrt' or [int, int]": {
        "anyOf": [{"enum": [*_MASK_TYPES, "tensorrt"]},
                  {"type": "string", "pattern": r"^\d+:\d+$"},
                  {"$ref": "#/definitions/block_shape"}]},
    "'unstructured', 'block4', 'N:M' string or [int, int]": {
        "anyOf": [{"enum": _MASK_TYPES},
                  {"type": "string", "pattern": r"^\d+:\d+$"},
                  {"$ref": "#/definitions/block_shape"}]},
}

_LOG_TYPES = {
    "description": "Ignored: SparseML 1.8 removes `log_types` from every modifier before "
                   "building it (loggers are configured by the integration).",
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}},
              {"type": "null"}],
}

_SHARED_DEFINITIONS: dict[str, Any] = {
    "eval": {
        "type": "string",
        "pattern": EVAL_PATTERN,
        "description": "An `eval(...)` expression over the recipe's variables, evaluated by "
                       "SparseML before the modifier is built.",
    },
    "numeric_string": {
        "type": "string",
        "pattern": NUMERIC_STRING_PATTERN,
        "description": "A quoted number, which SparseML converts with `float()` here.",
    },
    "integer_string": {
        "type": "string",
        "pattern": INTEGER_STRING_PATTERN,
        "description": "A quoted whole number, which SparseML converts with `int()` here.",
    },
    "values": {"anyOf": [{"type": "number"},
                         {"type": "array", "items": {"$ref": "#/definitions/values"}}]},
    "block_shape": {"type": "array", "items": {"type": "integer"}, "minItems": 2,
                    "maxItems": 2},
    "sparsity_mapping": {
        "type": "object",
        "description": "`{sparsity: [params]}`: a target sparsity per group of parameters.",
        "additionalProperties": {"type": "array", "items": {"type": ["string", "array"]}},
    },
    "param_list": {
        "type": "array",
        "items": {"type": ["string", "array"]},
        "description": "Full parameter names and `re:` regular expressions.",
    },
}


def title_of(model: type[ModifierSpec]) -> str:
    """The schema title of a modifier model: its tag, marked for the legacy quantizer."""
    if model.__name__ == "LegacyQuantizationModifier":
        return f"{model.tag} (legacy)"
    return model.tag


def definition_name(model: type[ModifierSpec]) -> str:
    """The name of a model's entry under `definitions` (its class name)."""
    return model.__name__


def _validator_names(field: Any) -> set[str]:
    names = set()
    for meta in getattr(field, "metadata", ()):
        func = getattr(meta, "func", None)
        if func is not None:
            names.add(getattr(func, "__name__", ""))
    return names


def _bounds_for(model: type[ModifierSpec], name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for models, field, bounds in _BOUNDS:
        if field == name and (models == "*" or model.__name__ in models):
            out.update(bounds)
    if name == "end_epoch" and model.end_rule == "must_neg1":
        out["const"] = -1
    elif name == "end_epoch" and model.end_rule != "forced_neg1":
        minimum = float(getattr(model, "min_end", -1.0))
        key = "minimum"
        if model.end_rule == "gt" and minimum <= -1:
            key = "exclusiveMinimum"  # end > start >= -1
        out[key] = int(minimum) if minimum.is_integer() else minimum
    return out


def _is_number(branch: dict[str, Any]) -> bool:
    t = branch.get("type")
    return t in ("number", "integer") or (isinstance(t, list) and
                                          bool({"number", "integer"} & set(t)))


def _accepts_any_string(branch: dict[str, Any]) -> bool:
    t = branch.get("type")
    is_str = t == "string" or (isinstance(t, list) and "string" in t)
    return is_str and not ({"enum", "const", "pattern"} & set(branch))


def _clean(node: Any) -> Any:
    """Drop pydantic's titles and our `x-` metadata; turn `const` + `enum` into `enum`."""
    if isinstance(node, list):
        return [_clean(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "title" or key.startswith("x-"):
            continue
        out[key] = _clean(value)
    if "const" in out and "enum" in out:
        del out["const"]
    if "enum" in out and out.get("type") in ("string", "boolean"):
        del out["type"]  # implied by the values; keeps the messages short
    return out


def _field_schema(model: type[ModifierSpec], name: str, prop: dict[str, Any]) -> dict[str, Any]:
    field = model.model_fields[name]
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    validators = _validator_names(field)
    meta: dict[str, Any] = {}
    if field.description:
        meta["description"] = field.description
        meta["markdownDescription"] = field.description
    if "default" in prop:
        meta["default"] = prop["default"]

    if extra.get("x-ignored"):
        # SparseML accepts any value and discards it: document it, check nothing
        return meta
    expects = extra.get("x-expects")
    if isinstance(expects, str):
        value = copy.deepcopy(_EXPECTS.get(expects) or {})
    else:
        value = _clean({k: v for k, v in prop.items() if k not in ("default", "description")})
    if not value:
        return meta

    branches = value.pop("anyOf") if "anyOf" in value and len(value) == 1 else [value]
    bounds = _bounds_for(model, name)
    out: list[dict[str, Any]] = []
    numeric = False
    for branch in branches:
        branch = dict(branch)
        if _is_number(branch):
            numeric = True
            branch.update(bounds)
        elif branch.get("type") == "array" and branch.get("items") == {}:
            if name == "final_sparsity" and bounds:
                branch["items"] = {"anyOf": [{"type": "number", **bounds},
                                             {"$ref": "#/definitions/eval"}]}
            elif validators & _PARAMS_VALIDATORS:
                branch = {"$ref": "#/definitions/param_list"}
            else:
                branch.pop("items")
        elif branch.get("type") == "object" and name == "final_sparsity":
            # a $ref without a title: yaml-language-server calls it by the definition's
            # name in type errors ("Expected number | array | sparsity_mapping") and keeps
            # it out of the diagnostic source (a title, or an inline object, would not)
            branch = {"$ref": "#/definitions/sparsity_mapping"}
        elif _accepts_any_string(branch) and validators & _PARAMS_VALIDATORS:
            branch = {"enum": [ALL_PRUNABLE_TOKEN, ALL_TOKEN]}
        out.append(branch)
        if branch.get("type") == "boolean" and validators & _TRUTHY:
            out.append({"enum": [0, 1]})
    cast = model.cast_fields().get(name)  # SparseML converts strings itself
    if numeric and cast == "float":
        out.append({"$ref": "#/definitions/numeric_string"})
    if numeric and cast == "int":
        out.append({"$ref": "#/definitions/integer_string"})
    if not any(_accepts_any_string(b) for b in out):
        out.append({"$ref": "#/definitions/eval"})
    if len(out) == 1:
        return {**meta, **out[0]}
    return {**meta, "anyOf": out}


def _doc(model: type[ModifierSpec]) -> str:
    return " ".join((inspect.getdoc(model) or model.tag).split())


def modifier_schema(model: type[ModifierSpec]) -> dict[str, Any]:
    """The closed schema of one modifier model."""
    generated = model.model_json_schema(mode="validation")
    props = generated.get("properties", {})
    properties: dict[str, Any] = {}
    for name in model.model_fields:
        properties[name] = _field_schema(model, name, props.get(name, {}))
    if model.__name__ == "RigLPruningModifier":
        from recipe_studio.models.pruning import RIGL_FORWARDED

        for name in RIGL_FORWARDED:
            properties.setdefault(name, {
                "description": "Forwarded by RigLPruningModifier to SparseML's gradual "
                               "pruning base class (changes its checks)."})
    properties.setdefault("log_types", copy.deepcopy(_LOG_TYPES))
    description = _doc(model)
    legacy = model.__name__ == "LegacyQuantizationModifier"
    markdown = (f"**!{model.tag}**" + (" (legacy form)" if legacy else "")
                + f"\n\n{description}\n\nSparseML class: `{model.sparseml_class}`")
    schema: dict[str, Any] = {
        "title": title_of(model),
        "description": description,
        "markdownDescription": markdown,
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }
    # no `required`: the schema cannot see the tag, so a required list is checked against
    # whichever modifier matches best, and a typo or another modifier's field then gives
    # "Missing property" errors naming fields of the wrong modifier (docs/editors.md);
    # missing fields are RS103, reported by `recipe-studio lint` and `recipe-studio lsp`
    return schema


def build_schema(target: str | None = None) -> dict[str, Any]:
    """The whole recipe schema (draft-07), as a JSON-ready dict: classic recipes, and stage
    recipes for `target` (`sparseml`, `llmcompressor`; both when None, :mod:`.stage_schema`)."""
    from recipe_studio.models import stage_schema

    definitions: dict[str, Any] = copy.deepcopy(_SHARED_DEFINITIONS)
    refs = []
    from recipe_studio.stubs import active as stubs  # `schema` with `modifier-stubs`

    for model in (*catalog.MODELS, *stubs.classic_models()):
        name = definition_name(model)
        definitions[name] = modifier_schema(model)
        refs.append({"$ref": f"#/definitions/{name}"})
    definitions["modifier"] = {
        "description": "A modifier: `- !Name` followed by its fields. The schema cannot see "
                       "the tag, so the fields are checked against every modifier and the "
                       "closest match is reported.",
        # `- !DistillationModifier` alone (every field has a default): a tagged empty
        # scalar, which yaml-language-server reads as `""` (a `scalar` custom tag)
        "anyOf": [*refs, {"enum": [None, ""]}],
    }
    definitions["modifier_list"] = {
        "description": "A list of `- !Modifier` items (SparseML reads every key whose name "
                       "contains `modifiers`).",
        "type": "array",
        "items": {"$ref": "#/definitions/modifier"},
    }
    definitions["variable"] = {
        "description": "A recipe variable, usable in `eval(...)` expressions of modifier "
                       "fields (numbers), or substituted whole by `eval(name)`.",
        "anyOf": [
            {"type": ["number", "string", "boolean", "null"]},
            {"type": "array", "items": {"$ref": "#/definitions/list_item"}},
            {"$ref": "#/definitions/stage"},
        ],
    }
    definitions["list_item"] = {
        "description": "An item of a list variable. A list of mappings is a list of "
                       "modifiers under a key SparseML does not read: put it under a key "
                       "containing `modifiers`.",
        "type": ["number", "string", "boolean", "null", "array"],
        # yaml-language-server's extension: the message shown instead of a type error
        "errorMessage": "A modifier under a key SparseML does not read: modifier lists "
                        "must be under a key containing `modifiers` (e.g. "
                        "`pruning_modifiers:`).",
    }
    definitions.update(stage_schema.definitions(target))
    definitions["stage"] = {
        "description": "A stage: in a classic staged recipe its own variables and lists of "
                       "`!Modifier`s; in a stage recipe (SparseML 1.8's `sparseml.core`, "
                       "llm-compressor 0.14) its `*_modifiers` groups of "
                       "`ModifierName: {args}` entries.",
        "type": "object",
        "properties": stage_schema.stage_properties(target),
        # the stage recipe's group first: yaml-language-server keeps the first of equally
        # good branches, and a group whose only modifier is misnamed matches neither form,
        # so the list first gave `Incorrect type. Expected "array | null"` where the group
        # gives `Property <name> is not allowed.`; a classic list is decided by its items
        "patternProperties": stage_schema.group_keys(target),
        **stage_schema.other_modifiers_keys(target),
    }
    which = " and ".join(stage_schema.stage_models.display(t)
                         for t in stage_schema.targets_of(target))
    return {
        "$schema": DRAFT_07,
        "title": "SparseML 1.8 recipe" if target is None else f"{which} recipe",
        "description": "A SparseML 1.8 recipe: variables and lists of `!Modifier`s; or a stage "
                       f"recipe ({which}): `*_stage` mappings of `*_modifiers` groups. "
                       "Generated by `recipe-studio schema` from recipe-studio's modifier "
                       "models; `recipe-studio lint` checks everything this schema cannot.",
        "type": "object",
        "properties": {
            "version": {"description": "The recipe's version (informational).",
                        "type": ["string", "number"]},
            "__metadata__": {"description": "Free-form metadata SparseML keeps with the "
                                            "recipe.",
                             "type": ["object", "null"]},
            "metadata": {"description": "Stage recipes: free-form metadata the library keeps "
                                        "with the recipe (a variable in a classic recipe)."},
            "args": {"description": "Stage recipes: llm-compressor 0.14's recipe arguments "
                                    "(a mapping; SparseML 1.8 reads it as a variable)."},
        },
        "patternProperties": {"modifiers": {"$ref": "#/definitions/modifier_list"}},
        "additionalProperties": {"$ref": "#/definitions/variable"},
        "definitions": definitions,
    }


def custom_tags(*, pytorch_prefix: bool = False) -> list[str]:
    """yaml-language-server's `yaml.customTags`: every modifier tag on a mapping, and on a
    scalar for modifiers whose fields all have defaults (`- !DistillationModifier` alone).

    The `!pytorch.Name` spellings are left out unless asked for: SparseML 1.8 fails on them
    in a recipe mapping (RS012), so completion must not offer them, and yaml-language-server
    then flags them as unresolved tags, as recipe-studio does.
    """
    from recipe_studio.stubs import active as stubs

    models = (*catalog.MODELS, *stubs.classic_models())
    fieldless = {m.tag for m in models
                 if not any(f.is_required() for f in m.model_fields.values())}
    prefixes = ["!", "!pytorch."] if pytorch_prefix else ["!"]
    tags = []
    for prefix in prefixes:
        for tag in (*catalog.TAGS, *stubs.classic_names()):
            tags.append(f"{prefix}{tag} mapping")
            if tag in fieldless:
                tags.append(f"{prefix}{tag} scalar")
    return tags


def render_schema(target: str | None = None) -> str:
    """The schema file's text (stable: same models, same bytes)."""
    return json.dumps(build_schema(target), indent=2, ensure_ascii=False) + "\n"


def render_custom_tags() -> str:
    """The custom-tags file's text: a JSON list for `yaml.customTags`."""
    return json.dumps(custom_tags(), indent=2) + "\n"
