"""`bench --only adapt` (bench/adapt.py): does learning as you type pay, on text of another kind and on the training kind?

Two runs are trained briefly: one on WikiText-2 (the first `--adapt-train-words` words of train.txt,
pretokenized, case kept) and one on the bundled sample corpus (its first 80 % of lines; the default "words"
tokenizer, lowercased). Each then types documents of ~500 words one after another, every document in a fresh
box (a new Predictor: the recency and state caches start empty, as in a new sitting), with learning off and
on (the same personal counts and weight carried from one document to the next, as in one data folder):
- other kind: the WikiText-2 run types the bundled corpus (its last 20 %, then the first part again if more
  documents are asked for), the bundled-corpus run types WikiText-2 test text;
- training kind: the WikiText-2 run types WikiText-2 test text, the bundled-corpus run its held-out last 20 %.
Reported per direction: keystroke savings and perplexity (all tokens, `<unk>` included as one event — the
personal part's new words count there, lumped — and over in-vocabulary tokens alone) over the later documents (all but the first, when
something has been learned) with learning off and on, and the difference, plus the personal part's final
weight and verdict. `--adapt-sweep` adds variants of the personal counts (half-life, phrase sighting count)
on the other-kind directions: how the numbers in core/personal.py were chosen.
"""
from __future__ import annotations

import math
import re
import tempfile
import time
from collections import deque
from pathlib import Path

import numpy as np
import torch

from ..core.config import TrainConfig
from ..core.corpus import read_corpus
from ..core.data import build_dataset
from ..core.evaluate import fit_blend
from ..core.learner import Learner, word_cost
from ..core.model import GRULanguageModel
from ..core.personal import HALF_LIFE_WORDS, PHRASE_SEEN, PersonalCounts
from ..core.personal_view import PersonalPart
from ..core.predict import Predictor
from ..core.train import train
from ..core.vocab import UNK, split_sentences, tokenize_sentence

DOC_WORDS = 500
TARGETS = {"other_kind_gain_points": 3.0, "training_kind_loss_points": 0.2}
_WIKI_MARKS = re.compile(r" @(.)@ ")


def _sample_path() -> Path:
    return Path(__file__).resolve().parents[1] / "resources" / "sample_corpus.txt"


def _wiki_lines(path: Path, max_chars: int) -> list[str]:
    """WikiText paragraphs (headings and empty lines left out), `@-@` marks joined, `<unk>` dropped."""
    out = []
    with open(path, encoding="utf-8") as fh:
        text = fh.read(max_chars)
    for line in text.split("\n"):
        s = line.strip()
        if not s or s.startswith("="):
            continue
        out.append(_WIKI_MARKS.sub(r"\1", s).replace("<unk> ", "").replace(" <unk>", ""))
    return out


def _sentences(lines: list[str], source_tokenizer: str, cfg: TrainConfig) -> list[list[str]]:
    """Sentences of tokens as the run reads them. Wiki text into a "words" run: split and tokenized by it;
    bundled text into a pretokenized run: tokenized by the words tokenizer with case kept, a "." added (as
    WikiText writes sentence ends)."""
    out = []
    for line in lines:
        if cfg.tokenizer == "pretokenized":
            for s in split_sentences(line, "words"):
                toks = tokenize_sentence(s, "words", False)
                if toks:
                    out.append(toks + ["."])
        else:
            src = line if source_tokenizer == "words" else line.replace(" .", ".").replace(" ,", ",")
            for s in split_sentences(src, "words"):
                toks = tokenize_sentence(s, "words", cfg.lowercase)
                if toks:
                    out.append(toks)
    return out


def _documents(sentences: list[list[str]], n_docs: int) -> list[list[list[str]]]:
    docs: list[list[list[str]]] = [[]]
    words = 0
    for s in sentences:
        if words >= DOC_WORDS:
            if len(docs) == n_docs:
                break
            docs.append([])
            words = 0
        docs[-1].append(s)
        words += len(s)
    return docs[:n_docs]


