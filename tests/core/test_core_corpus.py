"""Tokenizer, sentence splitting, vocabulary, and reading files into a corpus."""
from __future__ import annotations

import codecs
import io
import zipfile

import numpy as np
import pytest

from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import read_corpus
from gru_desktop.core.data import build_dataset, make_windows
from gru_desktop.core.errors import CorpusError
from gru_desktop.core.vocab import BOS, PAD, RESERVED, UNK, Vocab, split_sentences, tokenize_sentence

CFG = TrainConfig(seq_len=4, embed_dim=16, hidden_size=32, batch_size=16, lr=0.01, epochs=1, patience=0)


def _sentences(corpus):
    return [corpus.sentence_words(i) for i in range(corpus.n_sentences)]


# --- tokenizer -------------------------------------------------------------------------------

def test_words_tokenizer_lowercases_keeps_contractions_and_numbers():
    toks = tokenize_sentence("The Cat DON'T pay 3.5 dollars, 1,000 times; well-known: yes", "words", True)
    assert toks == ["the", "cat", "don't", "pay", "3.5", "dollars", ",", "1,000", "times", ";", "well-known", ":", "yes"]


def test_words_tokenizer_drops_quotes_and_brackets():
    assert tokenize_sentence('"Hello" (world) -- ok', "words", True) == ["hello", "world", "ok"]


def test_words_tokenizer_without_lowercase_keeps_case():
    assert tokenize_sentence("The Cat", "words", False) == ["The", "Cat"]


def test_sentence_split_rules(tmp_path):
    p = tmp_path / "s.txt"
    p.write_text("One two. Three four! Five six? Seven\neight nine\n\nTen eleven. Mr. Smith went home.", encoding="utf-8")
    c = read_corpus(p)
    assert _sentences(c) == [
        ["one", "two"],
        ["three", "four"],
        ["five", "six"],
        ["seven", "eight", "nine"],  # a single newline is a space
        ["ten", "eleven"],  # a blank line ends a sentence
        ["mr", "smith", "went", "home"],  # "Mr." does not end it
    ]


def test_number_with_dot_does_not_split():
    parts = [p for p in split_sentences("It costs 3.5 euros. Next", "words") if p.strip()]
    assert len(parts) == 2
    assert tokenize_sentence(parts[0], "words", True) == ["it", "costs", "3.5", "euros"]


def test_pretokenized_keeps_case_lines_and_unk(tmp_path):
    p = tmp_path / "w.txt"
    p.write_text("The <unk> went @-@ home .\nA second Line\n", encoding="utf-8")
    c = read_corpus(p, tokenizer="pretokenized", lowercase=False)
    assert _sentences(c) == [["The", "<unk>", "went", "@-@", "home", "."], ["A", "second", "Line"]]
    # add a second copy so there are enough sentences, then build the vocabulary
    ds = build_dataset(c, CFG.replace(tokenizer="pretokenized", lowercase=False))
    pos = int(c.starts[0]) + 1
    assert ds.ids[pos] == UNK
    assert "<unk>" == ds.vocab.itos[UNK]
    assert ds.vocab.itos.count("<unk>") == 1
    assert "The" in ds.vocab.stoi and "the" not in ds.vocab.stoi


# --- vocabulary ------------------------------------------------------------------------------

def test_vocab_build_caps_size_and_min_count():
    words = ["a", "b", "c", "d", "e"]
    counts = np.array([5, 1, 7, 2, 5])
    v = Vocab.build(words, counts, max_size=6)
    assert v.itos[:3] == list(RESERVED)
    assert (v.id("<pad>"), v.id("<unk>"), v.id("<bos>")) == (PAD, UNK, BOS) == (0, 1, 2)
    assert v.itos[3:] == ["c", "a", "e"]  # by count, ties first-seen first
    assert len(v) == 6
    assert v.id("b") == UNK
    v2 = Vocab.build(words, counts, max_size=100, min_count=2)
    assert v2.itos[3:] == ["c", "a", "e", "d"]
    assert "b" not in v2.stoi
    assert v2.encode(["a", "zzz"]) == [v2.id("a"), UNK]


def test_vocab_build_never_duplicates_reserved():
    v = Vocab.build(["<unk>", "x", "<pad>"], np.array([9, 1, 9]), max_size=10)
    assert v.itos == list(RESERVED) + ["x"]


def test_vocab_prefix_lookup_and_suggestable():
    v = Vocab(list(RESERVED) + ["cat", "car", ",", "dog", "cake"])
    got = sorted(v.itos[i] for i in v.ids_with_prefix("ca"))
    assert got == ["cake", "car", "cat"]
    assert v.ids_with_prefix("<").size == 0
    assert v.suggestable.tolist() == [False, False, False, True, True, False, True, True]


