"""Family `vocabulary`: what V does to the user's words — the share of running words that become <unk> at
their V (counted in the dataset's ids), what happens to a word they used once (looked up in the vocabulary),
and what V means for the output layer (read off core/model.py's layer, built on the meta device)."""
from __future__ import annotations

import functools
import random

import numpy as np
import torch

from ..model import GRULanguageModel
from ..vocab import RESERVED, UNK
from .material import Material
from .modules import device_for
from .question import Question, Skip, Wrong, make_question, shape_text


def percent(x: float) -> str:
    return f"{100 * x:.1f} %"


def _unk_share_question(material: Material, rng: random.Random, qid: str) -> Question:
    ds = material.dataset
    if ds is None:
        raise Skip("no corpus")
    corpus, vocab, c = ds.corpus, ds.vocab, material.config
    V = len(vocab)
    share = ds.oov_share  # <unk> ids among the running words
    counts = np.asarray(corpus.counts, dtype=np.int64)
    real = np.array([w not in RESERVED for w in corpus.words])
    total = int(counts.sum())
    kept = np.array([w in vocab.stoi for w in corpus.words]) & real
    distinct = int(real.sum())
    by_count = np.sort(counts[real])[::-1]
    wrongs = [
        Wrong(percent((distinct - int(kept.sum())) / max(distinct, 1)), "distinct-for-running",
              "that is the share of distinct words left out; most of them are rare, so far fewer running words are"),
        Wrong(percent(int(counts[real & (counts == 1)].sum()) / max(total, 1)), "once-means-unk",
              "words seen once are not all <unk>: the V − 3 most frequent words keep their ids, however rare"),
        Wrong(percent(int(by_count[V:].sum()) / max(total, 1)), "reserved-not-counted",
              "V counts <pad>, <unk> and <bos>: only V − 3 real words get ids"),
        Wrong(percent(int((real & (counts == 1)).sum()) / max(distinct, 1)), "once-distinct-for-running",
              "that is the share of distinct words seen once; <unk> is counted over running words, and only "
              "words outside the vocabulary become <unk>"),
        Wrong(percent(0.0), "vocab-covers-all", "V is smaller than the number of distinct words, so some become <unk>"),
    ]
    setting = "" if V == c.vocab_size else f", as your setting of {c.vocab_size:,} leaves it for this text"
    text = (f"Your text has {total:,} words, {distinct:,} of them distinct; V = {V:,}{setting} (minimum count "
            f"{c.min_count}). What share of the running words become <unk>?")
    steps = [f"Step 1: the vocabulary keeps <pad>, <unk>, <bos> and the {V - 3:,} most frequent words "
             f"(seen at least {c.min_count} time{'s' if c.min_count > 1 else ''}).",
             f"Step 2: every occurrence of any other word becomes <unk>: {int(round(share * total)):,} of "
             f"{total:,} words.",
             f"Final answer: {percent(share)}.",
             f"Quick check: counting <unk> (id {UNK}) in your text's ids gives {percent(share)}."]
    return make_question(qid=qid, family="vocabulary", difficulty="medium", text=text, correct=percent(share),
                         wrongs=wrongs, hint="Count running words (every occurrence), not distinct ones.",
                         solution=steps, rng=rng, is_true=lambda o: o == percent(share),
                         given={"words": total, "distinct": distinct, "vocab": V, "min_count": c.min_count,
                                "unk_share": share})


OWN, UNK_TEXT = "it keeps its own id (3 … V − 1)", "it becomes <unk> (id 1)"


def _once_question(material: Material, rng: random.Random, qid: str) -> Question:
    ds = material.dataset
    if ds is None:
        raise Skip("no corpus")
    corpus, vocab = ds.corpus, ds.vocab
    once = [i for i in np.flatnonzero(np.asarray(corpus.counts) == 1).tolist()
            if corpus.words[i] not in RESERVED and any(ch.isalpha() for ch in corpus.words[i])]
    if not once:
        raise Skip("no word occurs once")
    word = corpus.words[rng.choice(once)]
    wid = vocab.id(word)  # the vocabulary's own look-up
    V = len(vocab)

    def is_true(option: str) -> bool:
        return (option == OWN and wid >= 3) or (option == UNK_TEXT and wid == UNK)

    correct = OWN if wid >= 3 else UNK_TEXT
    wrongs = [Wrong(UNK_TEXT, "once-means-unk", f"V = {V:,} has room for it: the {V - 3:,} most frequent words keep "
                    "their ids, and this one made the cut"),
              Wrong(OWN, "every-word-gets-id", f"only the {V - 3:,} most frequent words get ids; this one did not"),
              Wrong("it becomes <pad> (id 0)", "rare-is-padding", "<pad> only fills the space after a sentence"),
              Wrong("it is removed from the sentence", "rare-dropped", "no word is dropped: an unknown one is "
                    "replaced by <unk> so the sentence keeps its length")]
    text = (f"The word “{word}” occurs exactly once in your text. With V = {V:,} (minimum count "
            f"{material.config.min_count}), what happens to it?")
    rank = "in" if wid >= 3 else "not in"
    steps = ["Step 1: the vocabulary is <pad>, <unk>, <bos> and the most frequent words (ties: the first seen first).",
             f"Step 2: “{word}” is {rank} the {V - 3:,} kept words.",
             f"Final answer: {correct}.",
             f"Quick check: vocab.id(“{word}”) = {wid}" + (", so it is <unk>." if wid == UNK else ".")]
    return make_question(qid=qid, family="vocabulary", difficulty="easy", text=text, correct=correct,
                         wrongs=wrongs, hint="Are there more distinct words than V − 3?", solution=steps, rng=rng,
                         is_true=is_true, given={"word": word, "id": wid, "vocab": V,
                                                  "min_count": material.config.min_count})


