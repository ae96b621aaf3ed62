"""Prefix completion, incremental prediction, and model files (round trip, corrupt, malicious)."""
from __future__ import annotations

import pickle

import pytest
import torch

from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import read_corpus
from gru_desktop.core.data import build_dataset
from gru_desktop.core.errors import ModelFileError
from gru_desktop.core.model import GRULanguageModel
from gru_desktop.core.modelfile import load_model, save_model
from gru_desktop.core.predict import Predictor
from gru_desktop.core.trace import prediction_trace
from gru_desktop.core.train import TrainingDone, train
from gru_desktop.core.vocab import RESERVED, is_word

torch.set_num_threads(1)

from core_helpers import write_tiny_corpus  # noqa: E402

CFG = TrainConfig(seq_len=4, embed_dim=16, hidden_size=32, batch_size=16, lr=0.01, epochs=6, patience=0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    p = write_tiny_corpus(tmp_path_factory.mktemp("corpus"))
    ds = build_dataset(read_corpus(p), CFG)
    torch.manual_seed(0)
    model = GRULanguageModel.from_config(CFG, len(ds.vocab))
    events = list(train(model, ds.train, ds.val, CFG))
    assert isinstance(events[-1], TrainingDone) and events[-1].reason == "completed"
    return model, ds.vocab


@pytest.fixture
def pred(trained):
    model, vocab = trained
    return Predictor(model, vocab, CFG)


def _clean(sugs):
    for s in sugs:
        assert s.word not in RESERVED
        assert is_word(s.word)
    ps = [s.probability for s in sugs]
    assert ps == sorted(ps, reverse=True)
    assert all(0 <= p <= 1 for p in ps)


def test_prefix_completion_only_matching_words(pred):
    sugs = pred.suggest("the ca", k=5)
    assert sugs
    assert all(s.word.startswith("ca") for s in sugs)
    assert {s.word for s in sugs} == {"cat", "cake", "car"}
    assert sugs[0].word == "cat"  # learned: "the cat" at sentence start
    _clean(sugs)


def test_prefix_is_lowercased(pred):
    assert [s.word for s in pred.suggest("The Ca", k=1)] == ["cat"]


def test_next_word_after_space(pred):
    sugs = pred.suggest("the cat ", k=3)
    assert sugs[0].word == "sat"
    _clean(sugs)
    assert len(sugs) == 3


def test_never_punctuation_or_reserved(pred):
    # after "the cat sat on the mat" the learned next token is ",": it must not be suggested
    probs, ctx = pred.probabilities("the cat sat on the mat ")
    assert ctx.prefix == ""
    comma = pred.vocab.id(",")
    assert comma > 2 and int(probs.argmax()) == comma
    sugs = pred.suggest("the cat sat on the mat ", k=10)
    assert len(sugs) == 10
    _clean(sugs)
    assert "," not in [s.word for s in sugs]
    for text in ("", "the ", "my dog ran ", "zzz qqq ", "the cat sat on the mat, and ", "x"):
        _clean(pred.suggest(text, k=len(pred.vocab)))


def test_unknown_prefix_gives_nothing(pred):
    assert pred.suggest("the qx") == []


def test_steps_incremental(pred):
    pred.suggest("the ")
    s0 = pred.steps
    pred.suggest("the c")
    pred.suggest("the ca")
    assert pred.steps == s0  # letters of a half word: no GRU step
    pred.suggest("the cat ")
    assert pred.steps == s0 + 1
    pred.suggest("the cat s")
    pred.suggest("the cat sa")
    assert pred.steps == s0 + 1
    pred.suggest("the cat sat ")
    assert pred.steps == s0 + 2


def test_first_call_steps(trained):
    model, vocab = trained
    p = Predictor(model, vocab, CFG)
    p.suggest("the cat ")
    assert p.steps == 3  # <bos>, the, cat


def test_edit_earlier_rewinds(trained):
    model, vocab = trained
    p = Predictor(model, vocab, CFG)
    p.suggest("the cat sat on the ")
    before = p.steps
    edited = "my dog sat on the "
    got = p.suggest(edited, k=5)
    fresh = Predictor(model, vocab, CFG)
    want = fresh.suggest(edited, k=5)
    assert [s.word for s in got] == [s.word for s in want]
    for a, b in zip(got, want, strict=True):
        assert a.probability == pytest.approx(b.probability, abs=1e-6)
    assert p.steps - before == 5  # rewound to <bos>, re-fed 5 words
    # change only the last word
    before = p.steps
    p.suggest("my dog sat on a ")
    assert p.steps - before == 1


def test_new_sentence_resets_context(trained):
    model, vocab = trained
    p = Predictor(model, vocab, CFG)
    a = p.suggest("my dog ran to the car park. the ", k=3)
    b = Predictor(model, vocab, CFG).suggest("the ", k=3)
    assert [s.word for s in a] == [s.word for s in b]


def test_sample_words_are_suggestable(pred):
    words = pred.sample("the ", 5, seed=1)
    assert len(words) == 5
    assert all(is_word(w) and w not in RESERVED for w in words)
    assert words == pred.sample("the ", 5, seed=1)


def test_prediction_trace_shapes(pred):
    tr = prediction_trace(pred, "the cat s")
    assert tr.tokens == ["<bos>", "the", "cat"]
    assert tr.prefix == "s"
    assert tr.prediction == "sat"
    assert tr.embedding.shape == (3, CFG.embed_dim)
    assert tr.hidden.shape == (3, CFG.hidden_size)
    assert len(tr.padded) == CFG.seq_len


# --- model files -----------------------------------------------------------------------------

def test_save_load_round_trip(tmp_path, trained):
    model, vocab = trained
    path = tmp_path / "sub" / "m.pt"
    save_model(path, model, CFG, vocab, meta={"name": "tiny"})
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["m.pt"]  # no temporary left behind
    loaded = load_model(path)
    assert loaded.config == CFG
    assert loaded.vocab.itos == vocab.itos
    assert loaded.meta == {"name": "tiny"}
    p1 = Predictor(model, vocab, CFG)
    p2 = Predictor(loaded.model, loaded.vocab, loaded.config)
    for text in ("the ca", "the cat ", "my dog ran to ", ""):
        a, b = p1.suggest(text, k=5), p2.suggest(text, k=5)
        assert [s.word for s in a] == [s.word for s in b]
        assert [s.probability for s in a] == pytest.approx([s.probability for s in b], abs=1e-7)


def test_truncated_and_garbage_files(tmp_path, trained):
    model, vocab = trained
    good = tmp_path / "good.pt"
    save_model(good, model, CFG, vocab)
    data = good.read_bytes()
    trunc = tmp_path / "trunc.pt"
    trunc.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        load_model(trunc)
    for i, junk in enumerate([b"\x00\x01garbage", b"hello", bytes(range(256))]):
        garbage = tmp_path / f"garbage{i}.pt"
        garbage.write_bytes(junk)
        with pytest.raises(ModelFileError):
            load_model(garbage)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(ModelFileError):
        load_model(empty)
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "missing.pt")


