"""Qt-free logic the window shows: the corpus summary, the progress/ETA arithmetic, the percentiles."""
from __future__ import annotations

import math
from types import SimpleNamespace

from core_helpers import write_tiny_corpus
from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import read_corpus
from gru_desktop.core.data import build_dataset
from gru_desktop.core.progress import Progress, format_seconds
from gru_desktop.core.stats import percentile, summary_ms
from gru_desktop.core.summary import summarize


def test_corpus_summary_counts_sentences_cuts_and_histogram(tmp_path):
    cfg = TrainConfig(seq_len=10, vocab_size=200)
    ds = build_dataset(read_corpus(write_tiny_corpus(tmp_path)), cfg)
    s = summarize(ds, cfg)
    assert (s.sentences, s.train_sentences + s.val_sentences) == (80, 80)
    assert s.words == ds.corpus.n_tokens and s.vocab == len(ds.vocab)
    lengths = ds.corpus.sentence_lengths()
    assert sum(s.hist) == 80  # every sentence in one bin (the last holds the longer ones)
    assert s.hist[int(lengths[0]) - 1] > 0
    assert math.isclose(s.cut_share, float((lengths > 10).mean()))
    assert s.seq_len == 10 and s.oov_share == 0.0


def step(epoch, batch, batches, elapsed, tokens):
    return SimpleNamespace(epoch=epoch, batch=batch, batches=batches, elapsed=elapsed, tokens=tokens)


def test_progress_share_eta_and_rate():
    p = Progress(epochs=4)
    p.update(step(1, 5, 10, 2.0, 1000))
    assert p.fraction == 0.125 and math.isclose(p.eta, 14.0) and p.tokens_per_s is None
    p.update(step(2, 10, 10, 8.0, 4000))
    assert p.fraction == 0.5 and math.isclose(p.eta, 8.0) and math.isclose(p.tokens_per_s, 500.0)
    assert p.text() == "epoch 2/4 · 50% · ETA 0:08"


def test_progress_of_epochs_auto_follows_its_time_budget():
    p = Progress(epochs=0, time_limit=100.0)
    p.update(step(3, 1, 10, 25.0, 1000))
    assert p.fraction == 0.25
    assert p.text() == "epoch 3 (auto: until validation stops improving) · at most 1:15 left"
    assert format_seconds(3725) == "1:02:05"


def test_percentiles_as_the_reports_take_them():
    assert percentile([4, 1, 3, 2], 0.5) == 3 and percentile(range(100), 0.99) == 99
    assert math.isnan(percentile([], 0.5))
    assert summary_ms([5.0, 1.0, 2.0]) == {"p50_ms": 2.0, "p99_ms": 5.0, "max_ms": 5.0} and summary_ms([]) == {}
