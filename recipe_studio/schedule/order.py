"""The order in which SparseML 1.8's manager runs a recipe's modifiers (sparseml-recipes.md §7.4).

`ScheduledModifierManager` sorts every modifier list with `BaseModifier.comparator`: by
`end_epoch` (ascending, -1 = never ends last), then `start_epoch`, then `identifier()`,
which is the class name followed by the MD5 of the modifier's serialised properties. Every
step, modifiers update in that order, so when two of them write the same value at the same
step (two `SetLearningRateModifier`s at one epoch, a `SetLearningRateModifier` at the end of a
`LearningRateFunctionModifier`) the one sorted last wins. Stages of a staged recipe are
sorted with `comparator_lists`.

:func:`identifier` rebuilds SparseML's serialised properties from the evaluated arguments,
with the conversions each constructor applies and the key sorting of SparseML's YAML
round trip, so the MD5 — and the order — are SparseML's own (checked against
`str(manager)` for every modifier of the loadable corpus recipes, and against the live
`identifier()` in the SparseML tests). Two inputs cannot be reproduced in general: the
legacy QuantizationModifier keeps `submodules` in a set, whose order depends on the Python
hash seed (SparseML's own order of two such modifiers with equal epochs is not stable across
runs either), and MFAC's default `available_devices` is taken to be a CPU-only machine.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from recipe_studio.models.base import convert_to_bool
from recipe_studio.read.recipe import ModifierEntry, Recipe

#: SparseML 1.8's serialisable properties per class (`ModifierProp(serializable=True)`)
PROPS: dict[str, tuple[str, ...]] = {
    "EpochRangeModifier": ("end_epoch", "start_epoch"),
    "SparsificationLoggingModifier": ("end_epoch", "start_epoch", "update_frequency"),
    "SetLearningRateModifier": ("constant_logging", "end_epoch", "learning_rate",
                                "param_groups", "start_epoch"),
    "LearningRateFunctionModifier": ("cycle_epochs", "end_epoch", "final_lr", "init_lr",
                                     "lr_func", "param_groups", "start_epoch",
                                     "update_frequency"),
    "LearningRateModifier": ("constant_logging", "end_epoch", "init_lr", "lr_class",
                             "lr_kwargs", "start_epoch", "update_frequency"),
    "SetWeightDecayModifier": ("constant_logging", "end_epoch", "param_groups", "start_epoch",
                               "weight_decay"),
    "TrainableParamsModifier": ("end_epoch", "params", "params_strict", "start_epoch",
                                "trainable"),
    "SetParamModifier": ("end_epoch", "params", "params_strict", "start_epoch", "val"),
    "GradualParamModifier": ("end_epoch", "final_val", "init_val", "inter_func", "params",
                             "params_strict", "start_epoch", "update_frequency"),
    "GMPruningModifier": ("end_epoch", "final_sparsity", "global_sparsity", "init_sparsity",
                          "inter_func", "leave_enabled", "mask_type", "params", "start_epoch",
                          "update_frequency"),
    "MagnitudePruningModifier": ("end_epoch", "final_sparsity", "init_sparsity", "inter_func",
                                 "leave_enabled", "mask_type", "params", "start_epoch",
                                 "update_frequency"),
    "StructuredPruningModifier": ("end_epoch", "final_sparsity", "init_sparsity",
                                  "inter_func", "leave_enabled", "mask_type", "param_groups",
                                  "params", "start_epoch", "update_frequency"),
    "ConstantPruningModifier": ("end_epoch", "params", "start_epoch", "update_frequency"),
    "ACDCPruningModifier": ("compression_sparsity", "end_epoch", "global_sparsity",
                            "leave_enabled", "mask_type", "momentum_buffer_reset", "params",
                            "start_epoch", "update_frequency"),
    "MFACPruningModifier": ("available_devices", "damp", "end_epoch", "final_sparsity",
                            "fisher_block_size", "global_sparsity", "grad_sampler_kwargs",
                            "grads_device", "init_sparsity", "inter_func", "leave_enabled",
                            "mask_type", "num_grads", "num_pages", "params", "start_epoch",
                            "update_frequency", "use_gradient_buffering"),
    "OBSPruningModifier": ("damp", "end_epoch", "final_sparsity", "fisher_block_size",
                           "global_sparsity", "grad_sampler_kwargs", "init_sparsity",
                           "inter_func", "leave_enabled", "mask_type", "num_grads",
                           "num_recomputations", "params", "start_epoch", "update_frequency"),
    "RigLPruningModifier": ("end_epoch", "final_sparsity", "global_sparsity",
                            "grad_sampler_kwargs", "init_update_fraction", "inter_func",
                            "leave_enabled", "mask_type", "momentum_buffer_reset", "num_grads",
                            "params", "sparsity_strategy", "start_epoch", "update_frequency"),
    "TopKASTPruningModifier": ("active_weight_decay", "backward_sparsity", "end_epoch",
                               "forward_sparsity", "global_sparsity", "leave_enabled",
                               "mask_type", "params", "start_epoch", "update_frequency"),
    "LayerPruningModifier": ("end_epoch", "layers", "start_epoch", "update_frequency"),
    "PowerpropagationModifier": ("alpha", "end_epoch", "params", "start_epoch"),
    "LayerThinningModifier": ("end_epoch", "param_group_dependency_map", "start_epoch",
                              "strict", "structure_type", "update_epochs"),
    "DistillationModifier": ("distill_output_keys", "end_epoch", "hardness", "start_epoch",
                             "teacher_input_keys", "temperature", "update_frequency"),
    "PerLayerDistillationModifier": ("distill_output_keys", "end_epoch", "epsilon", "gain",
                                     "normalize", "project_features", "start_epoch",
                                     "student_layer_names", "teacher_input_keys",
                                     "teacher_layer_names", "update_frequency"),
    "LegacyQuantizationModifier": (
        "activation_bits", "activation_qconfig_kwargs", "custom_quantizable_module_types",
        "disable_quantization_observer_epoch", "end_epoch", "exclude_batchnorm",
        "exclude_module_types", "freeze_bn_stats_epoch", "model_fuse_fn_name",
        "num_calibration_steps", "quantize_conv_activations", "quantize_embedding_activations",
        "quantize_embeddings", "quantize_linear_activations", "reduce_range", "start_epoch",
        "submodules", "tensorrt", "weight_bits", "weight_qconfig_kwargs"),
    "QuantizationModifier": ("disable_quantization_observer_epoch", "end_epoch",
                             "freeze_bn_stats_epoch", "ignore", "model_fuse_fn_kwargs",
                             "model_fuse_fn_name", "num_calibration_steps", "scheme",
                             "scheme_overrides", "start_epoch", "strict"),
}
PROPS["GlobalMagnitudePruningModifier"] = PROPS["MagnitudePruningModifier"]
PROPS["MovementPruningModifier"] = PROPS["MagnitudePruningModifier"]


def _float_if_str(value: Any) -> Any:
    return float(value) if isinstance(value, str) else value


def _default(entry: ModifierEntry, name: str) -> Any:
    spec = entry.spec
    assert spec is not None
    field = type(spec).model_fields.get(name)
    if field is None:
        return None
    if field.default_factory is not None:
        return field.default_factory()  # type: ignore[call-arg]
    return None if field.is_required() else field.default


def sparseml_props(entry: ModifierEntry) -> dict[str, Any]:
    """The serialisable properties SparseML's object holds (values as stored; `None`
    values are left out, as SparseML leaves them out of `str()` and `identifier()`)."""
    spec = entry.spec
    assert spec is not None
    cls = type(spec).__name__
    a = entry.args
    props: dict[str, Any] = {}
    for name in PROPS.get(cls, ()):
        props[name] = a[name] if name in a else _default(entry, name)
    props["start_epoch"] = float(spec.effective_start_epoch)
    props["end_epoch"] = float(spec.effective_end_epoch)
    _convert(entry, cls, props)
    return {k: v for k, v in props.items() if v is not None}


def identifier(entry: ModifierEntry) -> str:
    """`BaseModifier.identifier()`: the class name and the MD5 of the sorted `key:value`
    strings of its serialisable properties."""
    import hashlib  # OpenSSL's start-up (~8 ms) only where an identifier is needed

    items = sorted(f"{key}:{val}" for key, val in sparseml_props(entry).items())
    digest = hashlib.md5(str(items).encode()).hexdigest()
    return f"{entry.type}-{digest}"


def _start(entry: ModifierEntry) -> float:
    assert entry.spec is not None
    return float(entry.spec.effective_start_epoch)


def _end(entry: ModifierEntry) -> float:
    assert entry.spec is not None
    return float(entry.spec.effective_end_epoch)


def _cmp_ends(a: float, b: float) -> int:
    if a == b:
        return 0
    if b == -1:
        return -1
    if a == -1:
        return 1
    return -1 if a < b else 1


def _cmp_starts(a: float, b: float) -> int:
    if a == b:
        return 0
    return 1 if a > b else -1


def _cmp_ids(a: str, b: str) -> int:
    return -1 if a < b else 1 if a > b else 0


def _comparator(one: tuple[ModifierEntry, str], two: tuple[ModifierEntry, str]) -> int:
    c = _cmp_ends(_end(one[0]), _end(two[0]))
    if c == 0:
        c = _cmp_starts(_start(one[0]), _start(two[0]))
    if c == 0:
        c = _cmp_ids(one[1], two[1])
    return c


def identifier_failure(entry: ModifierEntry) -> str | None:
    """The exception SparseML's `identifier()` raises for this modifier, or None.

    `identifier()` reads every serialisable property; the legacy QuantizationModifier's
    `submodules` getter is `list(self._submodules)`, which fails on a number or a bool
    (`legacy_modifier_quantization.py:232`). The constructor accepts such a value, so the
    recipe loads unless the manager's sort needs the identifier (see :func:`ordering_failure`).
    """
    if entry.spec is None or type(entry.spec).__name__ != "LegacyQuantizationModifier":
        return None
    value = entry.args.get("submodules")
    if isinstance(value, (bool, int, float)):
        return f"TypeError: '{type(value).__name__}' object is not iterable"
    return None


def ordering_failure(entries: Sequence[ModifierEntry]
                     ) -> tuple[ModifierEntry, ModifierEntry, str] | None:
    """Replays `BaseManager._sort_modifiers_list` (the same `sorted` over the same
    comparator, so the same pairs are compared) and returns the first comparison whose
    identifier tie-break reaches a modifier whose `identifier()` raises: (that modifier,
    the one it was compared with, the error). None when the sort never needs it."""
    failing = {id(e): why for e in entries if (why := identifier_failure(e))}
    if not failing:
        return None
    found: list[tuple[ModifierEntry, ModifierEntry, str]] = []

    class _Stop(Exception):
        pass

    def cmp(one: ModifierEntry, two: ModifierEntry) -> int:
        c = _cmp_ends(_end(one), _end(two))
        if c == 0:
            c = _cmp_starts(_start(one), _start(two))
        if c == 0:
            for a, b in ((one, two), (two, one)):  # SparseML computes one's, then two's
                if id(a) in failing:
                    found.append((a, b, failing[id(a)]))
                    raise _Stop
            c = _cmp_ids(identifier(one), identifier(two))
        return c

    try:
        sorted(entries, key=functools.cmp_to_key(cmp))
    except _Stop:
        return found[0]
    return None


def sort_modifiers(entries: Sequence[ModifierEntry]) -> list[ModifierEntry]:
    """One modifier list in SparseML's order (`BaseManager._sort_modifiers_list`)."""
    keyed = [(e, identifier(e)) for e in entries]
    return [e for e, _ in sorted(keyed, key=functools.cmp_to_key(_comparator))]


