"""CI formats: GitHub workflow annotations and SARIF 2.1.0."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import IO, Any

from recipe_studio.diagnostics import Diagnostic, Severity

_GH_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(diagnostics: Sequence[Diagnostic], stream: IO[str]) -> None:
    """`::error file=...,line=...,col=...,endLine=...,endColumn=...,title=...::message`."""
    for d in diagnostics:
        props = [f"file={_gh_escape(d.path or '', True)}", f"line={d.span.line}",
                 f"col={d.span.column}", f"endLine={d.span.end_line}",
                 f"endColumn={d.span.end_column}",
                 f"title={_gh_escape(f'recipe-studio ({d.code} {d.name})', True)}"]
        msg = d.message + (f" — {d.help}" if d.help else "")
        stream.write(f"::{_GH_LEVEL[d.severity]} {','.join(props)}::{_gh_escape(msg)}\n")


def sarif_log(diagnostics: Sequence[Diagnostic], rules: Iterable[Any], *,
              version: str) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run, the rule metadata and one result per diagnostic."""
    rules = list(rules)
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
    for d in diagnostics:
        region = {"startLine": d.span.line, "startColumn": d.span.column,
                  "endLine": d.span.end_line, "endColumn": d.span.end_column}
        result: dict[str, Any] = {
            "ruleId": d.code,
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message + (f" ({d.help})" if d.help else "")},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": (d.path or "").replace("\\", "/")},
                "region": region}}],
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if d.related:
            result["relatedLocations"] = [
                {"id": i, "message": {"text": r.message}, "physicalLocation": {
                    "artifactLocation": {"uri": (r.path or d.path or "").replace("\\", "/")},
                    "region": {"startLine": r.span.line, "startColumn": r.span.column,
                               "endLine": r.span.end_line, "endColumn": r.span.end_column}}}
                for i, r in enumerate(d.related)]
        if d.fix:
            result["fixes"] = [{"description": {"text": d.fix.message}, "artifactChanges": [{
                "artifactLocation": {"uri": (d.path or "").replace("\\", "/")},
                "replacements": [{"deletedRegion": {"charOffset": e.start,
                                                    "charLength": e.end - e.start},
                                  "insertedContent": {"text": e.text}}
                                 for e in d.fix.edits]}]}]
        results.append(result)
    driver_rules = [{
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.summary},
        "help": {"text": r.doc, "markdown": r.doc},
        "helpUri": r.url,
        "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
        "properties": {"tags": [r.family]},
    } for r in rules]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "recipe-studio", "version": version,
                                "informationUri": "https://github.com/recipe-studio/recipe-studio",
                                "rules": driver_rules}},
            "results": results,
        }],
    }


def render_sarif(diagnostics: Sequence[Diagnostic], stream: IO[str], rules: Iterable[Any], *,
                 version: str) -> None:
    json.dump(sarif_log(diagnostics, rules, version=version), stream, indent=2)
    stream.write("\n")