# --- reading files ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name,content",
    [
        ("empty.txt", b""),
        ("blank.txt", b"   \n\n\t  \r\n"),
        ("img.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
        ("zip.txt", None),
    ],
)
def test_read_corpus_refuses_bad_files(tmp_path, name, content):
    p = tmp_path / name
    if content is None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("a.txt", "hello world. " * 50)
        content = buf.getvalue()
    p.write_bytes(content)
    with pytest.raises(CorpusError) as ei:
        read_corpus(p)
    assert name in str(ei.value)


def test_read_corpus_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        read_corpus(tmp_path / "nope.txt")
    d = tmp_path / "folder"
    d.mkdir()
    (d / "notes.md").write_text("hello there.")
    with pytest.raises(CorpusError, match="no .txt"):
        read_corpus(d)
    with pytest.raises(CorpusError):
        read_corpus([])


def test_utf16_with_bom_reads_with_warning(tmp_path):
    p = tmp_path / "u16.txt"
    p.write_bytes("Café au lait. Déjà vu!".encode("utf-16"))  # BOM included
    c = read_corpus(p)
    assert _sentences(c) == [["café", "au", "lait"], ["déjà", "vu"]]
    assert c.warnings and "UTF-16" in c.warnings[0]


def test_latin1_reads_with_warning(tmp_path):
    p = tmp_path / "l1.txt"
    p.write_bytes("Un café noir. Très bien.".encode("latin-1"))
    c = read_corpus(p)
    assert _sentences(c) == [["un", "café", "noir"], ["très", "bien"]]
    assert any("Windows-1252" in w for w in c.warnings)


def test_cp1252_smart_quotes(tmp_path):
    p = tmp_path / "cp.txt"
    p.write_bytes("I don\u2019t know. Fine.".encode("cp1252"))
    c = read_corpus(p)
    assert c.sentence_words(0) == ["i", "don\u2019t", "know"]
    assert c.warnings


def test_utf8_bom_reads_without_warning(tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes(codecs.BOM_UTF8 + "Hello world. Café.".encode("utf-8"))
    c = read_corpus(p)
    assert _sentences(c) == [["hello", "world"], ["café"]]
    assert c.warnings == []


def test_folder_with_one_good_one_empty_file(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "a_good.txt").write_text("The cat sat. The dog ran.", encoding="utf-8")
    (d / "b_empty.txt").write_bytes(b"")
    c = read_corpus(d)
    assert _sentences(c) == [["the", "cat", "sat"], ["the", "dog", "ran"]]
    assert len(c.files) == 1 and c.files[0].path.endswith("a_good.txt")
    assert len(c.warnings) == 1 and "b_empty.txt" in c.warnings[0]


def test_explicit_bad_file_among_good_raises(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("The cat sat. The dog ran.", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    with pytest.raises(CorpusError, match="bad.txt"):
        read_corpus([good, bad])


def test_build_dataset_one_word_file(tmp_path):
    p = tmp_path / "one.txt"
    p.write_text("hello", encoding="utf-8")
    c = read_corpus(p)
    with pytest.raises(CorpusError, match="too little text"):
        build_dataset(c, CFG)


def test_long_line_without_sentence_break(tmp_path):
    n = 200_000
    words = [f"wd{i % 997}" for i in range(n)]
    p = tmp_path / "long.txt"
    p.write_text(" ".join(words), encoding="utf-8")  # > 1 MiB: crosses block boundaries
    assert p.stat().st_size > (1 << 20)
    c = read_corpus(p)
    assert c.n_sentences == 1
    assert c.n_tokens == n
    assert c.sentence_words(0)[:3] == ["wd0", "wd1", "wd2"]
    assert c.sentence_words(0)[-1] == words[-1]
    assert any("no sentence break" in w for w in c.warnings)
    ids = np.arange(n, dtype=np.int32) % 997 + 3
    w = make_windows(ids, c.starts, np.array([0]), 16)
    assert w.n_windows == (n + 15) // 16
    assert w.n_tokens == n
    assert int(w.inputs[0, 0]) == BOS and int((w.inputs[:, 0] == BOS).sum()) == 1


def test_corpus_counts_match_ids(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("the cat. the dog. the end.", encoding="utf-8")
    c = read_corpus(p)
    assert c.counts[c.words.index("the")] == 3
    assert int(c.counts.sum()) == c.n_tokens == 6