def _cmp_lists(one: list[tuple[ModifierEntry, str]], two: list[tuple[ModifierEntry, str]]) -> int:
    """`BaseModifier.comparator_lists` (stages of a staged recipe)."""
    c = _cmp_ends(_end(max(one, key=lambda m: _end(m[0]))[0]),
                  _end(max(two, key=lambda m: _end(m[0]))[0]))
    if c == 0:
        c = _cmp_starts(_start(min(one, key=lambda m: _start(m[0]))[0]),
                        _start(min(two, key=lambda m: _start(m[0]))[0]))
    if c == 0:
        c = _cmp_ids(max(m[1] for m in one), max(m[1] for m in two))
    return c


def manager_order(recipe: Recipe) -> list[ModifierEntry]:
    """The recipe's valid modifiers in the order SparseML's manager updates them."""
    valid = [m for m in recipe.modifiers if m.spec is not None]
    if not recipe.stages:
        return sort_modifiers(valid)
    stages = []
    for stage in recipe.stages:
        members = [recipe.modifiers[i] for i in stage.modifiers
                   if recipe.modifiers[i].spec is not None]
        if members:
            stages.append([(e, identifier(e)) for e in sort_modifiers(members)])
    stages.sort(key=functools.cmp_to_key(_cmp_lists))
    return [e for stage in stages for e, _ in stage]


