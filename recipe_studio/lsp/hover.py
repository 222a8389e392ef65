"""Hover: what the thing under the cursor is, in Markdown.

* a modifier tag: the modifier's documentation (from its model), its fields and when it
  is active;
* a field key or value: the field's documentation (the model's `Field` description,
  default, what SparseML does with it), the evaluated value of an `eval(...)` or alias,
  and for epoch fields the phase of training the value falls in;
* a variable, an identifier inside `eval(...)`, an alias or an anchor: its value.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from recipe_studio import numbers
from recipe_studio.diagnostics import Span
from recipe_studio.lsp.analysis import Analysis
from recipe_studio.numbers import yaml_value

if TYPE_CHECKING:
    from recipe_studio.models.base import ModifierSpec
    from recipe_studio.read.recipe import ModifierEntry
    from recipe_studio.schedule.timeline import Interval
    from recipe_studio.read.variables import Variable

_FAMILY_LABEL = {
    "training": "training range", "learning_rate": "learning rate",
    "weight_decay": "weight decay", "params": "parameters", "pruning": "pruning",
    "thinning": "thinning", "quantization": "quantization (QAT)",
    "distillation": "distillation",
}


def model_doc(model: type[ModifierSpec]) -> str:
    return " ".join((inspect.getdoc(model) or "").split())


def hover_markdown(analysis: Analysis, line: int, column: int) -> tuple[str, Span] | None:
    """Markdown for the position (1-based line and code-point column) and the span it
    describes, or None when there is nothing to say."""
    if getattr(analysis.recipe, "stage_recipe", None) is not None:
        from recipe_studio.lsp import stage

        return stage.hover_markdown(analysis, line, column)
    found = analysis.site_at(line, column)
    if found is not None:
        entry, path, site, part = found
        span = site.key_span if part == "key" and site.key_span else site.value_span
        if part == "value" and site.expression is not None:
            word = analysis.word_at(line, column)
            if word is not None:
                var = analysis.variable_named(word[0], line)
                if var is not None and word[0] in site.variables:
                    return variable_markdown(analysis, var), word[1]
        return field_markdown(analysis, entry, path), span
    entry = analysis.modifier_at(line, column)
    if entry is not None and entry.tag_span.line == line:
        return modifier_markdown(analysis, entry), entry.tag_span
    alias = analysis.alias_at(line, column) or analysis.anchor_at(line, column)
    if alias is not None:
        return anchor_markdown(analysis, alias[0]), alias[1]
    found_var = analysis.variable_at(line, column)
    if found_var is not None:
        var, part = found_var
        if part == "value" and var.expression is not None:
            word = analysis.word_at(line, column)
            if word is not None and word[0] in var.deps:
                other = analysis.variable_named(word[0], line)
                if other is not None:
                    return variable_markdown(analysis, other), word[1]
        return variable_markdown(analysis, var), (var.key_span if part == "key"
                                                  else var.value_span)
    return None


# -- modifiers ---------------------------------------------------------------------------

def modifier_markdown(analysis: Analysis, entry: ModifierEntry) -> str:
    model = analysis.model_of(entry)
    if model is None:
        from recipe_studio.models import catalog

        close = catalog.suggest_tag(entry.type)
        text = f"### !{entry.type}\n\nNot a SparseML 1.8 PyTorch modifier."
        return text + (f" Did you mean `!{close}`?" if close else "")
    legacy = " (legacy form)" if model.__name__ == "LegacyQuantizationModifier" else ""
    parts = [f"### !{model.tag}{legacy}", model_doc(model),
             f"*{_FAMILY_LABEL.get(model.family, model.family)}* · `{model.sparseml_class}`"]
    interval = _interval(analysis, entry)
    if interval is not None:
        parts.append("**Active:** " + _interval_text(analysis, interval))
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    optional = [n for n, f in model.model_fields.items() if not f.is_required()]
    if required:
        parts.append("**Required:** " + ", ".join(f"`{n}`" for n in required))
    if optional:
        shown = []
        for n in optional:
            default = model.model_fields[n].get_default(call_default_factory=True)
            shown.append(f"`{n}` ({yaml_value(default)})")
        parts.append("**Optional:** " + ", ".join(shown))
    return "\n\n".join(p for p in parts if p)


def _interval(analysis: Analysis, entry: ModifierEntry) -> Interval | None:
    tl = analysis.timeline
    return tl.get(entry.index) if tl is not None else None


def _interval_text(analysis: Analysis, interval: Interval) -> str:
    tl = analysis.timeline
    assert tl is not None
    if interval.never_starts:
        return (f"never: `start_epoch` {numbers.epoch(interval.start)} lies between -1 and 0, so "
                "the modifier never starts")
    start = "the first step" if interval.start == -1 else f"epoch {numbers.epoch(interval.start)}"
    if interval.open_ended:
        text = f"from {start} to the end of training"
    else:
        text = f"from {start} to epoch {numbers.epoch(interval.end)}"
    return text + f" (training ends at epoch {numbers.epoch(tl.training_end)})"


# -- fields ------------------------------------------------------------------------------

def field_markdown(analysis: Analysis, entry: ModifierEntry, path: tuple[Any, ...]) -> str:
    name = path[0]
    model = analysis.model_of(entry)
    site = entry.fields.get(tuple(path))
    parts: list[str] = []
    info = model.model_fields.get(name) if model is not None and isinstance(name, str) else None
    owner = f"`!{entry.type}`"
    if info is None:
        parts.append(f"**`{name}`** — not a field of {owner}")
        if model is not None:
            import difflib

            close = difflib.get_close_matches(str(name), list(model.model_fields), n=1)
            if close:
                parts.append(f"Did you mean `{close[0]}`?")
    else:
        if info.is_required():
            status = "required"
        else:
            status = f"default `{yaml_value(info.get_default(call_default_factory=True))}`"
        parts.append(f"**`{name}`** — {owner} field, {status}")
        if info.description:
            parts.append(info.description)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("x-ignored"):
            parts.append(f"**Ignored by SparseML:** {extra['x-ignored']}.")
        if extra.get("x-expects"):
            parts.append(f"**Expected:** {extra['x-expects']} (SparseML only checks it when "
                         "the modifier is applied, not when the recipe loads).")
    if site is not None:
        parts.append(value_text(analysis, entry, path, site))
        if (model is not None and len(path) == 1 and name in model.epoch_fields()):
            value = entry.args.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                parts.append("**Phase:** " + phase_text(analysis, float(value), str(name)))
    return "\n\n".join(p for p in parts if p)


def value_text(analysis: Analysis, entry: ModifierEntry, path: tuple[Any, ...],
               site: Any) -> str:
    value: Any = entry.args
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            value = None
            break
    if site.expression is not None:
        text = f"**Value:** `eval({site.expression})` = `{yaml_value(value)}`"
    elif site.alias is not None:
        text = f"**Value:** `*{site.alias}` = `{yaml_value(value)}`"
    else:
        text = f"**Value:** `{yaml_value(value)}`"
    names = [n for n in site.variables if analysis.variable_named(n) is not None]
    if names:
        vals = []
        for n in names:
            var = analysis.variable_named(n)
            assert var is not None
            vals.append(f"`{n}` = `{yaml_value(var.value)}` (line {var.key_span.line})")
        text += "  \nfrom " + ", ".join(vals)
    return text


def phase_text(analysis: Analysis, value: float, field: str = "start_epoch") -> str:
    """Which part of training the epoch `value` falls in: the phase named by the schedule
    engine (dense, pruning, recovery, QAT...) when available, else the stretch between two
    modifier boundaries of the timeline, and the modifiers active there."""
    tl = analysis.timeline
    if tl is None:
        return "unknown (the recipe does not load)"
    end = tl.training_end
    if value == -1:
        if field.startswith("end"):
            return "-1: never ends (runs to the end of training)"
        return "-1: from the first step of training"
    if -1 < value < 0:
        return f"{numbers.epoch(value)} is between -1 and 0: the modifier never starts"
    intervals = [i for i in tl.intervals if not i.never_starts
                 and i.type != "EpochRangeModifier"]
    if value > end:
        longer = (f"; SparseML trains for {tl.max_epochs} epochs (its `max_epochs`), so "
                  "this lengthens training" if tl.max_epochs > end else "")
        return f"after the end of training (epoch {numbers.epoch(end)}){longer}"
    bounds = sorted({0.0, end, *(i.first_epoch for i in intervals),
                     *(i.last_epoch(end) for i in intervals)})
    lower = max((b for b in bounds if b <= value), default=0.0)
    upper = min((b for b in bounds if b > value), default=end)
    active = [i for i in intervals if i.first_epoch <= value < i.last_epoch(end)
              or (i.first_epoch == value == i.last_epoch(end))]
    families = []
    for i in active:
        label = _FAMILY_LABEL.get(i.family, i.family)
        if i.type == "ConstantPruningModifier":
            label = "sparsity held"
        if label not in families:
            families.append(label)
    named = None
    for phase in analysis.phases or ():
        if phase.start <= value < phase.end or phase.start == value == phase.end:
            named = phase
    if value == end:
        where = f"the end of training (epoch {numbers.epoch(end)})"
    elif named is not None:
        where = (f"{named.name} (epochs {numbers.epoch(named.start)}–"
                 f"{numbers.epoch(named.end)} of {numbers.epoch(end)})")
    else:
        where = f"epochs {numbers.epoch(lower)}–{numbers.epoch(upper)} of {numbers.epoch(end)}"
    if not active:
        return f"{where}: no modifier is active"
    names = ", ".join(f"`{i.type}` ({_short_interval(i, end)})" for i in active)
    return f"{where} — active: {' + '.join(families)}: {names}"


def _short_interval(i: Interval, end: float) -> str:
    start = "start" if i.start == -1 else numbers.epoch(i.start)
    stop = "end" if i.open_ended else numbers.epoch(i.end)
    return f"{start}–{stop}"


# -- variables and anchors ---------------------------------------------------------------

def variable_markdown(analysis: Analysis, var: Variable) -> str:
    where = f" of stage `{var.stage}`" if var.stage else ""
    parts = [f"**`{var.name}`** — recipe variable{where} (line {var.key_span.line})"]
    if var.expression is not None:
        parts.append(f"`eval({var.expression})` = `{yaml_value(var.value)}`")
    else:
        parts.append(f"`{yaml_value(var.value)}`")
    if var.overridden:
        parts.append("Overridden on the command line.")
    if var.failed:
        parts.append("Could not be evaluated.")
    uses = len(var.uses)
    parts.append(f"Used {uses} time{'s' if uses != 1 else ''}." if uses else "Not used.")
    return "\n\n".join(parts)


def anchor_markdown(analysis: Analysis, name: str) -> str:
    from recipe_studio.read.yamltree import to_python

    node = None
    if analysis.recipe is not None and analysis.recipe.doc is not None:
        node = analysis.recipe.doc.anchors.get(name)
    uses = len(analysis.alias_uses(name))
    value = yaml_value(to_python(node)) if node is not None else "?"
    return (f"**`&{name}`** — YAML anchor = `{value}`\n\n"
            f"Used by {uses} alias{'es' if uses != 1 else ''}.")
