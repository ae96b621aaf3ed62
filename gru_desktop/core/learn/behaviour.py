"""Family `behaviour`: what the user's own model does. After a real prefix of their validation text (the same
draw as the training page's sample suggestions, core/samples.py), which word does it rank first — options from
its own ranking (core/predict.py's Predictor, never a reserved token) — which of these words is in its top 3,
and which part of the blend (design §11) weighs most for this run."""
from __future__ import annotations

import random

from ..samples import validation_prefixes
from .material import Material
from .question import Question, Skip, Wrong, make_question

DEPTH = 200  # how far down the ranking is read for distractors
MARGIN = 1e-3  # the first word must beat the second by this much probability (0.1 point) to be asked about


def _ranking(material: Material, rng: random.Random) -> tuple[str, list[tuple[str, float]], str]:
    """A validation prefix, the model's ranking after it (word, probability), and the word that really follows."""
    pred, ds = material.predictor, material.dataset
    if pred is None:
        raise Skip("no model")
    if ds is None:
        raise Skip("no corpus to draw a prefix from")
    prefixes = validation_prefixes(ds.corpus.words, ds.corpus.ids, ds.corpus.starts, ds.val_sentences,
                                   int(rng.randrange(2**31)), n=5)
    if not prefixes:
        raise Skip("no validation sentence long enough")
    prefix = rng.choice(prefixes)
    ranking = [(s.word, s.probability) for s in pred.suggest(prefix + " ", DEPTH)]
    if len(ranking) < 6:
        raise Skip("too few suggestable words")
    # The word that follows the prefix in the text: the prefix is a sentence start of k tokens.
    nxt = ""
    c = ds.corpus
    k = len(prefix.split())
    for s in ds.val_sentences.tolist():
        a, b = int(c.starts[s]), int(c.starts[s + 1])
        if b - a > k and " ".join(c.words[i] for i in c.ids[a:a + k].tolist()) == prefix:
            nxt = c.words[int(c.ids[a + k])]
            break
    return prefix, ranking, nxt


def _source(material: Material) -> str:
    pred = material.predictor
    assert pred is not None
    return {"blend": "your run's suggestions (the GRU blended with counts)", "gru": "your run's suggestions (its GRU)",
            "counts": "your run's suggestions (its counts)"}[pred.source]


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _first_question(material: Material, rng: random.Random, qid: str) -> Question:
    prefix, ranking, nxt = _ranking(material, rng)
    (w1, p1), (w2, p2) = ranking[0], ranking[1]
    if p1 - p2 < MARGIN:
        raise Skip("the top two are too close to call")
    rank = {w: i for i, (w, _) in enumerate(ranking)}
    wrongs = [Wrong(w2, "runner-up", f"“{w2}” is its second choice ({p2:.1%}), behind “{w1}” ({p1:.1%})")]
    if nxt and nxt in rank and rank[nxt] > 0:
        wrongs.append(Wrong(nxt, "text-continuation", f"“{nxt}” is what really follows in your text, but the model "
                            f"ranks it {ordinal(rank[nxt] + 1)} ({ranking[rank[nxt]][1]:.1%})"))
    w3, p3 = ranking[2]
    wrongs.append(Wrong(w3, "third-choice", f"“{w3}” is its third choice ({p3:.1%})"))
    far = ranking[min(len(ranking) - 1, 20 + rng.randrange(max(1, len(ranking) - 20)))]
    wrongs.append(Wrong(far[0], "unlikely-word", f"the model gives “{far[0]}” only {far[1]:.2%}"))
    top3 = ", ".join(f"{w} {p:.1%}" for w, p in ranking[:3])
    steps = [f"Step 1: the model reads <bos> {prefix} one word at a time, carrying its state.",
             "Step 2: the dense layer and softmax give a probability to every word; suggestions skip reserved tokens.",
             f"Final answer: “{w1}” ({p1:.1%}).",
             f"Quick check: its top 3 are {top3}" + (f"; the text continues with “{nxt}”." if nxt else ".")]
    return make_question(qid=qid, family="behaviour", difficulty="medium",
                         text=f"Predict, then reveal: after “{prefix} …” (from your validation text), which word "
                         f"comes first in {_source(material)}?", correct=w1, wrongs=wrongs,
                         hint="Think of what usually follows these words in your text.", solution=steps, rng=rng,
                         is_true=lambda w: w == w1,
                         given={"prefix": prefix, "top3": [[w, p] for w, p in ranking[:3]], "next_word": nxt,
                                "source": material.predictor.source if material.predictor else None})


