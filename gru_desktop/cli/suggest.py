"""`gru-desktop suggest` and `evaluate`: a run's model (with its blend) on text."""
from __future__ import annotations

import json
import sys

from .common import EXIT_USAGE, check_run, finite


def cmd_suggest(args) -> int:
    if not 1 <= args.top_k <= 100:
        print("error: --top-k must be between 1 and 100", file=sys.stderr)
        return EXIT_USAGE
    check_run(args.home, args.run)
    from ..core.errors import UserError
    from ..core.predict import Predictor
    from ..jobs.blends import ensure_blend
    from ..jobs.runs import load_run_model, open_store

    _, db = open_store(args.home, write=False)
    run, loaded = load_run_model(db, args.run)
    state = ensure_blend(db, run, loaded) if args.source != "gru" else None
    if args.source in ("blend", "counts") and state.blend is None:
        raise UserError(f"run {run['id']} has no counts to suggest with ({state.reason}); use --source gru")
    blend = state.blend if state is not None else None
    if blend is None and state is not None and args.source is None:
        print(f"warning: suggesting with the GRU alone: {state.reason}", file=sys.stderr)
    predictor = Predictor(loaded.model, loaded.vocab, loaded.config, blend, args.source)
    suggestions = predictor.suggest(args.text, args.top_k)
    if args.json:
        out = {"run_id": run["id"], "source": predictor.source,
               "suggestions": [{"word": s.word, "probability": s.probability} for s in suggestions]}
        if blend is not None:
            out["lambda"] = blend.weights.lam
        print(json.dumps(out))
    else:
        for s in suggestions:
            print(f"{s.word}\t{s.probability:.1%}")
    return 0


def cmd_evaluate(args) -> int:
    check_run(args.home, args.run)
    from ..core.corpus import read_corpus
    from ..core.evaluate import evaluate_parts
    from ..jobs.blends import ensure_blend
    from ..jobs.runs import load_run_model, open_store

    _, db = open_store(args.home, write=False)
    run, loaded = load_run_model(db, args.run)
    cfg = loaded.config
    corpus = read_corpus(args.paths, cfg.tokenizer, cfg.lowercase)
    for w in corpus.warnings:
        print(f"warning: {w}", file=sys.stderr)
    state = ensure_blend(db, run, loaded)
    if state.blend is None:
        print(f"warning: scoring the GRU alone: {state.reason}", file=sys.stderr)
    parts = evaluate_parts(loaded.model, loaded.vocab, cfg, corpus, blend=state.blend)
    keys = ("perplexity", "top1", "top3", "keystroke_savings", "tokens")
    main = parts["blend"] if state.blend is not None else parts["gru"]
    if args.json:
        out = {"run_id": run["id"], "source": "blend" if state.blend is not None else "gru", **main.to_dict(),
               "lambda": state.blend.weights.lam if state.blend is not None else None,
               "weights": state.blend.weights.to_dict() if state.blend is not None else None,
               "theta": state.blend.theta if state.blend is not None else None}
        for source in ("gru", "counts"):
            if source in parts:
                out[source] = finite({k: getattr(parts[source], k) for k in keys})
        print(json.dumps(finite(out)))
    else:
        for source, rep in parts.items():
            label = {"blend": f"blend (λ = {state.blend.weights.lam:.2f})" if state.blend else "", "gru": "GRU only",
                     "counts": "counts only"}[source]
            print(f"run {run['id']} on {corpus.description}, {label}: perplexity {rep.perplexity:.1f}, "
                  f"top-1 {rep.top1:.1%}, top-3 {rep.top3:.1%}, keystroke savings {rep.keystroke_savings:.1%} "
                  f"({rep.tokens:,} tokens)")
    return 0
