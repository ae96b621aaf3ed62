"""The loaded runs of a server: one Predictor per (run, source), loaded on first use and kept, so a request
costs a suggestion, not a model load (design §16).

Requests name runs by id only — `run-12`, `12`, or `latest` — never by a path. The run's model and blend
come from the same code as `gru-desktop suggest` (`jobs.recorded_run.load_run_model`, `jobs.blends.ensure_blend`)
and suggestions from the same `Predictor.suggest`, so `/v1/suggest`, the Language Server and
`suggest --json` give the same words for the same text (the tests compare them).

Errors are `ServeError`s carrying the HTTP status they mean: unknown run 404, a run whose model or counts are
damaged or missing 409, anything malformed 400.

`personal` (None unless `lsp --learn` sets it: `learning.TypingLearner.part`) gives each run's predictors the
personal part of the blend (design §17); without it nothing here reads or writes what the user typed, so every
surface gives `suggest --json`'s words. `exposed(run_id)` is the warning line of a run whose kept memorisation
audit found exposed text (`jobs.audit.exposed_summary`), for `serve` and `lsp` to show before serving it.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import storage

from ..core.errors import ModelFileError, UserError
from ..core.personal_view import PersonalPart
from ..core.predict import Predictor

RUN_NAME_RE = re.compile(r"^(?:run-)?(\d{1,12})$")
SOURCES = ("blend", "gru", "counts")
POOL = 8  # predictors per (run, source): one per client typing its own text, for up to this many clients
MIN_SHARED = 16  # characters a text must share with a predictor's last one to be "the same document"


class ServeError(Exception):
    """A request that cannot be answered: `status` is the HTTP status, the message says why."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind


def bad_request(message: str) -> ServeError:
    return ServeError(400, message)


def run_ref(name) -> str | int:
    """A request's run name (`run-12`, `12`, 12, `latest`) as a run reference; 404 for anything else, so a
    path or another model's name is never looked up as a file."""
    if isinstance(name, bool) or not isinstance(name, (str, int)):
        raise bad_request("the run must be named as run-N, N or latest")
    if isinstance(name, int):
        return name
    text = name.strip()
    if text.lower() == "latest":
        return "latest"
    m = RUN_NAME_RE.match(text)
    if not m:
        raise ServeError(404, f"no run named {name[:80]!r}: name runs as run-N or latest (GET /v1/models lists them)",
                         "not_found_error")
    return int(m.group(1))


@dataclass
class LoadedRun:
    run_id: int
    loaded: object  # core.modelfile.LoadedModel
    blend: object | None  # core.blend.Blend, or None (the GRU alone suggests)
    reason: str  # why there is no blend ("" when there is one)
    stamp: tuple  # the model file's (mtime, size) when it was loaded: a changed file is loaded again
    predictors: dict = field(default_factory=dict)  # source → Predictor


