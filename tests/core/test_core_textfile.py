"""core.textfile on its own: encoding detection, decoding in blocks, and the restart as Windows-1252."""
from __future__ import annotations

import hashlib

import pytest

from gru_desktop.core import textfile
from gru_desktop.core.errors import CorpusError


def read(path, monkeypatch=None, block=None):
    fed, restarts = [], []
    if block is not None:
        monkeypatch.setattr(textfile, "BLOCK_BYTES", block)
    found = textfile.read_text(path, lambda text, final=False: fed.append(text), lambda: (restarts.append(1), fed.clear()))
    return found, "".join(fed), len(restarts)


def test_utf8_in_small_blocks_is_fed_whole(tmp_path, monkeypatch):
    p = tmp_path / "a.txt"
    text = "Déjà vu — naïve café. " * 50  # multi-byte characters cut by 7-byte blocks
    p.write_text(text, encoding="utf-8")
    found, fed, restarts = read(p, monkeypatch, block=7)
    assert fed == text and restarts == 0
    assert found.encoding == "utf-8" and found.warnings == [] and found.size == p.stat().st_size
    assert found.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()


def test_not_utf8_after_the_head_restarts_as_windows_1252(tmp_path, monkeypatch):
    p = tmp_path / "b.txt"
    p.write_bytes(b"plain ascii words. " * 5000 + "un café noir.".encode("latin-1"))  # the bad byte is far in
    found, fed, restarts = read(p, monkeypatch, block=4096)
    assert restarts == 1 and found.encoding == "cp1252"
    assert fed.endswith("un café noir.") and fed.count("plain ascii") == 5000  # fed once, after the restart
    assert len(found.warnings) == 1 and "Windows-1252" in found.warnings[0]


def test_utf16_without_bom_is_recognised_by_its_zero_bytes(tmp_path):
    p = tmp_path / "c.txt"
    p.write_bytes("Hello world. Again.".encode("utf-16-le"))
    found, fed, _ = read(p)
    assert fed == "Hello world. Again." and found.encoding == "utf-16-le" and "UTF-16" in found.warnings[0]


@pytest.mark.parametrize("data,says", [(b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG image"),
                                       (b"abc\x00\x01\x02\x00\xff" * 20, "binary"), (b"", "empty")])
def test_what_is_not_text_is_refused_with_the_file_name(tmp_path, data, says):
    p = tmp_path / "d.txt"
    p.write_bytes(data)
    with pytest.raises(CorpusError, match=says) as e:
        read(p)
    assert str(p) in str(e.value)