@functools.lru_cache(maxsize=256)
def _output_layer(V: int, E: int, H: int, tied: bool) -> tuple[int, tuple[int, ...]]:
    with torch.device(device_for(V, E, H)):
        m = GRULanguageModel(V, E, H, 1, tie_weights=tied)
    return m.fc.out_features, tuple(m.fc.weight.shape)


def _dense_question(material: Material, rng: random.Random, qid: str, weight: bool) -> Question:
    c, V = material.config, material.vocab_size
    E, H, tied = c.embed_dim, c.hidden_size, c.tie_weights
    if V < 4:
        raise Skip("vocabulary too small")
    outs, w_shape = _output_layer(V, E, H, tied)
    setup = (f"V = {V:,}, E = {E}, H = {H}, {'tied' if tied else 'untied'} output layer "
             + ("(it reuses the embedding matrix after an H → E projection)" if tied else "(its own matrix)"))
    if not weight:
        wrongs = [Wrong(f"{V - 3:,}", "reserved-not-scored", "the layer scores every id, reserved ones included "
                        "(suggestions hide them later)"),
                  Wrong(f"{H:,}", "hidden-for-vocab", "H is what goes into the dense layer, not what comes out"),
                  Wrong(f"{E:,}", "embed-for-vocab", "E is the width of an embedding row, not the number of words"),
                  Wrong(f"{2 * V:,}", "two-scores-per-word", "one score (logit) per vocabulary id")]
        return make_question(
            qid=qid, family="vocabulary", difficulty="easy",
            text=f"{setup}. How many scores does the dense layer produce for each position?", correct=f"{outs:,}",
            wrongs=wrongs, hint="The softmax chooses among the vocabulary.", rng=rng,
            solution=[f"Step 1: the softmax is over the vocabulary, V = {V:,} ids.",
                      "Step 2: so the dense layer needs one score per id.", f"Final answer: {outs:,}.",
                      f"Quick check: core/model.py's fc.out_features = {outs:,}; doubling V doubles this layer."],
            is_true=lambda o: int(o.replace(",", "")) == outs, given={"vocab": V, "embed": E, "hidden": H, "tied": tied})
    inner = E if tied else H
    wrongs = [Wrong(shape_text((inner, V)), "linear-weight-transposed", "nn.Linear stores its weight as "
                    "(out_features, in_features)"),
              Wrong(shape_text((V, H if tied else E)), "tied-ignored" if tied else "embed-for-hidden",
                    "tied: the output matrix is the embedding matrix, (V, E)" if tied
                    else "untied: the dense layer reads the GRU's H numbers"),
              Wrong(shape_text((V - 3, inner)), "reserved-not-scored", "the reserved ids have rows too"),
              Wrong(shape_text((H, E)), "projection-for-output", "that is the size of the H → E projection, "
                    "not of the matrix that scores V words")]
    return make_question(
        qid=qid, family="vocabulary", difficulty="hard",
        text=f"{setup}. What is the shape of the weight matrix that turns a position into its V scores?",
        correct=shape_text(w_shape), wrongs=wrongs, hint="nn.Linear's weight is (out_features, in_features).",
        rng=rng, solution=[f"Step 1: the scores are V = {V:,} wide.",
                           f"Step 2: what they are computed from is {inner} wide ({'E, after the projection' if tied else 'H, the GRU output'}).",
                           f"Final answer: {shape_text(w_shape)}.",
                           f"Quick check: core/model.py's fc.weight.shape = {shape_text(w_shape)}"
                           + (", the same tensor as embedding.weight." if tied else ".")],
        is_true=lambda o: o == shape_text(w_shape), given={"vocab": V, "embed": E, "hidden": H, "tied": tied})


def variants() -> dict:
    return {"unk_share": ("medium", _unk_share_question), "once_word": ("easy", _once_question),
            "dense_size": ("easy", functools.partial(_dense, False)),
            "dense_weight": ("hard", functools.partial(_dense, True))}


def _dense(weight: bool, material: Material, rng: random.Random, qid: str) -> Question:
    return _dense_question(material, rng, qid, weight)
