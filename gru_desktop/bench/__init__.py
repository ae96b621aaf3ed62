"""`python -m gru_desktop bench`: measure the budgets of design §10 on WikiText-2.

Parts (all by default, or pick with --only):
- throughput: training tokens/s of the default model (L 10, E 50, H 64, V 5000), steps 20..220 of an epoch;
- tutorial: the same model trained the tutorial way (every prefix its own padded sequence), tokens/s;
- quality: train the default model for --quality-seconds (480) and score the kept model on valid and test;
- latency: keystroke → suggestions, p50/p99 over 2,000 keystrokes of test text, one word at a time; also with
  learning as you type on (its counts filled to the cap first), and what a finished word's learning costs;
- memory: peak memory reading a generated 100 MB corpus (in a child process), as a multiple of the file size;
- startup: the window's first paint after `python main.py`, median of 5 launches;
- typing: keystroke → suggestions in the real autocomplete box (2,000 key events of test text, model trained 30 s);
  then, for "show suggestions only when at least p" over a range of p: keystroke savings, wrong suggestions shown
  and time saved per 100 words on test documents (bench/adapt.py threshold_table);
- gui: a 10 ms QTimer's lateness (p50/p99/max) in the real window while it trains on WikiText-2 (--gui-seconds);
- adapt: learning as you type (bench/adapt.py): runs trained on one kind of text type documents of another kind
  and of their own kind, each in a fresh box, learning off and on; keystroke savings and perplexity;
- journey: the same timer over a scripted new user's whole journey (bench/journey.py): launch, load a small corpus,
  train 10 short epochs, the run's end, switching pages, Autocomplete, typing; then a folder of 1,000 runs:
  Runs page, filter, ten selected, select all. Every tick later than 50 ms is charged to its step.
- sizes: Epochs auto under a short budget (--sizes-budget) on ~10 k … 2 M words of WikiText-2 and on the bundled
  sample: validation perplexity and top-3 of the GRU, the counts and the blend (not part of the default set);
- scale (design §12): (a) tokens/s of one process × 2 threads against `train --processes 2` × 1 thread (torchrun,
  gloo) on WikiText-2; (b) a whole run on a generated 1 GB corpus, the first time (reading and caching it) and
  the second (token cache hit): read, train 60 s (the time limit), validate, and the run's end (baseline,
  blend); its peak RSS (VmHWM) overall and per phase, tokens/s; (c) time to get a 100 MB corpus the second
  time (cache hit); (d) part b's two whole runs on real text: a file (--scale-text, default WikiText-2's
  train.txt) repeated --scale-repeat times (100: 1.08 GB), whose many distinct words and short sentences cost
  more per byte than the generated text. Not part of the default set: it takes tens of minutes (reading 1 GB
  once). --scale-parts a,c skips the 1 GB parts; --scale-mb 30,100 measures smaller generated corpora
  instead, --scale-repeat 10 a smaller real one; --scale-seconds the time limit.
The WikiText files are read with the "pretokenized" tokenizer and case kept, so the numbers compare with
PyTorch's word_language_model example on the same tokens (vocabulary capped at 5,000, <unk> counted).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..core.config import TrainConfig, auto_lr
from ..core.corpus import read_corpus
from ..core.data import build_dataset
from ..core.evaluate import evaluate_parts, fit_blend
from ..core.model import GRULanguageModel
from ..core.predict import Predictor
from ..core.train import StepResult, TrainingDone, train
from .bytecode import ensure_bytecode

BUDGETS = {"tokens_per_s": 41_000, "perplexity": 46.0, "top3": 0.485, "keystroke_savings": 0.50,
           "latency_p99_ms": 5.0, "blend_latency_p99_ms": 1.0, "memory_ratio": 4.0,
           "first_paint_s": 0.5, "timer_p99_ms": 10.0, "timer_max_ms": 50.0}


def run_bench(args) -> int:
    data = Path(args.data) if args.data else Path(__file__).resolve().parents[2] / "shared" / "data" / "wikitext-2"
    parts = args.only or ["throughput", "tutorial", "latency", "typing", "memory", "startup", "gui", "quality"]
    if "scale" in parts:
        results = {"scale": _scale(data, args)}
        _say(args, "scale", results["scale"])
        if args.json:
            print(json.dumps(results))
        return 0
    if any(p not in ("memory", "startup", "journey", "serve") for p in parts) and not (data / "train.txt").is_file():
        print(f"error: WikiText-2 not found in {data}; pass --data DIR", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = TrainConfig(tokenizer="pretokenized", lowercase=False, batch_size=args.batch_size, lr=args.lr,
                      precision=args.precision, schedule=getattr(args, "schedule", "plateau"), threads=args.threads,
                      tie_weights=not getattr(args, "untied", False)).validate()
    results: dict = {"threads": torch.get_num_threads(), "config": cfg.to_dict()}
    ds = build_dataset(read_corpus([data / "train.txt"], cfg.tokenizer, cfg.lowercase), cfg) if set(parts) - {"memory", "startup", "gui", "sizes", "journey", "serve", "adapt"} else None
    for part in parts:
        fn = {"throughput": _throughput, "tutorial": _tutorial, "latency": _latency, "memory": _memory, "quality": _quality,
              "startup": _startup, "gui": _gui, "typing": _typing, "sizes": _sizes,
              "journey": _journey, "serve": _serve, "adapt": _adapt}[part]
        results[part] = fn(ds, cfg, args, data)
        _say(args, part, results[part])
    if args.json:
        print(json.dumps(results))
    return 0


def _adapt(ds, cfg, args, data) -> dict:
    from .adapt import run_adapt

    return run_adapt(data, args)


def _say(args, part, res):
    if not args.json and part == "adapt":
        from .adapt import summary

        print(summary(res), flush=True)
        return
    if not args.json and part != "sizes":
        print(f"{part:>10}: " + ", ".join(f"{k} {v:,.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in res.items()), flush=True)


def _startup(ds, cfg, args, data) -> dict:
    ensure_bytecode()  # as a user's launches find it (bench/bytecode.py)
    from .measure import first_paint

    return first_paint(5)


def _typing(ds, cfg, args, data) -> dict:
    from ..jobs import runs
    from .measure import typing_latency

    with tempfile.TemporaryDirectory() as home:
        for _ in runs.train_run(ds, cfg.replace(time_limit=30.0, epochs=1), home=home, name="typing bench"):
            pass
        text = (data / "test.txt").read_text(encoding="utf-8")[:20_000]
        out = typing_latency(Path(home), text)
        from .adapt import typing_thresholds  # "show suggestions only when at least p", p over a range

        out["thresholds"] = typing_thresholds(Path(home), data)
        return out


def _gui(ds, cfg, args, data) -> dict:
    ensure_bytecode()  # as a user's launches find it (bench/bytecode.py)
    # A fresh process configured as the app is (OMP_WAIT_POLICY, GIL switch interval are read at start-up).
    env = {**os.environ}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = subprocess.run([sys.executable, "-m", "gru_desktop.bench.measure", str(data / "train.txt"),
                          str(getattr(args, "gui_seconds", 20.0)), str(args.threads)],
                         capture_output=True, text=True, env=env, timeout=600)
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        return {"error": (out.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


def _journey(ds, cfg, args, data) -> dict:
    """bench/journey.py in a fresh process configured as the app is (it compiles the app's bytecode first,
    bench/bytecode.py); its JSON report."""
    env = {**os.environ, "GRU_JOURNEY_RUNS": str(getattr(args, "journey_runs", 1000))}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = subprocess.run([sys.executable, "-m", "gru_desktop.bench.journey", *(getattr(args, "journey_corpus", None) or [])],
                         capture_output=True, text=True, env=env, timeout=1800)
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        return {"error": (out.stderr.strip().splitlines() or ["no output"])[-1]}
    res = json.loads(lines[-1])
    res["budget"] = {"p99_ms": BUDGETS["timer_p99_ms"], "max_ms": BUDGETS["timer_max_ms"]}
    return res


def _serve(ds, cfg, args, data) -> dict:
    """serve/bench_serve.py: /v1/suggest from 4 clients (closed loop, the budget's figure; and paced at a fast
    typist's rate, `http_paced_*`; and the same clients against a server that does nothing, `http_floor_*`: the
    machine's own floor) and LSP completion, p50/p99 (its own small run)."""
    from ..serve.bench_serve import serve_latency

    res = serve_latency()
    return {f"{side}_{k}": v for side in ("http", "http_paced", "http_floor", "lsp") for k, v in res.get(side, {}).items()} | (
        {"error": res["error"]} if "error" in res else {})


def _throughput(ds, cfg, args, data, steps=(20, 220)) -> dict:
    torch.manual_seed(0)
    model = GRULanguageModel.from_config(cfg, len(ds.vocab))
    t0 = n0 = None
    for ev in train(model, ds.train, ds.val, cfg):
        if isinstance(ev, StepResult):
            if ev.step == steps[0]:
                t0, n0 = time.perf_counter(), ev.tokens
            elif ev.step == steps[1]:
                tps = (ev.tokens - n0) / (time.perf_counter() - t0)
                return {"tokens_per_s": tps, "budget": BUDGETS["tokens_per_s"], "batch_size": cfg.batch_size}
    raise RuntimeError("epoch too short to measure")


def _tutorial(ds, cfg, args, data, steps=(5, 45)) -> dict:
    """The tutorial way: each prefix of each window its own sequence of length L, predicting one word."""
    torch.manual_seed(0)
    model = GRULanguageModel.from_config(cfg, len(ds.vocab))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr or auto_lr(ds.train.n_tokens))
    L = cfg.seq_len
    inputs, targets, lengths = ds.train.inputs, ds.train.targets, ds.train.lengths
    rows = cfg.batch_size  # the same number of sequences per batch as ours
    n_done, t0 = 0, None
    for step in range(steps[1]):
        if step == steps[0]:
            t0, n_done = time.perf_counter(), 0
        w = torch.randint(0, inputs.shape[0], (rows,))
        k = torch.minimum(torch.randint(1, L + 1, (rows,)), lengths[w])  # prefix length
        x = inputs[w] * (torch.arange(L)[None, :] < k[:, None])  # (rows, L) prefix, zeros after
        y = targets[w, k - 1]  # the one next word
        out, _ = model.gru(model.embedding(x))  # (rows, L, H): the whole padded sequence, as tutorials do
        logits = model.dense(out[torch.arange(rows), k - 1])
        loss = F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        n_done += rows
    tps = n_done / (time.perf_counter() - t0)
    return {"tokens_per_s": tps}


