"""The registry contract: unique codes and names, docs in ruff's shape, cases per rule."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from recipe_studio.lint import registry
from recipe_studio.lint.rules._base import REQUIRED_SECTIONS

CASES_DIR = Path(__file__).parent / "cases"
ROOT = Path(__file__).resolve().parents[2]
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


def _gen_docs():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_docs_are_in_sync():
    """docs/rules/ (one page per rule and the index) and README's rule summary."""
    gen = _gen_docs()
    assert gen.stale() == [], "run `python scripts/gen_docs.py` to update the docs"


def test_every_rule_has_a_page_linked_from_the_index():
    gen = _gen_docs()
    index = (ROOT / "docs" / "rules" / "index.md").read_text()
    for r in registry.ALL_RULES:
        page = ROOT / "docs" / "rules" / f"{r.name}.md"
        assert page.exists(), r.code
        assert f"]({r.name}.md)" in index, r.code
        text = page.read_text()
        assert text.count(f"({r.code})") >= 1 and "## What it does" in text, r.code
    assert gen.SUMMARY_START in (ROOT / "README.md").read_text()


def test_selectors():
    assert registry.expand("RS4") >= {"RS401", "RS402", "RS403"}
    assert registry.expand("pruning") >= {"RS501", "RS505"}
    assert registry.expand("modifier-ends-after-training") == {"RS401"}
    assert registry.expand("ALL") == set(registry.BY_CODE)
    assert registry.expand("nonsense") == set()