def _sorted_keys(value: Any) -> Any:
    """SparseML re-dumps the recipe with `yaml.dump` (keys sorted) before building the
    modifiers, so every mapping reaches the constructor with its keys in sorted order."""
    if isinstance(value, dict):
        try:
            items = sorted(value.items())
        except TypeError:
            items = list(value.items())
        return {k: _sorted_keys(v) for k, v in items}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


_QARGS_DEFAULT = {"num_bits": 8, "symmetric": False, "strategy": "tensor", "kwargs": {}}


def _qargs(value: Any) -> Any:
    """A QuantizationArgs as `.dict()` gives it (None for "null"/None)."""
    if value is None or (isinstance(value, str) and value.lower() in ("null", "none")):
        return None
    if isinstance(value, dict):
        return {**_QARGS_DEFAULT, **value}
    return value


def _scheme(value: Any, default: dict[str, Any] | None = None) -> Any:
    """QuantizationScheme.load(value).dict()."""
    if value is None or value == "default":
        if default is not None:
            return dict(default)
        return {"input_activations": dict(_QARGS_DEFAULT),
                "weights": {**_QARGS_DEFAULT, "symmetric": True},
                "output_activations": None, "target_hardware": None}
    if value in ("deepsparse", "tensorrt"):
        return {"input_activations": {**_QARGS_DEFAULT, "symmetric": value == "tensorrt"},
                "weights": {**_QARGS_DEFAULT, "symmetric": True},
                "output_activations": None, "target_hardware": value}
    if isinstance(value, dict):
        out: dict[str, Any] = {
            "input_activations": {**_QARGS_DEFAULT},
            "weights": {**_QARGS_DEFAULT, "symmetric": True},
            "output_activations": None, "target_hardware": None}
        for key, arg in value.items():
            out[key] = _qargs(arg) if key != "target_hardware" else arg
        return out
    return value


