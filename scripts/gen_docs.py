"""Regenerate the generated parts of the repository: README's rule table.

Run after adding or changing a rule: `python scripts/gen_docs.py` (a test checks it).
"""

from __future__ import annotations

from pathlib import Path

from recipe_studio.rules.docs import README_END, README_START, rules_table

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{rules_table()}\n{README_END}{tail}")
    print("README.md rule table updated")


if __name__ == "__main__":
    main()
