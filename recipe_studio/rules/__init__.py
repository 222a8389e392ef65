"""The rule registry: every diagnostic code recipe-studio emits, with its documentation.

Loader codes (file, YAML, structure, values, variables: what `validate` reports) and lint
rules (one module each, listed explicitly below) share one table, one code space and one
selection syntax: a code (`RS401`), a prefix (`RS4`), a name (`pruning-ends-after-training`),
a family (`pruning`) or `ALL`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from recipe_studio.rules._base import FAMILY_OF_PREFIX, Rule, RuleContext
from recipe_studio.rules.registry import (
    ALL_RULES, BY_CODE, BY_NAME, check_selector, expand, get, matches, validate_options,
)

__all__ = ["ALL_RULES", "BY_CODE", "BY_NAME", "FAMILY_OF_PREFIX", "Rule", "RuleContext",
           "check_selector", "expand", "get", "matches", "validate_options"]
