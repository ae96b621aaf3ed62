"""The Runs page's actions on the selected runs (`RunActions`, owned by the page: it reads the page's selection
and tells how things went through the page's signals): star, load into Autocomplete, settings into the form, resume, continue, delete; and the
exports — the epochs as CSV, the compare chart as PNG, a run's model as `.pt2` or ONNX, written in a worker
(torch.export and the parity check take seconds), the page's signals telling how it went."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from ...jobs.run_table import offers_model
from ..workers.threads import FunctionWorker, function_job
from .runs_model import run_title

if TYPE_CHECKING:
    from .runs_page import RunsPage

USE_TIP = "load this run's model into the Autocomplete page"


class RunActions(QObject):
    """A QObject on the GUI thread (a child of the page), so its methods receive workers' signals there."""

    def __init__(self, page: RunsPage):
        super().__init__(page)
        self.page = page
        self.model_export: FunctionWorker | None = None  # the worker of a model export in progress

    # --- actions on the selection --------------------------------------------------------------------------------------------
    def toggle_star(self) -> None:
        runs = self.page.selected_runs()
        if len(runs) == 1:
            row = self.page.model.row_for(("run", runs[0]["id"]))
            if row is not None:
                self.page.model.set_starred(row, not runs[0].get("starred"))

    def use_selected(self) -> None:
        runs = self.page.selected_runs()
        if len(runs) == 1:
            self.page.load_in_autocomplete.emit(runs[0]["id"])

    def settings_of_selected(self) -> None:
        runs = self.page.selected_runs()
        if len(runs) == 1:
            self.page.open_settings.emit(dict(runs[0]["config"]))

    def resume_selected(self) -> None:
        runs = self.page.selected_runs()
        if len(runs) == 1:
            self.page.resume_training.emit(runs[0]["id"])

    def continue_selected(self) -> None:
        runs = self.page.selected_runs()
        if len(runs) == 1:
            self.page.continue_training.emit(runs[0]["id"], self.page.more_epochs.value())

    def delete_selected(self) -> None:
        """Delete the selected runs with their model files, in the background (RunsStore); a running run is
        refused with a message."""
        runs = self.page.selected_runs()
        if not runs:
            return
        names = ", ".join(run_title(r) for r in runs[:5]) + (" …" if len(runs) > 5 else "")
        if not self.page.confirm(f"Delete {names} with {'their' if len(runs) > 1 else 'its'} model file? This cannot be undone."):
            return
        titles = {r["id"]: run_title(r) for r in runs}
        self.page.store.delete_runs(list(titles), lambda result: self._deleted(result, titles))

    def _deleted(self, result: tuple[list[int], list[int]], titles: dict[int, str]) -> None:
        deleted, refused = result
        for run_id in deleted:
            self.page.compare.forget(run_id)
            self.page.model.remove([("run", run_id)])
            self.page.deleted.emit(run_id)
        for run_id in refused:
            self.page.problem.emit("Cannot delete a running run", f"{titles[run_id]} is training right now. Cancel it "
                              "first (in the window or process that trains it).")

    def update_buttons(self) -> None:
        """What can be done with the selected runs."""
        page = self.page
        runs = page.selected_runs()
        one = len(runs) == 1
        usable = one and bool(runs[0].get("model_path")) and not runs[0].get("model_missing")  # checked per refresh
        page.buttons["star"].setEnabled(one)
        offered = usable and offers_model(runs[0])
        page.buttons["use"].setEnabled(offered)
        page.buttons["use"].setToolTip(USE_TIP if offered or not usable else
                                       f"a {runs[0]['status']} run's model is not offered for suggestions")
        page.buttons["settings"].setEnabled(one)
        page.buttons["continue"].setEnabled(usable and runs[0]["status"] != "running")
        page.buttons["resume"].setEnabled(one and runs[0]["status"] in ("paused", "interrupted")
                                          and bool(runs[0].get("checkpoint_path")))
        page.buttons["delete"].setEnabled(bool(runs))
        page.buttons["csv"].setEnabled(bool(runs))
        page.buttons["png"].setEnabled(bool(runs))
        page.buttons["pt2"].setEnabled(usable and self.model_export is None)
        page.buttons["onnx"].setEnabled(usable and self.model_export is None)
        page.buttons["privacy"].setEnabled(usable and page.privacy.worker is None)
        page.buttons["ngrams"].setEnabled(usable)

    # --- exports ------------------------------------------------------------------------------------------
    def _save_path(self, title: str, name: str, filt: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.page, title, str(Path.home() / name), filt)
        return path

    def choose_csv(self) -> None:
        if path := self._save_path("Export epoch metrics", "runs.csv", "CSV (*.csv)"):
            self.export_csv(path)

    def choose_png(self) -> None:
        if path := self._save_path("Export chart", "runs.png", "PNG image (*.png)"):
            self.export_png(path)

    def choose_model(self, fmt: str) -> None:
        runs = self.page.selected_runs()
        filters = {"pt2": "torch.export program (*.pt2)", "onnx": "ONNX model (*.onnx)"}
        if runs and not self.page.privacy.export_allowed(runs[0]):  # its kept audit found exposed text (design §17)
            return
        if runs and (path := self._save_path("Export the model", f"run{runs[0]['id']}.{fmt}", filters[fmt])):
            self.export_model(path, fmt)

    def export_csv(self, path) -> bool:
        """Write the selected runs' epochs as CSV in a worker (a read and a file write: never on the GUI thread);
        `exported` or `problem` tells how it went. False when nothing is selected."""
        ids = [r["id"] for r in self.page.selected_runs()]
        if not ids:
            return False

        def write(db):
            from ...jobs import exports

            exports.epochs_csv(db, ids, path)

        self.page.store.read(write, result=self._csv_written, failed=self._csv_failed, path=str(path))
        return True

    # Slots of the page, never lambdas: a worker's signal reaches a QObject's method on the GUI thread.
    def _csv_written(self, worker, _) -> None:
        self.page.exported.emit(f"wrote {worker.path}")

    def _csv_failed(self, worker, message: str) -> None:
        self.page.problem.emit("Cannot export the metrics", message)

    def export_png(self, path):
        """Draw the compare chart here (painting belongs to the GUI thread) and write the PNG in a worker;
        `exported` or `problem` tells how it went. Returns the worker, or None when nothing was started."""
        from ...core.errors import UserError
        from ..widgets.compare_plot import check_folder, write_png

        try:
            check_folder(path)  # a missing folder is said before the chart is drawn
        except UserError as exc:
            self.page.problem.emit("Cannot export the chart", str(exc))
            return None
        self.page.compare.finish()
        image = self.page.ensure_plot().render_image()
        worker = function_job(lambda progress, should_stop: write_png(image, path), result=self._png_written,
                              failed=self._png_failed, path=str(path))
        self.page.jobs.start(worker)
        return worker

    def _png_written(self, worker, _) -> None:
        self.page.exported.emit(f"wrote {worker.path}")

    def _png_failed(self, worker, message: str) -> None:
        self.page.problem.emit("Cannot export the chart", message)

    def export_model(self, path, fmt: str):
        """Export the selected run's model in the background (torch.export and the parity check take seconds);
        `exported` or `problem` tells how it went. Returns the worker, or None if nothing was started."""
        runs = self.page.selected_runs()
        if len(runs) != 1 or self.model_export is not None:
            return None
        home, run_id = self.page.home, runs[0]["id"]

        def work(progress, should_stop):
            from ...jobs import exports
            from ...jobs import runs as jobs

            _, db = jobs.open_store(home)
            try:
                return exports.export_model(db, run_id, path, fmt).describe()
            finally:
                db.close()

        self.model_export = function_job(work, result=self._model_exported, failed=self._model_export_failed,
                                          ended=self._model_export_ended, path=str(path))
        self.page.jobs.start(self.model_export)
        self.update_buttons()
        self.page.exporting.emit(f"exporting run {run_id}'s model to {path} and checking it against PyTorch…")
        return self.model_export

    def _model_exported(self, worker, description: str) -> None:
        self.page.exported.emit(f"wrote {worker.path}: {description}")

    def _model_export_failed(self, worker, message: str) -> None:
        self.page.problem.emit("Cannot export the model", message)

    def _model_export_ended(self, worker) -> None:
        self.model_export = None
        self.update_buttons()