def _top3_question(material: Material, rng: random.Random, qid: str) -> Question:
    prefix, ranking, nxt = _ranking(material, rng)
    if ranking[2][1] - ranking[3][1] < MARGIN:
        raise Skip("the third and fourth are too close to call")
    top3 = [w for w, _ in ranking[:3]]
    pick = rng.choice(top3)
    prob = dict(ranking)
    low = [w for w, _ in ranking[10:]]
    rng.shuffle(low)
    position = {w: i + 1 for i, (w, _) in enumerate(ranking)}
    wrongs = [Wrong(w, "outside-top3", f"the model ranks “{w}” {ordinal(position[w])} ({prob[w]:.2%})")
              for w in low[:6]]
    steps = [f"Step 1: the model reads <bos> {prefix} and scores every word.",
             "Step 2: the three highest, without reserved tokens, are the suggestions.",
             f"Final answer: “{pick}” ({prob[pick]:.1%}).",
             "Quick check: its top 3 are " + ", ".join(f"{w} {p:.1%}" for w, p in ranking[:3]) + "."]
    return make_question(qid=qid, family="behaviour", difficulty="easy",
                         text=f"After “{prefix} …” (from your validation text), which of these words is among the "
                         f"top 3 of {_source(material)}?", correct=pick, wrongs=wrongs,
                         hint="Which of them fits the words before it best?", solution=steps, rng=rng,
                         is_true=lambda w: w in top3, given={"prefix": prefix, "top3": top3})


PARTS = {"gru": "the GRU network", "counts": "the counts (Kneser–Ney trigram)",
         "cache": "the recency cache (words used earlier in the text)",
         "state": "the state cache (moments the GRU saw as alike)"}
PART_TAGS = {"gru": "gru-always-wins", "counts": "counts-are-minor", "cache": "cache-overrated",
             "state": "state-cache-overrated"}


def _blend_question(material: Material, rng: random.Random, qid: str) -> Question:
    pred = material.predictor
    weights = None
    if pred is not None and pred.blend is not None:
        weights = pred.blend.weights.to_dict()
    elif material.run and material.run.get("blend_weights"):
        weights = dict(material.run["blend_weights"])
    if not weights:
        raise Skip("the run has no fitted blend")
    weights = {k: float(weights.get(k) or 0.0) for k in PARTS}
    order = sorted(weights, key=lambda k: weights[k], reverse=True)
    top = order[0]
    if weights[top] - weights[order[1]] < 0.005:
        raise Skip("two parts weigh the same")
    shown = ", ".join(f"{PARTS[k].split(' (')[0]} {weights[k]:.2f}" for k in order)
    wrongs = [Wrong(PARTS[k][0].upper() + PARTS[k][1:], PART_TAGS[k], f"its fitted weight is {weights[k]:.2f}, less "
                    f"than {weights[top]:.2f}") for k in order[1:]]
    correct = PARTS[top][0].upper() + PARTS[top][1:]
    steps = ["Step 1: suggestions mix four parts: p = a·GRU + b·counts + c·cache + d·state cache.",
             "Step 2: the weights were fitted on your validation text to make the mixture's loss lowest.",
             f"Final answer: {correct} ({weights[top]:.2f}).",
             f"Quick check: the run's fitted weights: {shown}."]
    return make_question(qid=qid, family="behaviour", difficulty="hard",
                         text="Your run suggests with a fitted blend. Which part of it has the largest weight?",
                         correct=correct, wrongs=wrongs,
                         hint="The weights were fitted on your validation text: which part predicted it best?",
                         solution=steps, rng=rng, is_true=lambda o: o == correct, given={"weights": weights})


def variants() -> dict:
    return {"rank_first": ("medium", _first_question), "in_top3": ("easy", _top3_question),
            "blend_part": ("hard", _blend_question)}
