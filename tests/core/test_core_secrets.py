"""Secret-like spans: found, masked (design §17), and random candidates of the same format."""
import math

import numpy as np
import pytest

from gru_desktop.core.audit import exposure_of
from gru_desktop.core.secrets import candidates, find_spans, mask, mask_text, space_bits


@pytest.mark.parametrize("text, kind, masked", [
    ("john.smith@example.org", "email", "j***@example.org"),
    ("4111 1111 1111 1234", "card", "41** **** **** 1234"),
    ("4111-1111-1111-1234", "card", "41**-****-****-1234"),
    ("555-123-4567", "phone", "***-***-**67"),
    ("+44 20 7946 0958", "phone", "+44 ** **** 0958"),
    ("4821", "number", "****"),
    ("DE89 3704 0044 0532 0130 00", "iban", "DE** **** **** **** **** 00"),
    ("https://x.example.com/reset?token=a8f93kd02mx7qp41", "url", "https://x.example.com/***"),
])
def test_found_and_masked(text, kind, masked):
    spans = find_spans(f"write to {text} today")
    assert [(s.kind, s.text) for s in spans] == [(kind, text)]
    assert spans[0].masked == masked == mask(text, kind)
    assert mask_text(f"a {text} b") == f"a {masked} b"


def test_plain_text_and_plain_links_are_not_secrets():
    assert find_spans("the cat sat on 3 mats in 12 days, see https://example.org/about for more") == []


def test_mask_text_hides_every_digit_of_a_short_number_and_keeps_the_rest():
    out = mask_text("pin 4821, card 4111 1111 1111 1234\nmail ann@mail.example.com")
    assert "4821" not in out and "1111" not in out and "ann@" not in out
    assert out.splitlines()[1] == "mail a***@mail.example.com"


@pytest.mark.parametrize("text, kind", [("john.smith@example.org", "email"), ("4111 1111 1111 1234", "card"),
                                        ("DE89 3704 0044 0532 0130 00", "iban"), ("4821", "number"),
                                        ("https://x.org/r?token=a8f93kd02mx7qp41", "url")])
def test_candidates_keep_the_format(text, kind):
    cands = candidates(text, kind, 300, np.random.default_rng(0))
    assert len(cands) == 300 and text not in cands and len(set(cands)) > 200
    for c in cands:
        assert len(c) == len(text)
        assert [ch.isdigit() for ch in c] == [ch.isdigit() for ch in text]
        assert [ch.isalnum() for ch in c] == [ch.isalnum() for ch in text]
        assert [s.kind for s in find_spans(c)] == [kind]
    if kind == "email":
        assert all(c.endswith("@example.org") for c in cands)
    assert space_bits("4821", "number") == pytest.approx(math.log2(10_000))


def test_exposure_counts_ties_against_the_secret():
    top = math.log2(1001)
    assert exposure_of(0.0, np.full(1000, -1.0)).exposure == pytest.approx(top)  # best of all: the maximum
    assert exposure_of(0.0, np.zeros(1000)).exposure == pytest.approx(0.0)  # indistinguishable: nothing exposed
    e = exposure_of(0.0, np.r_[np.ones(9), -np.ones(991)])
    assert e.rank == 10 and e.exposure == pytest.approx(top - math.log2(10))


def test_known_candidates_are_numbers_of_the_vocabulary():
    from gru_desktop.core.audit import known_candidates
    from gru_desktop.core.vocab import RESERVED, Vocab

    numbers = [f"{i:04d}" for i in range(0, 10_000, 997)]  # 11 four-digit words
    vocab = Vocab(list(RESERVED) + ["card", "is"] + numbers + ["12"])
    tokens = ["card", numbers[0], numbers[1]]
    cands = known_candidates(tokens, vocab, 50, np.random.default_rng(0))
    assert len(cands) == 50 and len(set(cands)) == 50 and " ".join(tokens) not in cands
    for c in cands:
        first, a, b = c.split()
        assert first == "card" and a in numbers and b in numbers
    assert known_candidates(["card", "12"], vocab, 50, np.random.default_rng(0)) == []  # one 2-digit word: nothing to rank
    assert known_candidates(["card", "is"], vocab, 50, np.random.default_rng(0)) == []  # no number at all
