"""Learn (design §15): for every family, over 200 random configurations (sizes, batch_first, layers, tied or
not), the keyed option equals an independent computation — formulas, not the modules the generators run —
and exactly one option is true."""
from __future__ import annotations

import functools
import math
import random
import re
from collections import Counter

import pytest
import torch
from torch import nn

from learn_helpers import configs, exactly_one, generate, material, read, variants, write_corpus  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """The modules here are tiny (b ≤ 48, sizes ≤ 24): torch's thread pool only costs time, and on a busy
    2-core CI machine a lot of it (a (4, 14, 24) GRU forward took 65 ms with the default threads, 2 ms with one)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return read(write_corpus(tmp_path_factory.mktemp("learn")))


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(s) for s in text.strip("()").split(",") if s.strip())


def expected_shape(g: dict) -> tuple[int, ...]:
    B, L, E, H, n, V, bf = (g[k] for k in ("batch", "seq_len", "embed", "hidden", "layers", "vocab", "batch_first"))
    lead = (B, L) if bf else (L, B)
    return {"padded_ids": lead, "embedding_out": (*lead, E), "gru_output": (*lead, H), "h_n": (n, B, H),
            "logits": (B, V)}[g["tensor"]]


def test_shapes(corpus):
    seen: Counter = Counter()
    for k, cfg in enumerate(configs(1)):
        mat = material(corpus, cfg)
        for v in variants("shapes"):
            q = generate(mat, "shapes", v, k)
            if q is None:
                continue
            g = q.given
            assert (g["embed"], g["hidden"], g["layers"], g["vocab"]) == (cfg.embed_dim, cfg.hidden_size, cfg.layers,
                                                                          len(mat.dataset.vocab))
            truth = expected_shape(g)
            exactly_one(q, [_shape(o) == truth for o in q.options])
            seen[(v, g["batch_first"])] += 1
    assert len(seen) == 10 and min(seen.values()) > 40, seen  # every tensor, with and without batch_first


def test_parameters(corpus):
    seen: Counter = Counter()
    for k, cfg in enumerate(configs(2)):
        mat = material(corpus, cfg)
        V, E, H, n = len(mat.dataset.vocab), cfg.embed_dim, cfg.hidden_size, cfg.layers
        gru = sum(3 * H * ((E if layer == 0 else H) + H + 2) for layer in range(n))
        dense = H * E + V if cfg.tie_weights else H * V + V
        want = {"embedding": V * E, "gru": gru, "dense": dense, "total": V * E + gru + dense}
        for v in variants("parameters"):
            q = generate(mat, "parameters", v, k)
            if q is None:
                continue
            w = want[v]
            exactly_one(q, [int(o.replace(",", "")) == w for o in q.options])
            seen[v] += 1
    assert min(seen.values()) > 150, seen


LINE = re.compile(r"nn\.(GRU|Embedding|Linear)\((\d+), (\d+)(.*)\)$")


def _layer_true(option: str, layer: str, V: int, E: int, H: int, n: int, tied: bool) -> bool:
    m = LINE.match(option)
    assert m, option
    kind, a, b, rest = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
    if layer == "gru":
        return kind == "GRU" and (a, b) == (E, H) and rest == f", num_layers={n}, batch_first=True"
    if layer == "embedding":
        return kind == "Embedding" and (a, b) == (V, E) and rest == ", padding_idx=0"
    if tied:
        return kind == "Linear" and (a, b) == (H, E) and rest == ", bias=False"
    return kind == "Linear" and (a, b) == (H, V) and rest in ("", ", bias=True")


REASON_ERRORS = {"given batch first": "Expected hidden size", "the embedding gives E": "cannot be multiplied",
                 "not floats": "Long, Int", "below V": "out of range", "not the integer ids": "dtype",
                 "here it is L": "input_size", "given 2-D": "3-D"}


@functools.lru_cache(maxsize=4)
def _setup(setup: str) -> dict:
    ns = {"torch": torch, "nn": nn}
    exec(setup, ns)
    return ns


@functools.lru_cache(maxsize=64)
def _compiled(line: str):
    return compile(line, "<line>", "eval")


def _raises(setup: str, line: str) -> str | None:
    ns = dict(_setup(setup))
    try:
        eval(_compiled(line), ns)
    except Exception as exc:  # noqa: BLE001
        return str(exc)
    return None


def test_code(corpus):
    seen: Counter = Counter()
    for k, cfg in enumerate(configs(3)):
        mat = material(corpus, cfg)
        V, E, H, n = len(mat.dataset.vocab), cfg.embed_dim, cfg.hidden_size, cfg.layers
        for v in variants("code"):
            q = generate(mat, "code", v, k)
            if q is None:
                continue
            seen[v] += 1
            if v.endswith("_line"):
                layer = v[:-5]
                exactly_one(q, [_layer_true(o, layer, V, E, H, n, cfg.tie_weights) for o in q.options])
            elif v == "fails":
                s = q.code
                exactly_one(q, [_raises(s, o) is not None for o in q.options])
                assert q.given["error"].split(": ", 1)[1][:40] in _raises(q.code, q.options[q.answer])
            else:
                error = _raises(q.code, q.given["line"])
                assert error is not None
                e = error
                exactly_one(q, [any(key in o and pat in e for key, pat in REASON_ERRORS.items()) for o in q.options])
    assert min(seen.values()) > 150, seen


def test_padding(corpus):
    from gru_desktop.core.vocab import PAD

    seen: Counter = Counter()
    for k, cfg in enumerate(configs(4)):
        mat = material(corpus, cfg)
        ds, L = mat.dataset, cfg.seq_len
        train_lengths = Counter(ds.corpus.sentence_lengths()[ds.train_sentences].tolist())
        for v in variants("padding"):
            q = generate(mat, "padding", v, k)
            if q is None:
                continue
            seen[v] += 1
            g = q.given
            words = g["sentence_words"]
            assert not Counter(words) - train_lengths  # real training sentences
            real = [min(n, L) for n in words]  # each window is its sentence's first L words
            assert real == g["lengths"]
            _, targets, _ = ds.train.rows(g["windows"])
            assert int((targets == PAD).sum()) == len(words) * L - sum(real)
            if v.startswith("pad_"):
                want = len(words) * L - sum(real)
                exactly_one(q, [int(o) == want for o in q.options])
            elif v == "packed_step":
                want = sum(n >= g["t"] for n in real)
                exactly_one(q, [int(o) == want for o in q.options])
            else:
                want = sum(real)
                exactly_one(q, [int(o.split(":")[0]) == want and "packing" in o for o in q.options])
    assert min(seen.values()) > 100, seen


def test_vocabulary(corpus):
    seen: Counter = Counter()
    for k, cfg in enumerate(configs(5)):
        mat = material(corpus, cfg)
        ds = mat.dataset
        V, kept = len(ds.vocab), set(ds.vocab.itos)
        counts = dict(zip(ds.corpus.words, ds.corpus.counts.tolist(), strict=True))
        total = sum(counts.values())
        unk = sum(c for w, c in counts.items() if w not in kept)
        for v in variants("vocabulary"):
            q = generate(mat, "vocabulary", v, k)
            if q is None:
                continue
            seen[v] += 1
            if v == "unk_share":
                exactly_one(q, [o == f"{100 * unk / total:.1f} %" for o in q.options])
            elif v == "once_word":
                word = q.given["word"]
                assert counts[word] == 1
                w = word
                exactly_one(q, [("own id" in o) == (w in kept) and "<pad>" not in o
                            and "removed" not in o for o in q.options])
            elif v == "dense_size":
                assert all(o == f"{int(o.replace(',', '')):,}" for o in q.options)  # written as V is: 1,276
                exactly_one(q, [int(o.replace(",", "")) == V for o in q.options])
            else:
                want = (V, cfg.embed_dim if cfg.tie_weights else cfg.hidden_size)
                exactly_one(q, [_shape(o) == want for o in q.options])
    assert min(seen.values()) > 150, seen


def _epochs(rng: random.Random) -> list[dict]:
    rows, train, val = [], rng.uniform(4, 7), rng.uniform(4, 7)
    for e in range(1, rng.randint(2, 8) + 1):
        train *= rng.uniform(0.8, 1.02)
        val *= rng.uniform(0.9, 1.08)
        rows.append({"epoch": e, "train_loss": train, "val_loss": val, "val_accuracy": rng.uniform(0.05, 0.4),
                     "val_perplexity": math.exp(val)})
    return rows


def _trend(a: dict, b: dict) -> str:
    """The epoch table's rule, written out again: relative change of validation loss, then training loss."""
    rel = (a["val_loss"] - b["val_loss"]) / a["val_loss"]
    if rel < -0.005:
        return "Overfitting" if b["train_loss"] < a["train_loss"] else "Training is unstable"
    if rel > 0.01:
        return "It is still learning"
    return "It is converging" if rel > 0.002 else "A plateau"