def _quality(ds, cfg, args, data) -> dict:
    """Train for --quality-seconds, fit the blend on the training split's validation sentences (as every run
    does), then score the blend — what suggests — and its parts on valid.txt and test.txt."""
    c = cfg.replace(epochs=1000, time_limit=args.quality_seconds, patience=0).resolved(ds.train.n_tokens)
    torch.manual_seed(0)
    model = GRULanguageModel.from_config(c, len(ds.vocab))
    epochs = 0
    for ev in train(model, ds.train, ds.val, c):
        if isinstance(ev, TrainingDone):
            epochs = ev.best_epoch
    t = time.perf_counter()
    blend = fit_blend(model, ds.vocab, ds.corpus, ds.ids, ds.train_sentences, ds.val_sentences)
    out = {"seconds": args.quality_seconds, "best_epoch": epochs, "blend_fit_s": time.perf_counter() - t,
           "lambda": blend.weights.lam, "w_gru": blend.weights.gru, "w_counts": blend.weights.counts,
           "w_cache": blend.weights.cache, "w_state": blend.weights.state, "theta": blend.theta}
    for split in ("valid", "test"):
        parts = evaluate_parts(model, ds.vocab, c, read_corpus([data / f"{split}.txt"], c.tokenizer, c.lowercase),
                               blend=blend)
        for source, rep in parts.items():
            key = split if source == "blend" else f"{split}_{source}"
            out.update({f"{key}_perplexity": rep.perplexity, f"{key}_top1": rep.top1, f"{key}_top3": rep.top3,
                        f"{key}_keystroke_savings": rep.keystroke_savings})
    return out