def _render_end(cfg: TrainConfig) -> str:
    return "\n" if cfg.tokenizer == "pretokenized" else ". "


def type_document(pred: Predictor, doc: list[list[str]], learner: Learner | None) -> dict:
    """Type one document into a fresh box, word by word: −log p of every token, keys with and without."""
    vocab, end = pred.vocab, _render_end(pred.config)
    nll, n, keys, plain = 0.0, 0, 0, 0
    nll_known, n_known = 0.0, 0  # the same over tokens in the run's vocabulary (not lumped on <unk>)
    typed = ""
    for sentence in doc:
        for tok in sentence:
            probs, ctx = pred.probabilities(typed)
            p = probs.numpy().astype(np.float64)
            target = vocab.id(tok)
            lp = math.log(max(float(p[target]), 1e-300))
            nll -= lp
            n += 1
            if target != UNK:
                nll_known -= lp
                n_known += 1
            cost = word_cost(p, tok, vocab, pred.new_words(probs))
            if cost is not None:
                keys += cost
                plain += len(tok) + 1
            if learner is not None:
                learner.finished(pred, typed, tok)
            typed += tok + " "
        typed = typed[:-1] + end
    return {"nll": nll, "tokens": n, "keys": keys, "plain": plain, "nll_known": nll_known, "known": n_known}


def type_documents(model, vocab, cfg, blend, docs, part: PersonalPart | None) -> dict:
    learner = Learner(part) if part is not None else None
    per_doc = []
    for doc in docs:
        pred = Predictor(model, vocab, cfg, blend, "blend", personal=part)
        per_doc.append(type_document(pred, doc, learner))
    later = per_doc[1:] if len(per_doc) > 1 else per_doc
    nll, n = sum(d["nll"] for d in later), sum(d["tokens"] for d in later)
    keys, plain = sum(d["keys"] for d in later), sum(d["plain"] for d in later)
    nll_k, n_k = sum(d["nll_known"] for d in later), sum(d["known"] for d in later)
    out = {"keystroke_savings": 1 - keys / plain if plain else 0.0, "perplexity": math.exp(nll / max(n, 1)),
           "perplexity_in_vocabulary": math.exp(nll_k / max(n_k, 1)), "in_vocabulary_share": n_k / max(n, 1),
           "per_doc_savings": [round(1 - d["keys"] / d["plain"], 4) if d["plain"] else 0.0 for d in per_doc],
           "tokens": n}
    if part is not None:
        out["weight"] = round(part.weight.fitted, 4)
        out["verdict"] = part.weight.verdict()
        out["rows"] = len(part.counts.rows)
    return out


def _train_run(corpus_path: Path, cfg: TrainConfig, seconds: float):
    ds = build_dataset(read_corpus([corpus_path], cfg.tokenizer, cfg.lowercase), cfg)
    torch.manual_seed(0)
    model = GRULanguageModel.from_config(cfg, len(ds.vocab))
    for _ in train(model, ds.train, ds.val, cfg.replace(time_limit=seconds, epochs=50)):
        pass
    blend = fit_blend(model, ds.vocab, ds.corpus, ds.ids, ds.train_sentences, ds.val_sentences)
    return model, ds.vocab, blend


def _compare(model, vocab, cfg, blend, docs, variants: dict[str, dict]) -> dict:
    off = type_documents(model, vocab, cfg, blend, docs, None)
    row: dict = {"documents": len(docs), "off": off}
    for name, kw in variants.items():
        part = PersonalPart(PersonalCounts(**kw), vocab, cfg.lowercase)
        on = type_documents(model, vocab, cfg, blend, docs, part)
        row[name] = on
        row[f"{name}_gain_points"] = round(100 * (on["keystroke_savings"] - off["keystroke_savings"]), 2)
    return row


