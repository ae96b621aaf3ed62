"""`gru-desktop lsp`: a Language Server over stdio (pygls, a maintained LSP library) offering next-word
completion in plain text and Markdown (design §16).

- `textDocument/completion`: the text of the open document up to the cursor goes to the same
  `Registry.suggest` as `/v1/suggest`, so the items are the words `suggest --json` gives for that text:
  the next word after a space, completions of the half-typed word before the cursor otherwise. Items come
  sorted by probability (`sortText`), the probability in `detail`; `isIncomplete` so the editor asks again
  as the user types (the list depends on every letter).
- The documents are followed through `didOpen`/`didChange` (pygls keeps them, incrementally), so the
  recency and state caches read the document's own text before the cursor.
- pygls answers malformed messages and unknown methods with JSON-RPC errors, and ends on `exit` and on EOF.
- `--learn` (`learning.py`): finished words in the documents are learned into the data folder's personal
  counts and written in batches (at most every few seconds, and at shutdown, exit and EOF); without it the
  server reads and writes nothing of what the user typed.
- A run whose kept memorisation audit found exposed text (design §17): a `window/showMessage` Warning once,
  after `initialized`, and the same line on stderr.

Initialization options (all optional): {"k": 5, "source": "blend|gru|counts", "run": "run-N|latest"}.
"""
from __future__ import annotations

import logging
import sys

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .. import __version__
from .learning import TypingLearner
from .models import Registry, ServeError

log = logging.getLogger(__name__)


class CompletionServer(LanguageServer):
    def __init__(self, registry: Registry, k: int = 5, learning: TypingLearner | None = None):
        super().__init__("gru-desktop", __version__)
        self.registry, self.k, self.learning = registry, k, learning
        self.source: str | None = None
        self.run: str | None = None
        self.warned: str | None = None  # the exposed-text warning already shown on stderr (cmd_lsp), if any


def make_server(registry: Registry, k: int = 5, learning: TypingLearner | None = None,
                warned: str | None = None) -> CompletionServer:
    """The server; `learning`: learn from the documents (`lsp --learn`); `warned`: the warning line already
    printed on stderr for the default run."""
    server = CompletionServer(registry, k, learning)
    server.warned = warned

    @server.feature(types.INITIALIZE)
    def initialize(ls: CompletionServer, params: types.InitializeParams) -> None:
        _apply_options(ls, params.initialization_options)

    @server.feature(types.INITIALIZED)
    def initialized(ls: CompletionServer, params: types.InitializedParams) -> None:
        _warn_exposed(ls)

    if learning is not None:
        learning.notify = lambda text: server.window_log_message(types.LogMessageParams(types.MessageType.Warning, text))

        @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
        def did_open(ls: CompletionServer, params: types.DidOpenTextDocumentParams) -> None:
            learning.opened(params.text_document.uri, params.text_document.text)

        @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
        def did_change(ls: CompletionServer, params: types.DidChangeTextDocumentParams) -> None:
            doc = ls.workspace.get_text_document(params.text_document.uri)
            try:
                learning.changed(ls.registry, doc.uri, doc.source, params.content_changes, doc.offset_at_position,
                                 ls.source, ls.run)
            except ServeError as exc:  # the run went away or its model is damaged: nothing learned, and why
                ls.window_log_message(types.LogMessageParams(types.MessageType.Warning, exc.message))

        @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
        def did_close(ls: CompletionServer, params: types.DidCloseTextDocumentParams) -> None:
            learning.closed_document(params.text_document.uri)

        @server.feature(types.SHUTDOWN)
        def shutdown(ls: CompletionServer, *params) -> None:
            learning.close()  # the last batch is written before the client hears back

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[" "]))
    def completion(ls: CompletionServer, params: types.CompletionParams) -> types.CompletionList:
        doc = ls.workspace.get_text_document(params.text_document.uri)
        offset = doc.offset_at_position(params.position)
        text = doc.source[:offset]
        if ls.learning is not None:
            ls.learning.refresh()  # forgotten in the window meanwhile? (at most once a second)
        try:
            answer = ls.registry.suggest(text, ls.k, ls.source, ls.run)
        except ServeError as exc:  # the run went away or its model is damaged: no items, and why, in the log
            ls.window_log_message(types.LogMessageParams(types.MessageType.Warning, exc.message))
            return types.CompletionList(is_incomplete=True, items=[])
        prefix = answer["completing"] or ""
        start = types.Position(params.position.line, max(0, params.position.character - _utf16_len(text, prefix)))
        typed = text[len(text) - len(prefix):] if prefix else ""  # the half word as typed (its own case)
        items = []
        for rank, s in enumerate(answer["suggestions"]):
            word = s["word"]
            new = typed + word[len(prefix):] if prefix and word.startswith(prefix) else word
            items.append(types.CompletionItem(
                label=word, kind=types.CompletionItemKind.Text, detail=f"{s['p']:.1%}", sort_text=f"{rank:03d}",
                filter_text=new, text_edit=types.TextEdit(types.Range(start, params.position), new) if prefix else None,
                insert_text=None if prefix else word, data={"p": s["p"], "run": answer["run"]}))
        return types.CompletionList(is_incomplete=True, items=items)

    return server


def _warn_exposed(ls: CompletionServer) -> None:
    """Once, after initialize: a Warning message when the served run's kept audit found exposed text."""
    try:
        warning = ls.registry.exposed(ls.registry.resolve(ls.run))
    except ServeError:
        return  # an unknown run: completion says so
    if warning is None:
        return
    if warning != ls.warned:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    ls.window_show_message(types.ShowMessageParams(types.MessageType.Warning, warning))


def _apply_options(ls: CompletionServer, options) -> None:
    if not isinstance(options, dict):
        return
    k = options.get("k")
    if isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= 100:
        ls.k = k
    if options.get("source") in ("blend", "gru", "counts"):
        ls.source = options["source"]
    if isinstance(options.get("run"), (str, int)):
        ls.run = options["run"]


def _utf16_len(text: str, prefix: str) -> int:
    """LSP positions count UTF-16 code units: the length of the half word as the editor counts it."""
    tail = text[len(text) - len(prefix):] if prefix else ""
    return len(tail.encode("utf-16-le")) // 2
