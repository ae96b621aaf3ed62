"""The settings form: spin boxes for the pipeline sizes and an Advanced group for the optimiser.

The widgets only collect values; `TrainConfig.validate()` (the core) decides what is allowed. An
impossible value is explained in red under its field and `valid` turns False, so the window can
disable Train; nothing here raises.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.config import SETTINGS, Setting, TrainConfig

# Where each setting sits and how its box steps; what it is called, explains, allows and offers is the
# core's (core.config.SETTINGS, read from TrainConfig's field metadata), like validate() and the CLI.
MAIN_FIELDS = ("seq_len", "embed_dim", "hidden_size", "layers", "vocab_size", "epochs", "budget", "tie_weights")
ADVANCED_FIELDS = ("batch_size", "lr", "dropout", "val_fraction", "seed", "patience", "min_count", "clip",
                   "time_limit", "threads", "checkpoint_minutes", "processes", "tokenizer", "schedule", "precision",
                   "device", "lowercase")
STEPS = {"vocab_size": 500, "batch_size": 16}  # whole numbers: the arrows' step (default 1)
DECIMALS = {"lr": 5, "dropout": 2, "val_fraction": 2, "clip": 2, "checkpoint_minutes": 1}  # numbers (default 0)
CHECK_TEXT = {"tie_weights": "shares the embedding"}  # a check box's text, when its label is the row's
SPIN_MAX = 2**31 - 1  # QSpinBox holds a C int


def object_name(s: Setting) -> str:
    """seq_len → seqLenSpin, tokenizer → tokenizerCombo, lowercase → lowercaseCheck (design §7)."""
    head, *rest = s.name.split("_")
    kind = "Check" if s.kind is bool else "Combo" if s.kind is str else "Spin"
    return head + "".join(w.title() for w in rest) + kind


def spin_bounds(s: Setting) -> tuple[float, float]:
    """The box's extent: one step past the core's range on each side (never below 0), so that a wrong
    value can be typed and the core's message explains it, instead of the box silently refusing the key.
    An "auto" that is not a number (dropout) takes the slot below the range; one that is (epochs 0) is
    the range's own minimum. Both show as "auto"."""
    lo, hi = s.range
    step = 1 if s.kind is int else 10 ** -DECIMALS.get(s.name, 0)
    low = lo if (s.has_auto and s.auto == lo) else max(lo - step, 0)
    if s.has_auto and s.auto is None:
        low = lo - step
    return low, min(hi + step, SPIN_MAX) if s.kind is int else hi + step


