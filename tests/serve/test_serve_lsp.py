"""`gru-desktop lsp` through a real LSP client (pytest-lsp's, on pygls) over stdio: completion items are the
words `suggest --json` gives for the text before the cursor; the documents are followed through didOpen and
didChange; malformed messages and unknown methods get JSON-RPC errors; shutdown/exit and EOF end it."""
from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import make_test_lsp_client

from serve_helpers import REPO, TEXTS, env  # noqa: E402

aio = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lsp(served_home):
    home, run_id, _, expected = served_home
    client = make_test_lsp_client()
    await client.start_io(sys.executable, "-m", "gru_desktop", "lsp", str(run_id), env=env(home), cwd=REPO)
    result = await client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), initialization_options={"k": 3}))
    assert list(result.capabilities.completion_provider.trigger_characters) == [" "]
    client.expected = expected  # type: ignore[attr-defined]
    yield client
    await client.shutdown_session()  # shutdown, then exit
    assert await asyncio.wait_for(client._server.wait(), 20) == 0


def _open(client, uri: str, text: str, language: str = "plaintext") -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))


def _end(text: str) -> types.Position:
    lines = text.split("\n")
    return types.Position(len(lines) - 1, len(lines[-1].encode("utf-16-le")) // 2)


async def _complete(client, uri: str, at: types.Position) -> types.CompletionList:
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri), position=at))
    assert isinstance(result, types.CompletionList) and result.is_incomplete
    return result


@aio
@pytest.mark.parametrize("text", TEXTS)
async def test_completion_matches_cli(lsp, text):
    uri = f"file:///tmp/doc-{len(text)}.txt"
    _open(lsp, uri, "A first line of the note.\n" + text)
    items = (await _complete(lsp, uri, _end("A first line of the note.\n" + text))).items
    assert [i.label for i in items] == lsp.expected[text]
    assert [i.sort_text for i in items] == sorted(i.sort_text for i in items)
    assert all(i.detail.endswith("%") for i in items)
    if text.endswith("yo"):  # completing a half word: the edit replaces "yo" (line 1, the last two columns)
        edit = items[0].text_edit
        assert edit.range.start == types.Position(1, len(text) - 2) and edit.new_text == lsp.expected[text][0]


@aio
async def test_follows_did_change_and_markdown(lsp):
    uri = "file:///tmp/notes.md"
    _open(lsp, uri, "# Notes\n\nsomething else entirely", "markdown")
    lsp.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(2, 0), types.Position(2, 24)), text=TEXTS[0])]))
    items = (await _complete(lsp, uri, types.Position(2, len(TEXTS[0])))).items
    assert [i.label for i in items] == lsp.expected[TEXTS[0]]


@aio
async def test_cursor_in_the_middle_reads_only_the_text_before_it(lsp):
    uri = "file:///tmp/middle.txt"
    _open(lsp, uri, TEXTS[0] + "and more words after the cursor")
    items = (await _complete(lsp, uri, types.Position(0, len(TEXTS[0])))).items
    assert [i.label for i in items] == lsp.expected[TEXTS[0]]


@aio
async def test_unknown_method_is_a_json_rpc_error_and_it_goes_on(lsp):
    with pytest.raises(Exception) as e:
        await lsp.protocol.send_request_async("gru/noSuchMethod", {})
    assert "not found" in str(e.value).lower() or "-32601" in str(e.value)
    uri = "file:///tmp/after-error.txt"
    _open(lsp, uri, TEXTS[0])
    assert [i.label for i in (await _complete(lsp, uri, _end(TEXTS[0]))).items] == lsp.expected[TEXTS[0]]


@aio
async def test_malformed_message_and_it_goes_on(lsp):
    stdin = lsp._server.stdin
    for junk in (b'{"jsonrpc": "2.0", "id": 99, "method": "textDocument/completion", "params": {"bad": 1}}',
                 b"{this is not json"):
        stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(junk), junk))
    await stdin.drain()
    uri = "file:///tmp/after-junk.txt"
    _open(lsp, uri, TEXTS[1])
    assert [i.label for i in (await _complete(lsp, uri, _end(TEXTS[1]))).items] == lsp.expected[TEXTS[1]]
    assert lsp._server.returncode is None


def test_eof_ends_it_cleanly(served_home):
    home, run_id, _, _ = served_home
    r = subprocess.run([sys.executable, "-m", "gru_desktop", "lsp", str(run_id)], cwd=REPO, env=env(home),
                       input=b"", capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert b"Traceback" not in r.stderr
