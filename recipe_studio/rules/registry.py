"""The one explicit table of rules (see the package docstring)."""

from __future__ import annotations

import difflib
from typing import Any

from recipe_studio import codes
from recipe_studio.diagnostics import Diagnostic
from recipe_studio.rules import loader_docs
from recipe_studio.rules._base import FAMILY_OF_PREFIX, Rule

# One module per lint rule, listed explicitly (no package scanning).
from recipe_studio.rules import (  # noqa: E402  (order: by code)
    modifier_ends_after_training,
    missing_epoch_range,
    modifier_never_starts,
    pruning_never_ends,
    update_frequency_exceeds_window,
    update_frequency_off_step_grid,
    sparsity_decreases,
    no_recovery_epochs,
    overlapping_pruners,
    pruning_window_empty,
    inverse_cubic_end_off_step_grid,
    mask_released_at_end,
    nm_mask_with_ramp,
    qat_drops_sparsity,
    qat_during_pruning,
    qat_event_outside_training,
    overlapping_lr_modifiers,
    duplicate_set_learning_rate,
    lr_function_end_off_step_grid,
    lr_milestones_outside_range,
    multistep_start_minus_one,
    qat_learning_rate_too_high,
    lr_schedule_crashes,
    ignored_field,
    legacy_log_types,
    number_read_as_string,
    bool_given_as_string,
    unused_variable,
    hard_coded_epoch,
    tag_rewrite_alters_text,
    front_matter_cut_early,
    unused_suppression,
    invalid_suppression,
    param_pattern_matches_nothing,
    unprunable_param,
    param_in_two_pruners,
    pruning_coverage,
)

_LINT_MODULES = (
    modifier_ends_after_training, missing_epoch_range, modifier_never_starts,
    pruning_never_ends, update_frequency_exceeds_window, update_frequency_off_step_grid,
    sparsity_decreases, no_recovery_epochs, overlapping_pruners, pruning_window_empty,
    inverse_cubic_end_off_step_grid, mask_released_at_end, nm_mask_with_ramp,
    qat_drops_sparsity, qat_during_pruning, qat_event_outside_training,
    overlapping_lr_modifiers, duplicate_set_learning_rate, lr_function_end_off_step_grid,
    lr_milestones_outside_range, multistep_start_minus_one, qat_learning_rate_too_high, lr_schedule_crashes,
    ignored_field, legacy_log_types, number_read_as_string, bool_given_as_string, unused_variable,
    hard_coded_epoch, tag_rewrite_alters_text, front_matter_cut_early, unused_suppression,
    invalid_suppression, param_pattern_matches_nothing, unprunable_param,
    param_in_two_pruners, pruning_coverage,
)

LOADER_RULES: tuple[Rule, ...] = tuple(
    Rule(code=c.code, name=c.name, severity=c.severity, doc=loader_docs.doc(c),
         from_loader=True, fix=loader_docs.FIXES.get(c.code, "never"))
    for c in codes.LOADER_CODES
)
LINT_RULES: tuple[Rule, ...] = tuple(m.RULE for m in _LINT_MODULES)
ALL_RULES: tuple[Rule, ...] = tuple(sorted(LOADER_RULES + LINT_RULES, key=lambda r: r.code))

BY_CODE: dict[str, Rule] = {r.code: r for r in ALL_RULES}
BY_NAME: dict[str, Rule] = {r.name: r for r in ALL_RULES}
for _r in ALL_RULES:
    for _alias in _r.aliases:
        BY_NAME[_alias] = _r
FAMILIES = sorted(set(FAMILY_OF_PREFIX.values()))

if len(BY_CODE) != len(ALL_RULES) or len({r.name for r in ALL_RULES}) != len(ALL_RULES):
    raise RuntimeError("duplicate rule code or name in the registry")


def get(selector: str) -> Rule | None:
    """One rule by code (any case) or name."""
    return BY_CODE.get(selector.upper()) or BY_NAME.get(selector.lower())


def expand(selector: str) -> set[str]:
    """The codes a selector stands for (empty if it matches nothing)."""
    s = selector.strip()
    if s.upper() == "ALL":
        return set(BY_CODE)
    rule = get(s)
    if rule is not None:
        return {rule.code}
    if s.lower() in FAMILIES:
        return {r.code for r in ALL_RULES if r.family == s.lower()}
    up = s.upper()
    if up.startswith("RS"):
        return {c for c in BY_CODE if c.startswith(up)}
    return set()


def matches(selector: str, diagnostic: Diagnostic) -> bool:
    return diagnostic.code in expand(selector)


def check_selector(selector: str, where: str) -> None:
    """Raise ConfigError for a selector that names nothing, with a did-you-mean."""
    from recipe_studio.config import ConfigError

    if expand(selector):
        return
    candidates = [*BY_CODE, *BY_NAME, *FAMILIES]
    close = difflib.get_close_matches(selector, candidates, n=1, cutoff=0.6)
    close = close or difflib.get_close_matches(selector.upper(), list(BY_CODE), n=1, cutoff=0.6)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    raise ConfigError(f"unknown rule `{selector}` in {where}{hint}")


def check_suppressible(selector: str, where: str) -> None:
    """Raise ConfigError for a selector that can only ever hide load-level errors (an
    `ignore`, `per-file-ignores` or `severity` entry, `--ignore`): those are always
    reported, so the setting would silently do nothing."""
    from recipe_studio.config import ConfigError

    found = expand(selector)
    if found and found <= codes.ALWAYS_LOAD_ERROR_CODES:
        names = ", ".join(f"`{c}`" for c in sorted(found)[:3]) + (" ..." if len(found) > 3 else "")
        raise ConfigError(f"`{selector}` in {where} names only load errors ({names}): "
                          "SparseML cannot load a recipe that has one, so they are always "
                          "reported and cannot be ignored or downgraded; fix the recipe instead")


def validate_options(rule: Rule, options: Any, where: str) -> dict[str, Any]:
    """Check `[rules.<name>]` options against the rule's options model."""
    from pydantic import ValidationError

    from recipe_studio.config import ConfigError

    if not isinstance(options, dict):
        raise ConfigError(f"options for `{rule.name}` in {where} must be a table")
    if rule.options is None:
        if options:
            raise ConfigError(f"rule `{rule.name}` has no options (in {where})")
        return {}
    fields = list(rule.options.model_fields)
    norm = {k.replace("-", "_"): v for k, v in options.items()}
    for k in norm:
        if k not in fields:
            close = difflib.get_close_matches(k, fields, n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0].replace('_', '-')}`?" if close else \
                f" (options: {', '.join(f.replace('_', '-') for f in fields)})"
            raise ConfigError(f"unknown option `{k.replace('_', '-')}` for rule "
                              f"`{rule.name}` in {where}{hint}")
    try:
        return rule.options.model_validate(norm).model_dump()
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        raise ConfigError(f"option `{'.'.join(map(str, err['loc']))}` of rule `{rule.name}` in "
                          f"{where}: {err['msg']}") from None
