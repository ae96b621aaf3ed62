"""`gru-desktop lsp --learn` through a real LSP client over stdio (design §17): words finished in a document
are learned — a new word typed three times is then suggested, not before — and the rows reach the data
folder's database by the end of the session (here EOF; `shutdown` calls the same `close`); nothing typed while learning is paused is learned or stored;
without `--learn` the personal counts are neither used nor written."""
from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import sys

import pytest
from lsprotocol import types
from pytest_lsp import make_test_lsp_client

from serve_helpers import REPO, env  # noqa: E402

SENTENCE = "We saw the purple zorblax today."  # "zorblax": a word no run knows
PAUSED = "Then a green gloop arrived."


@pytest.fixture
def home(served_home, tmp_path):
    """A private copy of the session's trained data folder (its model paths are relative to it)."""
    src, run_id, _, _ = served_home
    dst = tmp_path / "home"
    shutil.copytree(src, dst)
    return dst, run_id


class Typist:
    """Types into one open document word by word, as an editor sends it: one incremental change per word and
    the space or full stop after it (as when a completion is accepted)."""

    def __init__(self, client, uri: str):
        self.client, self.uri, self.text, self.version = client, uri, "", 1
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="plaintext", version=1, text="")))

    def end(self) -> types.Position:
        lines = self.text.split("\n")
        return types.Position(len(lines) - 1, len(lines[-1].encode("utf-16-le")) // 2)

    def type(self, words: str) -> None:
        for word in words.split():
            at = self.end()
            self.version += 1
            insert = word + " "
            self.client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[types.TextDocumentContentChangePartial(range=types.Range(at, at), text=insert)]))
            self.text += insert

    async def labels(self) -> dict[str, str]:
        result = await self.client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(self.uri), position=self.end()))
        return {i.label: i.detail for i in result.items}


async def _session(home, run_id, *flags):
    client = make_test_lsp_client()
    await client.start_io(sys.executable, "-m", "gru_desktop", "lsp", str(run_id), *flags, env=env(home), cwd=REPO)
    await client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), initialization_options={"k": 10}))
    return client


async def _end(client) -> None:
    await client.shutdown_session()
    assert await asyncio.wait_for(client._server.wait(), 30) == 0


def _stored(home) -> tuple[dict, dict]:
    """(learned rows {ngram: seen}, personal_meta) as the database holds them."""
    con = sqlite3.connect(home / "runs.db")
    try:
        rows = {tuple(json.loads(k)): s for k, s in con.execute("SELECT ngram, seen FROM personal_ngrams")}
        meta = dict(con.execute("SELECT key, value FROM personal_meta"))
    finally:
        con.close()
    return rows, meta


def _set_paused(home, paused: bool) -> None:
    from gru_desktop.jobs import personal, runs

    _, db = runs.open_store(home)
    try:
        personal.set_paused(db, paused)
    finally:
        db.close()


@pytest.mark.asyncio
async def test_learns_a_new_word_from_its_third_sighting_and_stores_it_but_not_while_paused(home):
    home, run_id = home
    _set_paused(home, True)
    client = await _session(home, run_id, "--learn")
    doc = Typist(client, "file:///tmp/diary.txt")
    doc.type(PAUSED)  # typed while paused: never learned
    await doc.labels()  # a round trip: the server has read every change before the switch flips
    _set_paused(home, False)  # the window's switch, flipped while the server runs
    for n in range(3):
        doc.type("We saw the purple")
        shown = await doc.labels()
        assert ("zorblax" in shown) == (n == 3), (n, shown)  # learned once, then twice: not suggested yet
        doc.type("zorblax today.")
    doc.type("We saw the purple")
    shown = await doc.labels()
    assert "zorblax" in shown and float(shown["zorblax"].rstrip("%")) > 0  # its third sighting: suggested
    doc.type("zorblax farewell")  # then the editor goes away: EOF, no shutdown
    client._server.stdin.close()
    assert await asyncio.wait_for(client._server.wait(), 30) == 0
    await client.stop()
    rows, meta = _stored(home)
    assert rows[("zorblax",)] == 4 and rows[("the", "purple", "zorblax")] == 4 and rows[("farewell",)] == 1
    assert not any("gloop" in key or "green" in key for key in rows), rows  # typed while paused
    assert f"weight:{run_id}" in meta


