"""Family `code`: which `nn.GRU(...)`, `nn.Embedding(...)` or dense line builds this run's layers (each
option is built on the meta device and compared with core/model.py's own layer: parameter shapes, layers,
batch_first, padding_idx), and which line of a snippet fails and why — every line is executed, with sizes
bounded before anything runs, and the error shown is the one it raised."""
from __future__ import annotations

import functools
import random
import re

import torch
from torch import nn

from ..model import GRULanguageModel
from .material import Material
from .modules import CPU_FLOPS, CPU_LIMIT, device_for
from .question import Question, Skip, Wrong, make_question

EXEC_LIMIT = 2_000_000  # elements: the snippet's biggest weight or activation; V is cut to stay below it
EXEC_BATCH = 4  # windows in the executed batch


@functools.lru_cache(maxsize=256)
def _model_layers(V: int, E: int, H: int, layers: int, tied: bool) -> dict:
    """core/model.py's layers for these sizes (on the meta device: shapes only): {name: signature}."""
    with torch.device(device_for(V, E, H, layers)):
        m = GRULanguageModel(V, E, H, layers, tie_weights=tied)
    return {"gru": _signature(m.gru), "embedding": _signature(m.embedding),
            "dense": _signature(m.proj if m.proj is not None else m.fc)}


def _signature(module: nn.Module) -> tuple:
    params = tuple((k, tuple(p.shape)) for k, p in module.named_parameters())
    extra = (getattr(module, "num_layers", None), getattr(module, "batch_first", None),
             getattr(module, "padding_idx", None))
    return params + extra


@functools.lru_cache(maxsize=4096)
def _compiled(line: str):
    return compile(line, "<option>", "eval")


def _built(line: str) -> tuple:
    """The signature of the layer an option line builds (on the meta device when it is big)."""
    a, b = (int(x) for x in re.findall(r"\d+", line)[:2])
    layers = re.search(r"num_layers=(\d+)", line)
    elements = 3 * b * (a + b) * int(layers.group(1)) if layers else a * b
    with torch.device("cpu" if elements <= CPU_LIMIT else "meta"):
        return _signature(eval(_compiled(line), {"nn": nn}))  # noqa: S307 - our own option text, not user input


def _layer_question(material: Material, rng: random.Random, qid: str, layer: str) -> Question:
    c, V = material.config, material.vocab_size
    E, H, n, tied = c.embed_dim, c.hidden_size, c.layers, c.tie_weights
    if V < 4:
        raise Skip("vocabulary too small")
    truth = _model_layers(V, E, H, n, tied)[layer]
    if layer == "gru":
        correct = f"nn.GRU({E}, {H}, num_layers={n}, batch_first=True)"
        wrongs = [
            Wrong(f"nn.GRU({H}, {E}, num_layers={n}, batch_first=True)", "input-hidden-swapped",
                  "nn.GRU takes the input size (E) first, then the hidden size (H)"),
            Wrong(f"nn.GRU({E}, {H}, num_layers={n}, batch_first=False)", "batch-first-default",
                  "core/data.py makes (batch, L) batches, so the model's GRU is built with batch_first=True"),
            Wrong(f"nn.GRU({V}, {H}, num_layers={n}, batch_first=True)", "vocab-for-input",
                  "the GRU reads the E-wide embeddings, not V-wide one-hot vectors"),
            Wrong(f"nn.GRU({E}, {H}, num_layers={n + 1}, batch_first=True)", "layers-off-by-one",
                  f"this run has {n} GRU layer{'s' if n > 1 else ''}; num_layers counts them all"),
        ]
        what = "builds this run's GRU layer"
    elif layer == "embedding":
        correct = f"nn.Embedding({V}, {E}, padding_idx=0)"
        wrongs = [
            Wrong(f"nn.Embedding({E}, {V}, padding_idx=0)", "embedding-args-swapped",
                  "nn.Embedding takes the number of ids (V) first, then the width of each row (E)"),
            Wrong(f"nn.Embedding({V - 3}, {E}, padding_idx=0)", "reserved-not-counted",
                  "V already counts <pad>, <unk> and <bos>: they need rows too"),
            Wrong(f"nn.Embedding({V}, {H}, padding_idx=0)", "hidden-for-embed",
                  "the embedding rows are E wide; H is the GRU's size"),
            Wrong(f"nn.Embedding({V}, {E}, padding_idx=1)", "pad-is-unk",
                  "<pad> is id 0; id 1 is <unk>, a real word the model must learn"),
        ]
        what = "builds this run's embedding layer"
    else:
        if tied:
            correct = f"nn.Linear({H}, {E}, bias=False)"
            wrongs = [
                Wrong(f"nn.Linear({E}, {H}, bias=False)", "linear-args-swapped",
                      "nn.Linear takes in_features first: the projection reads H and writes E"),
                Wrong(f"nn.Linear({H}, {V}, bias=False)", "tied-still-HV",
                      "with tied weights the V rows come from the embedding; the model only learns H → E"),
                Wrong(f"nn.Linear({H}, {E})", "projection-bias",
                      "the projection has no bias: the output layer's bias (V) is the only one"),
            ]
            what = "builds the projection in front of the shared output matrix (tied weights)"
        else:
            correct = f"nn.Linear({H}, {V})"
            wrongs = [
                Wrong(f"nn.Linear({V}, {H})", "linear-args-swapped",
                      "nn.Linear takes in_features first: the dense layer reads H and writes V"),
                Wrong(f"nn.Linear({E}, {V})", "embed-for-hidden",
                      "the dense layer reads the GRU's output, H wide, not the embedding"),
                Wrong(f"nn.Linear({H}, {V - 3})", "reserved-not-scored",
                      "V counts the reserved ids; the layer scores all V (suggestions hide the reserved later)"),
            ]
            what = "builds this run's dense (output) layer"
    text = (f"Your model: V = {V:,}, E = {E}, H = {H}, {n} GRU layer{'s' if n > 1 else ''}, "
            f"{'tied' if tied else 'untied'} output layer. Which line {what}?")
    steps = ["Step 1: core/model.py builds nn.Embedding(V, E, padding_idx=0), nn.GRU(E, H, num_layers, "
             "batch_first=True) and " + ("nn.Linear(H, E, bias=False) feeding the embedding matrix as output layer"
                                         if tied else "nn.Linear(H, V)") + ".",
             f"Step 2: put in your sizes: V = {V:,}, E = {E}, H = {H}, layers = {n}.",
             f"Final answer: {correct}",
             "Quick check: each option was built and its parameter shapes compared with the model's own layer: "
             + ", ".join(f"{k} {s}" for k, s in truth[:-3]) + "."]
    difficulty = "medium" if layer == "dense" else "easy"
    hint = {"gru": "nn.GRU(input_size, hidden_size, …): what does the GRU read?",
            "embedding": "nn.Embedding(how many ids, how wide each row).",
            "dense": "nn.Linear(in_features, out_features): what goes in, what comes out?"}[layer]
    return make_question(qid=qid, family="code", difficulty=difficulty, text=text, correct=correct, wrongs=wrongs,
                         hint=hint, solution=steps, rng=rng, is_true=lambda line: _built(line) == truth,
                         given={"vocab": V, "embed": E, "hidden": H, "layers": n, "tied": tied, "layer": layer})