def test_training(corpus):
    rng = random.Random(6)
    seen: Counter = Counter()
    for k, cfg in enumerate(configs(6)):
        rows = _epochs(rng)
        best = min(range(len(rows)), key=lambda i: (rows[i]["val_loss"], i))
        mat = material(corpus, cfg, epochs=rows, run={"id": 1, "best_epoch": rows[best]["epoch"]})
        for v in variants("training"):
            q = generate(mat, "training", v, k)
            if q is None:
                continue
            seen[v] += 1
            if v == "kept_epoch":
                exactly_one(q, [o.startswith(f"Epoch {rows[best]['epoch']}:") for o in q.options])
            elif v == "trend":
                a, b = rows[q.given["from"] - 1], rows[q.given["to"] - 1]
                want = _trend(a, b)
                exactly_one(q, [o.startswith(want) for o in q.options])
            elif v == "perplexity_number":
                exactly_one(q, [o == f"about {math.exp(rows[best]['val_loss']):,.1f} words" for o in q.options])
            else:
                exactly_one(q, [o.startswith("It is as unsure") and f"{math.exp(rows[best]['val_loss']):,.0f}" in o for o in q.options])
    assert min(seen.values()) > 150, seen


def test_behaviour(corpus):
    seen: Counter = Counter()
    for k, cfg in enumerate(configs(7, n=200)):
        weights = dict(zip(("gru", "counts", "cache", "state"), random.Random(k).sample([0.5, 0.3, 0.15, 0.05], 4), strict=True))
        mat = material(corpus, cfg, model=True, run={"id": 1, "blend_weights": weights})
        model, vocab = mat.predictor.model, mat.predictor.vocab
        for v in variants("behaviour"):
            q = generate(mat, "behaviour", v, k)
            if q is None:
                continue
            seen[v] += 1
            if v == "blend_part":
                top = max(weights, key=weights.get)
                exactly_one(q, [o.lower().startswith({"gru": "the gru", "counts": "the counts",
                                                                        "cache": "the recency", "state": "the state"}[top]) for o in q.options])
                # the hint steers to no part: "counts are hard to beat" misled whenever another part won
                assert not any(w in q.hint.lower() for w in ("count", "cache", "gru")), q.hint
                continue
            # Independently: the whole prefix at once through model.run (not the predictor's step by step).
            ids = [2] + vocab.encode(q.given["prefix"].split())
            _, logits, _ = model.run(ids, None)
            p = torch.softmax(logits, 0).masked_fill(torch.from_numpy(~vocab.suggestable), -1.0)
            order = p.argsort(descending=True).tolist()
            if v == "rank_first":
                best = float(p.max())
                exactly_one(q, [abs(float(p[vocab.stoi[o]]) - best) < 1e-5 for o in q.options])
            else:
                top3 = {vocab.itos[i] for i in order[:3]}
                exactly_one(q, [o in top3 for o in q.options])
    assert min(seen.values()) > 120, seen


