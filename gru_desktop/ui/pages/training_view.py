"""The Training page: the live chart over the epoch table and the sample suggestions (the progress/ETA
arithmetic for the bar is `core.progress`)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from ..widgets.epoch_table import EpochTable
from .samples_view import SamplesPanel

CHART_SHARE = 62  # % of the page's height the chart gets at first (the user's splitter sizes are remembered)
MIN_CHART_SHARE = 50  # never less at the start: the chart is what the page is for (both plots fully visible)


class TrainingView(QWidget):
    """The live chart on top (`metricsPlot`, at least half the page), below it the epoch table and the sample
    suggestions as two tabs (`trainingDetails`), the splitter between them and the tab shown remembered by the
    window (`WindowState`). The chart is built on demand (`ensure_plot`): pyqtgraph costs ~0.3 s to import,
    after first paint."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Vertical, objectName="trainingSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.placeholder = QLabel("Press Train to watch the loss and accuracy curves here.",
                                  alignment=Qt.AlignmentFlag.AlignCenter)
        self.table = EpochTable()
        top = QWidget()  # the chart with the system monitor's line under it
        self.top = QVBoxLayout(top)
        self.top.setContentsMargins(0, 0, 0, 0)
        self.top.setSpacing(2)
        self.top.addWidget(self.placeholder, 1)
        self.system_label = QLabel(objectName="systemMonitor")
        self.system_label.setStyleSheet("color: gray;")
        self.system_label.setToolTip("the training process during the last epoch: CPU use (100 % = one core), "
                                     "peak memory, threads, device, speed")
        self.top.addWidget(self.system_label)
        self.splitter.addWidget(top)
        self.samples = SamplesPanel()
        self.details = QTabWidget(objectName="trainingDetails")
        self.details.setDocumentMode(True)
        self.details.addTab(self.table, "Epochs")
        self.details.addTab(self.samples, "Sample suggestions")
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout.addWidget(self.splitter)
        self.plot = None
        self._building = None  # the MetricsPlot being built step by step (build_plot_step)
        self.sized = False  # the panes got their first sizes (or the window restored the user's)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if not self.sized and self.height() > 100:  # first laid out: the chart CHART_SHARE %, the tabs the rest
            self.sized = True
            h = self.splitter.height()
            self.splitter.setSizes([h * CHART_SHARE // 100, h - h * CHART_SHARE // 100])

    def restored(self) -> None:
        """The window restored the user's splitter sizes: keep them, unless they leave the chart less than
        MIN_CHART_SHARE % (a state saved by an older layout, or a tiny window)."""
        sizes = self.splitter.sizes()
        self.sized = sum(sizes) > 0 and sizes[0] * 100 >= MIN_CHART_SHARE * sum(sizes)

    def startup_steps(self):
        """The window's start-up builds the chart a step per event-loop turn."""
        while self.build_plot_step():
            yield

    def build_plot_step(self) -> bool:
        """One step of building the chart (the window's start-up runs one per event-loop turn: the whole
        chart took 24-36 ms of the GUI thread); False once it is on the page."""
        if self.plot is not None:
            return False
        if self._building is None:
            from ..widgets.metrics_plot import MetricsPlot

            self._building = MetricsPlot(staged=True)
            return True
        if self._building.build_next():
            return True
        self.ensure_plot()
        return False

    def ensure_plot(self):
        if self.plot is None:
            from ..widgets.metrics_plot import MetricsPlot

            self.plot = (self._building or MetricsPlot(staged=True)).complete()
            self._building = None
            sizes = self.splitter.sizes()
            self.top.replaceWidget(self.placeholder, self.plot)
            self.top.setStretchFactor(self.plot, 1)
            self.placeholder.deleteLater()
            if self.sized and sum(sizes) > 0:
                self.splitter.setSizes(sizes)  # as they were around the placeholder
        return self.plot

    def clear(self, probes: list[str] | None = None) -> None:
        """A new run starts (with these probes for its sample suggestions)."""
        self.ensure_plot().reset()
        self.table.table_model.clear()
        self.system_label.setText("")
        self.samples.start_run(self.samples.probes if probes is None else probes)

    def plan(self, epochs: int) -> None:
        """The run's planned epochs (0: epochs auto): the chart's x axis spans them from the start."""
        self.ensure_plot().planned_epochs = max(0, int(epochs or 0))

    def add_steps(self, steps) -> None:
        self.ensure_plot().add_steps(steps)

    def add_epoch(self, epoch) -> None:
        from ...jobs.sysmon import describe

        self.ensure_plot().add_epoch(epoch)
        self.table.table_model.add(epoch)
        line = describe(getattr(epoch, "system", None), epoch.tokens_per_s)
        self.system_label.setText(f"epoch {epoch.epoch}: {line}" if line else "")
        self.samples.add_epoch(epoch.epoch, getattr(epoch, "samples", None) or [])