# --- which line fails, and why -----------------------------------------------------------------------
# (line, misconception of a learner who thinks a working line fails / why a failing line fails, error pattern).
# A reason names what the line gave, not only the rule: "h_0 must be (num_layers, batch, H)" is true of both
# wrong h_0 lines, so as a wrong option of the other it would be a second true answer.
WORKING = [
    ("gru(emb(x))", "gru-needs-h0", "nn.GRU starts from a zero state when no h_0 is given"),
    ("dense(gru(emb(x))[0])", "linear-needs-2d", "nn.Linear works on the last axis of a tensor of any shape"),
    ("gru(emb(x), torch.zeros(n, b, H))", "h0-batch-first", "h_0 is (num_layers, batch, H): this one is right"),
    ("gru(emb(x)[0])", "unbatched-fails", "a 2-D input is read as one unbatched sequence of (L, E): it runs"),
    ("dense(gru(emb(x))[1])", "h_n-not-scorable", "h_n's last axis is H, so the dense layer can score it"),
    ("emb(x[:, :3])", "fixed-length-embedding", "an embedding looks up any number of ids; the length is free"),
]
FAILING = [
    ("gru(emb(x), torch.zeros(b, n, H))", "h0-batch-first",
     "h_0 was given batch first, (batch, num_layers, H): batch_first does not apply to h_0, which stays "
     "(num_layers, batch, H)", "Expected hidden size"),
    ("dense(emb(x))", "embed-for-hidden", "the dense layer expects H numbers per position; the embedding gives E",
     "cannot be multiplied"),
    ("emb(x.float())", "ids-as-floats", "an embedding needs integer ids (Long or Int), not floats", "scalar types"),
    ("emb(x + V)", "ids-reach-V", "ids must be below V: the table has rows 0 … V − 1", "index out of range"),
    ("gru(x)", "ids-into-gru", "the GRU reads embedding vectors (floats), not the integer ids", "dtype"),
    ("gru(emb(x).transpose(1, 2))", "swapped-embed-seq", "the GRU's last input axis must be E; here it is L",
     "input_size"),
    ("gru(emb(x), torch.zeros(b, H))", "h0-no-layer-axis",
     "h_0 was given 2-D, (batch, H): a batched input needs h_0 with its layers axis, (num_layers, batch, H)",
     "3-D"),
]


