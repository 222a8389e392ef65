"""The one explicit table of rules (see the package docstring), and what a selector names.

Raises nothing: `suggest()` offers a did-you-mean and `only_load_errors()` the codes a
selector could never hide; `config` turns them into `ConfigError`s.
"""

from __future__ import annotations

import difflib
import importlib

from recipe_studio.read import codes
from recipe_studio.diagnostics import Diagnostic
from recipe_studio.lint.rules import loader_docs
from recipe_studio.lint.rules._base import FAMILY_OF_PREFIX, Rule

# One module per lint rule, `<family folder>.<rule name>`, in code order; each defines RULE.
# This table is the only place a rule is registered (no package scanning).
_LINT_MODULES = (
    "structure.ignored_field",  # RS120
    "structure.legacy_log_types",  # RS121
    "structure.sequential_update_ignored",  # RS140
    "structure.leave_enabled_ignored",  # RS141
    "structure.targets_ignored_with_config_groups",  # RS142
    "values.number_read_as_string",  # RS210
    "values.bool_given_as_string",  # RS211
    "values.dampening_frac_out_of_range",  # RS230
    "values.block_size_not_positive",  # RS231
    "values.pruning_sparsity_out_of_range",  # RS232
    "values.smoothing_strength_out_of_range",  # RS233
    "variables.unused_variable",  # RS311
    "variables.hard_coded_epoch",  # RS312
    "schedule.modifier_ends_after_training",  # RS401
    "schedule.missing_epoch_range",  # RS402
    "schedule.modifier_never_starts",  # RS403
    "pruning.pruning_never_ends",  # RS501
    "pruning.update_frequency_exceeds_window",  # RS502
    "pruning.update_frequency_off_step_grid",  # RS503
    "pruning.sparsity_decreases",  # RS504
    "pruning.no_recovery_epochs",  # RS505
    "pruning.overlapping_pruners",  # RS506
    "pruning.pruning_window_empty",  # RS507
    "pruning.inverse_cubic_end_off_step_grid",  # RS508
    "pruning.mask_released_before_end",  # RS509
    "pruning.nm_mask_with_ramp",  # RS510
    "pruning.nm_sparsity_mismatch",  # RS520
    "pruning.gptq_refills_pruned_weights",  # RS521
    "pruning.prior_mask_discarded",  # RS522
    "quantization.qat_drops_sparsity",  # RS601
    "quantization.qat_during_pruning",  # RS602
    "quantization.qat_event_after_training",  # RS603
    "quantization.smoothing_after_quantizer",  # RS620
    "quantization.lm_head_quantized",  # RS621
    "quantization.scheme_and_config_groups",  # RS622
    "quantization.actorder_conflict",  # RS623
    "quantization.actorder_ignored",  # RS624
    "quantization.invalid_target_regex",  # RS625
    "quantization.everything_ignored",  # RS626
    "quantization.gptq_scheme_not_preset",  # RS627
    "learning_rate.overlapping_lr_modifiers",  # RS701
    "learning_rate.duplicate_set_learning_rate",  # RS702
    "learning_rate.lr_function_end_off_step_grid",  # RS703
    "learning_rate.lr_milestones_outside_range",  # RS704
    "learning_rate.qat_learning_rate_too_high",  # RS705
    "learning_rate.lr_schedule_crashes",  # RS706
    "learning_rate.multistep_lr_start_minus_one",  # RS708
    "model.param_pattern_matches_nothing",  # RS801
    "model.unprunable_param",  # RS802
    "model.param_in_two_pruners",  # RS803
    "model.pruning_coverage",  # RS804
    "model.target_matches_no_module",  # RS820
    "model.ignore_matches_no_module",  # RS821
    "model.mapping_matches_no_module",  # RS822
    "model.group_size_not_divisor",  # RS823
    "style.unused_suppression",  # RS901
    "style.invalid_suppression",  # RS902
    "style.tag_rewrite_alters_text",  # RS910
    "style.front_matter_cut_early",  # RS911
)

LOADER_RULES: tuple[Rule, ...] = tuple(
    Rule(code=c.code, name=c.name, severity=c.severity, doc=loader_docs.doc(c),
         from_loader=True, fix=loader_docs.FIXES.get(c.code, "never"))
    for c in codes.LOADER_CODES
)
LINT_RULES: tuple[Rule, ...] = tuple(
    importlib.import_module(f"recipe_studio.lint.rules.{m}").RULE for m in _LINT_MODULES)
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


def suggest(selector: str, *, rule_only: bool = False) -> str | None:
    """The did-you-mean for a selector that names nothing: the closest code, name or family
    (also comparing the upper-cased selector with the codes); with `rule_only`, the closest
    rule name or code as written (what a suppression comment and `recipe-studio rule` have
    always proposed). None when nothing is close."""
    if rule_only:
        close = difflib.get_close_matches(selector, [*BY_NAME, *BY_CODE], n=1, cutoff=0.6)
        return close[0] if close else None
    close = difflib.get_close_matches(selector, [*BY_CODE, *BY_NAME, *FAMILIES], n=1,
                                      cutoff=0.6)
    close = close or difflib.get_close_matches(selector.upper(), list(BY_CODE), n=1, cutoff=0.6)
    return close[0] if close else None


def only_load_errors(selector: str) -> list[str]:
    """The codes of a selector that can only ever hide load-level errors (sorted), or [] when
    it names something else too (or nothing): load errors are always reported, so an
    `ignore`, `per-file-ignores` or `severity` entry like that would silently do nothing."""
    found = expand(selector)
    return sorted(found) if found and found <= codes.ALWAYS_LOAD_ERROR_CODES else []
