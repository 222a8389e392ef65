"""Lint: the loader's diagnostics plus every selected rule, filtered and sorted.

Pure: takes a recipe (or a path/text) and returns diagnostics; prints nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recipe_studio.diagnostics import Diagnostic, Severity, sort_diagnostics
from recipe_studio.lint import registry, suppress
from recipe_studio.lint.config import LintConfig, discover_config
from recipe_studio.lint.rules._base import RuleContext
from recipe_studio.lint.rules.style import invalid_suppression, unused_suppression
from recipe_studio.read import codes
from recipe_studio.read.load import load
from recipe_studio.read.partial import UnknownFieldValue
from recipe_studio.read.recipe import Recipe

if TYPE_CHECKING:
    from recipe_studio.lint.modelinfo import ModelParams
    from recipe_studio.read.variables import Override


@dataclass
class LintSettings:
    """Command-line choices layered over the discovered configuration."""

    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    steps_per_epoch: int | None = None
    model: ModelParams | None = None
    #: an explicit config (`--config`); None: discover per file
    config: LintConfig | None = None
    #: discovery off (`--isolated`)
    isolated: bool = False
    _cache: dict[Path, LintConfig | None] = field(default_factory=dict, repr=False)

    def config_for(self, path: str | None) -> LintConfig:
        if self.config is not None:
            return self.config
        if self.isolated or path is None:
            return LintConfig()
        start = Path(os.path.dirname(os.path.abspath(path)))
        return discover_config(start, self._cache) or LintConfig()


@dataclass
class LintResult:
    recipe: Recipe
    diagnostics: list[Diagnostic]

    @property
    def path(self) -> str | None:
        return self.recipe.path


def enabled_codes(cfg: LintConfig, settings: LintSettings, path: str | None) -> set[str]:
    select = settings.select if settings.select is not None else cfg.select
    enabled: set[str] = set()
    for s in (select if select is not None else ["ALL"]):
        enabled |= registry.expand(s)
    for s in [*cfg.extend_select, *settings.extend_select]:
        enabled |= registry.expand(s)
    for s in [*cfg.ignore, *settings.ignore, *cfg.ignored_for(path)]:
        enabled -= registry.expand(s)
    return enabled


def lint_recipe(recipe: Recipe, settings: LintSettings | None = None) -> list[Diagnostic]:
    """Diagnostics for an already-loaded recipe.

    `lint` is `validate` plus rules: the loader's load-level errors
    (:func:`codes.is_load_error`) are always kept, whatever the selection, suppression
    comments or severity settings say; a suppression aimed at one is reported instead.
    """
    settings = settings or LintSettings()
    cfg = settings.config_for(recipe.path)
    enabled = enabled_codes(cfg, settings, recipe.path)
    found: list[Diagnostic] = list(recipe.diagnostics)
    # a Python script: the rules run on each recipe it builds (`read.python`)
    for part in (recipe.parts or [recipe]) if recipe.source is not None else []:
        ctx = RuleContext(recipe=part,
                          steps_per_epoch=settings.steps_per_epoch or cfg.steps_per_epoch,
                          model=settings.model)
        for rule in registry.LINT_RULES:
            if rule.check is None or rule.code not in enabled:
                continue
            options = cfg.rule_options.get(rule.code) or _default_options(rule)
            found.extend(_run_rule(rule, ctx, options))
    found = [d for d in found if codes.is_load_error(d) or d.code in enabled
             or d.code == codes.INTERNAL.code]
    sups = suppress.find(recipe)
    found = suppress.apply(found, sups, registry.matches, protected=codes.is_load_error)
    found.extend(_suppression_diagnostics(recipe, sups, enabled))
    found = _apply_severity(found, cfg)
    return sort_diagnostics(_dedupe(found))


def _run_rule(rule: Any, ctx: RuleContext, options: dict[str, Any]) -> list[Diagnostic]:
    """One rule over the recipe's modifiers, the partially valid ones included.

    A modifier that failed to load takes part through its partial view (the fields that
    did validate, :attr:`ModifierEntry.view`). A rule that reads a field the view does not
    know raises :class:`~recipe_studio.read.partial.UnknownFieldValue`; the rule is then run
    again without that modifier, so it never sees a made-up value and the other modifiers
    keep their diagnostics.
    """
    skipped: set[int] = set()
    run_ctx = ctx
    while True:
        run_ctx.rule = rule
        run_ctx.options = options
        try:
            return list(rule.check(run_ctx))
        except UnknownFieldValue as e:
            entry = ctx.recipe.entry_of(e.view)
            if entry is None or entry.index in skipped:
                return [_internal(rule, ctx.recipe, e)]
            skipped.add(entry.index)
            run_ctx = ctx.without(skipped)
        except Exception as e:  # a rule bug must not take the whole run down
            if os.environ.get("RECIPE_STUDIO_DEBUG") == "1":
                raise
            return [_internal(rule, ctx.recipe, e)]


def _internal(rule: Any, recipe: Recipe, e: Exception) -> Diagnostic:
    return codes.INTERNAL.diag(
        f"rule `{rule.name}` failed on this recipe ({type(e).__name__}: {e}); "
        "please report it", path=recipe.path)


def lint(
    recipe: str | os.PathLike[str] | Recipe,
    settings: LintSettings | None = None,
    *,
    overrides: Iterable[Override] = (),
    path: str | None = None,
) -> LintResult:
    """Load (unless given a Recipe) and lint one recipe."""
    if not isinstance(recipe, Recipe):
        recipe = load(recipe, overrides=overrides, path=path)
    return LintResult(recipe, lint_recipe(recipe, settings))


def _default_options(rule: Any) -> dict[str, Any]:
    return rule.options().model_dump() if rule.options is not None else {}


def _apply_severity(diags: list[Diagnostic], cfg: LintConfig) -> list[Diagnostic]:
    if not cfg.severity:
        return diags
    out = []
    for d in diags:
        level: Severity | None = None
        for sel, sev in cfg.severity.items():  # later, more specific entries win
            if registry.matches(sel, d):
                level = sev
        if level is not None and not codes.is_load_error(d):  # never downgrade a load error
            d = replace(d, severity=level)
        out.append(d)
    return out


def _suppression_diagnostics(recipe: Recipe, sups: Sequence[suppress.Suppression],
                             enabled: set[str]) -> list[Diagnostic]:
    out = []
    for s in sups:
        for sel in s.selectors:
            codes_ = registry.expand(sel)
            if not codes_:
                if invalid_suppression.RULE.code in enabled:
                    out.append(invalid_suppression.diagnostic(
                        recipe, s, sel, registry.suggest(sel, rule_only=True)))
            elif sel in s.blocked or (sel not in s.used
                                      and codes_ <= codes.ALWAYS_LOAD_ERROR_CODES):
                # aimed at a load error (or at codes that are only ever load errors)
                if invalid_suppression.RULE.code in enabled:
                    out.append(invalid_suppression.load_error_diagnostic(
                        recipe, s, sel, s.blocked.get(sel), removable=sel not in s.used))
            elif sel not in s.used and unused_suppression.RULE.code in enabled:
                # a suppression of a rule that is not enabled is not "unused"
                if codes_ & enabled:
                    out.append(unused_suppression.diagnostic(recipe, s, sel))
    return out


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen = set()
    out = []
    for d in diags:
        key = (d.path, d.code, d.span, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
