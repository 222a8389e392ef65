"""The pages link to files and headings that exist, and the README stays the front door."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
#: pages written on other branches (editors, deployment): linked before they are merged
OTHER_BRANCHES = {ROOT / "docs" / "editors.md", ROOT / "docs" / "deployment.md"}
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slug(m) for m in re.findall(r"^#+ (.*)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            if dest not in OTHER_BRANCHES:
                broken.append(target)
            continue
        if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(target)
    assert not broken, broken


def test_readme_is_the_front_door() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(text.encode()) <= 15_700, len(text.encode())  # "at most ~15 KB"
    assert "make demo" in text and "make test" in text
    for page in ("docs/commands.md", "docs/configuration.md", "docs/rules/index.md",
                 "docs/editors.md", "docs/deployment.md", "docs/library.md",
                 "docs/conformance.md"):
        assert f"]({page})" in text, page
    # the two commands' times, as measured, between markers that are easy to update
    for what in ("demo", "test"):
        assert re.search(rf"<!-- measured:{what} -->[^<]*\d[^<]*<!-- /measured -->", text), what


def test_every_hand_written_page_is_linked_from_the_index() -> None:
    index = (ROOT / "docs" / "index.md").read_text()
    for page in sorted((ROOT / "docs").glob("*.md")):
        if page.name != "index.md":
            assert f"]({page.name})" in index, page.name