def _setup(material: Material) -> tuple[str, dict]:
    c = material.config
    V, E, H, n = material.vocab_size, c.embed_dim, c.hidden_size, c.layers
    if (3 * H * (E + H) * n > EXEC_LIMIT or EXEC_BATCH * c.seq_len * max(E, H) > EXEC_LIMIT
            or 6 * EXEC_BATCH * c.seq_len * n * H * (E + H) > CPU_FLOPS):
        raise Skip("these sizes are too big to execute the snippet safely")
    V_run = V if V * max(E, H) <= EXEC_LIMIT and EXEC_BATCH * c.seq_len * V <= EXEC_LIMIT else 1000
    b = min(c.batch_size, EXEC_BATCH)
    dense = "nn.Sequential(nn.Linear(H, E, bias=False), nn.Linear(E, V))" if c.tie_weights else "nn.Linear(H, V)"
    setup = "\n".join([
        f"V, E, H, n, b, L = {V_run}, {E}, {H}, {n}, {b}, {c.seq_len}"
        + ("" if V_run == V else f"  # V cut from {V:,} to keep it small"),
        "emb = nn.Embedding(V, E, padding_idx=0)",
        "gru = nn.GRU(E, H, num_layers=n, batch_first=True)",
        f"dense = {dense}",
        "x = torch.randint(3, V, (b, L))  # (b, L) ids",
    ])
    return setup, {"vocab": V_run, "embed": E, "hidden": H, "layers": n, "batch": b, "seq_len": c.seq_len}


@functools.lru_cache(maxsize=16)
def _namespace(setup: str) -> dict:
    """The snippet's setup, executed once (its modules and batch); lines only read it, under no_grad."""
    ns: dict = {"torch": torch, "nn": nn}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        exec(setup, ns)  # noqa: S102 - our own snippet, sizes bounded by _setup
    return ns


@functools.lru_cache(maxsize=1024)
def run_line(setup: str, line: str) -> str | None:
    """Execute the line after the setup; the error it raised as "Type: first line", or None when it ran."""
    ns = dict(_namespace(setup))
    with torch.no_grad():
        try:
            eval(_compiled(line), ns)  # noqa: S307
        except Exception as exc:  # noqa: BLE001 - the error is the answer
            return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
    return None


def _fails_question(material: Material, rng: random.Random, qid: str) -> Question:
    setup, given = _setup(material)
    failing = [f for f in FAILING if run_line(setup, f[0]) is not None]
    if not failing:
        raise Skip("no failing line for these sizes")
    line, tag, why, _ = rng.choice(failing)
    error = run_line(setup, line)
    works = WORKING[:]
    rng.shuffle(works)
    wrongs = [Wrong(w, t, f"`{w}` runs: {expl}") for w, t, expl in works]
    steps = ["Step 1: follow the shapes: x is (b, L) ids, emb(x) is (b, L, E), gru(…) gives out (b, L, H) "
             "and h_n (n, b, H).",
             f"Step 2: `{line}`: {why}.",
             f"Final answer: {line}",
             f"Quick check: every line was run; this one raised {error}"]
    return make_question(qid=qid, family="code", difficulty="medium",
                         text="Run after the code shown, exactly one of these lines raises an error. Which one?",
                         correct=line, wrongs=wrongs, hint="Write down the shape each call gets and expects.",
                         solution=steps, rng=rng, is_true=lambda ln: run_line(setup, ln) is not None, code=setup,
                         given={**given, "error": error})


def _why_question(material: Material, rng: random.Random, qid: str) -> Question:
    setup, given = _setup(material)
    failing = [f for f in FAILING if run_line(setup, f[0]) is not None]
    if not failing:
        raise Skip("no failing line for these sizes")
    line, tag, why, pattern = rng.choice(failing)
    error = run_line(setup, line) or ""
    reasons = {f[2]: f[3] for f in FAILING}
    others = [f for f in FAILING if f[0] != line]
    rng.shuffle(others)
    wrongs = [Wrong(o[2], o[1], f"true of `{o[0]}`, not of this line") for o in others]
    steps = [f"Step 1: run it: {error}",
             f"Step 2: read the message against the shapes: {why}.",
             f"Final answer: {why}",
             "Quick check: fix it and run it again; the line then works."]
    return make_question(qid=qid, family="code", difficulty="hard",
                         text=f"After the code shown, `{line}` raises an error. Why?",
                         correct=why, wrongs=wrongs, hint="What shape or type does the called "
                         "layer expect, and what does it get?", solution=steps, rng=rng,
                         is_true=lambda r: reasons[r] in error, code=setup,
                         given={**given, "line": line, "error": error})


def variants() -> dict:
    return {"gru_line": ("easy", functools.partial(_layer, "gru")),
            "embedding_line": ("easy", functools.partial(_layer, "embedding")),
            "dense_line": ("medium", functools.partial(_layer, "dense")),
            "fails": ("medium", _fails_question),
            "why": ("hard", _why_question)}


def _layer(layer: str, material: Material, rng: random.Random, qid: str) -> Question:
    return _layer_question(material, rng, qid, layer)