def run_adapt(data: Path, args) -> dict:
    n_docs = getattr(args, "adapt_docs", 6)
    seconds = getattr(args, "adapt_seconds", 40.0)
    train_words = getattr(args, "adapt_train_words", 200_000)
    t0 = time.perf_counter()
    sample_lines = [x for x in _sample_path().read_text(encoding="utf-8").splitlines() if x.strip()]
    cut = int(len(sample_lines) * 0.8)
    with tempfile.TemporaryDirectory() as tmp:
        wiki_train = Path(tmp) / "wiki.txt"
        wiki_train.write_text(_wiki_text(data / "train.txt", train_words), encoding="utf-8")
        sample_train = Path(tmp) / "sample.txt"
        sample_train.write_text("\n".join(sample_lines[:cut]) + "\n", encoding="utf-8")
        wiki_cfg = TrainConfig(tokenizer="pretokenized", lowercase=False, seed=0).validate()
        sample_cfg = TrainConfig(seed=0).validate()
        wiki = _train_run(wiki_train, wiki_cfg, seconds)
        sample = _train_run(sample_train, sample_cfg, seconds)
    wiki_test = _wiki_lines(data / "test.txt", 400_000)
    held_out = sample_lines[cut:] + sample_lines[:cut]  # the held-out part first; more documents go round
    variants = {"on": {}}
    sweep = {}
    if getattr(args, "adapt_sweep", False):
        sweep = {"on_half_life_2000": {"half_life": 2000}, "on_no_decay": {"half_life": math.inf},
                 "on_phrase_seen_2": {"phrase_seen": 2}, "on_phrase_seen_3": {"phrase_seen": 3}}
    out: dict = {"documents": n_docs, "doc_words": DOC_WORDS, "half_life_words": HALF_LIFE_WORDS,
                 "phrase_seen": PHRASE_SEEN, "train_seconds": seconds, "wiki_train_words": train_words}
    out["other_wiki_run_types_bundled"] = _compare(
        *wiki[:2], wiki_cfg, wiki[2], _documents(_sentences(held_out, "words", wiki_cfg), n_docs), {**variants, **sweep})
    out["other_bundled_run_types_wiki"] = _compare(
        *sample[:2], sample_cfg, sample[2], _documents(_sentences(wiki_test, "pretokenized", sample_cfg), n_docs),
        {**variants, **sweep})
    out["same_wiki_run_types_wiki"] = _compare(
        *wiki[:2], wiki_cfg, wiki[2], _documents(_sentences(wiki_test, "pretokenized", wiki_cfg), n_docs), variants)
    out["same_bundled_run_types_bundled"] = _compare(
        *sample[:2], sample_cfg, sample[2], _documents(_sentences(sample_lines[cut:], "words", sample_cfg), n_docs),
        variants)
    out["targets"] = TARGETS
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def _wiki_text(path: Path, words: int) -> str:
    """The first `words` words of a WikiText file, whole lines."""
    lines, n = [], 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            lines.append(line)
            n += len(line.split())
            if n >= words:
                break
    return "".join(lines)


def summary(res: dict) -> str:
    """One line per direction for the bench's text output."""
    parts = []
    for key, row in res.items():
        if isinstance(row, dict) and "off" in row:
            parts.append(f"{key}: savings {row['off']['keystroke_savings']:.1%} → {row['on']['keystroke_savings']:.1%} "
                         f"({row['on_gain_points']:+.2f} points), perplexity {row['off']['perplexity']:.1f} → "
                         f"{row['on']['perplexity']:.1f} (in-vocabulary words {row['off']['perplexity_in_vocabulary']:.1f} → "
                         f"{row['on']['perplexity_in_vocabulary']:.1f}), weight {row['on']['weight']}")
    return "\n".join(parts)


