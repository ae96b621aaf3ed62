"""Family `training`: the run's own epoch table — which epoch's model is kept and why (the lowest validation
loss, as core/train.py keeps it), what a change between two epochs means (classified by core/observe.py, the
same words as the epoch table), and perplexity as the number of words the model is effectively choosing among
(exp of the validation loss, checked against the stored perplexity)."""
from __future__ import annotations

import math
import random

from ..observe import observe
from .material import Material
from .question import Question, Skip, Wrong, make_question


def _rows(material: Material) -> list[dict]:
    rows = [e for e in material.epochs if all(isinstance(e.get(k), (int, float)) and math.isfinite(e[k])
                                               for k in ("train_loss", "val_loss"))]
    if len(rows) != len(material.epochs) or not rows:
        raise Skip("the run has no usable epoch rows")
    return rows


def table(rows: list[dict]) -> str:
    lines = ["epoch  train loss  val loss  val acc"]
    lines += [f"{e['epoch']:>5}  {e['train_loss']:>10.3f}  {e['val_loss']:>8.3f}  "
              f"{(e.get('val_accuracy') or 0.0):>6.1%}" for e in rows]
    return "\n".join(lines)


def _kept_question(material: Material, rng: random.Random, qid: str) -> Question:
    rows = _rows(material)
    if len(rows) < 2:
        raise Skip("one epoch: nothing to choose")
    kept = min(rows, key=lambda e: e["val_loss"])["epoch"]  # first minimum: core/train.py keeps a strictly lower one
    best = (material.run or {}).get("best_epoch")
    if best is not None and best != kept:
        raise Skip(f"the run records epoch {best} as best, the table says {kept}")
    last = rows[-1]["epoch"]
    low_train = min(rows, key=lambda e: e["train_loss"])["epoch"]
    high_acc = max(rows, key=lambda e: e.get("val_accuracy") or 0.0)["epoch"]
    low = next(e for e in rows if e["epoch"] == kept)["val_loss"]
    correct = f"Epoch {kept}: it has the lowest validation loss"
    wrongs = [Wrong(f"Epoch {last}: the last epoch is the most trained", "last-epoch-kept",
                    "the run keeps the best epoch's weights, not the last ones"),
              Wrong(f"Epoch {low_train}: it has the lowest training loss", "train-loss-decides",
                    "training loss keeps falling as the model memorises; validation loss measures new text"),
              Wrong(f"Epoch {high_acc}: it has the highest validation accuracy", "accuracy-decides",
                    "the kept model is chosen by validation loss (how much probability the right word gets), "
                    "not top-1 accuracy"),
              Wrong(f"Epoch {rows[0]['epoch']}: later epochs only memorise", "first-epoch-kept",
                    "later epochs are kept whenever their validation loss is lower")]
    drops = [(a["train_loss"] - b["train_loss"], b["epoch"]) for a, b in zip(rows, rows[1:], strict=False)]
    gaps = [(abs(e["val_loss"] - e["train_loss"]), e["epoch"]) for e in rows]
    wrongs += [Wrong(f"Epoch {max(drops)[1]}: its training loss fell the most", "biggest-drop-decides",
                     "a big step in training loss says nothing about new text; the lowest validation loss decides"),
               Wrong(f"Epoch {min(gaps)[1]}: its training and validation losses are closest", "smallest-gap-decides",
                     "a small gap can also mean both are bad; the run keeps the lowest validation loss")]
    steps = ["Step 1: after every epoch the run measures the loss on validation text it never trains on.",
             f"Step 2: it saves the model whenever that loss is lower than before; the lowest is {low:.3f}.",
             f"Final answer: {correct}.",
             f"Quick check: the run records epoch {best if best is not None else kept} as its best."]
    return make_question(qid=qid, family="training", difficulty="easy",
                         text="Your run's epochs are shown. Which epoch's model does the run keep, and why?",
                         correct=correct, wrongs=wrongs, hint="Which loss measures text the model never trained on?",
                         solution=steps, rng=rng, is_true=lambda o: o.split(":")[0] == f"Epoch {kept}",
                         code=table(rows), given={"epochs": len(rows), "kept": kept, "val_loss": low})


