"""The Runs page's actions on the selected runs (a mixin of `RunsPage`: it uses the page's selection,
signals and jobs): star, load into Autocomplete, settings into the form, resume, continue, delete; and the
exports — the epochs as CSV, the compare chart as PNG, a run's model as `.pt2` or ONNX, written in a worker
(torch.export and the parity check take seconds), the page's signals telling how it went."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from ..workers.threads import function_job
from .runs_model import run_title


class RunActions:
    # --- actions on the selection --------------------------------------------------------------------------------------------
    def toggle_star(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.model.set_starred(self.model.row_for(("run", runs[0]["id"])), not runs[0].get("starred"))

    def use_selected(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.load_in_autocomplete.emit(runs[0]["id"])

    def settings_of_selected(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.open_settings.emit(dict(runs[0]["config"]))

    def resume_selected(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.resume_training.emit(runs[0]["id"])

    def continue_selected(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.continue_training.emit(runs[0]["id"], self.more_epochs.value())

    def delete_selected(self) -> None:
        import storage

        from ...jobs import runs as jobs

        runs = self.selected_runs()
        if not runs:
            return
        names = ", ".join(run_title(r) for r in runs[:5]) + (" …" if len(runs) > 5 else "")
        if not self.confirm(f"Delete {names} with {'their' if len(runs) > 1 else 'its'} model file? This cannot be undone."):
            return
        for r in runs:
            try:
                jobs.delete_run(self._db(), r["id"])
                self.compare.forget(r["id"])
                self.model.remove([("run", r["id"])])
                self.deleted.emit(r["id"])
            except storage.RunIsRunning:
                self.problem.emit("Cannot delete a running run",
                                  f"{run_title(r)} is training right now. Cancel it first (in the window or process that trains it).")
        self.refresh()

    def _ask(self, text: str) -> bool:
        return QMessageBox.question(self, "Delete runs", text) == QMessageBox.StandardButton.Yes

    # --- exports ------------------------------------------------------------------------------------------
    def _save_path(self, title: str, name: str, filt: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / name), filt)
        return path

    def choose_csv(self) -> None:
        if path := self._save_path("Export epoch metrics", "runs.csv", "CSV (*.csv)"):
            self.export_csv(path)

    def choose_png(self) -> None:
        if path := self._save_path("Export chart", "runs.png", "PNG image (*.png)"):
            self.export_png(path)

    def choose_model(self, fmt: str) -> None:
        runs = self.selected_runs()
        filters = {"pt2": "torch.export program (*.pt2)", "onnx": "ONNX model (*.onnx)"}
        if runs and (path := self._save_path("Export the model", f"run{runs[0]['id']}.{fmt}", filters[fmt])):
            self.export_model(path, fmt)

    def _export(self, what: str, fn) -> bool:
        from ...core.errors import UserError

        try:
            fn()
            return True
        except UserError as exc:
            self.problem.emit(f"Cannot export {what}", str(exc))
        except OSError as exc:
            self.problem.emit(f"Cannot export {what}", f"{exc.filename or ''}: {exc.strerror or exc}")
        return False

    def export_csv(self, path) -> bool:
        from ...jobs import exports

        ids = [r["id"] for r in self.selected_runs()]
        return self._export("the metrics", lambda: exports.epochs_csv(self._db(), ids, path))

    def export_png(self, path) -> bool:
        self.compare.finish()
        return self._export("the chart", lambda: self.ensure_plot().export_png(path))

    def export_model(self, path, fmt: str):
        """Export the selected run's model in the background (torch.export and the parity check take seconds);
        `exported` or `problem` tells how it went. Returns the worker, or None if nothing was started."""
        runs = self.selected_runs()
        if len(runs) != 1 or self._model_export is not None:
            return None
        home, run_id = self.home, runs[0]["id"]

        def work(progress, should_stop):
            from ...jobs import exports
            from ...jobs import runs as jobs

            _, db = jobs.open_store(home)
            try:
                return exports.export_model(db, run_id, path, fmt).describe()
            finally:
                db.close()

        self._model_export = function_job(work, result=self._model_exported, failed=self._model_export_failed,
                                          ended=self._model_export_ended, path=str(path))
        self.jobs.start(self._model_export)
        self._update_buttons()
        self.exporting.emit(f"exporting run {run_id}'s model to {path} and checking it against PyTorch…")
        return self._model_export

    def _model_exported(self, worker, description: str) -> None:
        self.exported.emit(f"wrote {worker.path}: {description}")

    def _model_export_failed(self, worker, message: str) -> None:
        self.problem.emit("Cannot export the model", message)

    def _model_export_ended(self, worker) -> None:
        self._model_export = None
        self._update_buttons()

