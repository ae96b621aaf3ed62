"""The Data page's corpus statistics as plain data: sentences, words, vocabulary, how many sentences the
padding length cuts, and the sentence-length histogram. Computed in a worker (numpy only); the GUI only
shows the result (`ui/pages/corpus_view.py`)."""
from __future__ import annotations

from dataclasses import dataclass, field

HIST_MAX_BINS = 60


@dataclass
class CorpusSummary:
    description: str
    files: list[tuple[str, int, str]]  # (path, bytes, encoding)
    sentences: int
    words: int
    distinct: int
    vocab: int  # ids in the vocabulary, reserved included
    oov_share: float  # share of running words outside the vocabulary
    seq_len: int
    cut_share: float  # share of sentences longer than the padding length
    hist: list[int] = field(default_factory=list)  # hist[i]: sentences of i + 1 words; the last bin holds the rest
    hist_overflow: bool = False
    train_sentences: int = 0
    val_sentences: int = 0
    warnings: list[str] = field(default_factory=list)


def summarize(dataset, config) -> CorpusSummary:
    import numpy as np

    corpus = dataset.corpus
    lengths = corpus.sentence_lengths()
    top = int(min(lengths.max(initial=1), max(np.percentile(lengths, 99) if lengths.size else 1, config.seq_len + 5), HIST_MAX_BINS))
    counts = np.bincount(np.minimum(lengths, top), minlength=top + 1)[1:]
    return CorpusSummary(
        description=corpus.description,
        files=[(f.path, f.bytes, f.encoding) for f in corpus.files],
        sentences=corpus.n_sentences, words=corpus.n_tokens, distinct=len(corpus.words),
        vocab=len(dataset.vocab), oov_share=dataset.oov_share, seq_len=config.seq_len,
        cut_share=float((lengths > config.seq_len).mean()) if lengths.size else 0.0,
        hist=counts.tolist(), hist_overflow=bool(lengths.max(initial=0) > top),
        train_sentences=len(dataset.train_sentences), val_sentences=len(dataset.val_sentences),
        warnings=list(corpus.warnings),
    )
