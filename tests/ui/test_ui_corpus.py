"""Loading text in the window: statistics, the pipeline trace, settings validation, and every bad file."""
from __future__ import annotations

import zipfile

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QCheckBox, QLabel, QWidget

import storage
from ui_helpers import SENTENCES, load, set_spins

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def test_first_launch_loads_the_sample_and_train_is_ready(qtbot, make_window):
    window = make_window(load_last=True)
    qtbot.waitUntil(lambda: window.data.corpus is not None and window.corpus_view.summary is not None, timeout=30_000)
    assert window.data.corpus.description == "bundled sample corpus"
    assert window.controls.train_button.isEnabled()
    assert "1,420" in window.findChild(QLabel, "corpusStats").text()


def test_statistics_and_pipeline_trace_follow_the_settings(qtbot, window, corpus_file):
    load(qtbot, window, [corpus_file])
    stats = window.findChild(QLabel, "corpusStats").text()
    n = len(SENTENCES) * 30
    assert f"{n:,}" in stats and "Distinct words" in stats and "&lt;unk&gt;" in stats
    trace = window.findChild(QWidget, "pipelineTrace")
    shapes = trace.shapes  # the real shapes (cards 3-6 may show "? guess it above" first: predict, then reveal)
    assert shapes[2].endswith("× 10") and shapes[3].endswith("× 10 × 50")
    assert "× 64" in shapes[4] and shapes[5].endswith(f"{window.corpus_view.summary.vocab:,} probabilities")
    assert trace.cards[2][3].text().startswith("[2 ")  # <bos> first in the padded row
    with qtbot.waitSignal(window.corpus_ready, timeout=20_000):
        set_spins(window, {"seqLenSpin": 4, "embedDimSpin": 7, "hiddenSizeSpin": 9, "vocabSizeSpin": 10})
    shapes = trace.shapes  # the real shapes (cards 3-6 may show "? guess it above" first: predict, then reveal)
    assert shapes[2].endswith("× 4") and shapes[3].endswith("× 4 × 7") and "× 9" in shapes[4]
    assert shapes[5].endswith("10 probabilities")
    summary = window.corpus_view.summary
    assert summary.vocab == 10 and summary.oov_share > 0 and summary.seq_len == 4
    assert summary.cut_share == pytest.approx(sum(len(s.split()) > 4 for s in SENTENCES) / len(SENTENCES), abs=0.01)
    assert sum(summary.hist) == n


def test_impossible_setting_is_explained_and_disables_train(qtbot, window, corpus_file):
    load(qtbot, window, [corpus_file])
    assert window.controls.train_button.isEnabled()
    set_spins(window, {"seqLenSpin": 0})
    label = window.findChild(QLabel, "seq_lenError")
    assert label.isVisibleTo(window) and label.text().startswith("Padding length L must be between 1")
    assert not window.controls.train_button.isEnabled() and not window.menus.train_action.isEnabled()
    set_spins(window, {"vocabSizeSpin": 3})
    assert "reserved" in window.findChild(QLabel, "vocab_sizeError").text()
    set_spins(window, {"seqLenSpin": 10, "vocabSizeSpin": 5000})
    assert not label.isVisibleTo(window) and window.controls.train_button.isEnabled()
    set_spins(window, {"valFractionSpin": 0.0})  # an advanced field: the Advanced group opens to show it
    assert window.settings_form.advanced.isVisibleTo(window)
    assert not window.controls.train_button.isEnabled()