@pytest.mark.asyncio
async def test_without_learn_nothing_is_read_or_written(home):
    home, run_id = home
    before = _stored(home)
    client = await _session(home, run_id)
    doc = Typist(client, "file:///tmp/notes.txt")
    for _ in range(4):
        doc.type(SENTENCE)
    doc.type("We saw the purple")
    assert "zorblax" not in await doc.labels()
    await _end(client)
    assert _stored(home) == before


class _Whole:  # a change that sends the whole document again (no range)
    range = None


@pytest.mark.parametrize("old, new, done", [
    ("We saw th", "We saw the ", ("We saw ", "the")),  # typed at the end
    ("the ", "the purple ", ("the ", "purple")),  # a completion accepted: the word and its space at once
    ("thank you for yo", "thank you for your ", ("thank you for ", "your")),  # the half word completed
    ("hello world", "hello  world", ("", "hello")),  # a space typed before a space: after the word
    ("hello world", "hello, world", ("", "hello")),
    ("hello world", "hello wor", None),  # deleted: nothing finished
    ("one two", "one two three four five six seven eight nine ten eleven twelve thirteen ", None),  # a paste
])
def test_a_finished_word_is_found_from_the_whole_text_sent_again(old, new, done):
    from gru_desktop.core.learner import finished_word
    from gru_desktop.serve.learning import edited

    edit = edited(old, new, [_Whole()], None)
    assert (finished_word(*edit) if edit else None) == done


def test_a_finished_word_is_found_from_an_incremental_change_in_the_middle():
    from gru_desktop.core.learner import finished_word
    from gru_desktop.serve.learning import edited

    old, new = "Dear Anna,\nthank you for yo\nBest, Tom", "Dear Anna,\nthank you for your \nBest, Tom"
    change = types.TextDocumentContentChangePartial(range=types.Range(types.Position(1, 14), types.Position(1, 16)),
                                                    text="your ")
    edit = edited(old, new, [change], lambda at: len("Dear Anna,\n") + at.character)
    assert edit == (old[: old.index("\nBest")], new[: new.index("\nBest")])
    assert finished_word(*edit) == ("Dear Anna,\nthank you for ", "your")
    long = "word " * 20_000  # a long document: the word is looked for near the edit only
    assert finished_word(long + "zorbl", long + "zorblax ") == (long, "zorblax")


def _forget(home, key: tuple) -> None:
    """*Forget* as the window does it: its counts (read from the data folder) forget the key, and the rows
    that went away are written."""
    from gru_desktop.jobs import personal, runs

    _, db = runs.open_store(home)
    try:
        counts, _ = personal.load(db)
        personal.write(db, personal.snapshot(counts, counts.forget(key)))
    finally:
        db.close()


@pytest.mark.asyncio
async def test_a_forget_in_the_window_reaches_a_running_server(home):
    """A word forgotten in the window while `lsp --learn` runs is no longer suggested there (after at most
    REFRESH_S), and the server does not write it back; what it learns afterwards is kept."""
    from gru_desktop.serve.learning import REFRESH_S

    home, run_id = home
    client = await _session(home, run_id, "--learn")
    doc = Typist(client, "file:///tmp/diary.txt")
    for _ in range(3):
        doc.type(SENTENCE)
    doc.type("We saw the purple")
    assert "zorblax" in await doc.labels()
    for _ in range(100):  # the window lists it once the server has written it (every FLUSH_S)
        if ("zorblax",) in _stored(home)[0]:
            break
        await asyncio.sleep(0.1)
    _forget(home, ("zorblax",))
    await asyncio.sleep(REFRESH_S + 0.2)
    assert "zorblax" not in await doc.labels()
    doc.type("gloop farewell")
    await _end(client)
    rows, _ = _stored(home)
    assert not any("zorblax" in key for key in rows), rows  # not written back from the server's memory
    assert rows[("farewell",)] == 1 and rows[("purple", "gloop")] == 1 and rows[("purple",)] == 4
