"""Family `shapes`: the shape of each tensor of the pipeline (design §1) for the user's sizes, with and
without `batch_first`. The answer is read off real modules (nn.Embedding, nn.GRU, the dense layer as
core/model.py builds it, tied or not) run on a dummy batch; sizes too big to run on the CPU run on PyTorch's
"meta" device, which computes shapes without any memory. The wrong options are the confusions documented in
PyTorch's tracker: batch and sequence swapped, `batch_first` moving h_n's batch axis (#4145, #19675),
h_n's first axis (#518), the input size for the hidden size (#83843), the sequence axis kept where it is gone.
"""
from __future__ import annotations

import functools
import random

import torch
from torch import nn

from .material import Material
from .modules import device_for, device_to_run
from .question import Question, Skip, Wrong, make_question, parse_shape, shape_text

TENSORS = ("padded_ids", "embedding_out", "gru_output", "h_n", "logits")
DIFFICULTY = {"padded_ids": "easy", "embedding_out": "easy", "gru_output": "medium", "logits": "medium", "h_n": "hard"}


@functools.lru_cache(maxsize=512)
def run_shapes(B: int, L: int, E: int, H: int, layers: int, V: int, batch_first: bool, tied: bool) -> dict:
    """Every pipeline tensor's shape, from running the modules on a (B, L) batch of ids (transposed to
    (L, B) without batch_first). Returns {tensor: shape tuple}."""
    device = device_to_run(V, E, H, layers, B, L)
    with torch.device(device), torch.inference_mode():
        emb = nn.Embedding(V, E, padding_idx=0)
        gru = nn.GRU(E, H, num_layers=layers, batch_first=batch_first)
        # The dense layer as core/model.py builds it: tied = H → E projection, then the (V, E) embedding matrix.
        dense = nn.Sequential(nn.Linear(H, E, bias=False), nn.Linear(E, V)) if tied else nn.Linear(H, V)
        x = torch.zeros(B, L, dtype=torch.long)  # (B, L) padded ids, as core/data.py makes them
        if not batch_first:
            x = x.t()  # (L, B)
        e = emb(x)
        out, h_n = gru(e)
        last = out[:, -1] if batch_first else out[-1]  # the output at the last position: (B, H)
        logits = dense(last)
    return {"padded_ids": tuple(x.shape), "embedding_out": tuple(e.shape), "gru_output": tuple(out.shape),
            "h_n": tuple(h_n.shape), "logits": tuple(logits.shape)}


def sizes(material: Material) -> dict:
    c = material.config
    return {"batch": c.batch_size, "seq_len": c.seq_len, "embed": c.embed_dim, "hidden": c.hidden_size,
            "layers": c.layers, "vocab": material.vocab_size, "tied": c.tie_weights}