# observe()'s first words → what they mean, with the epoch table's own thresholds (core/observe.py), so exactly
# one is true: "still learning" and "converging" both see validation loss fall, and only the size of the fall
# tells them apart. The tag is that of a learner who picks that meaning wrongly.
MEANINGS = {
    "validation": ("Overfitting: validation loss rose by more than 0.5 % while training loss fell", "overfit-misread"),
    "loss": ("Training is unstable: validation loss rose by more than 0.5 % and training loss did not fall; the "
             "learning rate may be too high", "rising-val-is-divergence"),
    "improving": ("It is still learning: validation loss fell by more than 1 %", "train-loss-decides"),
    "converging": ("It is converging: validation loss fell, but only by 0.2–1 %", "converging-misread"),
    "plateau": ("A plateau: validation loss fell by less than 0.2 % (or rose by at most 0.5 %)", "plateau-misread"),
}
# what a learner who picks that meaning believed
BELIEF = {
    "validation": "you read the change as overfitting",
    "loss": "you read the change as unstable training",
    "improving": "you read the change as clear progress",
    "converging": "you read the change as small but real progress",
    "plateau": "you read the change as no progress",
}


def _change(a: dict, b: dict, key: str) -> str:
    rel = 100 * (b[key] - a[key]) / a[key]
    return f"{'fell' if rel < 0 else 'rose'} by {abs(rel):.1f} %"


def _kind(observation: str) -> str:
    return observation.split()[0].rstrip(":")


def _trend_question(material: Material, rng: random.Random, qid: str) -> Question:
    rows = _rows(material)
    pairs = []
    for a, b in zip(rows, rows[1:], strict=False):
        prev = {**a, "val_accuracy": a.get("val_accuracy") or 0.0}
        cur = {**b, "val_accuracy": b.get("val_accuracy") or 0.0}
        kind = _kind(observe(prev, cur))
        if kind in MEANINGS:
            pairs.append((prev, cur, kind))
    if not pairs:
        raise Skip("fewer than two epochs")
    overfit = [p for p in pairs if p[2] == "validation"]  # the case, when the run has one
    a, b, kind = rng.choice(overfit or pairs)
    correct = MEANINGS[kind][0]
    facts = f"validation loss {_change(a, b, 'val_loss')} and training loss {_change(a, b, 'train_loss')}"
    wrongs = [Wrong(text, tag, f"{BELIEF[k]}, but {facts}: {MEANINGS[kind][0][0].lower()}{MEANINGS[kind][0][1:]}")
              for k, (text, tag) in MEANINGS.items() if k != kind]
    rng.shuffle(wrongs)
    t_dir = "fell" if b["train_loss"] < a["train_loss"] else "rose"
    v_dir = "fell" if b["val_loss"] < a["val_loss"] else "rose"
    text = (f"From epoch {a['epoch']} to {b['epoch']} the training loss {t_dir} ({a['train_loss']:.3f} → "
            f"{b['train_loss']:.3f}) and the validation loss {v_dir} ({a['val_loss']:.3f} → {b['val_loss']:.3f}). "
            "What does that mean?")
    steps = ["Step 1: training loss is measured on the text the model learns from; validation loss on text it "
             "never sees.",
             f"Step 2: {facts}; the epoch table calls a validation fall of more than 1 % learning, 0.2–1 % "
             "converging, less a plateau, and a rise of more than 0.5 % overfitting (or instability when training "
             "loss does not fall either).",
             f"Final answer: {correct}.",
             f"Quick check: the epoch table's observation for epoch {b['epoch']}: “{observe(a, b)}”."]
    return make_question(qid=qid, family="training", difficulty="medium", text=text, correct=correct,
                         wrongs=wrongs, hint="Trust the loss on text the model never trained on.", solution=steps,
                         rng=rng, is_true=lambda o: o == correct, code=table(rows),
                         given={"from": a["epoch"], "to": b["epoch"], "observation": observe(a, b)})


def _best(material: Material) -> dict:
    rows = _rows(material)
    return min(rows, key=lambda e: e["val_loss"])


