"""Family `padding`: a real batch of the user's training text (core/data.py's windows), how many of its
positions are padding, what `pack_padded_sequence` lets the GRU skip (read off a real PackedSequence), and
how many positions the loss counts — by running core/model.py's own forward, which packs, so padding never
reaches the dense layer (design §1)."""
from __future__ import annotations

import functools
import random

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from ..model import GRULanguageModel
from ..vocab import BOS, PAD
from .material import Material
from .question import Question, Skip, Wrong, make_question

SHOWN = 8  # windows in a question's batch: few enough to read


def real_batch(material: Material, rng: random.Random) -> tuple[np.ndarray, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Window ids of `SHOWN` training sentences' first windows (as an epoch's first step takes them: a window
    that starts a sentence), and their rows: inputs (b, L), targets (b, L), lengths (b,)."""
    ds = material.dataset
    if ds is None:
        raise Skip("no corpus")
    w = ds.train
    n_sent = len(w.win_first)
    if n_sent == 0:
        raise Skip("no training sentences")
    b = min(SHOWN, n_sent, material.config.batch_size)
    if b < 2:
        raise Skip("batch too small")
    picks = sorted(rng.sample(range(n_sent), b))
    idx = w.win_first[np.array(picks)]
    inputs, targets, lengths = w.rows(idx)
    return idx, inputs, targets, lengths


def _intro(material: Material, idx: np.ndarray, lengths: torch.Tensor, show_words: bool) -> tuple[str, dict]:
    ds, L = material.dataset, material.config.seq_len
    assert ds is not None
    sent = np.searchsorted(ds.train.win_first, idx, side="right") - 1  # sentence of each window, in train order
    n_words = ds.train.sentence_lengths(sent).tolist()
    b = len(idx)
    text = f"A batch of {b} windows from your training text, padding length L = {L}. "
    if show_words:
        text += "Their sentences have " + ", ".join(map(str, n_words)) + " words. "
    else:
        text += "Real (non-padding) positions per window: " + ", ".join(map(str, lengths.tolist())) + ". "
    return text, {"windows": idx.tolist(), "seq_len": L, "batch": b, "sentence_words": n_words,
                  "lengths": lengths.tolist()}


def _pad_question(material: Material, rng: random.Random, qid: str, from_sentences: bool) -> Question:
    idx, inputs, targets, lengths = real_batch(material, rng)
    L, b = material.config.seq_len, len(idx)
    pad = int((targets == PAD).sum())  # the rows as training builds them
    text, given = _intro(material, idx, lengths, from_sentences)
    real = int(lengths.sum())
    n_words = np.array(given["sentence_words"])
    wrongs = [Wrong(str(real), "real-for-padding", "that counts the real positions, not the padding"),
              Wrong(str(b * L), "all-positions", "not every position is padding: the words fill the front of each row")]
    if from_sentences:
        wrongs += [Wrong(str(int((L - n_words).sum())), "cut-ignored",
                         f"a sentence longer than L = {L} is cut into windows; this window holds only its first {L}"),
                   Wrong(str(int(np.maximum(L - n_words - 1, 0).sum())), "bos-extra-position",
                         "<bos> does not take an extra place: n words give n positions (inputs <bos> w1 … w(n−1))")]
    else:
        bos_rows = int((inputs[:, 0] == BOS).sum())
        wrongs += [Wrong(str(pad + bos_rows), "bos-is-padding", "<bos> (id 2) is a real input, not padding (id 0)"),
                   Wrong(str(pad - b), "bos-extra-position", "<bos> is one of the L positions, not an extra one")]
    wrongs = [w for w in wrongs if int(w.text) >= 0]
    steps = [f"Step 1: each window has L = {L} positions: {b} × {L} = {b * L} in all.",
             ("Step 2: a sentence of n words fills min(n, L) positions (inputs <bos> w1 … w(n−1), targets w1 … wn): "
              if from_sentences else "Step 2: the real positions add up to ") + f"{real}.",
             f"Final answer: {b * L} − {real} = {pad} padding positions.",
             f"Quick check: counting the zeros (<pad>) in the batch's target rows gives {pad}."]
    return make_question(qid=qid, family="padding", difficulty="medium" if from_sentences else "easy",
                         text=text + "How many of the batch's positions are padding?", correct=str(pad),
                         wrongs=wrongs, hint="All positions minus the real ones; a window holds at most L words.",
                         solution=steps, rng=rng, given=given, is_true=lambda o: int(o) == pad)


def _packed_question(material: Material, rng: random.Random, qid: str) -> Question:
    idx, inputs, targets, lengths = real_batch(material, rng)
    L, b = material.config.seq_len, len(idx)
    emb = torch.zeros(b, L, 1)  # (b, L, 1): what the embedding would give, one number wide
    packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
    steps_at = packed.batch_sizes.tolist()  # rows the GRU processes at each time step
    t = rng.randrange(1, len(steps_at) + 1)
    truth = steps_at[t - 1]
    text, given = _intro(material, idx, lengths, False)
    given["t"] = t
    lens = lengths.tolist()
    wrongs = [Wrong(str(b), "padding-counted", "packing drops the padded rows at each step; only rows still "
                    "inside their sequence are run"),
              Wrong(str(sum(n > t for n in lens)), "off-by-one-step", f"a row of length n is run at steps 1 … n, "
                    f"so a row of length exactly {t} is still run at step {t}"),
              Wrong(str(sum(n < t for n in lens)), "packing-reversed", "those are the rows that are finished: "
                    "packing skips them"),
              Wrong(str(int(packed.data.shape[0])), "total-for-step", "that is every real position of the batch, "
                    "over all time steps")]
    sol = [f"Step 1: pack_padded_sequence sorts the rows by length and, at step t, runs only the rows longer "
           f"than t − 1: lengths {sorted(lens, reverse=True)}.",
           f"Step 2: rows with length ≥ {t}: {truth}.",
           f"Final answer: {truth}.",
           f"Quick check: the real PackedSequence has batch_sizes {steps_at}; entry {t} is {truth}, and "
           f"packed.data holds {int(packed.data.shape[0])} positions instead of {b * L}."]
    return make_question(qid=qid, family="padding", difficulty="hard",
                         text=text + f"The batch is packed with pack_padded_sequence. At time step {t} (counting "
                         "from 1), how many rows does the GRU process?", correct=str(truth), wrongs=wrongs,
                         hint="Packing runs a row only while it still has real positions.", solution=sol, rng=rng,
                         given=given, is_true=lambda o: int(o) == truth)


@functools.lru_cache(maxsize=16)
def _tiny_model(V: int) -> GRULanguageModel:
    """core/model.py's model with this V and tiny widths: which positions it scores does not depend on E or H."""
    torch.manual_seed(0)
    return GRULanguageModel(V, 2, 2).eval()