def _wrongs(t: str, s: dict, bf: bool) -> list[Wrong]:
    B, L, E, H, n, V = s["batch"], s["seq_len"], s["embed"], s["hidden"], s["layers"], s["vocab"]

    def seq(*inner):  # a (B, L, …) shape in the layout batch_first asks for
        return (B, L, *inner) if bf else (L, B, *inner)

    def swapped(*inner):
        return (L, B, *inner) if bf else (B, L, *inner)

    sw = Wrong(shape_text(swapped()), "swapped-batch-seq", "batch and sequence axes swapped: with "
               f"batch_first={bf} the {'batch' if bf else 'sequence'} axis comes first")
    table = {
        "padded_ids": [
            sw,
            Wrong(shape_text(seq(V)), "one-hot-ids", "the ids are stored as numbers, one per position, not as "
                  "one-hot vectors of V"),
            Wrong(shape_text((B, L + 1) if bf else (L + 1, B)), "bos-extra-position", "<bos> is the first of "
                  "the L positions (the window is cut to L), not an extra column"),
            Wrong(shape_text((B,)), "one-id-per-row", "every position of the window holds an id, not one per row"),
        ],
        "embedding_out": [
            Wrong(shape_text(swapped(E)), "swapped-batch-seq", sw.why),
            Wrong(shape_text(seq(H)), "hidden-for-embed", "the embedding gives E numbers per word; H is the GRU's size"),
            Wrong(shape_text(seq(V)), "one-hot-for-embed", "an embedding looks up an E-wide row, it does not "
                  "give V scores"),
            Wrong(shape_text((V, E)), "table-for-output", "that is the embedding table itself, not its output "
                  "for this batch"),
            Wrong(shape_text((B, E)), "seq-dropped", "every position gets its own embedding; nothing is summed"),
        ],
        "gru_output": [
            Wrong(shape_text(swapped(H)), "swapped-batch-seq", sw.why),
            Wrong(shape_text(seq(E)), "embed-for-hidden", "the output width is the hidden size H, not the input "
                  "size E (pytorch #83843)"),
            Wrong(shape_text((B, H)), "output-is-last-state", "the output keeps every position; the last "
                  "state alone is h_n"),
            Wrong(shape_text((n, B, H)), "h_n-for-output", "that is h_n, the last state of each layer"),
            Wrong(shape_text(seq(n * H)), "layers-concatenated", "only the top layer's output comes out; layers "
                  "are stacked, not concatenated"),
        ],
        "h_n": [
            Wrong(shape_text((B, n, H)), "h_n-batch-first",
                  "batch_first does not apply to h_n: its batch axis stays second (pytorch #4145, #19675)" if bf
                  else "that puts the batch first, as batch_first=True does for the input and output; h_n keeps "
                  "its layers axis first under either setting (pytorch #4145, #19675)"),
            Wrong(shape_text(seq(H)), "output-for-h_n", "that is the output at every position; h_n is only the "
                  "last state"),
            Wrong(shape_text((B, H)), "h_n-no-layer-axis", "h_n keeps a first axis of num_layers × directions, "
                  "even for one layer (pytorch #518)"),
            Wrong(shape_text((n, B, E)), "embed-for-hidden", "the state is H wide, not E"),
            Wrong(shape_text((n, L, H)), "seq-for-batch", "h_n has one state per sequence in the batch, not per "
                  "position"),
        ],
        "logits": [
            Wrong(shape_text((B, L, V)), "seq-kept", "the dense layer here reads only the last position's "
                  "output, so the sequence axis is gone"),
            Wrong(shape_text((B, H)), "hidden-for-vocab", "the dense layer turns H numbers into one score per "
                  "vocabulary word, V"),
            Wrong(shape_text((B, V - 3)), "reserved-not-scored", "V counts <pad>, <unk> and <bos>; the layer "
                  "scores them too (suggestions hide them later)"),
            Wrong(shape_text((B, E)), "tied-means-E", "with tied weights the projection is H → E, but the "
                  "output is still scored against all V embedding rows"),
            Wrong(shape_text((L, V)), "batch-dropped", "each sequence of the batch gets its own scores"),
        ],
    }
    return table[t]


def _snippet(s: dict, bf: bool) -> str:
    B, L = s["batch"], s["seq_len"]
    x = f"torch.zeros({B}, {L}, dtype=torch.long)" + ("" if bf else ".t()  # (L, B)")
    dense = (f"dense = nn.Sequential(nn.Linear({s['hidden']}, {s['embed']}, bias=False), "
             f"nn.Linear({s['embed']}, {s['vocab']}))  # tied: H → E, then the embedding rows")
    if not s["tied"]:
        dense = f"dense = nn.Linear({s['hidden']}, {s['vocab']})"
    return "\n".join([
        f"emb = nn.Embedding({s['vocab']}, {s['embed']}, padding_idx=0)",
        f"gru = nn.GRU({s['embed']}, {s['hidden']}, num_layers={s['layers']}, batch_first={bf})",
        dense,
        f"x = {x}",
        "out, h_n = gru(emb(x))",
        f"logits = dense(out{'[:, -1]' if bf else '[-1]'})  # the last position",
    ])