def latency_with_learning(model, vocab, cfg, blend, text: str, fill_text: str, keystrokes: int = 2000) -> dict:
    """`bench --only latency` with learning on: the personal counts first filled to their cap (MAX_ROWS) from
    `fill_text`, then `text` typed a key at a time in the Autocomplete page's order: each keystroke's
    suggestions (what the user waits for: `learning_*`), and at a finished word, after them, the page's
    deferred work (`word_end_learn_*`: `Learner.finished` — the held-out check and the learn — and the chips
    again with what was learned, which the page runs on the next turn of the event loop). Wall time, and the
    process's CPU time (`*_cpu_*`: what the work costs when other processes share the cores)."""
    from ..core.personal import MAX_ROWS

    counts = PersonalCounts()
    ctx: list[str] = []
    for tok in fill_text.split():
        counts.learn(ctx, tok)
        ctx = (ctx + [tok])[-2:]
        if len(counts.rows) >= MAX_ROWS and counts.tick > 3 * MAX_ROWS // 4:
            break
    part = PersonalPart(counts, vocab, cfg.lowercase)
    part.weight.fitted = 0.2
    part.view.sync()  # the full build happens in the page's load worker, not at a keystroke: not timed here
    learner = Learner(part)
    pred = Predictor(model, vocab, cfg, blend, "blend", personal=part)
    times, cpu, learn_times, learn_cpu = [], [], [], []
    typed = ""
    for ch in text:
        if len(times) >= keystrokes:
            break
        finished = ch.isspace() and typed and not typed[-1].isspace()
        before, _, word = typed.rpartition(" ")
        typed += ch
        t, c = time.perf_counter(), time.process_time()
        pred.suggest(typed, 3)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        if finished:  # the page's deferred work for the word just finished
            t, c = time.perf_counter(), time.process_time()
            learner.finished(pred, before + " " if before else "", word)
            pred.suggest(typed, 3)
            learn_times.append((time.perf_counter() - t) * 1000)
            learn_cpu.append((time.process_time() - c) * 1000)
    out = {"personal_rows": len(counts.rows)}
    for name, values in (("learning", times), ("learning_cpu", cpu), ("word_end_learn", learn_times),
                         ("word_end_learn_cpu", learn_cpu)):
        a = np.array(values or [0.0])
        out.update({f"{name}_p50_ms": float(np.percentile(a, 50)), f"{name}_p99_ms": float(np.percentile(a, 99)),
                    f"{name}_max_ms": float(a.max())})
    return out


def threshold_table(model, vocab, cfg, blend, docs: list[list[list[str]]]) -> list[dict]:
    """`bench --only typing`: what "show suggestions only when at least p" does, over a range of p, on these
    documents (each in a fresh box): keystroke savings, suggestions accepted and wrong suggestions shown per
    100 words, and the time saved per 100 words (core/time_saved.py) at an average typist's keystroke
    (KLM 0.28 s) and at a slow one (1.0 s)."""
    from ..core.learner import THRESHOLDS
    from ..core.time_saved import KLM_K_AVERAGE_S, time_saved

    learner = Learner(None)
    learner.recent = deque(maxlen=10**9)
    for doc in docs:
        pred = Predictor(model, vocab, cfg, blend, "blend")
        type_document(pred, doc, learner)
    rows = []
    for thr in THRESHOLDS:
        t = learner.typing_numbers(thr)
        words = max(t["words"], 1)
        row = {"threshold": thr, "keystroke_savings": 1 - t["keys"] / max(t["plain"], 1),
               "accepted_per_100_words": 100 * t["accepted"] / words, "wrong_shown_per_100_words": 100 * t["wrong"] / words,
               "words": t["words"]}
        for label, k in (("average", KLM_K_AVERAGE_S), ("slow", 1.0)):
            row[f"seconds_saved_per_100_words_{label}_typist"] = time_saved(
                t["words"], t["plain"], t["keys"], t["accepted"], k)["seconds_per_100_words"]
        rows.append(row)
    return rows


def typing_thresholds(home: Path, data: Path, n_docs: int = 4) -> list[dict]:
    """The threshold table for the latest run of `home` (the typing bench's), on WikiText-2 test documents."""
    from ..jobs import blends, runs

    _, db = runs.open_store(home, write=False)
    run, loaded = runs.load_run_model(db, "latest")
    state = blends.ensure_blend(db, run, loaded)
    docs = _documents(_sentences(_wiki_lines(data / "test.txt", 200_000), "pretokenized", loaded.config), n_docs)
    return threshold_table(loaded.model, loaded.vocab, loaded.config, state.blend, docs)