class SettingsForm(QWidget):
    changed = Signal()  # any value changed (the config may be invalid: check `valid`)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.inputs: dict[str, QWidget] = {}
        self.error_labels: dict[str, QLabel] = {}
        self.errors: dict[str, str] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        main = QFormLayout()
        for name in MAIN_FIELDS:
            self._add_setting(main, SETTINGS[name])
        self.inputs["epochs"].valueChanged.connect(self._budget_enabled)
        layout.addLayout(main)
        self.advanced_toggle = QToolButton(text="Advanced", checkable=True)
        self.advanced_toggle.setObjectName("advancedToggle")
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced = QGroupBox()
        self.advanced.setObjectName("advancedGroup")
        adv = QFormLayout(self.advanced)
        for name in ADVANCED_FIELDS:
            self._add_setting(adv, SETTINGS[name])
        self.advanced.setVisible(False)
        self.advanced_toggle.toggled.connect(self._show_advanced)
        layout.addWidget(self.advanced_toggle)
        layout.addWidget(self.advanced)
        self._loading = False
        self.present_devices: set[str] | None = None  # None until torch is loaded
        self.set_config(TrainConfig())

    def _add_setting(self, form: QFormLayout, s: Setting) -> None:
        widget: QWidget
        if s.kind is bool:
            check = QCheckBox(CHECK_TEXT.get(s.name, s.label))
            check.toggled.connect(self._on_change)
            widget, label = check, s.label if s.name in CHECK_TEXT else ""
        elif s.kind is str:
            combo = QComboBox()
            combo.addItems(list(s.choices))
            combo.currentIndexChanged.connect(self._on_change)
            widget, label = combo, s.label
        else:
            lo, hi = spin_bounds(s)
            box: QSpinBox | QDoubleSpinBox
            if s.kind is int:
                box = QSpinBox(minimum=int(lo), maximum=int(hi), singleStep=STEPS.get(s.name, 1))
                box.setGroupSeparatorShown(hi >= 10_000)
            else:
                decimals = DECIMALS.get(s.name, 0)
                box = QDoubleSpinBox(minimum=lo, maximum=hi, decimals=decimals)
                box.setSingleStep(10 ** -decimals if decimals else 10)
            if s.has_auto:
                box.setSpecialValueText("auto")  # the minimum: epochs 0, dropout below 0 (None)
            box.valueChanged.connect(self._on_change)
            box.setKeyboardTracking(False)  # validate the finished number, not every keystroke
            widget, label = box, s.label
        widget.setObjectName(object_name(s))
        widget.setToolTip(s.help)
        self._add_row(form, s.name, label, widget)

    def _add_row(self, form, name, label, widget):
        error = QLabel(objectName=f"{name}Error", wordWrap=True)
        error.setStyleSheet("color: #c62828;")
        error.setVisible(False)
        form.addRow(label, widget)
        form.addRow("", error)
        self.inputs[name], self.error_labels[name] = widget, error

    def _show_advanced(self, on: bool) -> None:
        self.advanced.setVisible(on)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    # --- values ---------------------------------------------------------------------------------------
    def values(self) -> dict:
        out = {}
        for name, w in self.inputs.items():
            if isinstance(w, QComboBox):
                out[name] = w.currentText()
            elif isinstance(w, QCheckBox):
                out[name] = w.isChecked()
            elif isinstance(w, QSpinBox):
                out[name] = int(w.value())
            else:
                out[name] = float(w.value())
        for name, value in out.items():
            s = SETTINGS[name]
            if s.has_auto and s.auto is None and value < s.range[0]:
                out[name] = None  # "auto", the slot below the range
        return out

    def config(self) -> TrainConfig:
        """The settings as a TrainConfig (not validated: see `valid` and `errors`)."""
        return TrainConfig().replace(**self.values())

    def set_config(self, config: TrainConfig) -> None:
        self._loading = True
        try:
            for name, w in self.inputs.items():
                value = getattr(config, name)
                if isinstance(w, QComboBox):
                    w.setCurrentText(str(value))
                elif isinstance(w, QCheckBox):
                    w.setChecked(bool(value))
                elif value is None:  # "auto"
                    w.setValue(w.minimum())
                else:
                    w.setValue(value)
        finally:
            self._loading = False
        self._on_change()

    def set_present_devices(self, present: list[str]) -> None:
        """Enable only the devices this machine has (known once torch is loaded, after the first paint):
        'cuda:0' … are added as choices of their own; an absent one is greyed out, and chosen is refused."""
        combo: QComboBox = self.inputs["device"]
        for name in present:
            if name.startswith("cuda:") and combo.findText(name) < 0:
                combo.addItem(name)
        self.present_devices = set(present) | {"auto"}
        if any(p.startswith("cuda") for p in present):
            self.present_devices.add("cuda")
        model = combo.model()
        for i in range(combo.count()):
            item = model.item(i)
            ok = combo.itemText(i) in self.present_devices
            item.setEnabled(ok)
            item.setToolTip("" if ok else "not present on this machine")
        self._on_change()

    @property
    def valid(self) -> bool:
        return not self.errors

    def set_locked(self, locked: bool) -> None:
        for w in self.inputs.values():
            w.setEnabled(not locked)
        if not locked:
            self._budget_enabled()

    def _budget_enabled(self, *_) -> None:
        """The budget only means something for Epochs auto."""
        self.inputs["budget"].setEnabled(self.inputs["epochs"].value() == 0 and self.inputs["epochs"].isEnabled())

    # --- validation -----------------------------------------------------------------------------------
    def _on_change(self, *_):
        if self._loading:
            return
        self.errors = self.config().problems()
        device = self.inputs["device"].currentText()
        if self.present_devices is not None and device not in self.present_devices and "device" not in self.errors:
            self.errors["device"] = f"device {device} is not present on this machine (present: " \
                                    f"{', '.join(sorted(self.present_devices - {'auto'}))})"
        for name, label in self.error_labels.items():
            label.setText(_readable(name, self.errors.get(name, "")))
            label.setVisible(name in self.errors)
        if self.errors and not self.advanced.isVisible() and set(self.errors) - set(MAIN_FIELDS):
            self.advanced_toggle.setChecked(True)  # never hide the field that is wrong
        self.changed.emit()


def _readable(name: str, message: str) -> str:
    """The core names fields as in code ("seq_len must be …"); the form says "Padding length L must be …"."""
    if name in SETTINGS and message.startswith(name):
        return SETTINGS[name].label + message[len(name):]
    return message
