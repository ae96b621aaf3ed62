"""`runs export RUN --arpa FILE | --presage FILE [--from counts|gru]`: a run's n-grams for keyboards, input
methods and toolkits (design §16), and how good those tables are (`measure`).

- `--from counts`: the run's own Kneser–Ney counts (its blend's, fitted now if it has none yet).
- `--from gru`: the network distilled (core/distil.py): a seeded sample of `sample_words` words from the GRU,
  counted together with the corpus's training sentences, smoothed.
The target is checked before any work, and written to a temporary file then renamed: an unwritable path is
one UserError naming it, and nothing half-written is ever left.
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import storage

from ..core.arpa import ArpaModel
from ..core.distil import DEFAULT_SAMPLE_WORDS, distil_counts
from ..core.errors import UserError
from ..core.evaluate import evaluate_parts
from ..core.ngram_export import arpa_names, write_arpa, write_presage
from .blends import bounded_split, ensure_blend
from .exports import check_target
from .recorded_run import load_run_model, run_corpus

FORMATS = ("arpa", "presage")
FROM = ("counts", "gru")


@dataclass
class NgramExport:
    path: Path
    fmt: str
    source: str
    sizes: dict  # n-grams per order (ARPA) or rows per table (Presage)
    seconds: float

    def describe(self) -> str:
        what = {"arpa": "ARPA trigram model", "presage": "Presage n-gram database"}[self.fmt]
        how = "the run's Kneser–Ney counts" if self.source == "counts" else "distilled from the GRU"
        return f"{what} ({how}; {', '.join(f'{k}: {v:,}' for k, v in self.sizes.items())})"


def counts_for(db, run_ref, source: str, sample_words: int = DEFAULT_SAMPLE_WORDS, seed: int = 0, should_stop=None):
    """(run, loaded model, KneserNeyTrigram) of the run for `source`."""
    if source not in FROM:
        raise UserError(f"--from must be counts or gru, not {source!r}")
    if not 1_000 <= sample_words <= 100_000_000:
        raise UserError("--sample-words must be between 1,000 and 100,000,000")
    run, loaded = load_run_model(db, run_ref)
    if source == "counts":
        state = ensure_blend(db, run, loaded, should_stop)
        if state.blend is None:
            raise UserError(f"run {run['id']} has no counts to export ({state.reason})")
        return run, loaded, state.blend.counts
    cfg, vocab = loaded.config, loaded.vocab
    part, train_s, _ = bounded_split(run_corpus(run, cfg, should_stop, home=storage.db_folder(db)), cfg)
    ids = vocab.remap_table(part.words)[part.ids]
    return run, loaded, distil_counts(loaded.model, ids, part.starts, train_s, len(vocab), sample_words, seed)


def export_ngrams(db, run_ref, path, fmt: str, source: str = "counts", sample_words: int = DEFAULT_SAMPLE_WORDS,
                  seed: int = 0, should_stop=None) -> NgramExport:
    if fmt not in FORMATS:
        raise UserError(f"n-gram export format must be arpa or presage, not {fmt!r}")
    path = check_target(path)
    t0 = time.perf_counter()
    _, loaded, kn = counts_for(db, run_ref, source, sample_words, seed, should_stop)
    write = write_arpa if fmt == "arpa" else write_presage
    try:
        sizes = write(path, kn, loaded.vocab.itos)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or type(exc).__name__}") from None
    return NgramExport(path, fmt, source, sizes, time.perf_counter() - t0)


def measure(db, run_ref, sample_words: int = DEFAULT_SAMPLE_WORDS, seed: int = 0) -> list[dict]:
    """Perplexity and top-3 on the run's validation sentences (those its blend is scored on) of: the GRU, the
    blend, the counts, and the exported ARPA tables (`--from counts`, `--from gru`) as read back from the files
    by the strict reader."""

    run, loaded = load_run_model(db, run_ref)
    cfg, vocab = loaded.config, loaded.vocab
    part, _, val_s = bounded_split(run_corpus(run, cfg, home=storage.db_folder(db)), cfg)
    state = ensure_blend(db, run, loaded)
    parts = evaluate_parts(loaded.model, vocab, cfg, part, val_s, blend=state.blend)
    rows = [{"what": name, "perplexity": parts[key].perplexity, "top3": parts[key].top3, "tokens": parts[key].tokens}
            for name, key in (("GRU", "gru"), ("blend (GRU + counts + caches)", "blend"), ("counts (in the app)", "counts"))
            if key in parts]
    ids = vocab.remap_table(part.words)[part.ids]
    names = arpa_names(vocab.itos)
    sentences = [[names[i] for i in ids[part.starts[s]: part.starts[s + 1]].tolist()] for s in val_s.tolist()]
    with tempfile.TemporaryDirectory() as tmp:
        for source in FROM:
            t0 = time.perf_counter()
            made = export_ngrams(db, run_ref, os.path.join(tmp, f"{source}.arpa"), "arpa", source, sample_words, seed)
            ppl, top3, n = ArpaModel.read(made.path).score(sentences)
            rows.append({"what": f"ARPA --from {source}" + (f" ({sample_words:,} sampled words)" if source == "gru" else ""),
                         "perplexity": ppl, "top3": top3, "tokens": n, "ngrams": made.sizes,
                         "seconds": time.perf_counter() - t0})
    return rows