def _sizes(ds, cfg, args, data) -> dict:
    """Default settings with Epochs auto under a short budget (--sizes-budget) on corpora of ~10 k … 2 M words
    (the first lines of WikiText-2's train.txt, pretokenized) and on the bundled sample: the validation
    perplexity and top-3 of the GRU, the counts and the fitted blend, on the same positions."""
    from ..core.corpus import SAMPLE_CORPUS

    base = TrainConfig(tokenizer="pretokenized", lowercase=False, threads=args.threads,
                       budget=args.sizes_budget).validate()
    lines = (data / "train.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for words in args.sizes:
            path = Path(tmp) / f"wt2-{words}.txt"
            with open(path, "w", encoding="utf-8") as fh:
                n = 0
                for line in lines:
                    fh.write(line)
                    n += len(line.split())
                    if n >= words:
                        break
            rows.append(_size_row(f"WikiText-2 {n / 1000:,.0f} k", [path], base))
        rows.append(_size_row("bundled sample", [SAMPLE_CORPUS], TrainConfig(budget=args.sizes_budget,
                                                                             threads=args.threads).validate()))
    if not args.json:
        print(f"{'corpus':>22} {'words':>9} {'epochs':>6} {'s':>5}  {'GRU ppl':>8} {'counts':>8} {'blend':>8}"
              f"  {'GRU top3':>8} {'counts':>7} {'blend':>7}  {'λ':>5} {'cache':>5} {'drop':>5}")
        for r in rows:
            print(f"{r['corpus']:>22} {r['words']:>9,} {r['epochs']:>6} {r['seconds']:>5.0f}  {r['gru_perplexity']:>8.1f} "
                  f"{r['counts_perplexity']:>8.1f} {r['blend_perplexity']:>8.1f}  {r['gru_top3']:>8.1%} "
                  f"{r['counts_top3']:>7.1%} {r['blend_top3']:>7.1%}  {r['lambda']:>5.2f} {r['w_cache']:>5.2f} {r['dropout']:>5.2f}")
    ok = all(r["blend_perplexity"] <= min(r["gru_perplexity"], r["counts_perplexity"]) and
             r["blend_top3"] >= max(r["gru_top3"], r["counts_top3"]) - 0.002 for r in rows)
    return {"budget_s": args.sizes_budget, "rows": rows, "blend_best_everywhere": ok}


def _size_row(label: str, paths: list, cfg: TrainConfig) -> dict:
    corpus = read_corpus(paths, cfg.tokenizer, cfg.lowercase)
    ds = build_dataset(corpus, cfg)
    cfg = cfg.resolved(ds.train.n_tokens)
    torch.manual_seed(cfg.seed)
    model = GRULanguageModel.from_config(cfg, len(ds.vocab))
    t = time.perf_counter()
    epochs = 0
    for ev in train(model, ds.train, ds.val, cfg):
        if isinstance(ev, TrainingDone):
            epochs = ev.best_epoch
    seconds = time.perf_counter() - t
    blend = fit_blend(model, ds.vocab, corpus, ds.ids, ds.train_sentences, ds.val_sentences)
    parts = evaluate_parts(model, ds.vocab, cfg, corpus, ds.val_sentences, blend=blend, keystroke_words=0)
    row = {"corpus": label, "words": corpus.n_tokens, "epochs": epochs, "seconds": seconds, "dropout": cfg.dropout,
           "lambda": blend.weights.lam, "w_cache": blend.weights.cache, "w_state": blend.weights.state}
    for source, rep in parts.items():
        row[f"{source}_perplexity"], row[f"{source}_top3"] = rep.perplexity, rep.top3
    return row


def _latency(ds, cfg, args, data, keystrokes=2000) -> dict:
    torch.manual_seed(0)
    model = GRULanguageModel.from_config(cfg, len(ds.vocab))
    for _ in train(model, ds.train, ds.val, cfg.replace(time_limit=30.0, epochs=1)):
        pass
    blend = fit_blend(model, ds.vocab, ds.corpus, ds.ids, ds.train_sentences, ds.val_sentences)
    text = (data / "test.txt").read_text(encoding="utf-8")[:20_000]
    out: dict = {}
    for source in ("blend", "gru"):
        pred = Predictor(model, ds.vocab, cfg, blend, source)
        times = []
        typed = ""
        for ch in text:
            if len(times) >= keystrokes:
                break
            typed += ch
            t = time.perf_counter()
            pred.suggest(typed, 3)
            times.append((time.perf_counter() - t) * 1000)
        a = np.array(times)
        key = "" if source == "blend" else "gru_"
        out.update({f"{key}p50_ms": float(np.percentile(a, 50)), f"{key}p99_ms": float(np.percentile(a, 99)),
                    f"{key}max_ms": float(a.max())})
    from .adapt import latency_with_learning  # learning as you type on, its counts at their cap

    fill = (data / "train.txt").read_text(encoding="utf-8")[:2_000_000]
    out.update(latency_with_learning(model, ds.vocab, cfg, blend, text, fill, keystrokes))
    return {**out, "keystrokes": len(a), "budget_p99_ms": BUDGETS["blend_latency_p99_ms"]}


def _memory(ds, cfg, args, data, mb=100) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.txt"
        rng = np.random.default_rng(0)
        words = np.array([f"w{i}" for i in range(50_000)])
        with open(path, "w", encoding="utf-8") as fh:
            while fh.tell() < mb * 1_000_000:
                chunk = words[rng.zipf(1.2, 200_000) % len(words)]
                fh.write(" ".join(chunk[:100]) + ". " + " ".join(chunk[100:]) + ".\n")
        size = path.stat().st_size
        # VmHWM is the peak of this address space; ru_maxrss would carry the forking parent's peak over exec.
        peak = "int([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
        code = f"import sys; from gru_desktop.core.corpus import read_corpus; c=read_corpus([sys.argv[1]]); print(c.n_tokens, {peak})"
        base = f"import gru_desktop.core.corpus; print(0, {peak})"
        env = dict(os.environ)
        t = time.perf_counter()
        tokens, peak = map(int, subprocess.check_output([sys.executable, "-c", code, str(path)], env=env).split())
        secs = time.perf_counter() - t
        _, idle = map(int, subprocess.check_output([sys.executable, "-c", base], env=env).split())
    grown = (peak - idle) * 1024
    return {"file_mb": size / 1e6, "tokens": tokens, "seconds": secs, "peak_rss_mb": peak / 1024,
            "growth_mb": grown / 1e6, "ratio": grown / size, "budget_ratio": BUDGETS["memory_ratio"]}


_PEAK = "int([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"


def _train_child(home: Path, args: list[str], timeout: float = 1800, env: dict | None = None) -> tuple[dict, int, float]:
    """`train … --json` in a child process: (its last epoch line, its peak RSS in kB (VmHWM), wall seconds)."""
    code = ("import sys, json; from gru_desktop.cli import main; rc = main(sys.argv[1:]); "
            f"print(json.dumps({{'rc': rc, 'vmhwm_kb': {_PEAK}}}), file=sys.stderr)")
    env = {**os.environ, "GRU_DESKTOP_HOME": str(home), **(env or {})}
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code, "train", *args, "--json"], capture_output=True, text=True,
                       env=env, timeout=timeout)
    secs = time.perf_counter() - t
    epochs = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{") and '"epoch"' in x]
    tail = [json.loads(x) for x in r.stderr.splitlines() if x.startswith('{"rc"')]
    if not epochs:
        raise RuntimeError(f"train failed: {r.stderr[-2000:]}")
    return epochs[-1], (tail[0]["vmhwm_kb"] if tail else 0), secs


_TRAIN_SECONDS = """
import json, os, sys, threading, time
from gru_desktop.jobs import blends, run_driver, runs
from gru_desktop.core import evaluate as core_evaluate, train as core_train
from gru_desktop.core.config import TrainConfig
home, path, seconds, val_fraction, limit_mb = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
def status(key):
    return int([l.split()[1] for l in open('/proc/self/status') if l.startswith(key)][0])
phases, now = {}, ["start (Python, torch, numpy)"]
def mark(name):
    # the peak RSS (VmHWM, kB) of the phase that ends here, then a fresh high-water mark for the next one
    phases[now[0]] = max(phases.get(now[0], 0), status('VmHWM'))
    with open('/proc/self/clear_refs', 'w') as fh:
        fh.write('5')
    now[0] = name
def guard():  # a bench must not take the machine's memory from everyone else
    while True:
        if status('VmRSS') > limit_mb * 1024:
            mark(now[0])
            print(json.dumps({"error": f"over {limit_mb:g} MB during {now[0]}", "phases_kb": phases}), flush=True)
            os._exit(3)
        time.sleep(0.02)
threading.Thread(target=guard, daemon=True).start()
def wrap(owner, name, phase):
    inner = getattr(owner, name)
    def wrapped(*a, **k):
        before = now[0]
        mark(phase)
        try:
            return inner(*a, **k)
        finally:
            mark(before)
    setattr(owner, name, wrapped)
wrap(runs, "build_dataset", "dataset (vocabulary, ids, split, windows)")
wrap(core_train, "evaluate_windows", "validation")
wrap(run_driver, "_baseline", "run end: baseline")
wrap(blends, "fit_run_blend", "run end: blend (ids)")
wrap(core_evaluate.KneserNeyTrigram, "fit", "run end: counts (Kneser–Ney fit, baseline or blend)")
wrap(blends, "fit_blend", "run end: blend weights")
wrap(blends, "evaluate_parts", "run end: blend evaluation")
wrap(blends, "store", "run end: blend stored")
cfg = TrainConfig(epochs=1, threads=1, val_fraction=val_fraction, time_limit=seconds)
cache = runs.token_cache(home)
mark("reading (token cache)")
t = time.perf_counter()
ds = runs.prepare([path], cfg, cache=cache)
read_s = time.perf_counter() - t
mark("run start")
tps, finished, t_end = 0.0, None, None
for ev in runs.train_run(ds, cfg, home=home):
    if isinstance(ev, core_train.StepResult):
        if ev.step == 1:
            mark("training")
        tps = ev.tokens / max(ev.elapsed, 1e-9)
    elif isinstance(ev, core_train.TrainingDone):
        mark("run end: model saved, run finished")
        t_end = time.perf_counter()
    elif isinstance(ev, runs.RunFinished):
        finished = ev.status
mark("done")
print(json.dumps({"tokens_per_s": tps, "read_s": read_s, "tokens": ds.corpus.n_tokens, "cache_hit": cache.last_hit, "status": finished,
                  "run_end_s": time.perf_counter() - t_end if t_end else None, "vmhwm_kb": max(phases.values()),
                  "phases_kb": phases}), flush=True)
"""


def _train_seconds(home: Path, corpus: Path, seconds: float, val_fraction: float = 0.01,
                   limit_mb: float = 8000.0) -> dict:
    """A whole run in a child process, through the token cache of `home`: read the corpus, train the default
    model (1 thread) with a time limit of `seconds`, validate, and everything at the run's end (baseline,
    blend). Its tokens/s, reading time, whether the cache hit, the status, and the peak RSS (VmHWM, kB) of
    the whole run and of each phase (VmHWM reset between phases through /proc/self/clear_refs). A child
    that goes over `limit_mb` stops itself and reports the phase it was in."""
    code = _TRAIN_SECONDS
    r = subprocess.run([sys.executable, "-c", code, str(home), str(corpus), str(seconds), str(val_fraction),
                        str(limit_mb)], capture_output=True, text=True, timeout=7200)
    lines = [x for x in r.stdout.splitlines() if x.startswith("{")]
    if not lines:
        raise RuntimeError(f"training child failed: {r.stderr[-2000:]}")
    out = json.loads(lines[-1])
    if "error" in out:
        out["vmhwm_kb"] = max(out["phases_kb"].values())
    return out


def _generate(path: Path, mb: int, seed: int = 0) -> int:
    """A Zipf text over 50,000 words, sentences of ~100 words, until `mb` megabytes; its size in bytes."""
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(50_000)])
    with open(path, "w", encoding="utf-8") as fh:
        while fh.tell() < mb * 1_000_000:
            chunk = words[rng.zipf(1.2, 200_000) % len(words)]
            lines = [" ".join(chunk[i:i + 100]) + "." for i in range(0, len(chunk), 100)]
            fh.write("\n".join(lines) + "\n")
    return path.stat().st_size


