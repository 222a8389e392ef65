"""What yaml-language-server (real, pinned) says about the common mistakes, with the
committed schema and customTags: the measurements behind docs/editors.md.

The schema cannot see a tag, so it checks a modifier's fields against the best-matching
modifier. With `required` lists that produced "Missing property" errors naming fields of the
wrong modifier (4 over the first three cases below); the schema has none now, and what the
editor then misses (a missing field, a field of another modifier) is asserted here too, so
the documentation of the limits stays true.
"""

from __future__ import annotations

import json

import pytest

from editors.helpers import (
    CUSTOM_TAGS, SCHEMA, diagnostics_for, install_yaml_language_server, line_of, open_document,
    show, yls_client, yls_settings,
)
from editors.test_yaml_language_server import RECIPE, write
from recipe_studio.lint.engine import lint_recipe
from recipe_studio.read.load import load

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

#: name → (replace, with, [(line containing, message fragment)] expected from YLS,
#:         recipe-studio's code for the same mistake)
MISTAKES = {
    "field_typo": ("final_sparsity: 0.85", "final_sparsty: 0.85",
                   [("final_sparsty", "Property final_sparsty is not allowed.")], "RS102"),
    "field_typo_lr": ("lr_func: cosine", "lr_fnc: cosine",
                      [("lr_fnc", "Property lr_fnc is not allowed.")], "RS102"),
    # another modifier's field: accepted by that modifier's branch (was 2 "Missing property")
    "foreign_field": ("  - !EpochRangeModifier\n    start_epoch: 0.0\n",
                      "  - !EpochRangeModifier\n    lr_func: cosine\n    start_epoch: 0.0\n",
                      [], "RS102"),
    # the schema does not know which modifier it is: missing fields are recipe-studio's
    "missing_field": ("    init_lr: eval(init_lr)\n", "", [], "RS103"),
    "misspelt_tag": ("!GlobalMagnitudePruningModifier", "!GlobalMagnitudePrunningModifier",
                     [("Prunning", "Unresolved tag: !GlobalMagnitudePrunningModifier")],
                     "RS101"),
    # not in customTags any more: flagged like recipe-studio's RS012
    "pytorch_tag": ("!GlobalMagnitudePruningModifier", "!pytorch.GlobalMagnitudePruningModifier",
                    [("!pytorch.", "Unresolved tag: !pytorch.GlobalMagnitudePruningModifier")],
                    "RS012"),
    # accepted through GMPruningModifier's branch (same fields plus `global_sparsity`)
    "global_sparsity_on_global": ("inter_func: cubic", "inter_func: cubic\n    global_sparsity: true",
                                  [], "RS102"),
    # a modifier without fields is a tagged empty scalar: no false "Incorrect type"
    "fieldless_modifier": ("quantization_modifiers:",
                           "distillation_modifiers:\n  - !DistillationModifier\n\n"
                           "quantization_modifiers:", [], None),
}


@pytest.fixture(scope="module")
def yls() -> list[str]:
    return install_yaml_language_server()


async def test_common_mistakes_in_yaml_language_server(yls, tmp_path):
    assert not [t for t in json.loads(CUSTOM_TAGS.read_text()) if t.startswith("!pytorch.")]
    paths = {}
    for name, (old, new, _, _) in MISTAKES.items():
        text = RECIPE.replace(old, new, 1)
        assert text != RECIPE, name
        paths[name] = (write(tmp_path, f"recipes/{name}.yaml", text), text)
    got: dict[str, list[str]] = {}
    async with yls_client(yls, tmp_path, yls_settings({str(SCHEMA): ["recipes/**/*.yaml"]})) \
            as client:
        uris = {name: open_document(client, path) for name, (path, _) in paths.items()}
        for name, uri in uris.items():
            expected = MISTAKES[name][2]
            diags = await diagnostics_for(client, uri, want=len(expected),
                                          settle=0.5 if expected else 1.0)
            diags = [d for d in diags if "Unused anchor" not in d.message]
            text = paths[name][1]
            assert not [d for d in diags if "Missing property" in d.message], (name, show(diags))
            found = sorted((d.range.start.line, d.message) for d in diags)
            want = sorted((line_of(text, where), message) for where, message in expected)
            got[name] = show(diags)
            assert [(line, m) for line, m in found] == want, (name, show(diags))
    # recipe-studio reports every one of them (the editor's own server does too)
    for name, (_, text) in paths.items():
        code = MISTAKES[name][3]
        codes = {d.code for d in lint_recipe(load(text))}
        assert (code in codes) if code else not {c for c in codes if c.startswith("RS1")}, \
            (name, codes)