def test_concepts(corpus):
    seen: Counter = Counter()
    for k, cfg in enumerate(configs(8, n=50)):
        mat = material(corpus, cfg)
        E, H = cfg.embed_dim, cfg.hidden_size
        for v in variants("concepts"):
            q = generate(mat, "concepts", v, k)
            if q is None:
                continue
            seen[v] += 1
            if v == "update_gate":
                exactly_one(q, ["unchanged" in o for o in q.options])
            elif v == "reset_gate":
                exactly_one(q, ["input alone" in o for o in q.options])
            elif v == "why_gru":
                gru, rnn = 3 * H * (E + H + 2), H * (E + H + 2)
                assert q.given["gru"] == gru and q.given["rnn"] == rnn
                exactly_one(q, ["gates let it keep" in o and f"{gru // rnn}×" in o for o in q.options])
            else:
                exactly_one(q, [o.startswith("3:") for o in q.options])
    assert min(seen.values()) == 50, seen


H0_LAYOUT = {"torch.zeros(b, n, H)": "(batch, num_layers, H)", "torch.zeros(b, H)": "(batch, H)"}


def test_code_why_h0_reasons_describe_the_given_h0(corpus):
    """'h_0 must be (num_layers, batch, H)' is true of every wrong h_0, so it cannot be a wrong option: each h_0
    reason names the layout it was given, and only the line's own layout is offered as true."""
    seen = 0
    for k, cfg in enumerate(configs(3, 60)):
        mat = material(corpus, cfg)
        q = generate(mat, "code", "why", k)
        if q is None or not any(s in q.given["line"] for s in H0_LAYOUT):
            continue
        seen += 1
        own = next(v for s, v in H0_LAYOUT.items() if s in q.given["line"])
        about_h0 = [i for i, o in enumerate(q.options) if "h_0" in o]
        assert q.answer in about_h0
        for i in about_h0:
            named = re.search(r"h_0 was given [^,]*, (\([^)]*\))", q.options[i])
            assert named, q.options[i]
            assert (named.group(1) == own) == (i == q.answer), (q.options, own)
    assert seen > 5


