"""Rule documentation rendered from the registry (the `rule` command, README table)."""

from __future__ import annotations

from recipe_studio.lint import registry
from recipe_studio.lint.rules._base import Rule

README_START = "<!-- rules-table:start -->"
README_END = "<!-- rules-table:end -->"


def rule_page(r: Rule) -> str:
    head = f"# {r.name} ({r.code})"
    meta = [f"Default severity: {r.severity.value}.", f"Family: {r.family}."]
    if r.fix != "never":
        meta.append(f"Fix: {r.fix} available.")
    if r.needs_model:
        meta.append("Needs `--model`.")
    if r.needs_steps:
        meta.append("Needs `--steps-per-epoch` (or `steps-per-epoch` in the configuration).")
    if r.from_loader:
        meta.append("Reported by `validate` (SparseML rejects the recipe at load).")
    body = r.doc.strip().split("\n", 1)
    rest = body[1].strip() if len(body) > 1 else ""
    return f"{head}\n\n{body[0].strip()}\n\n{' '.join(meta)}\n\n{rest}\n"


def table_cells(r) -> tuple[str, str]:
    """A rule's `fix` cell (`yes`/`some`/empty) and its summary with what it needs
    (`validate`, `--model`, `--steps-per-epoch`), escaped for a Markdown table."""
    fix = {"always": "yes", "sometimes": "some", "never": ""}[r.fix]
    flags = []
    if r.from_loader:
        flags.append("validate")
    if r.needs_model:
        flags.append("`--model`")
    if r.needs_steps:
        flags.append("`--steps-per-epoch`")
    extra = f" ({', '.join(flags)})" if flags else ""
    return fix, r.summary.replace("|", "\\|") + extra


def rules_table() -> str:
    """The Markdown table of every rule (`recipe-studio rule`)."""
    lines = ["| code | name | severity | fix | what it catches |",
             "|---|---|---|---|---|"]
    for r in registry.ALL_RULES:
        fix, summary = table_cells(r)
        lines.append(f"| {r.code} | `{r.name}` | {r.severity.value} | {fix} | {summary} |")
    return "\n".join(lines)