TEXT = {
    "padded_ids": "What is the shape of the padded batch of ids `x` that goes into the embedding?",
    "embedding_out": "What is the shape of `emb(x)`, the embedding layer's output?",
    "gru_output": "What is the shape of `out`, the GRU's output?",
    "h_n": "What is the shape of `h_n`, the GRU's last hidden state?",
    "logits": "What is the shape of `logits`, the dense layer's scores for the word after the last position?",
}

REASON = {
    "padded_ids": "ids are one number per position: a batch of B windows of L positions",
    "embedding_out": "the embedding replaces each id by its row of E numbers, so an axis of E is added",
    "gru_output": "the GRU gives its top layer's H numbers at every position; the layout follows batch_first",
    "h_n": "h_n holds the last state of every layer: (num_layers × directions, batch, H), whatever batch_first says",
    "logits": "the dense layer maps the last position's H numbers to one score per word of the vocabulary",
}


def question(material: Material, tensor: str, rng: random.Random, qid: str) -> Question:
    if tensor not in TENSORS:
        raise ValueError(f"tensor must be one of {', '.join(TENSORS)}, not {tensor!r}")
    s = sizes(material)
    bf = rng.random() < 0.5
    shapes = run_shapes(s["batch"], s["seq_len"], s["embed"], s["hidden"], s["layers"], s["vocab"], bf, s["tied"])
    truth = shapes[tensor]
    given = {k: s[k] for k in ("batch", "seq_len", "embed", "hidden", "layers", "vocab")}
    given.update(batch_first=bf, tensor=tensor, tied=s["tied"])
    B, L, E, H, n, V = (s[k] for k in ("batch", "seq_len", "embed", "hidden", "layers", "vocab"))
    text = (f"Your settings: batch B = {B}, padding length L = {L}, embedding E = {E}, hidden H = {H}, "
            f"{n} GRU layer{'s' if n > 1 else ''}, vocabulary V = {V:,}, batch_first={bf}. "
            + TEXT[tensor])
    steps = [
        f"Step 1: the batch of ids is {shape_text(shapes['padded_ids'])} "
        f"({'batch first' if bf else 'sequence first: batch_first=False wants (L, B)'}).",
        f"Step 2: the embedding adds E = {E}: {shape_text(shapes['embedding_out'])}; the GRU turns E into H = {H}: "
        f"out {shape_text(shapes['gru_output'])}, h_n {shape_text(shapes['h_n'])}.",
        f"Step 3: {REASON[tensor]}.",
        f"Final answer: {shape_text(truth)}.",
        f"Quick check: running the code above gave {tensor} = {shape_text(truth)} "
        f"({'on the meta device: these sizes are too big to run for real' if _on_meta(s) else 'on the CPU'}).",
    ]
    return make_question(
        qid=qid, family="shapes", difficulty=DIFFICULTY[tensor], text=text, correct=shape_text(truth),
        wrongs=_wrongs(tensor, s, bf), hint=_hint(tensor, bf), solution=steps, given=given, rng=rng,
        is_true=lambda opt: parse_shape(opt) == truth, code=_snippet(s, bf))


def _on_meta(s: dict) -> bool:
    return device_for(s["vocab"], s["embed"], s["hidden"], s["layers"], s["batch"], s["seq_len"]).type == "meta"


def _hint(tensor: str, bf: bool) -> str:
    return {
        "padded_ids": "One id per position; which axis comes first depends on batch_first.",
        "embedding_out": "An embedding appends one axis: the embedding size.",
        "gru_output": "The output keeps every position and is as wide as the hidden size."
                      + ("" if bf else " batch_first=False: sequence first."),
        "h_n": "h_n's first axis counts layers; batch_first only changes the input and output.",
        "logits": "Only the last position is scored here; one score per vocabulary id.",
    }[tensor]


def variants() -> dict:
    """variant name → (difficulty, generator(material, rng, qid) → Question)."""
    return {t: (DIFFICULTY[t], functools.partial(_by_tensor, t)) for t in TENSORS}


def _by_tensor(tensor: str, material: Material, rng: random.Random, qid: str) -> Question:
    if material.vocab_size < 4:
        raise Skip("vocabulary too small")
    return question(material, tensor, rng, qid)
