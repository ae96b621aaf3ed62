"""The settings form is built from the core's settings (core.config.SETTINGS) and shows every wrong value at once."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox

from gru_desktop.core.config import SETTINGS, TrainConfig
from gru_desktop.ui.widgets.settings_form import SettingsForm, object_name


def test_every_setting_has_its_widget_label_and_help_from_the_core(qtbot):
    form = SettingsForm()
    qtbot.addWidget(form)
    assert set(form.inputs) == set(SETTINGS)
    for name, s in SETTINGS.items():
        w = form.inputs[name]
        assert w.objectName() == object_name(s) and w.toolTip() == s.help, name
        kind = {bool: QCheckBox, str: QComboBox, int: QSpinBox, float: QDoubleSpinBox}[s.kind]
        assert isinstance(w, kind), name
        if s.choices:
            assert [w.itemText(i) for i in range(w.count())] == list(s.choices)
        if s.range:  # the box reaches the whole range (a step past it where the core explains why not)
            assert w.minimum() <= s.range[0] and w.maximum() >= s.range[1], name
    assert form.findChild(QSpinBox, "seqLenSpin") and form.findChild(QCheckBox, "tieWeightsCheck")
    assert form.config() == TrainConfig() and form.valid


def test_every_wrong_value_is_shown_at_once(qtbot):
    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_config(TrainConfig(seq_len=0, batch_size=0, val_fraction=0.0, layers=9))
    assert set(form.errors) == {"seq_len", "batch_size", "val_fraction", "layers"}
    for name in form.errors:
        label = form.error_labels[name]
        assert label.isVisibleTo(form) and label.text().startswith(SETTINGS[name].label + " must be"), label.text()
    assert form.advanced.isVisibleTo(form)  # wrong advanced values are never hidden
    form.set_config(TrainConfig())
    assert form.valid and not any(label.isVisibleTo(form) for label in form.error_labels.values())


def test_auto_values_round_trip(qtbot):
    form = SettingsForm()
    qtbot.addWidget(form)
    assert form.inputs["epochs"].text() == "auto" and form.inputs["dropout"].text() == "auto"
    assert form.config().dropout is None and form.config().epochs == 0
    form.set_config(TrainConfig(dropout=0.2, epochs=7))
    assert form.config().dropout == 0.2 and form.config().epochs == 7