def test_text_file_renamed_pt_is_model_file_error(tmp_path):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"this is not a model at all" * 10)
    with pytest.raises(ModelFileError):
        load_model(garbage)


def test_plain_but_wrong_payloads(tmp_path):
    p = tmp_path / "dict.pt"
    torch.save({"format": 99}, p)
    with pytest.raises(ModelFileError):
        load_model(p)
    torch.save([1, 2, 3], p)
    with pytest.raises(ModelFileError):
        load_model(p)
    torch.save({"format": 1, "config": {"seq_len": 0}, "vocab": list(RESERVED) + ["a"], "state_dict": {}}, p)
    with pytest.raises(ModelFileError):
        load_model(p)


class _Evil:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_raw_pickle_with_reduce_refused(tmp_path):
    marker = tmp_path / "pwned_raw"
    path = tmp_path / "evil_raw.pt"
    path.write_bytes(pickle.dumps({"format": 1, "x": _Evil(marker)}))
    with pytest.raises(ModelFileError):
        load_model(path)
    assert not marker.exists()


def test_torch_save_with_reduce_refused(tmp_path):
    marker = tmp_path / "pwned_torch"
    path = tmp_path / "evil_torch.pt"
    torch.save({"format": 1, "config": {}, "vocab": list(RESERVED), "state_dict": {}, "meta": _Evil(marker)}, path)
    assert not marker.exists()
    with pytest.raises(ModelFileError) as ei:
        load_model(path)
    assert "refused" in str(ei.value) or "corrupt" in str(ei.value)
    assert not marker.exists()


def test_advance_in_slices_matches_one_go(trained):
    """A pasted page can be fed a slice at a time; the result equals feeding it at once."""
    model, vocab = trained
    text = "the cat sat on the mat and the dog sat on the rug and the cat ran to the"
    a, b = Predictor(model, vocab, CFG), Predictor(model, vocab, CFG)
    ids = a.context(text).ids
    whole = a.advance(ids)
    assert b.pending(ids) == len(ids) + 1  # <bos> too
    unfinished = 0
    while (p := b.advance(ids, limit=4)) is None:
        unfinished += 1
        assert b.steps <= 1 + 4 * unfinished
    assert unfinished == -(-len(ids) // 4) - 1
    assert b.pending(ids) == 0 and b.steps == len(ids) + 1
    assert torch.allclose(whole, p)
