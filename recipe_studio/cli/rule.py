"""`recipe-studio rule [CODE|name]`: a rule's documentation, or the table of all rules."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import usage_error
from recipe_studio.cli.options import OutputFormat, format_option


@app.command()
def rule(
    selector: Annotated[Optional[str], typer.Argument(
        metavar="RULE", help="A rule code (RS102) or name (unknown-field). Without it, the "
                             "table of all rules.")] = None,
    format: Annotated[Literal[OutputFormat.text, OutputFormat.markdown, OutputFormat.json],
                      format_option()] = OutputFormat.text,
) -> None:
    """Explain a rule (what it does, why, SparseML's behaviour, example, fix), or list all."""
    import json

    from recipe_studio.lint import registry
    from recipe_studio.lint.rules.docs import rule_page, rules_table

    if selector is None:
        if format is OutputFormat.json:
            typer.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.value,
                                    "family": r.family, "summary": r.summary, "fix": r.fix}
                                   for r in registry.ALL_RULES], indent=2))
        else:
            typer.echo(rules_table())
        return
    r = registry.get(selector)
    if r is None:
        import difflib

        close = difflib.get_close_matches(selector, [*registry.BY_NAME, *registry.BY_CODE], n=1)
        raise usage_error(f"no rule `{selector}`" + (f"; did you mean `{close[0]}`?" if close
                                                    else ""))
    if format is OutputFormat.json:
        typer.echo(json.dumps({"code": r.code, "name": r.name, "severity": r.severity.value,
                               "family": r.family, "summary": r.summary, "doc": r.doc}, indent=2))
        return
    typer.echo(rule_page(r))
