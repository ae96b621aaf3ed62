"""The settings form: spin boxes for the pipeline sizes and an Advanced group for the optimiser.

The widgets only collect values; `TrainConfig.validate()` (the core) decides what is allowed. An
impossible value is explained in red under its field and `valid` turns False, so the window can
disable Train; nothing here raises.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QSpinBox,
                               QToolButton, QVBoxLayout, QWidget)

from ..core.config import PRECISIONS, SCHEDULES, TOKENIZERS, TrainConfig
from ..core.errors import ConfigError

# field: (object name, label, kind, minimum, maximum, step/decimals, tooltip)
# Minimums sit one below what the core allows where that helps: the core's message then explains why
# (e.g. a padding length of 0), instead of the spin box silently refusing the keystroke.
MAIN_FIELDS = {
    "seq_len": ("seqLenSpin", "Padding length L", "int", 0, 1000, 1,
                "words per training window: sentences are cut into windows of L ids, shorter ones padded with zeros"),
    "embed_dim": ("embedDimSpin", "Embedding size E", "int", 0, 4096, 1,
                  "numbers learned for each word (the embedding layer's width)"),
    "hidden_size": ("hiddenSizeSpin", "GRU hidden size H", "int", 0, 4096, 1,
                    "units in each GRU layer: the memory the network carries from word to word"),
    "layers": ("layersSpin", "GRU layers", "int", 0, 9, 1, "stacked GRU layers (1 is plenty for small texts)"),
    "vocab_size": ("vocabSizeSpin", "Vocabulary size V", "int", 1, 2_000_000, 500,
                   "the most frequent words that get their own id, counting <pad>, <unk> and <bos>; "
                   "rarer words become <unk>"),
    "epochs": ("epochsSpin", "Epochs", "int", 0, 10_000, 1,
               "passes over the training text; auto (below 1): until validation stops improving for "
               "'patience' epochs, within the time budget"),
    "budget": ("budgetSpin", "Time budget (s)", "float", 0.0, 1e7, 0,
               "the most seconds Epochs auto may train; its learning-rate schedule is planned over it"),
}
ADVANCED_FIELDS = {
    "batch_size": ("batchSizeSpin", "Batch size", "int", 0, 65_536, 16, "windows trained on together in one step"),
    "lr": ("lrSpin", "Learning rate", "float", 0.0, 10.0, 5, "Adam's starting step size (see the schedule below)"),
    "dropout": ("dropoutSpin", "Dropout", "float", -0.01, 1.0, 2,
                "share of embeddings and GRU outputs dropped while training; auto (below 0): by the size of the "
                "text, 0.3 below 100 k words, else 0"),
    "val_fraction": ("valFractionSpin", "Validation share", "float", 0.0, 0.9, 2,
                     "share of sentences held out to measure how well the model generalises"),
    "seed": ("seedSpin", "Seed", "int", 0, 2**31 - 1, 1, "the same seed gives the same split, weights and results"),
    "patience": ("patienceSpin", "Early-stopping patience", "int", 0, 10_000, 1,
                 "stop after this many epochs without a better validation loss (0 = never stop early)"),
    "min_count": ("minCountSpin", "Minimum word count", "int", 0, 1_000_000, 1, "a word needs this many occurrences to get an id"),
    "clip": ("clipSpin", "Gradient clipping", "float", 0.0, 1000.0, 2, "largest gradient norm per step (0 = off)"),
    "time_limit": ("timeLimitSpin", "Time limit (s)", "float", 0.0, 1e7, 0, "stop after this many seconds (0 = no limit)"),
    "threads": ("threadsSpin", "Torch threads", "int", 0, 256, 1, "CPU threads for training (0 = one per core)"),
    "checkpoint_minutes": ("checkpointMinutesSpin", "Checkpoint every (min)", "float", 0.0, 1440.0, 1,
                           "write a resumable checkpoint this often while training, so a crash or power cut "
                           "loses at most this much (0 = only when pausing)"),
    "processes": ("processesSpin", "Processes", "int", 0, 1024, 1,
                  "training processes sharing each batch (torchrun + DistributedDataParallel); with more than one the "
                  "window starts the command line under torchrun and follows the run from the database"),
}
DEVICES = ("auto", "cpu", "cuda", "mps")
CHOICES = {
    "tokenizer": ("tokenizerCombo", "Tokenizer", TOKENIZERS,
                  "words: lowercase words and punctuation; pretokenized: split on spaces, one sentence per line (WikiText)"),
    "schedule": ("scheduleCombo", "Learning-rate schedule", SCHEDULES,
                 "cosine: decay the learning rate to 0 over the planned epochs (or the time limit); "
                 "plateau: halve it whenever validation stops improving"),
    "precision": ("precisionCombo", "Dense precision", PRECISIONS,
                  "bf16 speeds up the dense layer on CPUs that support it; auto uses it where the CPU has it"),
}


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
        for name, spec in MAIN_FIELDS.items():
            self._add_number(main, name, *spec)
        self.inputs["epochs"].setSpecialValueText("auto")  # 0 = Epochs auto
        self.inputs["epochs"].valueChanged.connect(self._budget_enabled)
        self._add_check(main, "tie_weights", "tieWeightsCheck", "shares the embedding",
                        "the dense layer scores each word with its embedding row (after an H → E projection) "
                        "instead of a V × H matrix of its own: half the parameters, and it generalises better",
                        label="Output layer")
        layout.addLayout(main)
        self.advanced_toggle = QToolButton(text="Advanced", checkable=True)
        self.advanced_toggle.setObjectName("advancedToggle")
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced = QGroupBox()
        self.advanced.setObjectName("advancedGroup")
        adv = QFormLayout(self.advanced)
        for name, spec in ADVANCED_FIELDS.items():
            self._add_number(adv, name, *spec)
        # here, not above: dropout is an advanced field (main's form raised KeyError before it existed)
        self.inputs["dropout"].setSpecialValueText("auto")  # below 0 = None: by the size of the text
        for name, (obj, label, options, tip) in CHOICES.items():
            combo = QComboBox(objectName=obj, toolTip=tip)
            combo.addItems(list(options))
            combo.currentIndexChanged.connect(self._on_change)
            self._add_row(adv, name, label, combo)
        device = QComboBox(objectName="deviceCombo", editable=False,
                           toolTip="where training runs: auto = CUDA, else Apple MPS, else the CPU; "
                                   "typing suggestions always run on the CPU")
        device.addItems(list(DEVICES))
        device.currentIndexChanged.connect(self._on_change)
        self._add_row(adv, "device", "Device", device)
        self._add_check(adv, "lowercase", "lowercaseCheck", "Lowercase all words", "treat The and the as one word")
        self.advanced.setVisible(False)
        self.advanced_toggle.toggled.connect(self._show_advanced)
        layout.addWidget(self.advanced_toggle)
        layout.addWidget(self.advanced)
        self._loading = False
        self.present_devices: set[str] | None = None  # None until torch is loaded
        self.set_config(TrainConfig())

    def _add_number(self, form, name, obj, label, kind, lo, hi, step, tip):
        if kind == "int":
            box = QSpinBox(objectName=obj, minimum=lo, maximum=hi, singleStep=step)
            box.valueChanged.connect(self._on_change)
        else:
            box = QDoubleSpinBox(objectName=obj, minimum=lo, maximum=hi, decimals=step)
            box.setSingleStep(10 ** -step if step else 10)
            box.valueChanged.connect(self._on_change)
        box.setToolTip(tip)
        box.setKeyboardTracking(False)  # validate the finished number, not every keystroke
        box.setGroupSeparatorShown(kind == "int" and hi >= 10_000)
        self._add_row(form, name, label, box)

    def _add_check(self, form, name, obj, text, tip, label=""):
        check = QCheckBox(text, objectName=obj, toolTip=tip)
        check.toggled.connect(self._on_change)
        self._add_row(form, name, label, check)

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
        if out.get("dropout", 0.0) < 0:
            out["dropout"] = None  # "auto"
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
        self.errors = collect_errors(self.config())
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


def collect_errors(config: TrainConfig) -> dict[str, str]:
    """Every field's problem, not just the first: validate, note the field, reset it to its default, repeat."""
    errors: dict[str, str] = {}
    default = TrainConfig()
    for _ in range(64):
        try:
            config.validate()
            return errors
        except ConfigError as exc:
            if exc.field in errors:  # its default does not fix it (a combination): stop here
                return errors
            errors[exc.field] = str(exc)
            config = config.replace(**{exc.field: getattr(default, exc.field)})
    return errors


def _readable(name: str, message: str) -> str:
    """The core names fields as in code ("seq_len must be …"); the form says "Padding length L must be …"."""
    spec = MAIN_FIELDS.get(name) or ADVANCED_FIELDS.get(name) or CHOICES.get(name)
    if spec and message.startswith(name):
        return spec[1] + message[len(name):]
    return message
