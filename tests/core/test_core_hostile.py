"""Hostile input to the core (issue 11): crafted model files, a full disk at the write, text in scripts
written without spaces."""
from __future__ import annotations

import errno
import io
import os
import zipfile

import pytest
import torch

from gru_desktop.core import atomic
from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import read_corpus
from gru_desktop.core.errors import ModelFileError
from gru_desktop.core.model import GRULanguageModel
from gru_desktop.core.modelfile import estimate_file_bytes, load_model, model_bytes, save_model
from gru_desktop.core.predict import Predictor
from gru_desktop.core.vocab import RESERVED, Vocab, split_sentences, tokenize_sentence

CFG = TrainConfig(seq_len=4, embed_dim=8, hidden_size=16, vocab_size=50, epochs=1)
WORDS = list(RESERVED) + ["the", "cat", "sat", "on", "mat"]


@pytest.fixture
def saved(tmp_path):
    model = GRULanguageModel.from_config(CFG, len(WORDS))
    path = tmp_path / "m.pt"
    save_model(path, model, CFG, Vocab(WORDS))
    return path, torch.load(path, weights_only=True)


def _refused(path, payload, match):
    torch.save(payload, path)
    with pytest.raises(ModelFileError, match=match):
        load_model(path)


# ------------------------------------------------------------------------------------ crafted model files

def test_vocabulary_longer_than_its_config_is_refused(saved):
    path, payload = saved
    payload["vocab"] = WORDS + [f"w{i}" for i in range(200)]
    _refused(path, payload, "the vocabulary has 208 words; its config allows 4 to 50")


def test_words_that_no_tokenizer_makes_are_refused(saved):
    path, payload = saved
    payload["vocab"] = WORDS[:-1] + ["x" * 65]
    _refused(path, payload, "every word is a string of 1 to 64")


@pytest.mark.parametrize("change", ["shape", "dtype", "missing", "extra"])
def test_tensors_must_be_those_of_the_config(saved, change):
    path, payload = saved
    sd = payload["state_dict"]
    name = next(iter(sd))
    if change == "shape":
        sd[name] = torch.zeros(sd[name].shape[0] + 1, *sd[name].shape[1:])
    elif change == "dtype":
        sd[name] = sd[name].double()
    elif change == "missing":
        del sd[name]
    else:
        sd["extra.weight"] = torch.zeros(2)
    _refused(path, payload, "tensor|not those of the model")


def test_tensor_without_its_data_is_refused(saved):
    """A stride-0 view claims the right shape with one number behind it; loading it would allocate the
    full size from almost nothing."""
    path, payload = saved
    sd = payload["state_dict"]
    name = max(sd, key=lambda k: sd[k].numel())
    sd[name] = torch.zeros(1).expand(sd[name].shape)
    _refused(path, payload, "its data is not all in the file")


def test_compressed_archive_entries_are_refused(saved, tmp_path):
    path, _ = saved
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    with pytest.raises(ModelFileError, match="compressed entries"):
        load_model(bomb)


def test_model_bytes_and_estimate(saved):
    path, _ = saved
    model = GRULanguageModel.from_config(CFG, len(WORDS))
    data = model_bytes(model, CFG, Vocab(WORDS))
    assert torch.load(io.BytesIO(data), weights_only=True)["vocab"] == WORDS
    est = estimate_file_bytes(model, Vocab(WORDS))
    assert len(data) <= est <= len(data) + 128 * 1024
    assert load_model(path).vocab.itos == WORDS  # a good file still loads


# ----------------------------------------------------------------------------------------- full disk

def test_full_disk_at_the_write_leaves_nothing_behind(tmp_path, monkeypatch):
    target = tmp_path / "m.pt"
    target.write_bytes(b"the previous model")
    real = os.fdopen

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: Full(real(fd, mode)))
    with pytest.raises(OSError) as info:
        atomic.write_atomic(target, b"x" * 1000)
    assert info.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"the previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


# ------------------------------------------------------------------------------ scripts without spaces

def test_cjk_characters_are_tokens_and_full_width_marks_end_sentences():
    text = "我今天很高兴。你呢？我们去公园吧！「好的。」日本語のテキスト、カタカナ。한국어 문장"
    sentences = [s for s in split_sentences(text, "words") if s.strip()]
    assert len(sentences) == 6
    assert tokenize_sentence(sentences[0], "words", True) == list("我今天很高兴")
    assert tokenize_sentence(sentences[4], "words", True) == list("日本語のテキスト") + ["、"] + list("カタカナ")
    assert tokenize_sentence(sentences[5], "words", True) == list("한국어문장")
    assert tokenize_sentence("don't stop 3.5 well-known", "words", True) == ["don't", "stop", "3.5", "well-known"]


def test_chinese_corpus_gives_character_tokens_and_sentence_counts(tmp_path):
    p = tmp_path / "zh.txt"
    p.write_text("我今天很高兴。你呢？我们去公园吧！\n\n今天天气很好。我喜欢吃苹果。\n\n" * 30, encoding="utf-8")
    corpus = read_corpus(p)
    assert corpus.n_sentences == 150
    assert max(len(w) for w in corpus.words if w not in RESERVED) == 1  # characters, not whole sentences
    assert corpus.n_tokens == 30 * (6 + 2 + 6 + 6 + 6)
    assert corpus.warnings == []


def test_chinese_suggestions_are_characters(tmp_path):
    words = list(RESERVED) + list("我今天很高兴")
    model = GRULanguageModel.from_config(CFG, len(words))
    p = Predictor(model, Vocab(words), CFG)
    assert all(len(s.word) == 1 for s in p.suggest("我今天", k=3))  # the next character, not a completion


def test_whole_sentence_tokens_get_a_warning(tmp_path):
    p = tmp_path / "s.txt"
    p.write_text("".join(f"sentence{i:03d}withoutanyspacesbetweenitswords\n\n" for i in range(40)), encoding="utf-8")
    warnings = read_corpus(p).warnings
    assert any("look like whole sentences" in w for w in warnings), warnings


def test_thai_gets_a_warning(tmp_path):
    p = tmp_path / "th.txt"
    p.write_text("ภาษาไทยเป็นภาษาที่ไม่มีการเว้นวรรคระหว่างคำ\n\nสวัสดีครับวันนี้อากาศดีมาก\n\n" * 5, encoding="utf-8")
    assert any("Thai" in w and "without spaces" in w for w in read_corpus(p).warnings)


def test_ordinary_prose_gets_no_shape_warning(tmp_path):
    p = tmp_path / "en.txt"
    p.write_text("The cat sat on the mat. The dog sat on the rug.\n" * 20, encoding="utf-8")
    assert read_corpus(p).warnings == []