def test_training_trend_options_carry_the_thresholds(corpus):
    """Validation loss falling by 0.9 % is 'converging'; 'still learning: it does better on new text' was also
    true of it. Each meaning states its threshold, and each wrong option's explanation gives the real change."""
    cfg = configs(6, 1)[0]
    rows = [{"epoch": 1, "train_loss": 6.0, "val_loss": 5.529, "val_accuracy": 0.1, "val_perplexity": 250.0},
            {"epoch": 2, "train_loss": 5.8, "val_loss": 5.480, "val_accuracy": 0.1, "val_perplexity": 240.0}]
    mat = material(corpus, cfg, epochs=rows, run={"id": 1, "best_epoch": 2})
    q = generate(mat, "training", "trend", 1)
    assert q.options[q.answer].startswith("It is converging") and "0.2–1 %" in q.options[q.answer]
    learning = next(o for o in q.options if o.startswith("It is still learning"))
    assert "more than 1 %" in learning
    for m in q.mistakes:
        assert "fell by 0.9 %" in m.explanation, m.explanation


def test_vocabulary_counts_are_written_as_V_is():
    """V is shown as 1,276; its options must read the same way, not 1276 beside 1,273."""
    from gru_desktop.core.config import TrainConfig
    from gru_desktop.core.corpus import SAMPLE_CORPUS, read_corpus

    mat = material(read_corpus([SAMPLE_CORPUS]), TrainConfig())
    assert mat.vocab_size >= 1000
    q = generate(mat, "vocabulary", "dense_size", 0)
    assert f"{mat.vocab_size:,}" in q.options[q.answer]
    assert all(o == f"{int(o.replace(',', '')):,}" for o in q.options), q.options


def test_h_n_batch_first_mistake_fits_the_layout_asked(corpus):
    """With batch_first=False, choosing (B, n, H) did not come from believing batch_first moves h_n's batch axis
    (it is False): the explanation says what such a choice believed under the setting asked."""
    cfgs = configs(1, 40)
    for k, cfg in enumerate(cfgs):
        q = generate(material(corpus, cfg), "shapes", "h_n", k)
        if q is None:
            continue
        for m in q.mistakes:
            if m.misconception == "h_n-batch-first" and not q.given["batch_first"]:
                assert "batch_first does not apply" not in m.explanation and "either setting" in m.explanation
                return
    raise AssertionError("no h_n question with batch_first=False and that mistake")
