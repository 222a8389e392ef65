"""`recipe-studio lsp` over stdio (pytest-lsp): diagnostics on open, change and save, the
configuration, Markdown recipe cards, coalescing, positions in UTF-16."""

from __future__ import annotations

import asyncio

import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from editors.helpers import LSP_COMMAND, ROOT, line_of, open_document, show
from recipe_studio.lint.engine import LintSettings, lint

EXAMPLES = ROOT / "examples"
GOOD = (EXAMPLES / "prune-quantize.yaml").read_text()


def counting_client() -> LanguageClient:
    """pytest-lsp's test client, also recording every publishDiagnostics (with its
    version) in `client.published`."""
    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # type: ignore[attr-defined]

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        client.published.append(params)  # type: ignore[attr-defined]
        client.diagnostics[params.uri] = params.diagnostics

    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES,
                                   types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish})
    return client


@pytest_lsp.fixture(config=ClientServerConfig(server_command=LSP_COMMAND,
                                              client_factory=counting_client))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=ROOT.as_uri()))
    yield
    await lsp_client.shutdown_session()


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    """A whole-document change."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def published(client: LanguageClient, uri: str, version: int | None,
                    timeout: float = 10.0) -> list[types.Diagnostic]:
    """The diagnostics published for `uri` at `version`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for p in reversed(client.published):  # type: ignore[attr-defined]
            if p.uri == uri and p.version == version:
                return list(p.diagnostics)
        await asyncio.sleep(0.01)
    raise AssertionError(f"no diagnostics for {uri} version {version}")


def publications(client: LanguageClient, uri: str) -> list[types.PublishDiagnosticsParams]:
    return [p for p in client.published if p.uri == uri]  # type: ignore[attr-defined]


async def test_diagnostics_match_the_lint_engine(client: LanguageClient, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text((EXAMPLES / "broken.yaml").read_text())
    uri = open_document(client, path)
    diags = await published(client, uri, 1)
    expected = lint(str(path), LintSettings()).diagnostics
    assert len(diags) == len(expected) > 5
    for ours, want in zip(diags, expected):
        assert ours.code == want.code
        assert (ours.range.start.line + 1, ours.range.start.character + 1) == \
            (want.span.line, want.span.column)
        assert (ours.range.end.line + 1, ours.range.end.character + 1) == \
            (want.span.end_line, want.span.end_column)
        assert ours.message.startswith(want.message)
        assert ours.source == "recipe-studio"
        assert ours.code_description is not None
        assert ours.code_description.href.endswith("#" + want.code.lower())
        assert ours.severity == {"error": 1, "warning": 2, "info": 3}[want.severity.value]
        if want.help:
            assert ours.message.endswith(f"\nhelp: {want.help}")
        assert len(ours.related_information or []) == len(want.related)
    # related spans: where the variable that could not be evaluated is defined
    related = [d for d in diags if d.related_information]
    assert related, show(diags)
    info = related[0].related_information[0]
    assert info.location.uri == uri and info.message
    # a misspelt field is reported on its key
    text = path.read_text()
    assert [d.range.start.line for d in diags if d.code == "RS102"] == \
        [line_of(text, "final_sparsty")]


async def test_change_and_save_relint(client: LanguageClient, tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text(GOOD)
    uri = open_document(client, path)
    assert await published(client, uri, 1) == []

    bad = GOOD.replace("final_sparsity: eval(target_sparsity)",
                       "final_sparsity: eval(target_sparsity)\n    final_sparsty: 0.5")
    change(client, uri, 2, bad)
    diags = await published(client, uri, 2)
    line = line_of(bad, "final_sparsty")
    assert [(d.code, d.range.start.line) for d in diags] == [("RS102", line)], show(diags)

    # an incremental change: comment the typo out
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=line, character=4),
                              end=types.Position(line=line, character=4)),
            text="# ")]))
    assert await published(client, uri, 3) == []

    # a second incremental change that breaks the YAML: one syntax error, positioned
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=4),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=line, character=0),
                              end=types.Position(line=line, character=0)),
            text="\t")]))
    diags = await published(client, uri, 4)
    assert [d.code for d in diags] == ["RS004"], show(diags)
    assert diags[0].range.start.line == line

    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    await asyncio.sleep(0.2)
    assert [d.code for d in client.diagnostics[uri]] == ["RS004"]
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    await asyncio.sleep(0.2)
    assert list(client.diagnostics[uri]) == []


