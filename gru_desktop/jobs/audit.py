"""`runs audit`, the Runs page's *Privacy…* and the warnings before export or serving (design §17): a
recorded run's memorisation audit, computed from its model and the text it was trained on, and kept with
the run (secrets masked) so that a warning needs no recomputation.

The text is read again from the run's files. What is gone or changed is said in `notes`, and the audit
covers what is still there: spans are looked for in the files that remain (today's text); the extraction
test needs the training split, so it runs only on text whose sha256 is the one the run trained on. With no
file left there is nothing to audit against: one UserError (the model alone cannot be audited against text
it no longer has). Secrets never leave this module unmasked: spans carry only their masked form, and this
module's log records are masked too.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import storage
from storage.audit import get_audit, set_audit

from ..core.errors import UserError
from ..core.secrets import candidates, find_spans, mask, mask_text
from ..core.vocab import split_last_sentence

log = logging.getLogger(__name__)
MAX_SPANS = 300  # distinct spans scored (a seeded sample when there are more); each costs one batch
MAX_DISTINCT = 100_000  # distinct spans remembered while reading
EXPOSED_BITS = 8.0  # rank ≤ 4 of 1,001: the model all but names the secret (Carlini et al. extract from ~10 bits on)


class _MaskSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask_text(record.getMessage()), None
        return True


log.addFilter(_MaskSecrets())


@dataclass
class _Found:
    kind: str
    text: str
    file: str
    line: int
    prefix: str
    count: int = 1


@dataclass
class _ScanState:
    carry: str = ""  # the unfinished last line of what was fed so far
    line: int = 0
    prev: str = ""


def scan_file(path: Path, tokenizer: str, found: dict[str, _Found], should_stop=None) -> None:
    """Add the secret-like spans of one file to `found` (by text: first place, and how often), streamed."""
    from ..core.textfile import read_text  # here, not above: exposed_summary's callers need no torch

    state = _ScanState()

    def feed(text: str, final: bool = False) -> None:
        lines = (state.carry + text).split("\n")
        state.carry = "" if final else lines.pop()
        for line in lines:
            state.line += 1
            for span in find_spans(line):
                if span.text in found:
                    found[span.text].count += 1
                elif len(found) < MAX_DISTINCT:
                    before = line[: span.start]
                    if tokenizer == "words" and state.prev.strip():
                        before = state.prev + " " + before  # a sentence may begin on the line above
                    prefix = split_last_sentence(before, tokenizer)[1]
                    found[span.text] = _Found(span.kind, span.text, str(path), state.line, prefix)
            state.prev = line

    def restart() -> None:  # re-read as Windows-1252: forget what this file gave
        for key in [k for k, f in found.items() if f.file == str(path)]:
            del found[key]
        state.carry, state.line, state.prev = "", 0, ""

    read_text(path, feed, restart, None, should_stop)


def audit_run(db, run_ref, *, n_candidates: int = 1000, max_spans: int = MAX_SPANS, should_stop=None,
              keep: bool = True) -> dict:
    """The audit of a run as a JSON-ready dict (secrets masked): spans, extraction, canaries, notes. Kept with
    the run (`keep`) for `exposed_summary`."""
    # torch only here: the GUI thread imports this module for `summary_text`
    from ..core.audit import SpanScorer, known_candidates
    from ..core.corpus import read_corpus
    from .recorded_run import load_run_model

    run, loaded = load_run_model(db, run_ref)
    cfg, vocab, model = loaded.config, loaded.vocab, loaded.model
    notes: list[str] = []
    paths = [Path(p) for p in (run.get("corpus_paths") or [])]
    if not paths:
        raise UserError(f"run {run['id']} does not record its corpus files, so there is no text to audit it against")
    present = [p for p in paths if p.is_file()]
    for p in paths:
        if p not in present:
            notes.append(f"{p} is gone: not audited")
    if not present:
        raise UserError(f"the text of run {run['id']} is gone ({len(paths)} file{'s' if len(paths) != 1 else ''}, "
                        "none left): the model alone cannot be audited against text it no longer has")
    corpus = read_corpus(present, cfg.tokenizer, cfg.lowercase, None, should_stop)
    unchanged = corpus.sha256 == run.get("corpus_sha256") and len(present) == len(paths)
    if not unchanged and len(present) == len(paths):
        notes.append("the text changed since the run was trained: spans are from today's text")
    elif not unchanged:
        notes.append("spans are from the files that are left")
    found: dict[str, _Found] = {}
    for p in present:
        scan_file(p, cfg.tokenizer, found, should_stop)
    spans = list(found.values())
    if len(spans) > max_spans:
        rng = np.random.default_rng([cfg.seed, 0xA0D1])
        spans = [spans[i] for i in sorted(rng.choice(len(spans), max_spans, replace=False))]
        notes.append(f"{len(found):,} distinct secret-like spans found; {max_spans} of them (drawn at random) scored")
    scorer = SpanScorer(model, vocab, cfg.tokenizer, cfg.lowercase)
    rows: list[dict[str, Any]] = []
    for k, f in enumerate(spans):
        if should_stop is not None and should_stop():
            raise UserError("the audit was cancelled")
        try:
            cands = candidates(f.text, f.kind, n_candidates, np.random.default_rng([cfg.seed, 0xA0D2, k]))
        except ValueError:
            continue  # a format with fewer variants than candidates (a one-letter e-mail name): nothing to rank
        e = scorer.exposure(f.prefix, f.text, cands)
        known = None
        if e.unknown_tokens == 0 and f.kind not in ("email", "url"):  # numbers: also among those it knows
            toks = scorer.tokens(f.text)
            kc = known_candidates(toks, vocab, n_candidates, np.random.default_rng([cfg.seed, 0xA0D3, k]))
            if kc:
                known = scorer.exposure(f.prefix, " ".join(toks), kc)
        rows.append({"kind": f.kind, "masked": mask(f.text, f.kind),
                     "exposure": round(e.exposure, 3), "max_exposure": round(e.max_exposure, 3),
                     "file": f.file, "line": f.line, "occurrences": f.count, "rank": e.rank,
                     "unknown_tokens": e.unknown_tokens,
                     "known_exposure": None if known is None else round(known.exposure, 3),
                     "known_max_exposure": None if known is None else round(known.max_exposure, 3)})
    rows.sort(key=lambda r: (-r["exposure"], r["file"], r["line"]))
    result = {"run_id": run["id"], "spans": rows, "found": len(found), "candidates": n_candidates,
              "exposed": sum(1 for r in rows if r["exposure"] >= EXPOSED_BITS), "exposed_bits": EXPOSED_BITS,
              "extraction": _extraction(run, loaded, corpus, unchanged, notes),
              "canaries": _canaries(db, run, loaded), "notes": notes, "model_mtime_ns": _mtime(run["model_path"])}
    log.debug("run %s audited: %d spans scored, %d exposed", run["id"], len(rows), result["exposed"])
    if keep:
        try:
            set_audit(db, run["id"], result)
        except Exception as exc:  # noqa: BLE001 - a read-only folder: the audit is still shown, just not kept
            log.warning("the audit of run %s could not be kept: %s", run["id"], exc)
    return result


def _extraction(run: dict, loaded, corpus, unchanged: bool, notes: list[str]) -> dict:
    # here, not above: importing this module for exposed_summary (export and serve warnings) loads no torch
    from ..core.audit import extraction
    from ..core.ngram import KneserNeyTrigram
    from .blends import bounded_split, load_blend

    if not unchanged:
        notes.append("extraction not measured: it needs the text the run was trained on")
        return {"gru": None, "counts": None, "sentences": 0}
    cfg, vocab = loaded.config, loaded.vocab
    part, train_s, _ = bounded_split(corpus, cfg)
    ids = vocab.remap_table(part.words)[part.ids]
    state = load_blend(run, loaded)
    counts = state.blend.counts if state.blend is not None else KneserNeyTrigram().fit(ids, part.starts, train_s,
                                                                                       len(vocab))
    return extraction(loaded.model, counts, ids, part.starts, train_s, seed=cfg.seed)


def _canaries(db, run: dict, loaded) -> list[dict]:
    """The run's canaries with the final model's exposure and their exposure after each epoch."""
    n = int(run.get("canaries") or 0)
    if n <= 0:
        return []
    from ..core.canaries import canary_exposures, make_canaries  # torch: only when a run has canaries

    now = canary_exposures(loaded.model, loaded.vocab, loaded.config, make_canaries(n, loaded.config.seed))
    history: dict[int, list] = {}
    for e in storage.get_epochs(db, run["id"]):
        for c in (e.get("canary_exposure") or {}).get("canaries", []):
            history.setdefault(c["index"], []).append(c["exposure"])
    return [{**c, "per_epoch": history.get(c["index"], [])} for c in now]


def _mtime(path) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except (OSError, TypeError):
        return None


def exposed_summary(db, run_id: int) -> str | None:
    """One line for a warning before a run's model is exported or served, from its kept audit: None when it
    was never audited or the audit found nothing exposed. Cheap (one database read): never audits itself."""
    audit = get_audit(db, run_id)
    run = storage.get_run(db, run_id) or {}
    return summary_text(audit, run_id, stale=bool(audit and audit.get("model_mtime_ns") != _mtime(run.get("model_path"))))


def summary_text(audit: dict | str | None, run_id: int, stale: bool = False) -> str | None:
    """`exposed_summary` from an audit already at hand (a dict, or the JSON of a runs row's `audit`)."""
    data: dict | None
    if isinstance(audit, str):
        try:
            data = json.loads(audit)
        except ValueError:
            return None
    else:
        data = audit
    if not data or not data.get("exposed"):
        return None
    top, n = data["spans"][0], data["exposed"]
    when = " (audited before the model last changed)" if stale else ""
    return (f"run {run_id} exposes {n} secret-like span{'s' if n != 1 else ''} of its training text{when}: the most "
            f"exposed, {top['masked']} ({top['kind']}, {top['exposure']:.1f} of {top['max_exposure']:.1f} bits), can "
            f"be drawn out of the model; see `gru-desktop runs audit {run_id}` or Runs → Privacy…")
