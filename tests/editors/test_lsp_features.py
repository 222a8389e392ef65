"""`recipe-studio lsp` over stdio (pytest-lsp): hover, completion, code actions, go to
definition, references and document symbols. One server for the module; every test opens
its own document."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from editors.helpers import LSP_COMMAND, ROOT, diagnostics_for, line_of, open_document
from recipe_studio.lint.engine import lint_recipe
from recipe_studio.read.load import load

pytestmark = pytest.mark.asyncio(loop_scope="module")

RECIPE = """\
version: 1.1.0

num_epochs: &num_epochs 10.0
init_lr: 0.005
qat_start: 8.0
pruning_start: &pruning_start 1.0
pruning_end: eval(num_epochs - 4)

training_modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: *num_epochs

  - !LearningRateFunctionModifier
    start_epoch: 0.0
    end_epoch: eval(num_epochs)
    lr_func: cosine
    init_lr: eval(init_lr)
    final_lr: 0.0

pruning_modifiers:
  - !GlobalMagnitudePruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.85
    start_epoch: *pruning_start
    end_epoch: eval(pruning_end)
    update_frequency: 0.5
    inter_func: cubic

quantization_modifiers:
  - !QuantizationModifier
    start_epoch: eval(qat_start)
    submodules: [model]
"""

_names = itertools.count()


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=LSP_COMMAND))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("neovim"), root_uri=ROOT.as_uri()))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lsp-features")


async def opened(client: LanguageClient, workdir: Path, text: str,
                 suffix: str = ".yaml") -> str:
    path = workdir / f"doc{next(_names)}{suffix}"
    path.write_text(text)
    uri = open_document(client, path)
    await diagnostics_for(client, uri, settle=0)
    return uri


def at(text: str, needle: str, offset: int = 0) -> types.Position:
    """The position of `needle` (plus `offset` characters) in `text` (ASCII)."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return types.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def test_fixture_recipe_is_clean():
    assert lint_recipe(load(RECIPE)) == []


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (ASCII text: characters are code points)."""
    lines = text.split("\n")
    starts = list(itertools.accumulate([0] + [len(x) + 1 for x in lines[:-1]]))

    def offset(p: types.Position) -> int:
        return starts[p.line] + p.character

    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


# -- hover -------------------------------------------------------------------------------

async def hover(client: LanguageClient, uri: str, pos: types.Position) -> str | None:
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=doc(uri), position=pos))
    if result is None:
        return None
    assert isinstance(result.contents, types.MarkupContent)
    assert result.contents.kind == types.MarkupKind.Markdown
    return result.contents.value


async def test_hover_modifier_documentation(client, workdir):
    uri = await opened(client, workdir, RECIPE)
    text = await hover(client, uri, at(RECIPE, "!GlobalMagnitudePruningModifier", 3))
    from recipe_studio.models.pruning import GlobalMagnitudePruningModifier as M

    assert text.startswith("### !GlobalMagnitudePruningModifier")
    assert M.__doc__.split()[0] in text and M.sparseml_class in text
    assert "**Active:** from epoch 1 to epoch 6 (training ends at epoch 10)" in text
    assert "`update_frequency`" in text and "`inter_func` (cubic)" in text


async def test_hover_field_documentation_and_value(client, workdir):
    uri = await opened(client, workdir, RECIPE)
    from recipe_studio.models.pruning import GlobalMagnitudePruningModifier as M

    text = await hover(client, uri, at(RECIPE, "final_sparsity", 2))
    assert "**`final_sparsity`**" in text and "required" in text
    assert M.model_fields["final_sparsity"].description in text
    assert "**Value:** `0.85`" in text

    text = await hover(client, uri, at(RECIPE, "inter_func", 1))
    assert "default `cubic`" in text and M.model_fields["inter_func"].description in text


async def test_hover_eval_alias_and_phase(client, workdir):
    uri = await opened(client, workdir, RECIPE)
    text = await hover(client, uri, at(RECIPE, "eval(pruning_end)", 2))
    assert "**Value:** `eval(pruning_end)` = `6.0`" in text
    assert "from `pruning_end` = `6.0` (line 7)" in text
    # the pruning window closes at 6: from 6 to QAT at 8 only the LR schedule runs
    assert ("**Phase:** recovery (epochs 6–8 of 10) — active: learning rate: "
            "`LearningRateFunctionModifier` (0–10)") in text

    text = await hover(client, uri, at(RECIPE, "*pruning_start", 3))
    assert "**Value:** `*pruning_start` = `1.0`" in text
    assert "**Phase:** pruning (epochs 1–6 of 10) — active: learning rate + pruning" in text
    assert "`GlobalMagnitudePruningModifier` (1–6)" in text

    text = await hover(client, uri, at(RECIPE, "eval(qat_start)", 2))
    assert "**Phase:** QAT (epochs 8–10 of 10) — active: learning rate + quantization" in text


async def test_hover_variables_and_anchors(client, workdir):
    uri = await opened(client, workdir, RECIPE)
    text = await hover(client, uri, at(RECIPE, "eval(num_epochs - 4)", 7))
    assert text.startswith("**`num_epochs`** — recipe variable (line 3)")
    assert "`10.0`" in text and "Used 3 times." in text

    text = await hover(client, uri, at(RECIPE, "pruning_end: eval", 2))
    assert "`eval(num_epochs - 4)` = `6.0`" in text

    text = await hover(client, uri, at(RECIPE, "&pruning_start", 3))
    assert text.startswith("**`&pruning_start`** — YAML anchor = `1.0`")
    assert "Used by 1 alias." in text

    assert await hover(client, uri, types.Position(line=1, character=0)) is None


# -- completion --------------------------------------------------------------------------

async def complete(client: LanguageClient, uri: str, pos: types.Position
                   ) -> list[types.CompletionItem]:
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=doc(uri), position=pos))
    if result is None:
        return []
    return list(result.items if isinstance(result, types.CompletionList) else result)


async def test_complete_tags_with_required_fields(client, workdir):
    text = RECIPE.replace("    inter_func: cubic\n", "    inter_func: cubic\n\n  - !Glo\n")
    uri = await opened(client, workdir, text)
    pos = at(text, "!Glo\n", 4)
    items = {i.label: i for i in await complete(client, uri, pos)}
    from recipe_studio.models import catalog

    assert set(items) == set(catalog.TAGS)
    item = items["GlobalMagnitudePruningModifier"]
    assert item.insert_text_format == types.InsertTextFormat.Snippet
    assert item.text_edit.range.start == at(text, "!Glo\n", 1)
    assert item.text_edit.range.end == pos
    new = item.text_edit.new_text
    assert new.startswith("GlobalMagnitudePruningModifier\n    init_sparsity: ${1:")
    for field in ("final_sparsity", "start_epoch", "end_epoch", "update_frequency", "params"):
        assert f"\n    {field}: $" in new
    assert "inter_func" not in new  # optional fields are left out
    lr = items["LearningRateFunctionModifier"].text_edit.new_text
    assert "lr_func: ${1|linear,cosine,cyclic_linear|}" in lr


async def test_complete_field_names_enums_and_tokens(client, workdir):
    text = RECIPE.replace("    inter_func: cubic\n", "    inter_func: cubic\n    \n")
    uri = await opened(client, workdir, text)
    items = await complete(client, uri, types.Position(line=line_of(text, "inter_func") + 1,
                                                       character=4))
    labels = [i.label for i in items]
    assert labels == ["leave_enabled", "mask_type"]  # the fields not written yet
    assert items[0].text_edit.new_text == "leave_enabled: "

    text = RECIPE.replace("    inter_func: cubic", "    inter_func: c")
    uri = await opened(client, workdir, text)
    items = await complete(client, uri, at(text, "inter_func: c", 13))
    assert [i.label for i in items][:3] == ["linear", "cubic", "inverse_cubic"]
    assert items[1].text_edit.range.start == at(text, "inter_func: c", 12)

    text = RECIPE.replace("    params: __ALL_PRUNABLE__", "    params: ")
    uri = await opened(client, workdir, text)
    items = await complete(client, uri, at(text, "params: ", 8))
    assert [i.label for i in items][:2] == ["__ALL_PRUNABLE__", "__ALL__"]

    text = RECIPE.replace("    init_sparsity: 0.05", "    init_sparsity: ")
    uri = await opened(client, workdir, text)
    items = await complete(client, uri, at(text, "init_sparsity: ", 15))
    assert "__FROM_PARAM__" in [i.label for i in items]

    text = RECIPE.replace("    submodules: [model]", "    submodules: [model]\n    tensorrt: ")
    uri = await opened(client, workdir, text)
    items = await complete(client, uri, at(text, "tensorrt: ", 10))
    assert [i.label for i in items][:2] == ["true", "false"]


async def test_complete_variables_inside_eval(client, workdir):
    text = RECIPE.replace("    end_epoch: eval(pruning_end)", "    end_epoch: eval(pru")
    uri = await opened(client, workdir, text)
    items = await complete(client, uri, at(text, "eval(pru", 8))
    by_label = {i.label: i for i in items}
    assert {"num_epochs", "init_lr", "qat_start", "pruning_start", "pruning_end"} <= \
        set(by_label)
    assert "training_modifiers" not in by_label and "version" not in by_label
    assert by_label["pruning_end"].detail == "variable = 6.0"
    assert by_label["pruning_end"].text_edit.range.start == at(text, "eval(pru", 5)


# -- code actions ------------------------------------------------------------------------

async def actions(client: LanguageClient, uri: str, rng: types.Range,
                  only: list[str] | None = None) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc(uri), range=rng,
        context=types.CodeActionContext(diagnostics=[], only=only)))
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def test_quick_fixes_apply_cleanly(client, workdir):
    text = (RECIPE.replace("!GlobalMagnitudePruningModifier",
                           "!pytorch.GlobalMagnitudePruningModifier")
            .replace("init_lr: 0.005", "init_lr: 5e-3"))  # a variable: RS210 (a field
    # SparseML converts with float() itself, such as `final_lr`, would not get it)
    assert {d.code for d in lint_recipe(load(text))} == {"RS012", "RS210"}
    uri = await opened(client, workdir, text)
    line = line_of(text, "!pytorch.")
    found = await actions(client, uri, types.Range(start=types.Position(line=line, character=0),
                                                  end=types.Position(line=line, character=8)))
    fixes = [a for a in found if a.kind == types.CodeActionKind.QuickFix and a.is_preferred]
    assert len(fixes) == 1 and "(RS012)" in fixes[0].title
    assert fixes[0].diagnostics and fixes[0].diagnostics[0].code == "RS012"
    fixed = apply(text, fixes[0].edit.changes[uri])
    assert fixed == text.replace("!pytorch.Global", "!Global")

    line = line_of(text, "init_lr: 5e-3")
    found = await actions(client, uri, types.Range(
        start=types.Position(line=line, character=10), end=types.Position(line=line, character=10)))
    fix = next(a for a in found if a.is_preferred)
    assert "RS210" in fix.title
    assert apply(text, fix.edit.changes[uri]) == text.replace("5e-3", "5.0e-3")

    # every safe fix at once, as `lint --fix` would
    (fix_all,) = await actions(client, uri, types.Range(start=types.Position(line=0, character=0),
                                                       end=types.Position(line=0, character=0)),
                               only=[types.CodeActionKind.SourceFixAll])
    assert fix_all.kind == types.CodeActionKind.SourceFixAll
    result = apply(text, fix_all.edit.changes[uri])
    assert lint_recipe(load(result)) == []
    assert result == RECIPE.replace("init_lr: 0.005", "init_lr: 5.0e-3")


async def test_unsafe_fix_and_suppression(client, workdir):
    text = RECIPE.replace("init_lr: 0.005\n", "init_lr: 0.005\nspare: 3\n")
    assert [d.code for d in lint_recipe(load(text))] == ["RS311"]
    uri = await opened(client, workdir, text)
    line = line_of(text, "spare: 3")
    found = await actions(client, uri, types.Range(start=types.Position(line=line, character=0),
                                                  end=types.Position(line=line, character=1)))
    titles = [a.title for a in found]
    unsafe = [a for a in found if "(unsafe)" in a.title]
    assert len(unsafe) == 1 and not unsafe[0].is_preferred, titles
    assert "spare" not in apply(text, unsafe[0].edit.changes[uri])
    (suppress,) = [a for a in found if a.title.startswith("Disable RS311")]
    silenced = apply(text, suppress.edit.changes[uri])
    assert "spare: 3  # recipe-studio: disable=RS311\n" in silenced
    assert lint_recipe(load(silenced)) == []
    # no fix-all when nothing is safely fixable
    assert await actions(client, uri, types.Range(start=types.Position(line=0, character=0),
                                                 end=types.Position(line=0, character=0)),
                         only=[types.CodeActionKind.SourceFixAll]) == []


# -- navigation --------------------------------------------------------------------------

async def locations(coro) -> list[tuple[int, int, int, int]]:
    result = await coro
    return [(r.range.start.line, r.range.start.character, r.range.end.line,
             r.range.end.character) for r in result or []]


def span_of(text: str, needle: str, offset: int = 0, length: int | None = None):
    p = at(text, needle, offset)
    n = len(needle) - offset if length is None else length
    return (p.line, p.character, p.line, p.character + n)


async def test_go_to_definition(client, workdir):
    uri = await opened(client, workdir, RECIPE)

    def definition(pos):
        return locations(client.text_document_definition_async(types.DefinitionParams(
            text_document=doc(uri), position=pos)))

    num_epochs_key = span_of(RECIPE, "num_epochs", length=10)
    assert await definition(at(RECIPE, "eval(num_epochs - 4)", 8)) == [num_epochs_key]
    assert await definition(at(RECIPE, "eval(num_epochs)", 6)) == [num_epochs_key]
    assert await definition(at(RECIPE, "eval(qat_start)", 7)) == [span_of(RECIPE, "qat_start",
                                                                         length=9)]
    assert await definition(at(RECIPE, "*num_epochs", 2)) == [span_of(RECIPE, "&num_epochs")]
    assert await definition(at(RECIPE, "lr_func", 2)) == []


async def test_find_references(client, workdir):
    uri = await opened(client, workdir, RECIPE)

    def references(pos, declaration=True):
        return locations(client.text_document_references_async(types.ReferenceParams(
            text_document=doc(uri), position=pos,
            context=types.ReferenceContext(include_declaration=declaration))))

    expected = sorted([span_of(RECIPE, "num_epochs", length=10),
                       span_of(RECIPE, "eval(num_epochs - 4)", 5, 10),
                       span_of(RECIPE, "*num_epochs"),
                       span_of(RECIPE, "eval(num_epochs)", 5, 10)])
    assert await references(at(RECIPE, "num_epochs", 3)) == expected
    assert await references(at(RECIPE, "eval(num_epochs)", 7)) == expected
    assert await references(at(RECIPE, "num_epochs", 3), declaration=False) == expected[1:]
    assert await references(at(RECIPE, "&pruning_start", 2)) == [
        span_of(RECIPE, "&pruning_start"), span_of(RECIPE, "*pruning_start")]


async def test_document_symbols(client, workdir):
    uri = await opened(client, workdir, RECIPE)
    result = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        text_document=doc(uri)))
    assert [s.name for s in result] == [
        "EpochRangeModifier 0–10", "LearningRateFunctionModifier 0–10",
        "GlobalMagnitudePruningModifier 1–6", "QuantizationModifier 8–end"]
    assert [s.detail for s in result] == ["training_modifiers", "training_modifiers",
                                          "pruning_modifiers", "quantization_modifiers"]
    def key(p: types.Position) -> tuple[int, int]:
        return p.line, p.character

    for s in result:
        assert key(s.range.start) <= key(s.selection_range.start)
        assert key(s.selection_range.end) <= key(s.range.end)
    assert result[2].selection_range.start == at(RECIPE, "!GlobalMagnitudePruningModifier")


# -- formatting --------------------------------------------------------------------------

async def test_formatting_uses_the_formatter(client, workdir):
    from recipe_studio.transform.format import format_text

    text = RECIPE.replace("    start_epoch: 0.0\n    end_epoch: *num_epochs",
                          "    end_epoch: *num_epochs\n    start_epoch: 0")
    expected = format_text(text)
    assert expected != text
    uri = await opened(client, workdir, text)
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=doc(uri), options=options))
    assert edits and apply(text, edits) == expected

    stable = expected  # a text the formatter leaves as it is: no edits
    for _ in range(5):
        if format_text(stable) == stable:
            break
        stable = format_text(stable)
    uri = await opened(client, workdir, stable)
    assert list(await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=doc(uri), options=options))) == []

    broken = RECIPE.replace("submodules: [model]", "submodules: [model")
    uri = await opened(client, workdir, broken)
    before = len(client.messages)
    assert await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=doc(uri), options=options)) is None
    assert "cannot format this document" in client.messages[before].message


async def test_markdown_recipe_card_features(client, workdir):
    card = (ROOT / "examples" / "resnet-pruned.md").read_text()
    uri = await opened(client, workdir, card, suffix=".md")
    text = await hover(client, uri, at(card, "final_sparsity: 0.9", 3))
    assert text.startswith("**`final_sparsity`** — `!GMPruningModifier` field")
    result = await client.text_document_definition_async(types.DefinitionParams(
        text_document=doc(uri), position=at(card, "eval(pruning_end)", 6)))
    assert [(r.range.start.line, r.range.start.character) for r in result] == [
        (line_of(card, "pruning_end: 12.0"), 0)]
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        text_document=doc(uri)))
    assert [s.selection_range.start.line for s in symbols] == [
        line_of(card, "!EpochRangeModifier"), line_of(card, "!LearningRateFunctionModifier"),
        line_of(card, "!GMPruningModifier")]
