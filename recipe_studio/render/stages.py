"""`show` for stage recipes: the stages in the order the library runs them, their modifiers
with what they act on (targets, ignore) and how they quantize (scheme presets, config groups,
kv-cache scheme), and, for a stage that trains over epochs (`run_type: train`, or modifiers
with `start`/`end`), a timeline of its modifiers in epochs.

Values are the ones the library receives (SparseML 1.8: `eval(...)` resolved); `targets` a
modifier does not write is its model's default, marked as such.
"""

from __future__ import annotations

import json
from typing import IO, Any

from recipe_studio.read.recipe import Recipe
from recipe_studio.read.stage.recipe import RecipeStage, StageModifier

#: arguments shown on their own lines (everything else goes on `args`)
SHOWN = ("targets", "ignore", "scheme", "config_groups", "kv_cache_scheme", "start", "end",
         "update")
#: width of a timeline bar, in characters
BAR = 40


# ---- facts ----------------------------------------------------------------------------------

def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def targets_of(m: StageModifier) -> tuple[Any, bool]:
    """(targets, written): the modifier's `targets`, else its model's default (written=False)."""
    if "targets" in m.args:
        return m.args["targets"], True
    if m.spec is not None and "targets" in type(m.spec).model_fields:
        value = getattr(m.spec, "targets", None)
        return (list(value) if isinstance(value, (list, tuple)) else value), False
    return None, False


def quant_args(args: Any) -> str:
    """`int4 group(128) sym` for a QuantizationArgs mapping."""
    if not isinstance(args, dict):
        return _short(args)
    parts = [f"{args.get('type', 'int')}{args.get('num_bits', 8)}"]
    strategy = args.get("strategy")
    if strategy:
        parts.append(f"{strategy}({args['group_size']})" if args.get("group_size") and
                     strategy == "group" else str(strategy))
    elif args.get("group_size"):
        parts.append(f"group({args['group_size']})")
    if "symmetric" in args:
        parts.append("sym" if args["symmetric"] else "asym")
    if args.get("dynamic"):
        parts.append("dynamic" if args["dynamic"] is True else f"dynamic={args['dynamic']}")
    if args.get("actorder"):
        parts.append(f"actorder={args['actorder']}")
    if args.get("block_structure"):
        parts.append(f"block{list(args['block_structure'])}")
    return " ".join(parts)


def schemes_of(m: StageModifier) -> list[str]:
    """One line per scheme: presets, config groups, the kv-cache scheme."""
    out: list[str] = []
    scheme = m.args.get("scheme")
    if isinstance(scheme, str):
        out.append(f"{scheme} (preset)")
    elif isinstance(scheme, dict):
        for name, value in scheme.items():
            out.append(f"{name} (preset) on {_short(value)}")
    groups = m.args.get("config_groups")
    if isinstance(groups, dict):
        for name, g in groups.items():
            if not isinstance(g, dict):
                out.append(f"{name}: {_short(g)}")
                continue
            parts = [f"targets {_short(g.get('targets'))}"]
            for key, label in (("weights", "weights"), ("input_activations", "inputs"),
                               ("output_activations", "outputs")):
                if g.get(key) is not None:
                    parts.append(f"{label} {quant_args(g[key])}")
            out.append(f"{name}: " + "; ".join(parts))
    kv = m.args.get("kv_cache_scheme")
    if kv is not None:
        out.append(f"kv cache: {quant_args(kv)}")
    return out


def _short(value: Any, limit: int = 70) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, list):
        text = "[" + ", ".join(_short(v, limit) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {_short(v, limit)}" for k, v in value.items()) + "}"
    else:
        text = "null" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def trains(stage: RecipeStage) -> bool:
    """A stage that trains over epochs: `run_type: train`, or a modifier with `start`/`end`."""
    return stage.run_type == "train" or any(
        _number(m.args.get("start")) is not None or _number(m.args.get("end")) is not None
        for m in stage.modifiers)


def timeline(stage: RecipeStage) -> dict[str, Any]:
    """`{epochs, modifiers: [{type, group, start, end}]}` of a training stage: `start` unset
    (or negative, SparseML's "unset") is the stage's start, `end` unset is the end of training
    (None, drawn open-ended), `epochs` the last epoch any modifier names (at least 1)."""
    rows = []
    known: list[float] = []
    for m in stage.modifiers:
        start, end = _number(m.args.get("start")), _number(m.args.get("end"))
        start = start if start is not None and start >= 0 else 0.0
        end = end if end is not None and end >= 0 else None
        known.extend([start] + ([end] if end is not None else []))
        rows.append({"type": m.type, "group": m.group, "line": m.key_span.line,
                     "start": start, "end": end})
    return {"epochs": max(known + [1.0]), "modifiers": rows}


