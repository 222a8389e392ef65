"""The registry contract: unique codes and names, docs in ruff's shape, cases per rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from recipe_studio.rules import registry
from recipe_studio.rules._base import REQUIRED_SECTIONS
from recipe_studio.rules.docs import README_END, README_START, rules_table

CASES_DIR = Path(__file__).parent / "cases"
README = Path(__file__).resolve().parents[2] / "README.md"
#: meta codes that no recipe can trigger on purpose
NO_FAILING_CASE = {"RS999"}


def test_codes_and_names_are_unique_and_well_formed():
    codes = [r.code for r in registry.ALL_RULES]
    names = [r.name for r in registry.ALL_RULES]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    for r in registry.ALL_RULES:
        assert re.fullmatch(r"RS\d{3}", r.code), r.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.name), r.name


@pytest.mark.parametrize("rule", registry.ALL_RULES, ids=lambda r: r.code)
def test_rule_has_docs(rule):
    sections = rule.sections()
    for heading in REQUIRED_SECTIONS:
        assert sections.get(heading, "").strip(), f"{rule.code} lacks `## {heading}`"
    assert rule.summary and len(rule.summary) > 15
    assert "```" in rule.doc  # an example block
    if rule.fix != "never" and not rule.from_loader:
        assert "Fix safety" in sections, f"{rule.code} has a fix but no `## Fix safety`"


@pytest.mark.parametrize("rule", registry.ALL_RULES, ids=lambda r: r.code)
def test_rule_has_passing_and_failing_cases(rule):
    path = CASES_DIR / f"{rule.code}.yaml"
    assert path.exists(), f"no case file for {rule.code}"
    doc = yaml.safe_load(path.read_text())
    assert doc["rule"] in (rule.name, rule.code)
    expects = [c["expect"] for c in doc["cases"].values()]
    assert any(e == [] for e in expects), f"{rule.code}: no passing case"
    if rule.code not in NO_FAILING_CASE:
        assert any(any(x.endswith(rule.code) for x in e) for e in expects), \
            f"{rule.code}: no failing case"


def test_readme_rule_table_is_in_sync():
    text = README.read_text()
    assert README_START in text and README_END in text
    inside = text.split(README_START, 1)[1].split(README_END, 1)[0].strip()
    assert inside == rules_table().strip(), "run `python scripts/gen_docs.py` to update README"


def test_selectors():
    assert registry.expand("RS4") >= {"RS401", "RS402", "RS403"}
    assert registry.expand("pruning") >= {"RS501", "RS505"}
    assert registry.expand("modifier-ends-after-training") == {"RS401"}
    assert registry.expand("ALL") == set(registry.BY_CODE)
    assert registry.expand("nonsense") == set()
