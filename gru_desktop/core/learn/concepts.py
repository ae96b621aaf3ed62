"""Family `concepts`: the update and reset gates, and why a GRU and not a plain RNN, in the lesson's words.
What can be computed is: the gates' effects are shown on a real nn.GRUCell whose gate is forced open or shut
through its bias (the update gate z ≈ 1 keeps the old state: PyTorch's h' = (1 − z)·n + z·h); the number of
gate blocks and the parameter ratio to nn.RNN are read off the modules. Every option is checked by that run."""
from __future__ import annotations

import functools
import random

import torch
from torch import nn

from .material import Material
from .modules import device_for
from .question import Question, Wrong, make_question

FORCE = 30.0  # a gate bias this large saturates the sigmoid: the gate is 1 (or 0 with −FORCE)


@functools.lru_cache(maxsize=1)
def gate_effects() -> dict[str, bool]:
    """Facts measured on an nn.GRUCell(3, 4) with a gate forced by its bias (PyTorch's gate order: r, z, n)."""
    torch.manual_seed(0)
    cell = nn.GRUCell(3, 4)
    H = 4
    x, h, h2 = torch.randn(1, 3), torch.randn(1, H), torch.randn(1, H)
    with torch.no_grad():
        def run(z: float | None, r: float | None, x=x, h=h):
            c = nn.GRUCell(3, 4)
            c.load_state_dict(cell.state_dict())
            if r is not None:
                c.bias_ih[:H] = r
            if z is not None:
                c.bias_ih[H:2 * H] = z
            return c(x, h)
        keep = run(FORCE, None)  # z = 1
        replace = run(-FORCE, None)  # z = 0: h' = n, the candidate
        # r = 0 and z = 0: h' = n computed with the old state shut out; compare two different old states
        reset_a, reset_b = run(-FORCE, -FORCE, h=h), run(-FORCE, -FORCE, h=h2)
        open_a, open_b = run(-FORCE, FORCE, h=h), run(-FORCE, FORCE, h=h2)
    close = functools.partial(torch.allclose, atol=1e-5)
    return {
        "z1_keeps_state": close(keep, h), "z1_zero": close(keep, torch.zeros_like(h)),
        "z1_is_candidate": close(keep, replace), "z0_is_candidate": not close(replace, h),
        "r0_ignores_state": close(reset_a, reset_b), "r1_uses_state": not close(open_a, open_b),
        "r0_zero": close(reset_a, torch.zeros_like(h)), "r0_keeps_state": close(reset_a, h),
    }


UPDATE = {
    "keep": "The old state passes through almost unchanged: h′ ≈ h",
    "replace": "The old state is replaced by the new candidate state",
    "zero": "The state is reset to zero",
    "input": "The input is copied into the state",
}
RESET = {
    "ignore": "The candidate state is computed from the input alone, ignoring the old state",
    "zero": "The state is set to zero",
    "keep": "The old state is copied through unchanged",
    "input": "The input is ignored",
}


def _update_question(material: Material, rng: random.Random, qid: str) -> Question:
    f = gate_effects()
    truth = {UPDATE["keep"]: f["z1_keeps_state"], UPDATE["replace"]: f["z1_is_candidate"],
             UPDATE["zero"]: f["z1_zero"], UPDATE["input"]: False}
    wrongs = [Wrong(UPDATE["replace"], "update-replaces", "that is z ≈ 0: PyTorch computes h′ = (1 − z)·n + z·h"),
              Wrong(UPDATE["zero"], "update-resets", "no gate zeroes the state; z mixes old state and candidate"),
              Wrong(UPDATE["input"], "gate-copies-input", "the input only reaches the state through the candidate n")]
    steps = ["Step 1: PyTorch's GRU computes h′ = (1 − z)·n + z·h, with n the candidate state.",
             "Step 2: with z = 1 the candidate is multiplied by 0 and the old state by 1.",
             f"Final answer: {UPDATE['keep']}.",
             "Quick check: an nn.GRUCell with the update gate's bias set to +30 returned its old state "
             f"(allclose: {f['z1_keeps_state']}). This is how a GRU carries a word across many steps."]
    return make_question(qid=qid, family="concepts", difficulty="medium",
                         text=f"Your GRU has H = {material.config.hidden_size} units, each with an update gate z. "
                         "What happens to a unit's state when its update gate is close to 1?",
                         correct=UPDATE["keep"], wrongs=wrongs, hint="h′ = (1 − z)·n + z·h", solution=steps,
                         rng=rng, is_true=lambda o: truth[o], given={"measured": f})