def _perplexity_number(material: Material, rng: random.Random, qid: str) -> Question:
    e = _best(material)
    loss = float(e["val_loss"])
    ppl = math.exp(loss)
    stored = e.get("val_perplexity")
    if stored is not None and not math.isclose(stored, ppl, rel_tol=1e-3):
        raise Skip("the stored perplexity is not exp(validation loss)")

    def fmt(x: float) -> str:
        return f"about {x:,.1f} words"

    wrongs = [Wrong(fmt(2 ** loss), "bits-for-nats", "the loss is in nats (natural log): undo it with e^x, not 2^x"),
              Wrong(fmt(loss), "loss-is-perplexity", "the loss is the log of the perplexity"),
              Wrong(fmt(10 ** loss), "log10-for-ln", "cross-entropy uses the natural log: e^x, not 10^x"),
              Wrong(fmt(material.vocab_size * math.exp(-loss)), "perplexity-inverted",
                    "perplexity is e^loss itself, not V divided by it")]
    steps = ["Step 1: the validation loss is the mean of −ln p(right word), in nats.",
             f"Step 2: perplexity = e^loss = e^{loss:.3f}.",
             f"Final answer: {fmt(ppl)}: as unsure as a uniform choice among that many words.",
             f"Quick check: the run stored a validation perplexity of {stored if stored is not None else ppl:,.1f}."]
    return make_question(qid=qid, family="training", difficulty="hard",
                         text=f"Your best epoch ({e['epoch']}) has a validation loss of {loss:.3f} nats. Among how "
                         "many equally likely words is the model effectively choosing at each position?",
                         correct=fmt(ppl), wrongs=wrongs, hint="Perplexity undoes the logarithm in the loss.",
                         solution=steps, rng=rng, is_true=lambda o: o == fmt(ppl),
                         given={"epoch": e["epoch"], "val_loss": loss, "perplexity": ppl})


def _perplexity_meaning(material: Material, rng: random.Random, qid: str) -> Question:
    e = _best(material)
    ppl = math.exp(float(e["val_loss"]))
    acc = float(e.get("val_accuracy") or 0.0)
    p = f"{ppl:,.0f}"
    correct = f"It is as unsure as if it chose uniformly among about {p} words each time"
    wrongs = [Wrong(f"It predicts the next word right {p} % of the time", "perplexity-is-accuracy",
                    f"accuracy is a separate number: {acc:.1%} top-1 for this epoch"),
              Wrong(f"About {p} of its vocabulary's words were never seen in training", "perplexity-is-unk",
                    "perplexity measures uncertainty about the next word, not the vocabulary"),
              Wrong(f"Its loss is {p} nats", "perplexity-is-loss", f"the loss is ln({p}) ≈ {math.log(ppl):.2f} nats"),
              Wrong(f"It needs {p} epochs to learn the text", "perplexity-is-time", "perplexity is measured per "
                    "word, not a count of epochs")]

    def is_true(o: str) -> bool:
        if o.startswith("It predicts"):
            return f"{100 * acc:,.0f}" == p
        return o == correct

    steps = [f"Step 1: perplexity = e^(validation loss) = {ppl:,.1f}.",
             "Step 2: a model that spread its probability evenly over k words would have perplexity k.",
             f"Final answer: {correct}.",
             f"Quick check: its top-1 accuracy is {acc:.1%}, a different number."]
    return make_question(qid=qid, family="training", difficulty="easy",
                         text=f"Your best epoch ({e['epoch']}) has a validation perplexity of {p}. What does that "
                         "mean?", correct=correct, wrongs=wrongs, hint="Perplexity k = as unsure as k equal choices.",
                         solution=steps, rng=rng, is_true=is_true,
                         given={"epoch": e["epoch"], "perplexity": ppl, "val_accuracy": acc})


def variants() -> dict:
    return {"kept_epoch": ("easy", _kept_question), "trend": ("medium", _trend_question),
            "perplexity_number": ("hard", _perplexity_number), "perplexity_meaning": ("easy", _perplexity_meaning)}
