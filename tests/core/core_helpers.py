"""Shared by the core tests: a tiny corpus of two sentences that a small GRU learns almost perfectly."""
from pathlib import Path

A = "the cat sat on the mat, and ate a small cake today."
B = "my dog ran to the car park near the old house."


def write_tiny_corpus(folder: Path) -> Path:
    p = folder / "tiny.txt"
    p.write_text("\n".join([A] * 60 + [B] * 20), encoding="utf-8")
    return p


def tiny_trained_model(folder: Path, config):
    """A small GRU trained on the tiny corpus, saved and loaded back the way runs are (a LoadedModel)."""
    import torch

    from gru_desktop.core.corpus import read_corpus
    from gru_desktop.core.data import build_dataset
    from gru_desktop.core.model import GRULanguageModel
    from gru_desktop.core.modelfile import load_model, save_model
    from gru_desktop.core.train import TrainingDone, train

    ds = build_dataset(read_corpus(write_tiny_corpus(folder)), config)
    torch.manual_seed(0)
    model = GRULanguageModel.from_config(config, len(ds.vocab))
    events = list(train(model, ds.train, ds.val, config))
    assert isinstance(events[-1], TrainingDone) and events[-1].reason == "completed"
    save_model(folder / "m.pt", model, config, ds.vocab)
    return load_model(folder / "m.pt")


def tiny_blend_run(folder: Path, config):
    """(model, vocab, blend): a small GRU trained on the tiny corpus and its fitted blend (counts, caches)."""
    import torch

    from gru_desktop.core.corpus import read_corpus
    from gru_desktop.core.data import build_dataset
    from gru_desktop.core.evaluate import fit_blend
    from gru_desktop.core.model import GRULanguageModel
    from gru_desktop.core.train import train

    ds = build_dataset(read_corpus(write_tiny_corpus(folder)), config)
    torch.manual_seed(0)
    model = GRULanguageModel.from_config(config, len(ds.vocab))
    for _ in train(model, ds.train, ds.val, config):
        pass
    blend = fit_blend(model, ds.vocab, ds.corpus, ds.ids, ds.train_sentences, ds.val_sentences)
    return model, ds.vocab, blend
