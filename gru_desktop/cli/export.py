"""`gru-desktop runs export`: epoch metrics to CSV, the chart to PNG, a model to .pt2 or ONNX, its n-grams to
ARPA or a Presage database. Before a model or its n-grams are written, a run whose kept memorisation audit
found exposed text gets a `warning:` line on stderr (the export goes on, exit 0)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

MODEL_FLAGS = ("pt2", "onnx", "torchscript")
NGRAM_FLAGS = ("arpa", "presage")  # n-gram tables for other tools (jobs/ngram_exports.py)


def runs_export(args, db) -> int:
    import storage

    from ..core.errors import UserError
    from ..jobs import exports

    targets = {k: getattr(args, k, None) for k in ("csv", "png", *MODEL_FLAGS, *NGRAM_FLAGS) if getattr(args, k, None)}
    if not targets:
        raise UserError("runs export: give at least one of --csv PATH, --png PATH, --pt2 PATH, --onnx PATH, "
                        "--arpa PATH, --presage PATH")
    models = [k for k in (*MODEL_FLAGS, *NGRAM_FLAGS) if k in targets]
    if models and len(args.runs) > 1:
        raise UserError(f"--{models[0]} exports one run's model: give one RUN_ID")
    if len({str(Path(p).resolve()) for p in targets.values()}) < len(targets):
        raise UserError("runs export: give each export its own PATH")
    if not 100 <= args.width <= 10_000:
        raise UserError("--width must be between 100 and 10000 pixels")
    ids = list(dict.fromkeys(storage.resolve_run_id(db, ref) for ref in args.runs))  # unknown run: exit 2
    for path in targets.values():  # every path checked before anything is written
        exports.check_target(path)
    if args.torchscript:
        print("notice: --torchscript is deprecated (PyTorch deprecates TorchScript) and goes in the next release; "
              "use --pt2 PATH (torch.export) or --onnx PATH", file=sys.stderr)
    done: dict = {"run_ids": ids}
    lines = []
    if args.csv:
        done["csv"], done["csv_rows"] = str(args.csv), exports.epochs_csv(db, ids, args.csv)
        lines.append(f"wrote {done['csv']}: {done['csv_rows']} epochs of run{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))}")
    ref = args.runs[0] if str(args.runs[0]).strip().lower() == "latest" else ids[0]  # latest run with a model
    if models:  # the model or its n-grams leave the app: say first if its kept audit found exposed text (design §17)
        from ..jobs.audit import exposed_summary

        model_run = ids[0] if ref == ids[0] else storage.resolve_run_id(db, ref, completed_only=True)
        warning = exposed_summary(db, model_run)
        if warning:
            print(f"warning: {warning}", file=sys.stderr, flush=True)
    for fmt in NGRAM_FLAGS:
        if fmt in targets:
            from ..jobs.ngram_exports import export_ngrams

            ngrams = export_ngrams(db, ref, targets[fmt], fmt, args.ngram_from, args.sample_words, args.seed)
            done[fmt], done[f"{fmt}_from"], done[f"{fmt}_sizes"] = str(ngrams.path), ngrams.source, ngrams.sizes
            lines.append(f"wrote {ngrams.path}: {ngrams.describe()}")
    for fmt in (m for m in models if m in MODEL_FLAGS):
        made = exports.export_model(db, ref, targets[fmt], fmt)
        done[fmt] = str(made.path)
        if made.max_difference is not None:
            done[f"{fmt}_max_difference"] = made.max_difference
        if made.exporter:
            done[f"{fmt}_exporter"] = made.exporter
        lines.append(f"wrote {made.path}: {made.describe()}")
    if args.png:
        _export_png(exports.run_series(db, ids), args.png, args.width)
        done["png"] = str(args.png)
        lines.append(f"wrote {done['png']}: loss and accuracy chart, {args.width} px wide")
    print(json.dumps(done) if args.json else "\n".join(lines))
    return 0


def _export_png(series: dict, path: str, width: int) -> None:
    """Draw the ComparePlot without showing a window (offscreen when there is no display) and save it."""
    import os

    from ..core.errors import UserError

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtWidgets import QApplication

        from ..ui.widgets.compare_plot import ComparePlot
    except ImportError as exc:  # e.g. Qt's system libraries missing
        raise UserError(f"cannot draw the chart: {exc}") from None
    app = QApplication.instance() or QApplication(["gru-desktop"])
    plot = ComparePlot()
    try:
        plot.resize(width, width * 3 // 4)
        plot.set_runs(series)
        plot.export_png(path, width)
    finally:
        plot.close()
        plot.deleteLater()
        app.processEvents()