class Registry:
    """Runs loaded by this process. Not thread-safe: one server thread (tornado's loop, pygls' loop) uses it."""

    def __init__(self, home=None, default_run: str | int = "latest"):
        self.home, self.db = storage.open_store(home, write=False)
        self.default_run = default_run
        self._runs: dict[int, LoadedRun] = {}
        # what the database said, kept while nothing in it changes (`_unchanged`): a request reads no row
        self._seen: tuple | None = None  # the database's change stamp these were read at
        self._resolved: dict = {}  # run reference → run id
        self._rows: dict[int, dict | None] = {}  # run id → its row (storage.get_run)
        # (run id, its LoadedModel) → the personal part its predictors mix in; None: no personal part
        self.personal: Callable[[int, object], PersonalPart | None] | None = None

    # --- what the database says, read again only when it changed ----------------------------------------
    def _unchanged(self) -> bool:
        """Whether the database is as it was when the kept rows and resolved names were read; if not, they are
        forgotten. `PRAGMA data_version` changes when another connection commits (a run finishing, renamed,
        deleted), `total_changes` when this one writes: one cheap statement instead of a query and a row's
        parsing per request."""
        stamp = (self.db.conn.execute("PRAGMA data_version").fetchone()[0], self.db.conn.total_changes)
        if stamp == self._seen:
            return True
        self._seen = stamp
        self._resolved.clear()
        self._rows.clear()
        return False

    def _row(self, run_id: int) -> dict | None:
        """storage.get_run(run_id), kept while the database is unchanged (callers must not change it)."""
        if not self._unchanged() or run_id not in self._rows:
            self._rows[run_id] = storage.get_run(self.db, run_id)
        return self._rows[run_id]

    # --- which run -------------------------------------------------------------------------------------
    def resolve(self, name=None) -> int:
        name = self.default_run if name is None else name
        # a name as sent (12 and "12" alike resolve, True is refused): kept only for plain names, a few
        key = (type(name), name) if type(name) in (str, int) and len(self._resolved) < 64 else None
        if self._unchanged() and key in self._resolved:
            return self._resolved[key]
        ref = run_ref(name)
        try:
            run_id = storage.resolve_run_id(self.db, ref, completed_only=str(ref) == "latest")
        except storage.RunNotFound as exc:
            raise ServeError(404, str(exc).splitlines()[0] if str(exc) else f"no run {ref}", "not_found_error") from None
        if key is not None:
            self._resolved[key] = run_id
        return run_id

    def models(self) -> list[dict]:
        """The runs that can suggest (those `latest` can name: a saved best model), newest first, in the shape
        of OpenAI's model list, then `latest`."""
        out = []
        for run in storage.list_runs(self.db):
            if run.get("status") in storage.runs.MODEL_STATUSES and run.get("model_path") and run.get("best_epoch") is not None:
                out.append({"id": f"run-{run['id']}", "object": "model", "created": _unix(run.get("created_at")),
                            "owned_by": "gru-desktop", "name": run.get("name") or "", "status": run["status"],
                            "warning": _exposed_text(run)})
        if out:
            out.append({**out[0], "id": "latest", "run": out[0]["id"]})
        return out

    # --- loading ---------------------------------------------------------------------------------------
    def run(self, run_id: int) -> LoadedRun:
        """The loaded run (loaded now, or again if its model file changed); 409 when it cannot be loaded."""
        from ..jobs.blends import ensure_blend
        from ..jobs.recorded_run import load_run_model

        entry = self._runs.get(run_id)
        run = self._row(run_id)
        path = run.get("model_path") if run else None
        stamp = _stamp(path)
        if entry is not None and entry.stamp == stamp:
            return entry
        try:
            run, loaded = load_run_model(self.db, run_id)
        except storage.RunNotFound as exc:
            raise ServeError(404, str(exc).splitlines()[0], "not_found_error") from None
        except (ModelFileError, UserError, OSError) as exc:
            self._runs.pop(run_id, None)
            raise ServeError(409, f"run {run_id} cannot suggest: {_first_line(exc)}", "conflict_error") from None
        state = ensure_blend(self.db, run, loaded)
        entry = LoadedRun(run_id, loaded, state.blend, state.reason, stamp)
        self._runs[run_id] = entry
        return entry

    def predictor(self, run_id: int, source: str | None = None, text: str = "") -> Predictor:
        """The run's predictor for `source` (None: the blend when the run has counts, else the GRU) that last
        read the text most like `text`.

        A Predictor is incremental: it keeps the GRU states of the sentence it last read and the caches of the
        text before it. Clients typing different documents would make one predictor re-read each client's
        whole text on every request, so each (run, source) keeps a pool of POOL predictors (sharing the model
        and counts); a request goes to the one whose last text shares the longest beginning with its own
        (a new one while the pool is not full, else the least recently used)."""
        if source is not None and source not in SOURCES:
            raise bad_request(f"source must be one of {', '.join(SOURCES)}")
        entry = self.run(run_id)
        if source in ("blend", "counts") and entry.blend is None:
            raise ServeError(409, f"run {run_id} has no counts to suggest with ({entry.reason}); use source gru",
                             "conflict_error")
        key = source or ("blend" if entry.blend is not None else "gru")
        part = self.personal(run_id, entry.loaded) if self.personal is not None else None
        pool: list[list] = entry.predictors.setdefault(key, [])  # [predictor, last text], most recent last
        best, shared = None, -1
        for item in pool:
            last = item[1]
            if shared >= 0 and last[: shared + 1] != text[: shared + 1]:
                continue  # shares at most `shared` characters: cannot beat the best so far
            n = _shared(last, text)
            if n > shared:
                best, shared = item, n
        if best is None or (shared < min(len(text), MIN_SHARED) and len(pool) < POOL):
            loaded = entry.loaded
            blend = entry.blend if key != "gru" else None
            best = [Predictor(loaded.model, loaded.vocab, loaded.config, blend, key, part), text]  # type: ignore[attr-defined]
        elif shared < min(len(text), MIN_SHARED):
            best = pool[0]  # the least recently used
        if best in pool:
            pool.remove(best)
        best[1] = text
        pool.append(best)
        best[0].personal = part  # the same part for every predictor of the run (a reloaded model: a new one)
        return best[0]

    def exposed(self, run_id: int) -> str | None:
        """The warning before serving a run whose kept audit found exposed text (design §17), or None. One
        database read; never audits."""
        from ..jobs.audit import exposed_summary

        return exposed_summary(self.db, run_id)

    # --- suggesting ------------------------------------------------------------------------------------
    def suggest(self, text: str, k: int = 3, source: str | None = None, run=None) -> dict:
        """What `/v1/suggest` answers: the k best next words (or completions of the half-typed word)."""
        run_id = self.resolve(run)
        predictor = self.predictor(run_id, source, text)
        probs, ctx = predictor.probabilities(text)
        words = predictor.top_k(probs, ctx.prefix, k)
        return {"suggestions": [{"word": s.word, "p": s.probability} for s in words],
                "completing": ctx.prefix or None, "run": run_id, "source": predictor.source}


def _shared(a: str, b: str) -> int:
    """The length of the common beginning of two texts, by bisection over C-speed comparisons (a long
    document costs microseconds, not a Python loop over its characters)."""
    if b.startswith(a):  # the usual request: the same document, a keystroke longer
        return len(a)
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _exposed_text(run: dict) -> str | None:
    from ..jobs.audit import summary_text

    return summary_text(run.get("audit"), run["id"])


def _stamp(path) -> tuple:
    try:
        st = os.stat(path)
    except (OSError, TypeError, ValueError):
        return (None, None)
    return (st.st_mtime_ns, st.st_size)


def _unix(iso) -> int:
    try:
        return int(datetime.fromisoformat(str(iso)).timestamp())
    except (TypeError, ValueError):
        return 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
