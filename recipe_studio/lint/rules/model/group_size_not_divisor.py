"""A quantization `group_size` that does not divide the input width of a targeted layer (`--model DIR`).

## What it does
With `--model DIR` (a Hugging Face model directory), resolves each quantization modifier's
groups as llm-compressor 0.14 does (`QuantizationMixin.resolve_quantization_config`: a preset
`scheme` with the modifier's `targets`, `scheme: {PRESET: targets}`, or `config_groups`),
takes the weight arguments with `strategy: group` or `tensor_group` (the presets `W4A16`
use 128, `NVFP4` 16, `MXFP4` 32), and checks every targeted, not ignored layer whose weight
shape the safetensors header gives: the condition of
`llmcompressor/modifiers/quantization/group_size_validation.py` — `columns >= group_size and
columns % group_size != 0`, columns being the weight's last dimension.

## Why is this bad?
llm-compressor raises `ValueError: The following layers have weight column counts not
divisible by group_size...` at `initialize`, after the model is loaded (for GPTQ: before the
calibration, after the download); with `bypass_divisibility_checks: true` it goes on, and
compressed-tensors fails at save or forward unless the runtime (vLLM) supports it.

## SparseML behaviour
Applies to llm-compressor 0.14.0.1 (compressed-tensors 0.19.0); silent with
`bypass_divisibility_checks: true` (the user opted out) and for SparseML 1.8, which has no
such check (not measured there).

## Example
```yaml
quant_stage:
  quant_modifiers:
    GPTQModifier:
      scheme: W4A16           # group_size 128; mlp.down_proj has 11008 = 86 * 128 columns,
      targets: [Linear]       # but a model with intermediate_size 176 has not
```

## Use instead
A `group_size` that divides the widths (`config_groups` with `group_size: 16`), or the
layers in `ignore`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint import hfmodel
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules.model import _llm

QUANTIZERS = {"GPTQModifier", "QuantizationModifier", "AutoRoundModifier"}
GROUPED = ("group", "tensor_group")


def _groups(m: Any) -> Iterator[tuple[tuple[Any, ...], list[str], dict]]:
    """(arg path to point at, targets, weight args) per config group."""
    from recipe_studio.models.stage.ct_0_19 import presets

    table = presets()
    spec_targets = getattr(m.spec, "targets", None) or ["Linear"]
    targets = [spec_targets] if isinstance(spec_targets, str) else list(spec_targets)
    scheme = m.args.get("scheme")
    if isinstance(scheme, str) and scheme.upper() in table:
        yield ("scheme",), targets, table[scheme.upper()].get("weights") or {}
    elif isinstance(scheme, dict):
        for k, v in scheme.items():
            if isinstance(k, str) and k.upper() in table:
                tg = [v] if isinstance(v, str) else [t for t in v or [] if isinstance(t, str)]
                yield ("scheme", k), tg, table[k.upper()].get("weights") or {}
    groups = m.args.get("config_groups")
    if scheme is None and isinstance(groups, dict):
        for g, sc in groups.items():
            if not isinstance(sc, dict) or not isinstance(sc.get("weights"), dict):
                continue
            tg = sc.get("targets")
            tg = [tg] if isinstance(tg, str) else [t for t in tg or [] if isinstance(t, str)]
            w = sc["weights"]
            at = ("config_groups", g, "weights", "group_size") \
                if (("config_groups", g, "weights", "group_size") in m.sites) \
                else ("config_groups", g)
            yield at, tg, w


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    model = _llm.hf_model(ctx)
    if model is None or _llm.target(ctx) != "llmcompressor":
        return
    for m in _llm.modifiers(ctx):
        if m.type not in QUANTIZERS or getattr(m.spec, "bypass_divisibility_checks", False):
            continue
        ignore = m.args.get("ignore") or []
        ignore = [ignore] if isinstance(ignore, str) else [i for i in ignore if isinstance(i, str)]
        ignored: set[str] = set()
        for i in ignore:
            ignored |= set(hfmodel.ct_matches(model, i) or [])
        for at, targets, weights in _groups(m):
            strategy = str(weights.get("strategy") or "").lower()
            gs = weights.get("group_size")
            if strategy not in GROUPED or not isinstance(gs, int) or gs <= 0:
                continue
            selected: list[str] = []
            for t in targets:
                for mod in hfmodel.ct_matches(model, t) or []:
                    if mod not in ignored and mod not in selected:
                        selected.append(mod)
            bad = []
            for mod in selected:
                shape = model.shapes.get(f"{mod}.weight" if mod else "weight")
                if shape and len(shape) >= 2 and shape[-1] >= gs and shape[-1] % gs:
                    bad.append((mod, shape[-1]))
            if not bad:
                continue
            shown = ", ".join(f"`{n}` ({c})" for n, c in bad[:3])
            more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
            yield ctx.diagnostic(
                m.value_span(*at),
                f"`group_size` {gs} ({strategy} strategy) of `{m.type}` does not divide the "
                f"input width of {len(bad)} targeted layer{'s' if len(bad) > 1 else ''}: "
                f"{shown}{more}; llm-compressor 0.14 raises `ValueError` at initialize",
                help="choose a group size that divides every width, add the layers to "
                     "`ignore`, or set `bypass_divisibility_checks: true` if the runtime "
                     "supports it")


RULE = Rule(code="RS823", name="group-size-not-divisor", severity=Severity.ERROR,
            doc=__doc__, check=check, needs_model=True)