def _convert(entry: ModifierEntry, cls: str, props: dict[str, Any]) -> None:
    """Apply the conversions each SparseML constructor makes to the values it stores."""
    spec = entry.spec
    for key, value in list(props.items()):
        props[key] = _sorted_keys(value)
    for key in ("learning_rate", "init_lr", "final_lr"):
        if key in props:
            props[key] = _float_if_str(props[key])
    if "constant_logging" in props:
        props["constant_logging"] = convert_to_bool(props["constant_logging"])
    if cls in ("LearningRateFunctionModifier", "LearningRateModifier"):
        props["update_frequency"] = -1.0
    if cls == "LearningRateModifier":
        kwargs = props.get("lr_kwargs")
        if isinstance(kwargs, dict) and props.get("lr_class") == "ExponentialLR":
            kwargs = dict(kwargs)
            kwargs["step_size"] = 1.0  # rewritten at construction (validate_lr_info)
            props["lr_kwargs"] = kwargs
            props["lr_class"] = "StepLR"
    if cls in ("ConstantPruningModifier", "ACDCPruningModifier", "TopKASTPruningModifier",
               "PowerpropagationModifier", "TrainableParamsModifier", "SetParamModifier",
               "GradualParamModifier") and "params" in props:
        props["params"] = getattr(spec, "params")  # validate_str_iterable
    if cls == "StructuredPruningModifier":
        props["param_groups"] = props.get("param_groups") or []
    if cls == "LayerPruningModifier":
        props["layers"] = getattr(spec, "layers")
    if cls == "ConstantPruningModifier":
        props["update_frequency"] = -1
    if cls == "ACDCPruningModifier":
        for key in ("update_frequency",):
            props[key] = getattr(spec, key)
    if cls == "OBSPruningModifier":
        props["damp"] = getattr(spec, "damp")
    if cls == "MFACPruningModifier" and props.get("available_devices") is None:
        props["available_devices"] = ["cpu"]  # "cuda:0" on a machine with a GPU
    if cls == "PerLayerDistillationModifier":
        student, teacher = props.get("student_layer_names"), props.get("teacher_layer_names")
        if student is None and teacher is not None:
            props["student_layer_names"] = teacher
        elif teacher is None and student is not None:
            props["teacher_layer_names"] = student
    if cls == "LegacyQuantizationModifier":
        a = entry.args
        props["start_epoch"] = a.get("start_epoch", -1.0)  # stored as given
        name = props.get("model_fuse_fn_name")
        if isinstance(name, str) and name.lower() == "none":
            name = None
        tensorrt = props.get("tensorrt")
        props["model_fuse_fn_name"] = name or ("no_fuse" if tensorrt else "conv_bn_relus")
        if tensorrt:
            for key in ("quantize_linear_activations", "quantize_conv_activations",
                        "quantize_embedding_activations"):
                props[key] = False
        if isinstance(props.get("submodules"), list):
            # a set in SparseML: its order depends on the process's hash seed
            props["submodules"] = list(set(props["submodules"]))
    if cls == "QuantizationModifier":
        scheme = _scheme(props.get("scheme"))
        overrides = props.get("scheme_overrides")
        if overrides is None:
            props["scheme_overrides"] = {}
        elif isinstance(overrides, dict):
            props["scheme_overrides"] = {k: _scheme(v, scheme) for k, v in overrides.items()}
        props["scheme"] = _SchemeStr(scheme) if isinstance(scheme, dict) else scheme
        props["ignore"] = props.get("ignore") or []
        props["model_fuse_fn_kwargs"] = props.get("model_fuse_fn_kwargs") or {}
        name = props.get("model_fuse_fn_name")
        if isinstance(name, str) and name.lower() == "none":
            props["model_fuse_fn_name"] = None


class _SchemeStr(dict):  # type: ignore[type-arg]
    """QuantizationScheme.__str__: its dict with top-level None shown as 'null'."""

    def __str__(self) -> str:
        return str({k: v if v is not None else "null" for k, v in self.items()})