def _reset_question(material: Material, rng: random.Random, qid: str) -> Question:
    f = gate_effects()
    truth = {RESET["ignore"]: f["r0_ignores_state"] and f["r1_uses_state"], RESET["zero"]: f["r0_zero"],
             RESET["keep"]: f["r0_keeps_state"], RESET["input"]: False}
    wrongs = [Wrong(RESET["zero"], "reset-zeroes-state", "the reset gate only acts inside the candidate; the state "
                    "is still mixed by the update gate"),
              Wrong(RESET["keep"], "reset-is-update", "keeping the old state is the update gate's job (z ≈ 1)"),
              Wrong(RESET["input"], "reset-ignores-input", "the input always feeds the candidate; the reset gate "
                    "gates the old state")]
    steps = ["Step 1: the candidate is n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn)).",
             "Step 2: with r = 0 the old state's term vanishes: n depends on the input alone.",
             f"Final answer: {RESET['ignore']}.",
             "Quick check: an nn.GRUCell with r forced to 0 gave the same candidate for two different old states "
             f"({f['r0_ignores_state']}), and different ones with r = 1 ({f['r1_uses_state']}). It lets the GRU "
             "start afresh, e.g. at a new clause."]
    return make_question(qid=qid, family="concepts", difficulty="hard",
                         text="What does a GRU's reset gate r do when it is close to 0?", correct=RESET["ignore"],
                         wrongs=wrongs, hint="Where does r appear: in h′ or in the candidate n?", solution=steps,
                         rng=rng, is_true=lambda o: truth[o], given={"measured": f})


@functools.lru_cache(maxsize=64)
def _ratio(E: int, H: int) -> tuple[int, int, int]:
    with torch.device(device_for(1, E, H)):
        gru, rnn, lstm = nn.GRU(E, H), nn.RNN(E, H), nn.LSTM(E, H)
    return tuple(sum(p.numel() for p in m.parameters()) for m in (gru, rnn, lstm))  # type: ignore[return-value]


def _why_gru_question(material: Material, rng: random.Random, qid: str) -> Question:
    E, H = material.config.embed_dim, material.config.hidden_size
    g, r, lstm = _ratio(E, H)
    ratio = g // r if g % r == 0 else None
    correct = (f"Its gates let it keep a word's information over many steps, where a plain RNN's gradient fades; "
               f"it costs {ratio}× the parameters of nn.RNN")
    wrongs = [Wrong(f"It is faster: it has 1/{ratio} of the parameters of nn.RNN", "gru-is-smaller",
                    f"nn.GRU({E}, {H}) has {g:,} parameters, nn.RNN {r:,}: it is bigger"),
              Wrong("It reads the whole sentence at once instead of word by word", "gru-not-sequential",
                    "a GRU is still recurrent: one step per word"),
              Wrong("It has more gates than an LSTM, so it remembers longer", "gru-more-gates",
                    f"an LSTM has four blocks ({lstm:,} parameters here), a GRU three ({g:,})")]

    def is_true(o: str) -> bool:
        if o == correct:
            return ratio is not None and g > r
        if o.startswith("It is faster"):
            return g < r
        if o.startswith("It has more gates"):
            return g > lstm
        return False

    steps = ["Step 1: a plain RNN multiplies its state by the same matrix every step, so old information and its "
             "gradient shrink (or blow up) over long sentences.",
             "Step 2: the GRU's update gate can pass a state through almost unchanged, so it and its gradient survive.",
             f"Final answer: {correct}.",
             f"Quick check: nn.GRU({E}, {H}) has {g:,} parameters, nn.RNN({E}, {H}) {r:,}, nn.LSTM({E}, {H}) {lstm:,}."]
    return make_question(qid=qid, family="concepts", difficulty="easy",
                         text="Why does GRU Desktop use a GRU rather than a plain RNN?", correct=correct,
                         wrongs=wrongs, hint="What happens to a gradient multiplied by the same matrix 30 times?",
                         solution=steps, rng=rng, is_true=is_true, given={"gru": g, "rnn": r, "lstm": lstm})


def _gates_question(material: Material, rng: random.Random, qid: str) -> Question:
    E, H = material.config.embed_dim, material.config.hidden_size
    with torch.device(device_for(1, E, H)):
        gru = nn.GRU(E, H)
    blocks = int(gru.get_parameter("weight_ih_l0").shape[0]) // H  # weight_ih_l0 stacks (W_ir | W_iz | W_in): (3H, E)
    wrongs = [Wrong(f"{blocks + 1}: input, forget and output gates plus the candidate", "lstm-gates",
                    "that is an LSTM"),
              Wrong(f"{blocks - 1}: only the update and reset gates", "candidate-forgotten",
                    "the candidate state n has its own weights too"),
              Wrong("1: one matrix for the whole step, as a plain RNN", "gru-is-rnn", "a plain RNN has one block")]
    correct = f"{blocks}: reset gate, update gate and the candidate state"
    return make_question(qid=qid, family="concepts", difficulty="easy",
                         text=f"nn.GRU({E}, {H}).weight_ih_l0 has shape ({blocks * H}, {E}). How many blocks of "
                         f"{H} rows does it stack, and what are they?", correct=correct, wrongs=wrongs,
                         hint="Divide the rows by H.", rng=rng,
                         solution=[f"Step 1: {blocks * H} rows / H = {H} → {blocks} blocks.",
                                   "Step 2: PyTorch stacks them as (W_ir | W_iz | W_in).",
                                   f"Final answer: {correct}.",
                                   f"Quick check: nn.GRU({E}, {H}).weight_ih_l0.shape[0] // {H} = {blocks}."],
                         is_true=lambda o: int(o.split(":")[0]) == blocks, given={"embed": E, "hidden": H,
                                                                                "blocks": blocks})


def variants() -> dict:
    return {"update_gate": ("medium", _update_question), "reset_gate": ("hard", _reset_question),
            "why_gru": ("easy", _why_gru_question), "gate_blocks": ("easy", _gates_question)}