def _bad_files(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("   \n\n\t  \n")
    (tmp_path / "image.txt").write_bytes(PNG)
    with zipfile.ZipFile(tmp_path / "archive.txt", "w") as z:
        z.writestr("a.txt", "hello " * 1000)
    (tmp_path / "nothing_here").mkdir()
    (tmp_path / "nothing_here" / "notes.md").write_text("not a txt file")
    return {
        "missing.txt": "no such file",
        "empty.txt": "empty",
        "blank.txt": "",
        "image.txt": "",
        "archive.txt": "",
        "nothing_here": "no .txt files",
    }


def test_each_bad_file_gets_a_message_naming_it_and_no_run(qtbot, window, corpus_file, tmp_path, home):
    load(qtbot, window, [corpus_file])
    for name, words in _bad_files(tmp_path).items():
        with qtbot.waitSignal(window.corpus_failed, timeout=20_000) as failed:
            window.load_corpus([tmp_path / name])
        message = failed.args[0]
        assert name in message and words in message, message
        assert window.messages.last_problem.startswith(message)
        assert "previous corpus is still loaded" in window.messages.last_problem
        assert window.data.corpus.files[0].path == str(corpus_file)  # the window stays usable
        qtbot.waitUntil(window.controls.train_button.isEnabled, timeout=5_000)
    assert not storage.db_path(home).exists() or storage.list_runs(storage.open_db(storage.db_path(home))) == []


def test_too_little_text_is_explained(qtbot, window, tmp_path):
    one = tmp_path / "one.txt"
    one.write_text("hello")
    with qtbot.waitSignal(window.corpus_failed, timeout=20_000) as failed:
        window.load_corpus([one])
    assert "too little text" in failed.args[0] and "validate" in failed.args[0]
    assert window.findChild(QLabel, "corpusMessage").text() == failed.args[0]
    assert not window.controls.train_button.isEnabled()
    assert "too little text" in window.controls.train_hint.text()



def test_a_newer_result_replaces_one_still_being_shown_part_by_part(qtbot, window, corpus_file):
    """The Data page shows a result a part per event-loop turn: a newer one arriving meanwhile stops the
    older one's remaining parts, and only the newer one says `ready`."""
    from types import SimpleNamespace

    from gru_desktop.core.data import build_dataset
    from gru_desktop.core.summary import summarize
    from gru_desktop.core.trace import pipeline_trace

    load(qtbot, window, [corpus_file])
    data = window.data
    results = []
    for seq_len in (4, 6):
        config = window.settings_form.config().replace(seq_len=seq_len)
        dataset = build_dataset(data.corpus, config)
        results.append((summarize(dataset, config), pipeline_trace(dataset, config)))
    ready = []
    data.ready.connect(lambda: ready.append(window.corpus_view.summary.seq_len))
    data._prepared(SimpleNamespace(corpus=data.corpus), results[0])  # its statistics now, the rest later
    data._prepared(SimpleNamespace(corpus=data.corpus), results[1])
    qtbot.waitUntil(lambda: len(ready) > 0, timeout=5_000)
    qtbot.wait(100)  # any part of the first still to come would have come by now
    assert ready == [6]
    trace = window.corpus_view.trace_view
    assert trace.shapes == [st.shape_text for st in results[1][1].stages]

def test_other_encodings_load_with_a_warning(qtbot, window, tmp_path):
    text = "\n".join(["café au lait is nice.", "the naïve cat sat down."] * 20)
    latin = tmp_path / "latin1.txt"
    latin.write_bytes(text.encode("latin-1"))
    load(qtbot, window, [latin])
    assert "café" in window.data.corpus.words
    assert "⚠" in window.findChild(QLabel, "corpusStats").text()
    utf16 = tmp_path / "utf16.txt"
    utf16.write_text(text, encoding="utf-16")
    load(qtbot, window, [utf16])
    assert "naïve" in window.data.corpus.words


def test_dropping_files_loads_them(qtbot, window, corpus_file):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(corpus_file))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.corpus_ready, timeout=20_000):
        window.dropEvent(event)
    assert window.data.paths == [str(corpus_file)]


def test_settings_corpus_and_geometry_persist(qtbot, make_window, corpus_file):
    first = make_window()
    first.show()
    qtbot.waitExposed(first)
    load(qtbot, first, [corpus_file])
    set_spins(first, {"seqLenSpin": 12, "hiddenSizeSpin": 32, "lrSpin": 0.002})
    tie = first.findChild(QCheckBox, "tieWeightsCheck")
    assert tie.isChecked() and first.settings_form.config().tie_weights  # the default: tied
    tie.setChecked(False)
    assert first.settings_form.config().tie_weights is False
    first.resize(first.minimumSizeHint().width() + 40, 600)
    first.training_view.splitter.setSizes([200, 300])
    sizes = first.training_view.splitter.sizes()
    assert sizes[0] < sizes[1]
    first.close()
    second = make_window(load_last=True)
    assert second.settings_form.config().seq_len == 12
    assert second.settings_form.config().hidden_size == 32
    assert second.settings_form.config().lr == pytest.approx(0.002)
    assert second.settings_form.config().tie_weights is False
    assert second.data.paths == [str(corpus_file)]
    # the offscreen screen is only 800 wide, so restoreGeometry may narrow the window; the height is kept
    assert second.size().height() == 600
    second.show()
    restored = second.training_view.splitter.sizes()
    assert restored[0] < restored[1] and abs(restored[0] - sizes[0]) <= 15  # the proportions come back
    qtbot.waitUntil(lambda: second.data.corpus is not None, timeout=20_000)
    assert second.data.corpus.files[0].path == str(corpus_file)


def test_a_vanished_last_corpus_falls_back_to_the_sample(qtbot, make_window, tmp_path):
    gone = tmp_path / "gone.txt"
    gone.write_text("\n".join(SENTENCES))
    first = make_window()
    load(qtbot, first, [gone])
    first.close()
    gone.unlink()
    second = make_window(load_last=True)
    assert second.data.paths == []
    qtbot.waitUntil(lambda: second.data.corpus is not None, timeout=20_000)
    assert second.data.corpus.description == "bundled sample corpus"
