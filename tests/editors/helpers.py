"""Shared by the editor tests: installing yaml-language-server, and LSP client helpers."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schemas" / "recipe.schema.json"
CUSTOM_TAGS = ROOT / "schemas" / "custom-tags.json"
#: package.json + package-lock.json pinning yaml-language-server (and its dependencies)
YLS_PIN = Path(__file__).resolve().parent / "yls"
#: npm installs here (git-ignored: `.cache/`); reused while the lock file is unchanged
YLS_DIR = Path(os.environ.get("RECIPE_STUDIO_YLS_DIR", ROOT / ".cache" / "yaml-language-server"))

#: seconds yaml-language-server gets to answer `shutdown` (it answers at once)
SHUTDOWN_TIMEOUT = 10.0

#: our own server, started through the CLI command
LSP_COMMAND = [sys.executable, "-c",
               "import recipe_studio.cli.lsp; from recipe_studio.cli import main; main(['lsp'])"]


def _lock_digest() -> str:
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        h.update((YLS_PIN / name).read_bytes())
    return h.hexdigest()


def install_yaml_language_server() -> list[str]:
    """`npm ci` the pinned yaml-language-server into YLS_DIR (once per lock file) and
    return the command that starts it over stdio."""
    npm = shutil.which("npm")
    node = shutil.which("node")
    if npm is None or node is None:
        raise RuntimeError("the editor tests need node and npm (node 20) on PATH to install "
                           "yaml-language-server")
    YLS_DIR.mkdir(parents=True, exist_ok=True)
    marker = YLS_DIR / ".installed"
    entry = YLS_DIR / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
    digest = _lock_digest()
    with open(YLS_DIR / ".lock", "w") as lock:  # pytest-xdist workers install once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (marker.is_file() and marker.read_text() == digest and entry.is_file()):
            for name in ("package.json", "package-lock.json"):
                shutil.copy2(YLS_PIN / name, YLS_DIR / name)
            result = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                cwd=YLS_DIR, capture_output=True, text=True, timeout=300)
            if result.returncode != 0:
                raise RuntimeError(f"npm ci failed in {YLS_DIR}:\n{result.stdout}\n"
                                   f"{result.stderr}")
            marker.write_text(digest)
    return [node, str(entry), "--stdio"]


def yls_settings(schemas: dict[str, list[str]] | None, *, tags: list[str] | None = None,
                 yaml_version: str = "1.1") -> dict[str, Any]:
    """The `yaml` settings section as VS Code would send it."""
    import json

    settings: dict[str, Any] = {
        "customTags": tags if tags is not None else json.loads(CUSTOM_TAGS.read_text()),
        "schemaStore": {"enable": False},
        "validate": True,
        "hover": True,
        "completion": True,
        "yamlVersion": yaml_version,
    }
    if schemas is not None:
        settings["schemas"] = schemas
    return settings


@contextlib.asynccontextmanager
async def yls_client(command: list[str], root: Path,
                     settings: dict[str, Any]) -> AsyncIterator[LanguageClient]:
    """A pytest-lsp client connected to yaml-language-server, initialized on `root`."""
    client = make_test_lsp_client()

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def _register(params: types.RegistrationParams) -> None:
        return None

    @client.feature(types.TELEMETRY_EVENT)
    def _telemetry(params: Any) -> None:
        return None

    client.set_configuration(settings, section="yaml")
    await client.start_io(*command)
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)]))
        # VS Code announces its settings; the server then pulls the `yaml` section
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"yaml": settings}))
        yield client
        await asyncio.wait_for(client.shutdown_session(), SHUTDOWN_TIMEOUT)
    finally:
        # pygls' `stop()` waits for the server process to end, and the server ends only
        # after `shutdown` + `exit`: when the block raised (a failed assertion), or the
        # server does not shut down, kill it, or the test hangs instead of failing
        server = client._server  # pygls keeps the process there (no public accessor)
        if server is not None and server.returncode is None:
            server.kill()
        await client.stop()


def open_document(client: LanguageClient, path: Path, text: str | None = None,
                  language: str = "yaml", version: int = 1) -> str:
    uri = path.resolve().as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=version,
                                             text=path.read_text() if text is None else text)))
    return uri


async def diagnostics_for(client: LanguageClient, uri: str, *, timeout: float = 15.0,
                          settle: float = 0.5, want: int = 0) -> list[types.Diagnostic]:
    """The diagnostics published for `uri`: waits for the first publication (and at least
    `want` diagnostics), then `settle` seconds for late updates."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if uri in client.diagnostics and len(client.diagnostics[uri]) >= want:
            break
        await asyncio.sleep(0.05)
    else:
        if uri in client.diagnostics:  # the server answered: the schema accepts too much
            raise AssertionError(
                f"the server published {len(client.diagnostics[uri])} diagnostic(s) for {uri}, "
                f"waited {timeout} s for at least {want}: "
                f"{show(list(client.diagnostics[uri]))}")
        raise AssertionError(f"no diagnostics published for {uri} within {timeout} s")
    await asyncio.sleep(settle)
    return list(client.diagnostics[uri])


def show(diags: list[types.Diagnostic]) -> list[str]:
    """`line:col message` (1-based), for assertion messages."""
    return [f"{d.range.start.line + 1}:{d.range.start.character + 1} [{d.source}] {d.message}"
            for d in diags]


def line_of(text: str, needle: str) -> int:
    """0-based line of the first line containing `needle`."""
    for i, line in enumerate(text.splitlines()):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in text")