class _Noted(dict):
    """The results so far, each also written to stderr as it arrives (a long bench keeps what it measured)."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        print(f"scale: {key} = {value}", file=sys.stderr, flush=True)


def _scale(data: Path, args) -> dict:
    out: dict = _Noted()
    parts = set(args.scale_parts)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if "c" in parts:  # a 100 MB corpus's dataset the second time: a token cache hit, in a fresh process
            small = tmp / "100mb.txt"
            out["c_file_mb"] = _generate(small, 100, seed=1) / 1e6
            code = ("import sys, time; from gru_desktop.core.token_cache import TokenCache; from gru_desktop.core.config import "
                    "TrainConfig; from gru_desktop.core.data import build_dataset; c = TokenCache(sys.argv[2]); "
                    "t = time.perf_counter(); p = time.process_time(); corpus = c.read_corpus([sys.argv[1]]); "
                    "t1 = time.perf_counter(); p1 = time.process_time(); ds = build_dataset(corpus, TrainConfig()); "
                    "t2 = time.perf_counter(); print(c.last_hit, t1 - t, t2 - t, p1 - p)")
            runs_ = []
            for _ in range(2):
                hit, read_s, ds_s, cpu_s = subprocess.check_output(
                    [sys.executable, "-c", code, str(small), str(tmp / "cache")], text=True).split()
                runs_.append((hit, float(read_s), float(ds_s), float(cpu_s)))
            out["c_first_read_s"], out["c_second_read_s"], out["c_second_dataset_s"] = runs_[0][1], runs_[1][1], runs_[1][2]
            out["c_second_read_cpu_s"] = runs_[1][3]  # CPU seconds of the second read: less disturbed by other load
            out["c_second_was_hit"] = runs_[1][0] == "True"
            out["c_budget_s"] = 1.0
            small.unlink()
        if "a" in parts and (data / "train.txt").is_file():  # one process × 2 threads against two × 1 thread
            common = [str(data / "train.txt"), "--tokenizer", "pretokenized", "--keep-case", "--epochs", "1",
                      "--time-limit", str(args.scale_seconds), "--cache-mb", "0"]
            # OMP_WAIT_POLICY=PASSIVE as the app sets it: spinning threads collapse when another process uses a core
            one, _, _ = _train_child(tmp / "a1", common + ["--threads", "2"], env={"OMP_WAIT_POLICY": "PASSIVE"})
            two, _, _ = _train_child(tmp / "a2", common + ["--threads", "1", "--processes", "2"],
                                     env={"OMP_WAIT_POLICY": "PASSIVE"})
            out["a_one_process_2_threads_tokens_per_s"] = one["tokens_per_s"]
            out["a_two_processes_1_thread_tokens_per_s"] = two["tokens_per_s"]
            out["a_ratio"] = two["tokens_per_s"] / one["tokens_per_s"]
            out["a_budget_ratio"] = 0.75
        elif "a" in parts:
            out["a_skipped"] = f"no WikiText-2 at {data} (--data DIR)"
        if "b" in parts:  # whole runs on a generated 1 GB corpus (or the sizes given): peak RSS against its size
            for mb in args.scale_mb:
                big = tmp / f"{mb}mb.txt"
                _whole_runs(out, f"b{mb}", big, _generate(big, mb), tmp / f"b{mb}", args)
        if "d" in parts:  # the same on real text: a file repeated --scale-repeat times (WikiText-2's train.txt)
            text = Path(args.scale_text) if args.scale_text else data / "train.txt"
            if text.is_file():
                big = tmp / f"{text.stem}-x{args.scale_repeat}.txt"
                tag = f"d{args.scale_repeat}x"
                out[f"{tag}_text"] = str(text)
                _whole_runs(out, tag, big, _repeat(text, big, args.scale_repeat), tmp / tag, args)
            else:
                out["d_skipped"] = f"no text at {text} (--scale-text PATH or --data DIR)"
    return out


def _whole_runs(out: dict, tag: str, big: Path, size: int, home: Path, args) -> None:
    """Two whole runs on the file `big` (`size` bytes), the first reading and caching it, the second a token
    cache hit: peak RSS against the file's size, overall and per phase, into `out` under `tag`. Deletes `big`."""
    out[f"{tag}_file_mb"] = size / 1e6
    try:
        for label in ("first", "second"):  # reading and caching it; then a token cache hit
            r = _train_seconds(home, big, args.scale_seconds, limit_mb=args.scale_limit_mb)
            out[f"{tag}_{label}_peak_rss_mb"] = r["vmhwm_kb"] / 1024
            out[f"{tag}_{label}_ratio"] = r["vmhwm_kb"] * 1024 / size
            if "error" in r:
                out[f"{tag}_{label}_error"] = r["error"]
            else:
                for key in ("tokens_per_s", "read_s", "cache_hit", "run_end_s", "status", "tokens"):
                    out[f"{tag}_{label}_{key}"] = r.get(key)
            phases = sorted(r["phases_kb"].items(), key=lambda kv: -kv[1])
            out[f"{tag}_{label}_peak_by_phase_mb"] = {k: round(v / 1024) for k, v in phases}
            out[f"{tag}_{label}_peak_by_phase_ratio"] = {k: round(v * 1024 / size, 3) for k, v in phases}
        out[f"{tag}_budget_ratio"] = 1.0
    finally:
        big.unlink(missing_ok=True)


def _repeat(text: Path, path: Path, times: int) -> int:
    """`text` written `times` times one after the other into `path` (real text of any size); its size in bytes."""
    block = text.read_bytes()
    if block and not block.endswith(b"\n"):
        block += b"\n"  # the copies must not join a last and a first word
    with open(path, "wb") as fh:
        for _ in range(times):
            fh.write(block)
    return path.stat().st_size