def stage_data(recipe: Recipe) -> dict[str, Any]:
    """The JSON form of `show` for a stage recipe."""
    sr = recipe.stage_recipe
    stages = []
    for i, s in enumerate(sr.stages):
        mods = []
        for m in s.modifiers:
            targets, written = targets_of(m)
            mods.append({"type": m.type, "group": m.group, "line": m.key_span.line,
                         "loaded": m.ok, "targets": targets, "targets_default": not written,
                         "ignore": m.args.get("ignore"), "schemes": schemes_of(m),
                         "start": m.args.get("start"), "end": m.args.get("end"),
                         "args": {k: v for k, v in m.args.items() if k not in SHOWN}})
        stage: dict[str, Any] = {"index": i + 1, "name": s.name, "key": s.key,
                                 "run_type": s.run_type, "line": s.span.line,
                                 "modifiers": mods}
        stage.update(s.values)
        if trains(s):
            stage["timeline"] = timeline(s)
        stages.append(stage)
    return {"path": recipe.path, "kind": "stage", "target": sr.target,
            "target_reason": sr.target_reason, "target_stage": sr.target_stage,
            "variables": sr.variables, "stages": stages}


# ---- text -----------------------------------------------------------------------------------

def _bar(start: float, end: float | None, epochs: float) -> str:
    a = int(round(start / epochs * BAR))
    if end is None:
        return " " * a + "=" * max(BAR - a, 1) + ">"
    b = int(round(end / epochs * BAR))
    if b <= a:
        return " " * a + "|"
    return " " * a + "=" * (b - a)


def _epoch(value: float | None) -> str:
    return "end of training" if value is None else f"{value:g}"


def _selection(target: str, stage: str) -> str:
    """The stages a `target_stage` keeps, in words (SparseML 1.8: the name; llm-compressor
    0.14: a prefix of the top-level key)."""
    if target == "sparseml":
        return f"stage `{stage}`"
    return f"the stages whose key starts with `{stage}`"


def render_text(recipe: Recipe, out: IO[str], *, path: str | None = None) -> None:
    from recipe_studio.models import stage as stage_models

    data = stage_data(recipe)
    how = {"option": "", "inferred": ", inferred from the recipe",
           "default": ", by default"}[data["target_reason"]]
    n_mods = sum(len(s["modifiers"]) for s in data["stages"])
    out.write(f"{path or recipe.path or '<text>'}: stage recipe for "
              f"{stage_models.display(data['target'])}{how}: {len(data['stages'])} "
              f"stage{'s' if len(data['stages']) != 1 else ''}, {n_mods} "
              f"modifier{'s' if n_mods != 1 else ''}\n")
    if data["target_stage"]:
        out.write(f"stage selection: only {_selection(data['target'], data['target_stage'])}\n")
    if data["variables"]:
        out.write("variables: " + ", ".join(f"{k}={_short(v, 30)}"
                                            for k, v in data["variables"].items()) + "\n")
    for s in data["stages"]:
        extra = [f"run_type: {s['run_type']}"] if s["run_type"] else []
        extra += [f"{k}: {_short(s[k])}" for k in ("enabled", "exclude_default") if k in s]
        out.write(f"\nstage {s['index']}  {s['name']}  ({s['key']}, line {s['line']}"
                  + "".join(f", {e}" for e in extra) + ")\n")
        if not s["modifiers"]:
            out.write("  (no modifiers)\n")
        for m in s["modifiers"]:
            status = "" if m["loaded"] else "  (not loaded: see `validate`)"
            out.write(f"  {m['group']}/{m['type']}  line {m['line']}{status}\n")
            rows: list[tuple[str, str]] = []
            if m["targets"] is not None:
                rows.append(("targets", _short(m["targets"]) +
                             (" (default)" if m["targets_default"] else "")))
            if m["ignore"]:
                rows.append(("ignore", _short(m["ignore"])))
            for i, line in enumerate(m["schemes"]):
                rows.append(("scheme" if i == 0 else "", line))
            for key in ("start", "end"):
                if m[key] is not None:
                    rows.append((key, _short(m[key])))
            if m["args"]:
                rows.append(("args", ", ".join(f"{k}={_short(v, 40)}"
                                               for k, v in m["args"].items())))
            for label, value in rows:
                out.write(f"    {label:<8} {value}\n")
        tl = s.get("timeline")
        if tl:
            epochs = tl["epochs"]
            width = max(len(r["type"]) for r in tl["modifiers"]) if tl["modifiers"] else 0
            head = "  timeline (epochs)".ljust(4 + width + 2)
            if len(head) > 4 + width + 2:
                width = len(head) - 6
            last = f"{epochs:g}"
            out.write(head + "0" + last.rjust(BAR - 1) + "\n")
            for r in tl["modifiers"]:
                out.write(f"    {r['type']:<{width}}  {_bar(r['start'], r['end'], epochs):<{BAR + 1}}"
                          f"  {_epoch(r['start'])} to {_epoch(r['end'])}\n")


def write_json(recipe: Recipe, out: IO[str]) -> None:
    from recipe_studio.render import json_default

    json.dump(stage_data(recipe), out, indent=2, default=json_default)
    out.write("\n")
