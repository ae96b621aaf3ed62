"""`bench --only scale` part d's corpus: a real text written N times, copies never joined mid-line, read as
N times the words and sentences of one copy."""
from __future__ import annotations

from gru_desktop.bench import _repeat
from gru_desktop.core.corpus import read_corpus


def test_repeated_text_has_n_times_the_words_and_sentences(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("The cat sat on the mat.\nA dog ran.", encoding="utf-8")  # no final newline: "ran.The" must not be one word
    big = tmp_path / "big.txt"
    size = _repeat(text, big, 7)
    assert size == big.stat().st_size == 7 * (text.stat().st_size + 1)
    one, many = read_corpus([text]), read_corpus([big])
    assert many.n_tokens == 7 * one.n_tokens and many.n_sentences == 7 * one.n_sentences
    assert many.words == one.words and (many.counts == 7 * one.counts).all()
