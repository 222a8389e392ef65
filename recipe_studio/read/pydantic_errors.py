"""A modifier model's pydantic `ValidationError` → recipe-studio diagnostics.

The models (:mod:`recipe_studio.models`) raise pydantic's errors: built-in ones
(`extra_forbidden`, `missing`, `float_parsing`, `literal_error`, `greater_than`, ...) and
the project's own `rs_*` types, whose message is already ours. This module turns each into
one :class:`Diagnostic` in the project's words (never pydantic's raw text), placed on the
key or value the error is about (the :class:`FieldSite` of the :class:`ModifierEntry`), with
a did-you-mean where one is close: a misspelt field (reported once, not as unknown +
missing), a misspelt choice, a misspelt parameter token.

Where a suggestion can be applied, the rename comes from the `rename_fix` the caller passes
(the loader's, which owns the fix policy); without it the diagnostics carry no rename fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from recipe_studio.diagnostics import Diagnostic, Edit, Fix
from recipe_studio.models import catalog
from recipe_studio.models.base import (PARAM_TOKENS, ModifierSpec, ScheduledSpec,
                                       check_schedule_values, type_name)
from recipe_studio.numbers import as_written
from recipe_studio.read import codes
from recipe_studio.read.recipe import FieldPath, FieldSite, ModifierEntry, path_text
from recipe_studio.read.source import Source
from recipe_studio.read.yamltree import YScalar, trimmed_end

#: `rename_fix(start, end, old, new, *, safe=False, what="")`: the rename of the scalar `old`
#: written at YAML-part offsets [start, end) to `new`, or None where it cannot be written
RenameFix = Callable[..., Fix | None]

#: modifiers that are always global, and the per-layer modifier of the same family
_ALWAYS_GLOBAL = {"GlobalMagnitudePruningModifier": "MagnitudePruningModifier"}

_ERROR_CODES = {
    "rs_type": codes.INVALID_TYPE,
    "rs_range": codes.OUT_OF_RANGE,
    "rs_choice": codes.INVALID_CHOICE,
    "rs_schedule": codes.INVALID_SCHEDULE,
    "rs_params": codes.INVALID_PARAMS,
    "rs_missing": codes.MISSING_FIELD,
    "rs_unknown": codes.UNKNOWN_FIELD,
    "literal_error": codes.INVALID_CHOICE,
    "enum": codes.INVALID_CHOICE,
    "greater_than": codes.OUT_OF_RANGE,
    "greater_than_equal": codes.OUT_OF_RANGE,
    "less_than": codes.OUT_OF_RANGE,
    "less_than_equal": codes.OUT_OF_RANGE,
}

_EXPECTS = {
    "float_type": "a number", "float_parsing": "a number", "int_type": "an integer",
    "int_parsing": "an integer", "int_from_float": "an integer", "bool_type": "a boolean",
    "bool_parsing": "a boolean", "string_type": "a string", "list_type": "a list",
    "dict_type": "a mapping", "tuple_type": "a list", "none_required": "null",
    "finite_number": "a finite number", "model_type": "a mapping", "model_attributes_type":
    "a mapping", "is_instance_of": "a value of another type",
}


def validation_diagnostics(entry: ModifierEntry, model: type[ModifierSpec],
                           exc: ValidationError, *, source: Source,
                           failed: Collection[FieldPath] = (),
                           rename_fix: RenameFix | None = None) -> list[Diagnostic]:
    """One diagnostic per problem of `exc` (raised by `model.model_validate(entry.args)`).

    `failed` holds the top-level fields already reported (an `eval()` that failed): their
    errors are skipped. `source` is the text the entry's spans refer to.
    """
    return _Translation(entry, model, source, rename_fix).run(exc, failed)


def schedule_diagnostic(entry: ModifierEntry, model: type[ModifierSpec], args: Mapping[Any, Any],
                        exc: ValidationError, *, source: Source,
                        failed: Collection[FieldPath] = ()) -> Diagnostic | None:
    """An impossible schedule even when other fields failed (pydantic skips the model-level
    check then), so that every problem shows at once; None when the schedule is fine, was
    reported already, or its own fields failed."""
    if not issubclass(model, ScheduledSpec):
        return None
    touched = {tuple(e["loc"][:1]) for e in exc.errors()} | set(failed)
    if any(e["type"] == "rs_schedule" for e in exc.errors()) or \
            {("start_epoch",), ("end_epoch",)} & touched:
        return None
    fields = model.model_fields
    try:
        start = float(args.get("start_epoch", fields["start_epoch"].default))
        end = args.get("end_epoch", fields["end_epoch"].default if "end_epoch" in fields
                       else -1.0)
        check_schedule_values(model.tag, start, end, model.end_rule,
                              min_end=getattr(model, "min_end", -1.0))
    except PydanticCustomError as e:
        field = (e.context or {}).get("field", "end_epoch")
        return codes.INVALID_SCHEDULE.diag(f"`!{entry.type}`: {e.message()}",
                                           entry.value_span(field), path=source.path)
    except (TypeError, ValueError, KeyError):
        return None
    return None


class _Translation:
    """The errors of one modifier."""

    def __init__(self, entry: ModifierEntry, model: type[ModifierSpec], source: Source,
                 rename_fix: RenameFix | None):
        self.entry = entry
        self.model = model
        self.src = source
        self.path = source.path
        self._rename_fix = rename_fix

    def rename_fix(self, start: int, end: int, old: str, new: str, **kw: Any) -> Fix | None:
        return self._rename_fix(start, end, old, new, **kw) if self._rename_fix else None

    def run(self, exc: ValidationError, failed: Collection[FieldPath]) -> list[Diagnostic]:
        errors = exc.errors(include_url=False)
        unknown = [e["loc"][0] for e in errors if e["type"] == "extra_forbidden" and e["loc"]]
        missing = [e["loc"][0] for e in errors if e["type"] == "missing" and e["loc"]]
        typo_of = self._typos(unknown)
        typo_targets = set(typo_of.values())
        out: list[Diagnostic] = []
        seen: set[Any] = set()
        for err in errors:
            kind = err["type"]
            loc = tuple(err["loc"])
            ctx = err.get("ctx") or {}
            fname = ctx.get("field") or (loc[0] if loc else None)
            path = _clean_loc(loc) or ((fname,) if fname else ())
            if path[:1] in failed:
                continue
            dedupe = (kind if kind in ("extra_forbidden", "missing") else "value", path[:1])
            if dedupe in seen:
                continue
            seen.add(dedupe)
            if kind == "extra_forbidden":
                typo = typo_of.get(loc[0])
                # safe: the only way to load (the one misspelling of a missing required
                # field); unsafe: an optional field would start to take effect
                safe = typo in missing and list(typo_of.values()).count(typo) == 1
                out.append(self.unknown_field(loc[0], typo, safe=safe))
            elif kind == "missing":
                if loc[0] not in typo_targets:
                    out.append(self.missing_field(loc[0]))
            else:
                out.append(self.value_error(kind, err, path, ctx))
        return out

    def _typos(self, unknown: list[Any]) -> dict[Any, str]:
        """A misspelt field shows up as unknown + missing: its closest field, to report it
        once, as a typo."""
        fields = list(self.model.model_fields)
        typo_of: dict[Any, str] = {}
        for u in unknown:
            if isinstance(u, str):
                close = difflib.get_close_matches(u, fields, n=1, cutoff=0.6)
                if close:
                    typo_of[u] = close[0]
        return typo_of

    def missing_field(self, name: str) -> Diagnostic:
        fields = self.model.model_fields
        desc = fields[name].description if name in fields else None
        return codes.MISSING_FIELD.diag(
            f"`!{self.entry.type}` is missing the required field `{name}`",
            self.entry.tag_span, path=self.path,
            help=f"add `{name}:`" + (f" ({desc})" if desc else ""))

    def unknown_field(self, name: Any, typo: str | None, *, safe: bool = False) -> Diagnostic:
        entry, model = self.entry, self.model
        site = entry.fields.get((name,))
        span = site.key_span if site and site.key_span else entry.tag_span
        help_ = f"did you mean `{typo}`?" if typo else None
        fix = None
        if typo and site is not None and site.key_offsets is not None and \
                typo not in entry.raw_args and isinstance(name, str):
            fix = self.rename_fix(*site.key_offsets, name, typo, safe=safe, what="field")
        other = catalog.other_form_fields(model) if hasattr(catalog, "other_form_fields") else {}
        message = f"unknown field `{name}` for `!{entry.type}`"
        always_global = _ALWAYS_GLOBAL.get(model.tag)
        if name == "global_sparsity" and always_global:
            value = entry.raw_args.get(name)
            message = (f"unknown field `{name}`: `!{model.tag}` always prunes globally (it is "
                       f"`!{always_global}` with `global_sparsity: true`)")
            local = value is False or value in ("false", "False", 0)
            help_ = (f"to prune each layer to its own sparsity use `!{always_global}`"
                     if local else "delete the line")
            fix = _delete_line_fix(self.src, site, safe=not local)
            return codes.UNKNOWN_FIELD.diag(message, span, path=self.path, help=help_, fix=fix)
        if name in other:
            message += f" ({other[name]})"
        elif not typo:
            allowed = ", ".join(f"`{f}`" for f in model.model_fields)
            help_ = f"`!{entry.type}` accepts {allowed}"
        return codes.UNKNOWN_FIELD.diag(message, span, path=self.path, help=help_, fix=fix)

    def value_error(self, kind: str, err: Mapping[str, Any], path: FieldPath,
                    ctx: Mapping[str, Any]) -> Diagnostic:
        entry = self.entry
        span = entry.tag_span
        site: FieldSite | None = None
        for n in range(len(path), 0, -1):
            site = entry.fields.get(path[:n])
            if site is not None:
                span = site.value_span
                break
        code = _ERROR_CODES.get(kind, codes.INVALID_TYPE)
        message = err["msg"] if kind.startswith("rs_") else _translate(kind, err, path)
        help_, suggestion = _help(kind, err, ctx)
        fix = None
        written = err.get("input")
        if suggestion and isinstance(written, str) and site is not None and \
                isinstance(site.node, YScalar) and site.node.value == written and \
                not site.alias and site.expression is None and not site.variables:
            fix = self.rename_fix(site.node.start, site.node.end, written, suggestion,
                                  what="value")
        return code.diag(f"`!{entry.type}`: {message}" if not message.startswith("`!") else message,
                         span, path=self.path, help=help_, fix=fix)


def _help(kind: str, err: Mapping[str, Any], ctx: Mapping[str, Any]
          ) -> tuple[str | None, str | None]:
    """(help text, the value to suggest instead) of a value error."""
    if kind == "rs_params" and isinstance(ctx.get("value"), str):
        close = difflib.get_close_matches(ctx["value"].upper(), list(PARAM_TOKENS), n=1,
                                          cutoff=0.6)
        return (f"did you mean `{close[0]}`?" if close else f"write a list: `[{ctx['value']}]`",
                close[0] if close else None)
    if kind == "literal_error" and isinstance(err.get("input"), str):
        expected = [x.strip(" '") for x in
                    str(ctx.get("expected", "")).replace(" or ", ", ").split(",")]
        close = difflib.get_close_matches(err["input"], expected, n=1, cutoff=0.6)
        if close:
            return f"did you mean `{close[0]}`?", close[0]
        return None, None
    if ctx.get("help"):
        suggestion = ctx["suggestion"] if isinstance(ctx.get("suggestion"), str) else None
        return str(ctx["help"]), suggestion
    return None, None


def _delete_line_fix(src: Source, site: FieldSite | None, *, safe: bool) -> Fix | None:
    """Deleting a block-style `key: value` line (None in flow style or with other text
    on the line)."""
    if site is None or site._key is None or site.node is None:
        return None
    text = src.text
    key_start = src.start + site._key[0]
    value_end = src.start + trimmed_end(src.yaml_text, site._value[0], site._value[1])
    line_start = text.rfind("\n", 0, key_start) + 1
    line_end = text.find("\n", value_end)
    line_end = len(text) if line_end < 0 else line_end
    if text[line_start:key_start].strip() or \
            text[value_end:line_end].strip() and not text[value_end:line_end].strip().startswith("#"):
        return None
    if text.count("\n", key_start, value_end):
        return None
    return Fix("delete the line", (Edit(line_start, min(line_end + 1, len(text)), ""),),
               safe=safe)


def _translate(kind: str, err: Mapping[str, Any], path: FieldPath) -> str:
    """Pydantic's built-in error types, in our words (never its raw text)."""
    name = path_text(path) or "value"
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "literal_error":
        return f"`{name}` must be one of {ctx.get('expected')}, got {as_written(value)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next(iter(ctx.values()), "?")
        rel = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
               "less_than_equal": "<="}[kind]
        return f"`{name}` must be {rel} {bound}, got {as_written(value)}"
    expected = _EXPECTS.get(kind, "another type of value")
    return f"`{name}` must be {expected}, got {type_name(value)} {as_written(value)}"


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union-branch and function labels from an error location."""
    out = []
    for part in loc:
        if isinstance(part, str) and (part.startswith(("function-", "union[", "literal[",
                                                        "lax-or-strict", "tagged-union"))
                                      or part in ("float", "int", "str", "bool", "list", "dict")
                                      or "[" in part):
            continue
        out.append(part)
    return tuple(out)
