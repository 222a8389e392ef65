"""The language server on stage recipes (SparseML 1.8 / llm-compressor 0.14): in-process units
(target from the configuration, hover, completion) and the real client path over stdio
(pytest-lsp): diagnostics, hover, completion and the did-you-mean rename quick fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from editors.helpers import LSP_COMMAND, ROOT, diagnostics_for, line_of, open_document
from recipe_studio.lsp import completion, hover
from recipe_studio.lsp.analysis import analyze

STAGED = """\
quant_stage:
  quant_modifiers:
    SmoothQuantModifier:
      smoothing_strength: 0.8
    GPTQModifier:
      ignore: [lm_head]
      scheme: W4A16
      config_groups:
        group_0:
          targets: [Linear]
          weights: {num_bits: 4}
"""


def _labels(analysis, line: int, column: int) -> list[str]:
    return [i.label for i in completion.complete(analysis, line, column)]


def test_target_comes_from_the_configuration(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text(STAGED)
    inferred = analyze(STAGED, str(path))
    assert inferred.recipe.stage_recipe.target == "llmcompressor"
    (tmp_path / ".recipe-studio.toml").write_text('target = "sparseml"\n')
    configured = analyze(STAGED, str(path))
    assert configured.recipe.stage_recipe.target == "sparseml"
    assert configured.recipe.stage_recipe.target_reason == "option"


def test_hover_modifier_field_nested_and_default(tmp_path):
    a = analyze(STAGED, str(tmp_path / "recipe.yaml"))
    text, span = hover.hover_markdown(a, line_of(STAGED, "GPTQModifier:") + 1, 6)
    assert "**GPTQModifier** (llm-compressor 0.14" in text
    assert (span.line, span.column) == (line_of(STAGED, "GPTQModifier:") + 1, 5)
    text, _ = hover.hover_markdown(a, line_of(STAGED, "scheme:") + 1, 8)
    assert "GPTQModifier.scheme" in text and "`W4A16`" in text and "preset" in text
    text, _ = hover.hover_markdown(a, line_of(STAGED, "num_bits") + 1, 22)
    assert "GPTQModifier.config_groups.group_0.weights.num_bits" in text
    assert "Default: `8`" in text and "Bits per quantized value" in text
    text, _ = hover.hover_markdown(a, line_of(STAGED, "group_0") + 1, 10)
    assert "`input_activations`" in text


def test_completion_keys_modifiers_fields_presets_enums(tmp_path):
    text = STAGED + "    \n"
    a = analyze(text, str(tmp_path / "recipe.yaml"))
    last = len(text.splitlines())
    names = _labels(a, last, 5)  # a new modifier in the group
    assert {"GPTQModifier", "AWQModifier", "QuantizationModifier"} <= set(names)
    assert "Modifier" not in names  # abstract: never offered
    t1 = text.replace("ignore: [lm_head]\n", "ignore: [lm_head]\n      \n")
    a1 = analyze(t1, str(tmp_path / "recipe.yaml"))
    fields = _labels(a1, line_of(t1, "ignore:") + 2, 7)
    assert "ignore" not in fields and "scheme" not in fields  # already written
    assert {"targets", "block_size", "dampening_frac", "actorder"} <= set(fields)
    assert not any(f.endswith("_") for f in fields)  # internal state
    t2 = text.replace("scheme: W4A16", "scheme: ")
    a2 = analyze(t2, str(tmp_path / "recipe.yaml"))
    presets = _labels(a2, line_of(t2, "scheme:") + 1, len("      scheme: ") + 1)
    assert {"W4A16", "W8A8", "FP8", "FP8_DYNAMIC", "NVFP4"} <= set(presets)
    t3 = text.replace("weights: {num_bits: 4}", "weights:\n            strategy: ")
    a3 = analyze(t3, str(tmp_path / "recipe.yaml"))
    line = line_of(t3, "strategy:") + 1
    assert {"tensor", "channel", "group", "token"} <= set(_labels(a3, line, 23))
    assert {"num_bits", "symmetric", "group_size"} <= set(_labels(a3, line, 13))
    # a stage's keys, and a new stage at the top level
    t4 = STAGED + "  \n"
    a4 = analyze(t4, str(tmp_path / "recipe.yaml"))
    assert "quant_modifiers" in _labels(a4, len(t4.splitlines()), 3)
    assert _labels(a4, len(t4.splitlines()), 1) == ["quant_stage"]


# -- the real client path: the server over stdio -------------------------------------------

@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=LSP_COMMAND))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("neovim"), root_uri=ROOT.as_uri()))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="module")
async def test_stage_recipe_over_stdio(client, tmp_path: Path):
    text = STAGED.replace("ignore: [lm_head]", "ignor: [lm_head]")
    path = tmp_path / "recipe.yaml"
    path.write_text(text)
    uri = open_document(client, path)
    diags = await diagnostics_for(client, uri, want=1)
    line = line_of(text, "ignor:")
    typo = [d for d in diags if d.range.start.line == line]
    assert typo and "has no field `ignor`" in typo[0].message, diags
    assert "llm-compressor 0.14" in typo[0].message

    result = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line_of(text, "scheme:"), character=7)))
    assert result is not None and "GPTQModifier.scheme" in result.contents.value

    items = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line_of(text, "scheme:"), character=len("      scheme: "))))
    labels = {i.label for i in (items.items if items else [])}
    assert {"W4A16", "W8A8"} <= labels

    found = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=line, character=6),
                          end=types.Position(line=line, character=6)),
        context=types.CodeActionContext(diagnostics=[])))
    fixes = [a for a in found or [] if isinstance(a, types.CodeAction) and a.is_preferred]
    assert fixes, found
    (edit,) = fixes[0].edit.changes[uri]
    assert edit.new_text == "ignore" and edit.range.start.line == line
