"""Hypothesis strategies for recipes the schedule engine simulates, and corpus adaptation."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import strategies as st

from recipe_studio.models.catalog import GMP_FAMILY
from recipe_studio.read.recipe import Recipe

GMP_TYPES = tuple(GMP_FAMILY)
#: disjoint parameter sets, so each pruner's masks can be measured on their own
PARAM_SETS = (["conv2.weight", "fc1.weight"], ["fc2.weight"], ["conv1.weight"])


def num(value: float) -> str:
    """A float as YAML 1.1 reads it back as that float (a `.` and no bare exponent)."""
    text = repr(float(value))
    if "e" in text:
        mant, exp = text.split("e")
        if "." not in mant:
            mant += ".0"
        text = f"{mant}e{'+' if not exp.startswith('-') else ''}{exp.lstrip('+')}"
    return text


def modifier(tag: str, fields: dict[str, Any]) -> str:
    lines = [f"  - !{tag}"]
    for key, value in fields.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, float):
            text = num(value)
        elif isinstance(value, (list, dict)):
            text = _flow(value)
        elif value is None:
            text = "null"
        else:
            text = str(value)
        lines.append(f"    {key}: {text}")
    return "\n".join(lines)


def _flow(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return num(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# epochs on a grid of 1/20 (with the classic float-drift values 0.1, 0.2, 0.3 among them)
epoch = st.integers(0, 80).map(lambda i: i / 20)
start_epoch = st.one_of(st.just(-1.0), epoch)


@st.composite
def gmp(draw: Any, params: list[str]) -> str:
    tag = draw(st.sampled_from(GMP_TYPES))
    start = draw(start_epoch)
    # hypothesis favours small draws: the common case comes first
    kind = draw(st.integers(0, 19))
    if kind < 12:
        end = max(start, 0.0) + draw(st.integers(1, 60)) / 20
    elif kind < 18:  # anywhere, usually between steps
        end = max(start, 0.0) + draw(st.floats(0.05, 3.0, allow_nan=False))
    elif kind == 18:
        end = -1.0  # never ends (target stays init_sparsity)
    else:
        end = start  # zero-length window: SparseML divides by zero
    freq = draw(st.one_of(st.sampled_from([0.5, 1.0, 0.25, 0.1, 0.2, 0.3, -1.0, 0.0]),
                          st.integers(1, 30).map(lambda i: i / 20)))
    init = draw(st.integers(0, 60).map(lambda i: i / 100))
    final = draw(st.integers(5, 95).map(lambda i: i / 100))
    fields: dict[str, Any] = {
        "params": params, "init_sparsity": init, "final_sparsity": final,
        "start_epoch": start, "end_epoch": end, "update_frequency": freq,
        "inter_func": draw(st.sampled_from(["cubic", "linear", "cubic", "linear", "cubic",
                                            "inverse_cubic"])),
        "leave_enabled": draw(st.booleans()),
    }
    if tag == "StructuredPruningModifier":
        fields["mask_type"] = "filter"
    return modifier(tag, fields)


@st.composite
def other_pruner(draw: Any, params: list[str]) -> str:
    """ACDC (integral epochs, dense/sparse phases), TopKAST or ConstantPruning."""
    kind = draw(st.sampled_from(["acdc", "topkast", "constant"]))
    start = draw(st.integers(0, 3))
    if kind == "acdc":
        return modifier("ACDCPruningModifier", {
            "params": params, "compression_sparsity": draw(st.sampled_from([0.5, 0.8])),
            "start_epoch": start, "end_epoch": start + draw(st.integers(1, 4)),
            "update_frequency": draw(st.sampled_from([1, 2])),
            "leave_enabled": draw(st.booleans())})
    if kind == "topkast":
        lo = draw(start_epoch)
        return modifier("TopKASTPruningModifier", {
            "params": params, "forward_sparsity": 0.7, "backward_sparsity": 0.5,
            "start_epoch": lo, "end_epoch": max(lo, 0.0) + draw(st.integers(1, 40)) / 20,
            "update_frequency": draw(st.sampled_from([0.5, 1.0, -1.0])),
            "leave_enabled": draw(st.booleans())})
    lo = draw(start_epoch)
    end = draw(st.one_of(st.just(-1.0), st.integers(0, 60).map(lambda i: max(lo, 0) + i / 20)))
    return modifier("ConstantPruningModifier", {"params": params, "start_epoch": lo,
                                                "end_epoch": end})


@st.composite
def lr_modifier(draw: Any) -> str:
    kind = draw(st.sampled_from(["set", "function", "step", "exponential", "multistep",
                                 "cawr"]))
    start = draw(start_epoch)
    lr = draw(st.sampled_from([0.5, 0.1, 0.05, 0.01, 0.003, 0.0001]))
    if kind == "set":
        return modifier("SetLearningRateModifier", {"start_epoch": start, "learning_rate": lr})
    if kind == "function":
        end = max(start, 0.0) + draw(st.integers(1, 60).map(lambda i: i / 20))
        fields = {"lr_func": draw(st.sampled_from(["linear", "cosine", "cyclic_linear"])),
                  "init_lr": lr, "final_lr": draw(st.sampled_from([0.0, 0.001, 0.02, 0.2])),
                  "start_epoch": start, "end_epoch": end}
        if draw(st.booleans()):
            fields["cycle_epochs"] = draw(st.sampled_from([1.0, 2.0, 1.5, 0.5, 0.25]))
        return modifier("LearningRateFunctionModifier", fields)
    end = draw(st.one_of(st.just(-1.0),
                         st.integers(0, 60).map(lambda i: max(start, 0.0) + i / 20)))
    gamma = draw(st.sampled_from([0.1, 0.5, 0.9]))
    if kind == "step":
        kwargs: dict[str, Any] = {"gamma": gamma,
                                  "step_size": draw(st.sampled_from([0.5, 1.0, 1.5, 0.1]))}
        cls = "StepLR"
    elif kind == "exponential":
        kwargs, cls = {"gamma": gamma}, "ExponentialLR"
    elif kind == "multistep":
        lo = max(start, 0.0)
        # mostly inside (start, end); sometimes on the start or past the end (SparseML raises)
        hi = end if end > lo else lo + 3.0
        inside = st.integers(1, 19).map(lambda i: lo + (hi - lo) * i / 20)
        anywhere = st.integers(0, 60).map(lambda i: lo + i / 20)
        miles = sorted(set(draw(st.lists(
            st.integers(0, 5).flatmap(lambda c: anywhere if c == 5 else inside),
            min_size=1, max_size=3))))
        kwargs, cls = {"gamma": gamma, "milestones": miles}, "MultiStepLR"
    else:
        cycle = draw(st.sampled_from([1, 2, 3, 2.0]))  # 2.0: torch wants an int
        kwargs = {"lr_min": draw(st.sampled_from([0.0, 0.0001])), "cycle_epochs": cycle}
        cls = "CosineAnnealingWarmRestarts"
    return modifier("LearningRateModifier", {"lr_class": cls, "lr_kwargs": kwargs,
                                             "init_lr": lr, "start_epoch": start,
                                             "end_epoch": end})


@st.composite
def qat(draw: Any) -> str:
    start = draw(st.one_of(st.just(-1.0), epoch))
    lo = max(start, 0.0)
    fields: dict[str, Any] = {"start_epoch": start, "activation_bits": 8}
    for key in ("freeze_bn_stats_epoch", "disable_quantization_observer_epoch"):
        if draw(st.booleans()):
            fields[key] = lo + draw(st.integers(0, 40).map(lambda i: i / 20))
    return modifier("QuantizationModifier", fields)


@st.composite
def recipes(draw: Any) -> tuple[str, int]:
    """(recipe text, steps per epoch): pruners on disjoint params, LR/WD/QAT modifiers."""
    parts = [draw(gmp(PARAM_SETS[i])) for i in range(draw(st.integers(0, 2)))]
    if draw(st.integers(0, 2)) == 0:
        parts.append(draw(other_pruner(PARAM_SETS[2])))
    parts += [draw(lr_modifier()) for _ in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        parts.append(modifier("SetWeightDecayModifier", {
            "start_epoch": draw(start_epoch),
            "weight_decay": draw(st.sampled_from([0.0, 0.0001, 0.0005]))}))
    if draw(st.integers(0, 3)) == 0:
        parts.append(draw(qat()))
    parts.append(modifier("EpochRangeModifier", {
        "start_epoch": 0.0, "end_epoch": float(5 - draw(st.integers(0, 4)))}))
    order = draw(st.permutations(range(len(parts))))
    text = "modifiers:\n" + "\n".join(parts[i] for i in order) + "\n"
    return text, draw(st.sampled_from([4, 3, 5, 2, 10, 1, 7]))


# ---- corpus recipes on the small model --------------------------------------------------

#: fields of the scheme-based QuantizationModifier that the legacy form does not take
NEW_QAT_FIELDS = ("scheme", "scheme_overrides", "ignore", "strict", "model_fuse_fn_kwargs")
#: modifiers dropped from corpus recipes (they need a grad sampler, a teacher, or module
#: names of the original model, and set no value the engine reports)
DROPPED = ("OBSPruningModifier", "RigLPruningModifier", "MFACPruningModifier",
           "LayerPruningModifier", "TrainableParamsModifier", "SetParamModifier",
           "GradualParamModifier", "LayerThinningModifier", "PowerpropagationModifier",
           "DistillationModifier", "PerLayerDistillationModifier")
PRUNABLE = ["conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight"]


def adapt(recipe: Recipe) -> tuple[Recipe, list[str]] | None:
    """The recipe rewritten for the small test model, or None when nothing the engine
    computes is left. Returns the recipe and what was changed.

    * pruner `params` become `__ALL_PRUNABLE__`; a `{sparsity: [params]}` mapping gets the
      model's weights spread over its groups;
    * GMP-family pruners with identical schedules (same class, sparsities, epochs,
      frequency, curve, leave_enabled) are kept once: recipes prune dozens of layers with
      one schedule, and the engine computes each modifier on its own;
    * `submodules`, `model_fuse_fn_name`, `num_calibration_steps` and `exclude_module_types`
      are removed from QuantizationModifier; the scheme-based form becomes the legacy form
      (torch 2.13 breaks the scheme-based form at QAT start), keeping its epochs;
    * modifiers in :data:`DROPPED` and `mask_type`s other than unstructured are removed.
    """
    notes: list[str] = []
    keep: list[Any] = []
    seen: set[Any] = set()
    for entry in recipe.modifiers:
        if entry.spec is None:
            return None
        args = dict(entry.args)
        if entry.type in DROPPED:
            notes.append(f"dropped {entry.type}")
            continue
        if "params" in args or entry.type in GMP_TYPES:
            final = args.get("final_sparsity")
            if isinstance(final, dict):
                groups = list(final)
                args["final_sparsity"] = {
                    g: [p for j, p in enumerate(PRUNABLE) if j % len(groups) == i]
                    or [PRUNABLE[-1]] for i, g in enumerate(groups)}
                args["params"] = []
            else:
                args["params"] = "__ALL_PRUNABLE__"
            if args.get("mask_type", "unstructured") != "unstructured" and \
                    entry.type != "StructuredPruningModifier":
                args.pop("mask_type")
                notes.append("mask_type made unstructured")
        if entry.type in GMP_TYPES:
            key = (entry.type, repr(args.get("init_sparsity")), repr(args.get("final_sparsity")),
                   args.get("start_epoch"), args.get("end_epoch"),
                   args.get("update_frequency"), args.get("inter_func"),
                   args.get("leave_enabled"), args.get("global_sparsity"))
            if key in seen:
                continue
            seen.add(key)
        if entry.type == "QuantizationModifier":
            for f in ("submodules", "model_fuse_fn_name", "num_calibration_steps",
                      "exclude_module_types", "custom_quantizable_module_types") + NEW_QAT_FIELDS:
                args.pop(f, None)
            args.setdefault("activation_bits", 8)
        keep.append(dataclasses.replace(entry, args=args))
    if len(keep) < len([m for m in recipe.modifiers if m.type in GMP_TYPES]):
        notes.append("identical pruner schedules merged")
    interesting = [e for e in keep if e.type not in ("EpochRangeModifier",
                                                     "SparsificationLoggingModifier")]
    if not interesting:
        return None
    by_old = {e.index: i for i, e in enumerate(keep)}
    modifiers = [dataclasses.replace(e, index=i) for i, e in enumerate(keep)]
    stages = [dataclasses.replace(s, modifiers=[by_old[i] for i in s.modifiers if i in by_old])
              for s in recipe.stages]
    stages = [s for s in stages if s.modifiers]
    return dataclasses.replace(recipe, modifiers=modifiers, stages=stages), sorted(set(notes))
