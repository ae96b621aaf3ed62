"""Baselines per (kind, corpus, split): round trip, one row per key, newest first."""

import pytest

from storage import get_baseline, list_baselines, save_baseline

SHA = "cd" * 32
KEY = '{"lowercase":true,"seed":0}'


def _save(db, **overrides):
    fields = dict(kind="kn3", corpus="1 file: a.txt (2.0 KB)", corpus_sha256=SHA, split_key=KEY,
                  perplexity=70.5, top1=0.26, top3=0.44, tokens=1000, train_tokens=9000, seconds=0.8)
    fields.update(overrides)
    return save_baseline(db, **fields)


def test_round_trip(db):
    _save(db)
    row = get_baseline(db, "kn3", SHA, KEY)
    assert row["corpus"] == "1 file: a.txt (2.0 KB)"
    assert (row["perplexity"], row["top1"], row["top3"]) == (70.5, 0.26, 0.44)
    assert (row["tokens"], row["train_tokens"], row["seconds"]) == (1000, 9000, 0.8)
    assert row["keystroke_savings"] is None
    assert row["created_at"]


def test_missing_is_none(db):
    _save(db)
    assert get_baseline(db, "kn3", SHA, '{"seed":1}') is None
    assert get_baseline(db, "unigram", SHA, KEY) is None
    assert get_baseline(db, "kn3", "ef" * 32, KEY) is None


def test_same_key_replaces(db):
    _save(db, perplexity=80.0)
    _save(db, perplexity=75.0, keystroke_savings=0.3)
    [row] = list_baselines(db)
    assert row["perplexity"] == 75.0 and row["keystroke_savings"] == 0.3


def test_keys_are_distinct_and_listed_newest_first(db):
    first = _save(db)
    second = _save(db, kind="unigram", perplexity=300.0)
    third = _save(db, split_key='{"seed":1}')
    assert [r["id"] for r in list_baselines(db)] == [third, second, first]
    assert get_baseline(db, "unigram", SHA, KEY)["perplexity"] == 300.0


def test_required_fields_are_keyword_only(db):
    with pytest.raises(TypeError):
        save_baseline(db, "kn3")  # type: ignore[misc]