def _loss_question(material: Material, rng: random.Random, qid: str) -> Question:
    idx, inputs, targets, lengths = real_batch(material, rng)
    L, b = material.config.seq_len, len(idx)
    V = int(max(material.vocab_size, int(inputs.max()) + 1))
    model = _tiny_model(V)
    with torch.inference_mode():
        logits, packed_targets, _ = model(inputs, lengths, targets)  # logits (tokens, V): real positions only
        # What a padded position would cost if it were scored: its input <pad> predicting <pad>.
        pad_out, _ = model.gru(model.embedding(torch.tensor([[PAD]])))
        pad_loss = float(torch.nn.functional.cross_entropy(model.logits(pad_out[0]), torch.tensor([PAD])))
    scored = int(logits.shape[0])
    if scored == b * L:
        raise Skip("this batch has no padding")
    text, given = _intro(material, idx, lengths, False)
    given["pad_loss"] = round(pad_loss, 4)
    correct = (f"{scored}: packing leaves the padding out, so the dense layer and the loss only see real "
               "positions")
    wrongs = [Wrong(f"{b * L}: every position is scored, and <pad> is so easy to predict that it adds nothing",
                    "padding-counted", "the model never scores padded positions; had it done so, one would cost "
                    f"{pad_loss:.2f} nats here, not nothing"),
              Wrong(f"{b * L}: every position is scored, but the <pad> embedding row is zero so its loss is 0",
                    "zero-embedding-zero-loss", f"a zero input still gives the GRU a state and the dense layer "
                    f"scores (biases); a padded position would cost {pad_loss:.2f} nats"),
              Wrong(f"{b}: only the last position of each window is scored", "last-position-only",
                    "every real position predicts its next word (teacher forcing), not only the last"),
              Wrong(f"{scored - int((inputs[:, 0] == BOS).sum())}: padding and the word after <bos> are left out",
                    "bos-not-a-target", "the first word of a sentence is a target too: <bos> predicts it")]

    def is_true(option: str) -> bool:
        if int(option.split(":")[0]) != scored:
            return False
        if "every position is scored" in option:  # only if the model scored padding, and it cost nothing
            return scored == b * L and pad_loss < 1e-3
        return True

    sol = [f"Step 1: the batch has {b} × {L} = {b * L} positions, {scored} of them real.",
           "Step 2: core/model.py packs the embeddings (pack_padded_sequence) and the targets the same way, so the "
           "GRU output and the loss exist only for real positions.",
           f"Final answer: {scored}.",
           f"Quick check: running the model's forward on this batch gave logits of shape ({scored}, {V:,}); a "
           f"padded position, had it been scored, would have cost {pad_loss:.2f} nats."]
    return make_question(qid=qid, family="padding", difficulty="hard",
                         text=text + "How many positions does the training loss average over, and why?",
                         correct=correct, wrongs=wrongs, hint="Look at what core/model.py does before the dense "
                         "layer: pack_padded_sequence.", solution=sol, rng=rng, given=given, is_true=is_true)


def variants() -> dict:
    return {"pad_count": ("easy", functools.partial(_pad, False)),
            "pad_from_sentences": ("medium", functools.partial(_pad, True)),
            "packed_step": ("hard", _packed_question),
            "loss_positions": ("hard", _loss_question)}


def _pad(from_sentences: bool, material: Material, rng: random.Random, qid: str) -> Question:
    return _pad_question(material, rng, qid, from_sentences)
