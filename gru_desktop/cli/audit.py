"""`gru-desktop runs audit RUN [--json]`: what the run's model memorised (design §17, jobs/audit.py).
Every secret is printed masked; exposure is in bits."""
from __future__ import annotations

import json

from .common import user_error


def runs_audit(args, db) -> int:
    import storage

    if not 100 <= args.candidates <= 100_000:
        raise user_error("--candidates must be between 100 and 100000")
    if not 1 <= args.max_spans <= 100_000:
        raise user_error("--max-spans must be between 1 and 100000")
    storage.resolve_run_id(db, args.run, completed_only=str(args.run) == "latest")  # unknown: an error before torch loads
    from ..jobs.audit import audit_run

    result = audit_run(db, args.run, n_candidates=args.candidates, max_spans=args.max_spans)
    if args.json:
        print(json.dumps(result))
        return 0
    print(format_audit(result, args.top))
    return 0


def format_audit(result: dict, top: int = 10) -> str:
    """The audit as text for a terminal or a dialog (secrets already masked in `result`)."""
    out = [f"run {result['run_id']}: {result['found']:,} distinct secret-like spans in its text; "
           f"{len(result['spans'])} scored against {result['candidates']:,} random candidates each"]
    if result["spans"]:
        out.append(f"exposed (≥ {result['exposed_bits']:g} bits): {result['exposed']}; the most exposed:")
        for r in result["spans"][:top]:
            oov = f", {r['unknown_tokens']} token(s) outside the vocabulary" if r["unknown_tokens"] else ""
            if r.get("known_exposure") is not None:
                oov += f", among numbers it knows: {r['known_exposure']:.2f} / {r['known_max_exposure']:.2f} bits"
            out.append(f"  {r['exposure']:5.2f} / {r['max_exposure']:.2f} bits  {r['kind']:<6} {r['masked']:<28} "
                       f"{r['file']}:{r['line']} (×{r['occurrences']}{oov})")
    ex = result["extraction"]
    if ex["sentences"]:
        counts = "—" if ex["counts"] is None else f"{ex['counts']:.1%}"
        out.append(f"extraction: greedy suggestions complete the second half of {ex['gru']:.1%} of "
                   f"{ex['sentences']} training sentences from their first half (counts alone: {counts})")
    for c in result["canaries"]:
        trail = " → ".join(f"{x:.1f}" for x in c.get("per_epoch", []))
        out.append(f"canary ×{c['reps']:<2} {c['masked']:<32} {c['exposure']:5.2f} / {c['max_exposure']:.2f} bits"
                   + (f"  (per epoch: {trail})" if trail else ""))
    out += [f"note: {n}" for n in result["notes"]]
    return "\n".join(out)