async def test_configuration_is_honoured_and_reloaded_on_save(client: LanguageClient,
                                                              tmp_path):
    text = GOOD.replace("init_lr: 0.05", "init_lr: 0.05\nunused_knob: 3")
    path = tmp_path / "recipes" / "r.yaml"
    path.parent.mkdir()
    path.write_text(text)
    uri = open_document(client, path)
    diags = await published(client, uri, 1)
    assert [d.code for d in diags] == ["RS311"]
    assert list(diags[0].tags or ()) == [types.DiagnosticTag.Unnecessary]  # faded

    config = tmp_path / ".recipe-studio.toml"
    config.write_text('ignore = ["unused-variable"]\n')
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=config.as_uri())))
    await _until(lambda: list(client.diagnostics[uri]) == [])

    config.write_text('severity = { RS311 = "error" }\n')
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]))
    await _until(lambda: [d.severity for d in client.diagnostics[uri]] ==
                 [types.DiagnosticSeverity.Error])

    config.write_text('select = ["RS9999"]\n')  # a bad configuration is reported, not fatal
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=config.as_uri())))
    await _until(lambda: [d.code for d in client.diagnostics[uri]] == ["config", "RS311"])
    assert "RS9999" in client.diagnostics[uri][0].message


async def _until(check, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


async def test_markdown_recipe_card_positions_are_file_positions(client: LanguageClient,
                                                                 tmp_path):
    card = (EXAMPLES / "resnet-pruned.md").read_text()
    bad = card.replace("final_sparsity: 0.9", "final_sparsity: 1.5")
    assert bad != card
    path = tmp_path / "card.md"
    path.write_text(bad)
    uri = open_document(client, path, language="markdown")
    diags = await published(client, uri, 1)
    assert [(d.code, d.range.start.line) for d in diags] == \
        [("RS202", line_of(bad, "final_sparsity: 1.5"))], show(diags)

    nofront = tmp_path / "notes-recipe.md"
    nofront.write_text("# A recipe card without front matter\n\n- !GMPruningModifier\n")
    uri2 = open_document(client, nofront, language="markdown")
    assert [d.code for d in await published(client, uri2, 1)] == ["RS006"]


async def test_other_yaml_is_left_alone(client: LanguageClient, tmp_path):
    path = tmp_path / "ci.yaml"
    path.write_text("on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n")
    uri = open_document(client, path)
    assert await published(client, uri, 1) == []
    assert await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=3, character=4))) is None
    # ... until it turns into a recipe
    change(client, uri, 2, "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0.0\n")
    assert [d.code for d in await published(client, uri, 2)] == ["RS103"]


async def test_bursts_of_changes_are_coalesced(client: LanguageClient, tmp_path):
    path = tmp_path / "burst.yaml"
    path.write_text(GOOD)
    uri = open_document(client, path)
    await published(client, uri, 1)
    for version in range(2, 42):
        change(client, uri, version, GOOD.replace("target_sparsity: 0.85",
                                                  f"target_sparsity: 0.{version:02d}"))
    change(client, uri, 42, GOOD.replace("target_sparsity: 0.85", "target_sparsity: 1.5"))
    diags = await published(client, uri, 42)
    assert [d.code for d in diags] == ["RS202"], show(diags)
    # every change was seen, but far fewer analyses were published than changes made
    versions = [p.version for p in publications(client, uri)]
    assert versions == sorted(versions)
    assert len(versions) < 30, versions


async def test_positions_are_utf16(client: LanguageClient, tmp_path):
    text = ("num_epochs: 10.0\nmodifiers:\n"
            "  - !EpochRangeModifier {n\U0001F600te: 1, start_epoch: 0.0, end_epoch: 10.0,"
            " zz_bad: 2}\n")
    path = tmp_path / "emoji.yaml"
    path.write_text(text, encoding="utf-8")
    uri = open_document(client, path)
    diags = [d for d in await published(client, uri, 1) if "zz_bad" in d.message]
    assert len(diags) == 1, show(diags)
    line = text.splitlines()[2]
    utf16_col = len(line[: line.index("zz_bad")].encode("utf-16-le")) // 2
    assert diags[0].range.start.character == utf16_col == line.index("zz_bad") + 1
