"""Lint configuration: `[tool.recipe-studio]` in pyproject.toml, or `.recipe-studio.toml`.

Discovery walks up from each recipe's directory; the nearest directory holding either file
wins (`.recipe-studio.toml` before `pyproject.toml` in the same directory). `--config FILE`
replaces discovery. Keys::

    select = ["RS4", "pruning"]          # codes, code prefixes, names, families, or "ALL"
    extend-select = []
    ignore = ["RS207"]
    severity = { RS402 = "error", unused-variable = "info" }
    per-file-ignores = { "recipes/legacy/*.yaml" = ["RS505"] }
    steps-per-epoch = 100
    [tool.recipe-studio.rules.qat-learning-rate-too-high]   # per-rule options
    max-ratio = 0.1

Unknown keys, codes, names and options are errors with a did-you-mean.

Load-level errors (what `validate` reports as errors: SparseML cannot load the recipe) are
always reported: `select` does not drop them, `ignore`, `per-file-ignores` and `severity`
do not apply to them, and an entry that names nothing but load errors (`ignore =
["RS102"]`) is a configuration error, as it could never do anything.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recipe_studio.diagnostics import Severity
from recipe_studio.io import NotRegularFile, read_regular
from recipe_studio.lint.errors import ConfigError

if TYPE_CHECKING:
    from recipe_studio.lint.rules._base import Rule

# `registry` (every rule module: a few hundred ms cold) is imported inside the functions that
# check selectors, so that discovering a configuration (`show` reads `steps-per-epoch`) does
# not load the rules; registry imports nothing of this module (no circle).

CONFIG_FILE = ".recipe-studio.toml"
PYPROJECT = "pyproject.toml"

_KEYS = ("select", "extend-select", "ignore", "severity", "per-file-ignores",
         "steps-per-epoch", "rules", "target", "modifier-stubs")

__all__ = ["ConfigError", "LintConfig", "check_selector", "check_suppressible",
           "discover_config", "load_config_file", "parse_config", "validate_options"]


@dataclass
class LintConfig:
    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    steps_per_epoch: int | None = None
    #: the library stage recipes are checked against (`sparseml` / `llmcompressor`)
    target: str | None = None
    #: modifier-stubs catalogues (`recipe-studio stubs`), absolute or relative to the cwd
    modifier_stubs: list[str] = field(default_factory=list)
    #: rule code -> validated options
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: file it came from (None: defaults / CLI only)
    path: Path | None = None

    @property
    def root(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def ignored_for(self, file: str | None) -> list[str]:
        if not file or not self.per_file_ignores:
            return []
        try:
            rel = os.path.relpath(os.path.abspath(file), self.root)
        except ValueError:
            rel = file
        rel = rel.replace(os.sep, "/")
        out: list[str] = []
        for pattern, sels in self.per_file_ignores.items():
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(os.path.basename(file), pattern):
                out.extend(sels)
        return out


#: a configuration file larger than this is not read (they are a few hundred bytes)
_CONFIG_LIMIT = 1 << 20


def load_config_file(path: Path) -> LintConfig:
    """Read and validate one config file (a pyproject.toml or a .recipe-studio.toml)."""
    try:  # a FIFO or device given as --config is refused unopened, never read forever
        data = tomllib.loads(read_regular(path, _CONFIG_LIMIT).decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file `{path}` does not exist") from None
    except NotRegularFile as e:
        raise ConfigError(f"config file `{path}` is {e.kind}, not a regular file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config file `{path}`: {getattr(e, 'strerror', None) or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"`{path}` is not valid TOML: {e}") from None
    where = f"`{path}`"
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("recipe-studio")
        if table is None:
            return LintConfig(path=path)
        where = f"[tool.recipe-studio] of `{path}`"
    else:
        table = data
    return parse_config(table, where=where, path=path)


def parse_config(table: dict[str, Any], *, where: str, path: Path | None = None) -> LintConfig:
    from recipe_studio.lint import registry

    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    cfg = LintConfig(path=path)
    for key, value in table.items():
        norm = key.replace("_", "-")
        if norm not in _KEYS:
            close = difflib.get_close_matches(norm, _KEYS, n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else f" (known: {', '.join(_KEYS)})"
            raise ConfigError(f"unknown key `{key}` in {where}{hint}")
        if norm in ("select", "extend-select", "ignore"):
            sels = _str_list(value, key, where)
            for s in sels:
                check_selector(s, f"`{key}` in {where}")
                if norm == "ignore":
                    check_suppressible(s, f"`{key}` in {where}")
            if norm == "select":
                cfg.select = sels
            elif norm == "extend-select":
                cfg.extend_select = sels
            else:
                cfg.ignore = sels
        elif norm == "severity":
            if not isinstance(value, dict):
                raise ConfigError(f"`severity` in {where} must be a table of rule = level")
            for sel, level in value.items():
                check_selector(sel, f"`severity` in {where}")
                try:
                    cfg.severity[sel] = Severity(str(level).lower())
                except ValueError:
                    raise ConfigError(f"severity `{level}` for `{sel}` in {where} must be "
                                      "error, warning or info") from None
                if cfg.severity[sel] is not Severity.ERROR:
                    check_suppressible(sel, f"`severity` in {where}")
        elif norm == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"`per-file-ignores` in {where} must be a table of "
                                  "glob = [rules]")
            for pattern, sels in value.items():
                lst = _str_list(sels, f"per-file-ignores.{pattern}", where)
                for s in lst:
                    check_selector(s, f"`per-file-ignores` in {where}")
                    check_suppressible(s, f"`per-file-ignores` in {where}")
                cfg.per_file_ignores[str(pattern)] = lst
        elif norm == "target":
            if value not in ("sparseml", "llmcompressor"):
                raise ConfigError(f"`target` in {where} must be `sparseml` or `llmcompressor`")
            cfg.target = value
        elif norm == "modifier-stubs":
            from recipe_studio import stubs

            base = path.parent if path is not None else Path.cwd()
            try:
                cfg.modifier_stubs = stubs.config_paths(value, base, where)
                stubs.cached_catalogue(cfg.modifier_stubs)  # a broken file is a config error
            except stubs.CatalogueError as e:
                raise ConfigError(str(e)) from None
        elif norm == "steps-per-epoch":
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"`steps-per-epoch` in {where} must be a positive integer")
            cfg.steps_per_epoch = value
        elif norm == "rules":
            if not isinstance(value, dict):
                raise ConfigError(f"`rules` in {where} must be a table of rule options")
            for sel, opts in value.items():
                rule = registry.get(sel)
                if rule is None:
                    check_selector(sel, f"`rules` in {where}")
                    raise ConfigError(f"`rules.{sel}` in {where} must name one rule")
                cfg.rule_options[rule.code] = validate_options(rule, opts, where)
    return cfg


def check_selector(selector: str, where: str) -> None:
    """Raise ConfigError for a selector that names nothing, with a did-you-mean."""
    from recipe_studio.lint import registry

    if registry.expand(selector):
        return
    close = registry.suggest(selector)
    hint = f"; did you mean `{close}`?" if close else ""
    raise ConfigError(f"unknown rule `{selector}` in {where}{hint}")


def check_suppressible(selector: str, where: str) -> None:
    """Raise ConfigError for a selector that can only ever hide load-level errors (an
    `ignore`, `per-file-ignores` or `severity` entry, `--ignore`): those are always
    reported, so the setting would silently do nothing."""
    from recipe_studio.lint import registry

    found = registry.only_load_errors(selector)
    if found:
        names = ", ".join(f"`{c}`" for c in found[:3]) + (" ..." if len(found) > 3 else "")
        raise ConfigError(f"`{selector}` in {where} names only load errors ({names}): "
                          "SparseML cannot load a recipe that has one, so they are always "
                          "reported and cannot be ignored or downgraded; fix the recipe instead")


def validate_options(rule: Rule, options: Any, where: str) -> dict[str, Any]:
    """Check `[rules.<name>]` options against the rule's options model."""
    from pydantic import ValidationError  # third party: loaded only when a rule has options

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


def _str_list(value: Any, key: str, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"`{key}` in {where} must be a list of strings")
    return list(value)


def discover_config(start: Path, _cache: dict[Path, LintConfig | None] | None = None
                    ) -> LintConfig | None:
    """The nearest config for files in directory `start` (or None)."""
    cache = _cache if _cache is not None else {}
    d = start.resolve()
    visited = []
    found: LintConfig | None = None
    while True:
        if d in cache:
            found = cache[d]
            break
        visited.append(d)
        dedicated = d / CONFIG_FILE
        if dedicated.is_file():
            found = load_config_file(dedicated)
            break
        pyproject = d / PYPROJECT
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
                raise ConfigError(f"cannot read `{pyproject}`: {e}") from None
            if "recipe-studio" in data.get("tool", {}):
                found = load_config_file(pyproject)
                break
        if d.parent == d:
            break
        d = d.parent
    for v in visited:
        cache[v] = found
    return found
