"""Exports of runs: epoch metrics to CSV; a run's model as a torch.export `.pt2` or an ONNX file, each
checked against PyTorch before it is written (TorchScript stays one release as a deprecated alias). The
chart's PNG is `ui.compare_plot.ComparePlot.export_png`. Here storage and core meet, as in `runs.py`; the
CLI's `runs export` and the GUI's Runs page both call these.

Every error the user can fix (a missing folder, no permission, a run without a model) is a UserError
whose message names the path; files are written to a temporary file beside the target and renamed, so
a failed export never leaves half a file.
"""
from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import storage

from ..core.atomic import atomic_write
from ..core.errors import UserError

# One row per (run, epoch); the metric columns are those of storage.metrics.EPOCH_COLUMNS.
CSV_COLUMNS = ("run_id", "run_name", "epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
               "val_top3", "val_perplexity", "seconds", "tokens_per_s", "lr", "observation",
               "cpu_percent", "peak_rss_mb", "threads", "device")


def check_target(path: str | os.PathLike) -> Path:
    """The path, if an export can be written there; else a UserError that says why, naming the path.

    What is particular to a target file is checked here (a folder, a missing folder, a read-only file); whether
    its folder takes a new file is `storage.check_writable`'s probe (a file created and removed), which also
    finds what permission bits do not show: a folder whose disk has no free inodes, a network mount that
    refuses root, a read-only mount.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UserError(f"cannot write {path}: it is a folder")
    if not parent.is_dir():
        raise UserError(f"cannot write {path}: the folder {parent} does not exist")
    if path.exists() and not os.access(path, os.W_OK):
        raise UserError(f"cannot write {path}: the file is read-only")
    try:
        storage.check_writable(parent, what="the folder")
    except storage.StorageError as exc:
        raise UserError(f"cannot write {path}: {exc}") from None
    return path


def _os_error(path: Path, exc: OSError) -> UserError:
    return UserError(f"cannot write {path}: {exc.strerror or type(exc).__name__}")


def _get_runs(db, run_ids: Iterable[int | str]) -> list[dict]:
    runs = []
    for ref in run_ids:
        run_id = storage.resolve_run_id(db, ref)  # RunNotFound for an unknown id
        run = storage.get_run(db, run_id)
        assert run is not None  # resolve_run_id found it
        runs.append(run)
    if not runs:
        raise UserError("no runs to export")
    return runs


def run_label(run: dict) -> str:
    """How a run is named in legends: its id and name ("3: small model"), unique per run."""
    name = run.get("name") or ""
    return f"{run['id']}: {name}" if name and name != f"run {run['id']}" else f"run {run['id']}"


def run_series(db, run_ids: Iterable[int | str]) -> dict[str, list[dict]]:
    """{label: epoch rows} for ComparePlot.set_runs, in the order given."""
    return {run_label(run): storage.get_epochs(db, run["id"]) for run in _get_runs(db, run_ids)}


def epoch_rows(db, run_ids: Iterable[int | str]) -> list[dict]:
    """The CSV's rows as dicts: every recorded epoch of each run, runs in the order given, epochs in order."""
    rows = []
    for run in _get_runs(db, run_ids):
        for e in storage.get_epochs(db, run["id"]):
            rows.append({"run_id": run["id"], "run_name": run.get("name") or "",
                         **{k: e.get(k) for k in CSV_COLUMNS[2:]}})
    return rows


def epochs_csv(db, run_ids: Iterable[int | str], path: str | os.PathLike) -> int:
    """Write the epochs of the runs to a UTF-8 CSV with a header row; return the number of data rows.

    Numbers are written in full precision (Python's repr), a missing value as an empty field."""
    path = check_target(path)
    rows = epoch_rows(db, run_ids)
    try:
        with atomic_write(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    except OSError as exc:
        raise _os_error(path, exc) from None
    return len(rows)


MODEL_FORMATS = {"pt2": "torch.export program (.pt2)", "onnx": "ONNX model", "torchscript": "TorchScript model"}


@dataclass(frozen=True)
class ModelExport:
    path: Path
    format: str  # a key of MODEL_FORMATS
    run_id: int
    max_difference: float | None = None  # largest difference from PyTorch over the parity steps (pt2, onnx)
    steps: int = 0
    exporter: str = ""  # which ONNX exporter made the file

    def describe(self) -> str:
        """One line for the CLI and the status bar."""
        text = f"{MODEL_FORMATS[self.format]} of run {self.run_id}"
        if self.exporter:
            text += f", made by {self.exporter}"
        if self.max_difference == 0:
            text += f"; identical to PyTorch over {self.steps} steps"
        elif self.max_difference is not None:
            text += f"; matches PyTorch within {self.max_difference:.1g} over {self.steps} steps"
        return text


def export_model(db, run_id: int | str, path: str | os.PathLike, fmt: str) -> ModelExport:
    """Export the run's best model as `fmt` (pt2, onnx or the deprecated torchscript), verified where the
    format allows (see core.step_module); nothing is written unless it matches. Returns what was written."""
    # here, not at the top: a model export loads torch; CSV exports and run labels (the Runs page) do not
    from .recorded_run import load_run_model

    if fmt not in MODEL_FORMATS:
        raise UserError(f"unknown model format {fmt!r} (pt2, onnx)")
    path = check_target(path)
    run, loaded = load_run_model(db, run_id)  # ModelFileError (a UserError) for a run without a model
    try:
        if fmt == "pt2":
            from ..core.export_pt2 import export_pt2  # each exporter loads what it needs only for its format

            pt2 = export_pt2(loaded, path)
            return ModelExport(path, fmt, run["id"], pt2.parity.max_difference, pt2.parity.steps)
        if fmt == "onnx":
            from ..core.export_onnx import EXPORTERS, export_onnx  # as above (onnx is optional)

            onnx = export_onnx(loaded, path)
            return ModelExport(path, fmt, run["id"], onnx.parity.max_difference, onnx.parity.steps,
                               EXPORTERS[onnx.exporter])
        from ..core.export_torchscript import export_torchscript  # as above

        export_torchscript(loaded, path)
        return ModelExport(path, fmt, run["id"])
    except OSError as exc:
        raise _os_error(path, exc) from None


def torchscript(db, run_id: int | str, path: str | os.PathLike) -> Path:
    """Deprecated: the run's model as TorchScript (see core.export_torchscript); use export_model."""
    return export_model(db, run_id, path, "torchscript").path


__all__ = ["CSV_COLUMNS", "MODEL_FORMATS", "ModelExport", "check_target", "run_label", "run_series", "epoch_rows",
           "epochs_csv", "export_model", "torchscript"]
