"""The runs table's rows, Qt-free (the jobs layer): what each column shows for a run or a count-based
baseline, the text a filter searches and the key a column sorts by — all computed once per refresh, off
the GUI thread (`table_rows`), so painting, filtering and sorting 1,000 runs never formats a cell again.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from ..core.config import stored_settings

STATUS_COLOURS = {"running": "#1565c0", "completed": "#2e7d32", "cancelled": "#8d6e63", "failed": "#c62828",
                  "interrupted": "#ef6c00", "paused": "#00838f", "queued": "#546e7a", "baseline": "#6a1b9a"}

# (header, key, tooltip); the values come from `value`
COLUMNS = [
    ("★", "starred", "starred: your reference run (toggle with S)"),
    ("Run", "id", "run id"),
    ("Name", "name", "double-click to rename"),
    ("Date", "created_at", "when training started"),
    ("Status", "status", "running / paused / completed / cancelled / failed / interrupted; hover for the reason"),
    ("Corpus", "corpus", "the text it was trained on"),
    ("Settings", "settings", "padding length L, embedding E, hidden H, layers, vocabulary V; tied: the output layer shares the embedding"),
    ("Epochs", "epochs", "epochs finished / planned"),
    ("Val loss", "best_val_loss", "best validation loss (nats)"),
    ("Val acc", "best_val_accuracy", "validation top-1 accuracy of the best epoch"),
    ("Top-3", "best_val_top3", "validation top-3 accuracy of the best epoch (the GRU while training; for a "
                               "baseline row, the counts')"),
    ("Perplexity", "best_val_perplexity", "validation perplexity of the best epoch (the GRU while training)"),
    ("λ", "blend_lambda", "the blend's weight on the GRU against the counts, a / (a + b); empty: the run suggests "
                          "with the GRU alone"),
    ("Blend ppl", "blend_perplexity", "perplexity of what suggests — the GRU + counts blend — on the validation "
                                      "text, read as when typing (each sentence from its start)"),
    ("Blend top-3", "blend_top3", "top-3 accuracy of the blend on the validation text: the next word is among "
                                  "the three suggestions"),
    ("GRU ppl", "gru_perplexity", "perplexity of the GRU alone on the same positions as the blend (the "
                                  "Perplexity column is the best epoch's, measured while training)"),
    ("GRU top-3", "gru_top3", "top-3 accuracy of the GRU alone on the same positions as the blend"),
    ("Keystrokes saved", "eval_keystroke_savings", "keystroke savings with 3 suggestions on the validation text, "
                                                   "of what suggests (the blend, else the GRU)"),
    ("Duration", "duration", "training time"),
    ("CPU", "cpu_percent", "the training process's CPU use, mean over its epochs (100 % = one core busy)"),
    ("Peak memory", "peak_rss_mb", "the training process's peak resident memory (MB)"),
    ("Tags", "tags", "comma-separated; double-click to edit"),
    ("Notes", "notes", "double-click to edit"),
]
EDITABLE = {"name", "tags", "notes"}
KEYS = [c[1] for c in COLUMNS]
NUMERIC = {"starred", "id", "epochs", "best_val_loss", "best_val_accuracy", "best_val_top3", "best_val_perplexity",
           "blend_lambda", "blend_perplexity", "blend_top3", "gru_perplexity", "gru_top3", "eval_keystroke_savings",
           "duration", "cpu_percent", "peak_rss_mb"}


def _seconds(a: str | None, b: str | None) -> float | None:
    try:
        return (dt.datetime.fromisoformat(b) - dt.datetime.fromisoformat(a)).total_seconds()
    except (TypeError, ValueError):
        return None


def baseline_row(b: dict) -> dict:
    """A baselines-table row shaped like a run row, so the table shows both."""
    return {"kind": "baseline", "id": b["id"], "name": "Kneser–Ney trigram" if b.get("kind") == "kn3" else b.get("kind"),
            "created_at": b.get("created_at"), "status": "baseline", "corpus": b.get("corpus"),
            "best_val_accuracy": b.get("top1"), "best_val_top3": b.get("top3"), "best_val_perplexity": b.get("perplexity"),
            "best_val_loss": math.log(b["perplexity"]) if b.get("perplexity") else None,
            "eval_keystroke_savings": b.get("keystroke_savings"), "config": {}, "tags": [], "notes": "",
            "error": f"count-based baseline on the same split: {b.get('train_tokens') or 0:,} training words, "
                     f"{b.get('tokens') or 0:,} validation words"}


def row_key(row: dict) -> tuple[str, int]:
    return (row["kind"], row["id"])


def value(row: dict, key: str):
    if key == "settings":
        if not row.get("config"):
            return None
        c = stored_settings(row["config"])  # runs from before the setting were untied
        return (c.get("seq_len"), c.get("embed_dim"), c.get("hidden_size"), c.get("layers"), row.get("vocab_size"),
                bool(c["tie_weights"]))
    if key == "epochs":
        return row.get("epochs_done")
    if key in ("blend_perplexity", "blend_top3"):  # eval_* hold what suggests: the blend's when it has one
        return row.get("eval_" + key[6:]) if row.get("eval_source") == "blend" else None
    if key in ("gru_perplexity", "gru_top3"):  # the GRU's own, or eval_* from before blends (the GRU's then)
        own = row.get("eval_" + key)
        return own if own is not None or row.get("eval_source") == "blend" else row.get("eval_" + key[4:])
    if key == "duration":
        return _seconds(row.get("created_at"), row.get("finished_at"))
    if key == "starred":
        return int(bool(row.get("starred")))
    if key == "tags":
        return ", ".join(row.get("tags") or [])
    return row.get(key)


def display(row: dict, key: str) -> str:
    v = value(row, key)
    if key == "starred":
        return "★" if v else ""
    if key == "id":
        return "—" if row["kind"] == "baseline" else str(v)
    if key == "created_at":
        return (v or "")[:16].replace("T", " ")
    if key == "settings":
        if row["kind"] == "baseline":
            return "counts of word triples"
        L, E, H, layers, V, tied = v or (None,) * 6
        return f"L {L} · E {E} · H {H} · {layers}× · V {V:,}" + (" · tied" if tied else "") if V else ""
    if key == "epochs":
        planned = row.get("epochs_planned")
        planned = "auto" if planned == 0 else (planned or "?")  # 0: Epochs auto
        return "" if row["kind"] == "baseline" else f"{row.get('epochs_done') or 0}/{planned}"
    if v is None or v == "":
        return ""
    if key in ("best_val_accuracy", "best_val_top3", "eval_keystroke_savings", "blend_top3", "gru_top3"):
        return f"{v:.1%}"
    if key in ("best_val_loss",):
        return f"{v:.3f}"
    if key in ("best_val_perplexity", "blend_perplexity", "gru_perplexity"):
        return f"{v:.1f}"
    if key == "cpu_percent":
        return f"{v:.0f} %"
    if key == "peak_rss_mb":
        return f"{v:,.0f} MB"
    if key == "blend_lambda":
        return f"{v:.2f}"
    if key == "duration":
        m, s = divmod(int(round(v)), 60)
        return f"{m}:{s:02d}"
    if key == "name" and row.get("model_missing"):
        return f"{v} (model file missing)"
    return str(v)


def prepare(row: dict) -> dict:
    """Add what the table needs to a run or baseline row: `_cells` (the text of every column) and `_search`
    (what a filter looks in). Done once per refresh (off the GUI thread), never per paint or key."""
    cells = [display(row, key) for _, key, _ in COLUMNS]
    row["_cells"] = cells
    row["_search"] = "\t".join(cells).lower()
    return row


def sort_key(row: dict, key: str):
    """How column `key` orders rows: numbers by value (missing first), the rest by the text shown."""
    if key in NUMERIC:
        v = value(row, key)
        return float(v) if v is not None else -1e300
    return row["_cells"][KEYS.index(key)].lower() if "_cells" in row else display(row, key).lower()


def table_rows(db) -> list[dict]:
    """Every run (newest first), then the count-based baselines, prepared for the table. Whether each model
    file is there is checked here, once per refresh: never while painting."""
    import storage

    rows = [{**r, "kind": "run", "model_missing": bool(r.get("model_path")) and not Path(r["model_path"]).is_file()}
            for r in storage.list_runs(db)]
    rows += [baseline_row(b) for b in storage.list_baselines(db)]
    return [prepare(r) for r in rows]


def same_row(old: dict, new: dict) -> bool:
    """Whether a refreshed row shows the same as before (the prepared fields aside)."""
    return all(old.get(k) == v for k, v in new.items() if not k.startswith("_")) and len(old) == len(new)


def offers_model(run: dict) -> bool:
    """Whether a run's model is offered for suggestions: it has one, and storage trusts it (not a failed or a
    running run's last file). The Autocomplete picker and the Runs page's Autocomplete button both ask this."""
    import storage

    return bool(run.get("model_path")) and run.get("status") in storage.runs.MODEL_STATUSES


def why_not_offered(db, run_id: int) -> str:
    """Why run `run_id`'s model is not among `model_choices` (for a message), e.g. "it is failed"."""
    import storage

    run = storage.get_run(db, run_id)
    if run is None:
        return "it was deleted"
    if run["status"] not in storage.runs.MODEL_STATUSES:
        return f"it is {run['status']}"
    return "it has no model file" if not run.get("model_path") else "its model is not usable"


def model_choices(db) -> list[dict]:
    """The runs the Autocomplete picker offers — those whose model storage trusts (not a failed run's),
    newest first — each with `label` (what the picker shows) and `model_missing` (checked here, once)."""
    import storage

    from .exports import run_label

    rows = [r for r in storage.list_runs(db) if offers_model(r)]
    for r in rows:
        r["model_missing"] = not Path(r["model_path"]).is_file()
        if r.get("eval_source") == "blend" and r.get("eval_perplexity"):  # what suggests, on its validation text
            gru = r.get("eval_gru_perplexity")
            ppl = f" · blend ppl {r['eval_perplexity']:.1f}" + (f" (GRU {gru:.1f})" if gru else "")
        else:
            ppl = f" · val ppl {r['best_val_perplexity']:.1f}" if r.get("best_val_perplexity") else ""
        missing = " — model file missing" if r["model_missing"] else ""
        r["label"] = f"{run_label(r)} · {r['status']}{ppl} · {r['corpus']}{missing}"
    return rows
