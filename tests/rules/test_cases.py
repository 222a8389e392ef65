"""Every rule's cases (tests/rules/cases/<CODE>.yaml), run through the real linter.

A case gives a recipe (or raw bytes, a missing file, a padded file), optional settings
(`steps_per_epoch`, `config`, `select`, `vars`, `target`, a `model` parameter list, or an
`hf_model`: a Hugging Face directory built from its `config` and `tensors` lines, the
safetensors header written by `tests/rules/hfdir.py`) and the expected
`line:col CODE` list; `fixed` is the text after applying every fix (unsafe included): it
must differ from the recipe and must not produce the case's code at all (`no_fix: true`
says instead that no diagnostic of the case offers a fix). Every rule that
offers a fix has at least one case with `fixed`. Each case is also linted with every rule
selected: two rules must not report one problem (same position, same fix) twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from recipe_studio.lint.config import parse_config
from recipe_studio.lint.fix import fix_text
from recipe_studio.lint.engine import LintSettings, lint_recipe
from recipe_studio.read.load import load
from recipe_studio.lint.modelinfo import read_model
from recipe_studio.lint import registry
from recipe_studio.read.source import from_text
from recipe_studio.read.variables import parse_vars_option

CASES_DIR = Path(__file__).parent / "cases"


@dataclass
class RuleCase:
    code: str
    name: str
    rule: str
    data: dict[str, Any]
    model_text: str | None = None
    hf_model: dict[str, Any] | None = None
    id: str = field(init=False)

    def __post_init__(self) -> None:
        self.id = f"{self.code}-{self.name}"


def load_cases() -> list[RuleCase]:
    out = []
    for path in sorted(CASES_DIR.glob("RS*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for name, data in doc["cases"].items():
            out.append(RuleCase(path.stem, name, doc["rule"], data, doc.get("model"),
                                doc.get("hf_model")))
    return out


CASES = load_cases()


def settings_for(case: RuleCase, tmp_path: Path) -> LintSettings:
    rule = registry.get(case.rule)
    assert rule is not None, f"{case.code}: unknown rule {case.rule}"
    assert rule.code == case.code, f"case file {case.code} names {rule.code}"
    s = LintSettings(select=case.data.get("select", [rule.code]),
                     steps_per_epoch=case.data.get("steps_per_epoch"), isolated=True)
    if "config" in case.data:
        s.config = parse_config(case.data["config"], where="case")
    if case.model_text:
        p = tmp_path / "model.txt"
        p.write_text(case.model_text)
        s.model = read_model(p)
    hf = case.data.get("hf_model", case.hf_model)
    if hf:
        from tests.rules.hfdir import write_hf_dir

        s.model = read_model(write_hf_dir(tmp_path / "hf-model", hf["config"], hf["tensors"]))
    return s


def run_case(case: RuleCase, tmp_path: Path):
    settings = settings_for(case, tmp_path)
    overrides = []
    if "vars" in case.data:
        import json

        overrides = parse_vars_option(json.dumps(case.data["vars"]))
    if "vars_text" in case.data:
        try:
            parse_vars_option(case.data["vars_text"])
        except ValueError as e:
            from recipe_studio.read import codes

            return [codes.INVALID_OVERRIDE.diag(str(e))], None
    path = tmp_path / case.data.get("path", "recipe.yaml")
    if case.data.get("missing"):
        recipe = load(tmp_path / "does-not-exist.yaml")
    elif "recipe_hex" in case.data:
        path.write_bytes(bytes.fromhex(case.data["recipe_hex"]))
        recipe = load(path)
    elif "pad_to_bytes" in case.data:
        with path.open("wb") as f:
            f.truncate(case.data["pad_to_bytes"])
        recipe = load(path)
    else:
        path.write_text(case.data["recipe"])
        recipe = load(path, overrides=overrides, target=case.data.get("target"))
    return lint_recipe(recipe, settings), (recipe, settings, overrides)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule_case(case: RuleCase, tmp_path: Path) -> None:
    found, ctx = run_case(case, tmp_path)
    assert [d.short() for d in found] == case.data["expect"], \
        "\n".join(f"{d.short()} {d.message}" for d in found)
    for d in found:
        assert d.message and "Traceback" not in d.message
        assert not d.message.endswith(".")
    if case.data.get("no_fix"):
        assert "fixed" not in case.data
        assert found and all(d.fix is None for d in found), [d.short() for d in found if d.fix]
    if "fixed" in case.data:
        recipe, settings, overrides = ctx
        src = recipe.source

        def relint(text: str):
            r = load(from_text(text, path=src.path, form=src.form), overrides=overrides)
            return lint_recipe(r, settings)

        out = fix_text(src.text, relint, unsafe=True)
        assert out.text == case.data["fixed"]
        assert out.text != src.text, "`fixed` is the recipe itself: no fix was applied"
        left = [d for d in relint(out.text) if d.code == case.code]
        assert left == [], "the fixed text still fires the rule:\n" + "\n".join(
            f"{d.short()} {d.message}" for d in left)
        again = fix_text(out.text, relint, unsafe=True)
        assert again.text == out.text  # idempotent


FIXABLE = [r for r in registry.ALL_RULES if r.fix != "never"]


@pytest.mark.parametrize("rule", FIXABLE, ids=lambda r: r.code)
def test_fixable_rule_has_a_case_with_its_fixed_text(rule) -> None:
    fixed = [c.name for c in CASES if c.code == rule.code and "fixed" in c.data]
    assert fixed, f"{rule.code} ({rule.name}) offers a fix (`{rule.fix}`) but no case in " \
                  f"tests/rules/cases/{rule.code}.yaml has `fixed`"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_one_diagnostic_per_problem(case: RuleCase, tmp_path: Path) -> None:
    """With every rule selected (a case selects only its own rule by default), no two rules
    report the same position with the same fix: that is one problem reported twice."""
    every = RuleCase(case.code, case.name, case.rule, {**case.data, "select": ["ALL"]},
                     case.model_text)
    found, _ = run_case(every, tmp_path)
    seen: dict[tuple[Any, ...], str] = {}
    for d in found:
        if d.fix is None:
            continue
        key = (d.span.line, d.span.column, tuple((e.start, e.end, e.text) for e in d.fix.edits))
        other = seen.setdefault(key, d.code)
        assert other == d.code, f"{other} and {d.code} both report {d.short()} with the " \
                                f"same fix ({d.fix.message})"
