"""Stage 1 of the pipeline: reading text files into sentences of word ids, streamed.

Files are read in 1 MiB blocks, decoded incrementally, split into sentences and tokenized block by block;
each distinct word gets a provisional id as it is first seen, and the corpus is kept as one flat int32
array of ids plus sentence start offsets. A 100 MB file therefore needs about 4 bytes per word (plus one
string per distinct word), never the whole text or a list of Python strings per word.

Which encoding a file is in and its decoding (binary files refused, UTF-16 and Windows-1252 read with a
warning) are core/textfile.py's; the warnings for text the words tokenizer cannot split are core/vocab.py's.
"""
from __future__ import annotations

import hashlib
import mmap
import os
import tempfile
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import numpy as np

from ..resources import SAMPLE_CORPUS  # resources/ (package data in a wheel); re-exported here
from .errors import CorpusError
from .textfile import file_size, find_text_files, read_text
from .vocab import MAX_WORD_CHARS, RESERVED, split_sentences, token_shape_warnings, tokenize_sentence

MAX_CARRY_CHARS = 1 << 16  # a "word" longer than this with no white space is cut rather than carried on
LONG_SENTENCE_WORDS = 100_000
SPILL_IDS = 1 << 22  # ids held in memory while reading before they are appended to a temporary file (16 MB)


@dataclass
class FileInfo:
    path: str
    bytes: int
    encoding: str
    sentences: int = 0
    tokens: int = 0
    longest_sentence: int = 0
    sha256: str = ""


@dataclass
class Corpus:
    """Sentences of provisional word ids; `words[i]` is the word with provisional id i."""

    words: list[str]
    counts: np.ndarray  # (distinct words,) int64 occurrences
    ids: np.ndarray  # (tokens,) int32 provisional ids, sentence after sentence
    starts: np.ndarray  # (sentences + 1,) int64 offsets into ids
    files: list[FileInfo]
    sha256: str
    tokenizer: str
    lowercase: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def n_sentences(self) -> int:
        return len(self.starts) - 1

    @property
    def n_tokens(self) -> int:
        return int(self.ids.size)

    @property
    def n_bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    def sentence_lengths(self) -> np.ndarray:
        return np.diff(self.starts)

    def sentence_words(self, i: int) -> list[str]:
        return [self.words[j] for j in self.ids[self.starts[i] : self.starts[i + 1]]]

    @property
    def description(self) -> str:
        if len(self.files) == 1 and Path(self.files[0].path) == SAMPLE_CORPUS:
            return "bundled sample corpus"
        names = ", ".join(Path(f.path).name for f in self.files[:3])
        more = f" and {len(self.files) - 3} more" if len(self.files) > 3 else ""
        n = len(self.files)
        return f"{n} file{'s' if n != 1 else ''}: {names}{more} ({describe_size(self.n_bytes)})"


def read_corpus(
    paths: Iterable[str | os.PathLike],
    tokenizer: str = "words",
    lowercase: bool = True,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Corpus:
    """Read files and folders into a Corpus. Raises CorpusError with the file's name for anything unusable.

    Files named directly must all be good; a bad file found inside a folder is skipped with a warning,
    so one stray file does not block a folder of hundreds.
    """
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    explicit = {Path(p) for p in paths if Path(p).is_file()}
    files = find_text_files(paths)
    total = sum(file_size(f) for f in files)
    enc = _Encoder(tokenizer, lowercase)
    digest = hashlib.sha256()  # of the files' own sha256s, in order
    infos: list[FileInfo] = []
    warnings: list[str] = []
    done = 0
    for path in files:
        mark = enc.mark()
        try:
            report = (lambda n, done=done: progress(done + n, total)) if progress else None
            info, file_warnings = _read_file(path, enc, report, should_stop)
            if info.tokens == 0:
                raise CorpusError(f"{path}: no words in it (the file is empty or only white space/symbols)")
        except CorpusError as exc:
            enc.rewind(mark)
            if path in explicit or len(files) == 1:
                raise
            warnings.append(f"skipped {exc}")
        else:
            infos.append(info)
            digest.update(bytes.fromhex(info.sha256))
            warnings.extend(file_warnings)
        done += file_size(path)
    if not infos:
        raise CorpusError("no usable text: every file was skipped (" + "; ".join(warnings) + ")")
    ids = enc.finish_ids()
    counts = _count_ids(ids, len(enc.words))
    if tokenizer == "words":
        warnings.extend(token_shape_warnings(enc.words, counts, enc.too_long))
    return Corpus(
        words=enc.words,
        counts=counts,
        ids=ids,
        starts=np.frombuffer(enc.starts, dtype=np.int64),  # the array's own buffer: no second copy (8 bytes a sentence)
        files=infos,
        sha256=digest.hexdigest(),
        tokenizer=tokenizer,
        lowercase=lowercase,
        warnings=warnings,
    )


def _read_file(path: Path, enc: _Encoder, progress, should_stop) -> tuple[FileInfo, list[str]]:
    mark = enc.mark()
    tokens0, sentences0 = enc.n_tokens, enc.n_sentences
    text = read_text(path, enc.feed, lambda: enc.rewind(mark), progress, should_stop)
    enc.end_sentence()
    info = FileInfo(str(path), text.size, text.encoding, sentences=enc.n_sentences - sentences0,
                    tokens=enc.n_tokens - tokens0, longest_sentence=enc.take_longest(), sha256=text.sha256)
    warnings = text.warnings
    if info.longest_sentence > LONG_SENTENCE_WORDS:
        warnings.append(
            f"{path}: a sentence of {info.longest_sentence:,} words has no sentence break; it is cut into windows for training"
        )
    return info, warnings


class _Encoder:
    """Turns decoded text, block by block, into provisional ids and sentence starts."""

    def __init__(self, tokenizer: str, lowercase: bool):
        self.tokenizer, self.lowercase = tokenizer, lowercase
        self.table: dict[str, int] = {}
        self.words: list[str] = []
        self.ids = array("i")  # the ids not yet spilled
        self._spill: IO[bytes] | None = None  # temporary file with the ids before those (int32), once there are many
        self._spilled = 0
        self.starts = array("q", [0])
        self._carry = ""
        self._longest = 0
        self.too_long = 0  # occurrences of "words" longer than MAX_WORD_CHARS (read as <unk>)
        self._unk = self._add(RESERVED[1])  # provisional id of "<unk>": too-long words and a literal <unk>

    @property
    def n_tokens(self) -> int:
        return self._spilled + len(self.ids)

    @property
    def n_sentences(self) -> int:
        return len(self.starts) - 1

    def mark(self) -> tuple[int, int]:
        return self.n_tokens, len(self.starts)

    def rewind(self, mark: tuple[int, int]) -> None:
        """Forget everything after `mark` (a file that turned out unusable). Its new words stay, uncounted."""
        n_ids, n_starts = mark
        if n_ids >= self._spilled:
            del self.ids[n_ids - self._spilled:]
        else:
            assert self._spill is not None  # ids were spilled, so there is a spill file
            self._spill.truncate(n_ids * 4)
            self._spill.seek(0, os.SEEK_END)
            self._spilled = n_ids
            del self.ids[:]
        del self.starts[n_starts:]
        self._carry = ""

    def _maybe_spill(self) -> None:
        """Append the ids in memory to the temporary file, so a big corpus needs no memory for its ids (design §12)."""
        if len(self.ids) < SPILL_IDS:
            return
        if self._spill is None:
            self._spill = tempfile.TemporaryFile(prefix="gru-desktop-ids-")
        self._spill.write(self.ids.tobytes())
        self._spilled += len(self.ids)
        del self.ids[:]

    def finish_ids(self) -> np.ndarray:
        """All ids as one int32 array: in memory for a small corpus, else memory-mapped from the spill file."""
        if self._spill is None:
            return np.frombuffer(self.ids, dtype=np.int32) if len(self.ids) else np.zeros(0, dtype=np.int32)
        self._spill.write(self.ids.tobytes())
        self._spill.flush()
        self._spilled += len(self.ids)
        del self.ids[:]
        ids = np.memmap(self._spill, dtype=np.int32, mode="r", shape=(self._spilled,))
        self._spill.close()  # the mapping keeps the (already unlinked) file's data
        self._spill = None
        return ids

    def take_longest(self) -> int:
        longest, self._longest = self._longest, 0
        return longest

    def _add(self, word: str) -> int:
        if len(word) > MAX_WORD_CHARS:
            self.too_long += 1
            return self._unk
        i = len(self.words)
        self.table[word] = i
        self.words.append(word)
        return i

    def feed(self, text: str, final: bool = False) -> None:
        text = self._carry + text
        if final:
            self._carry = ""
        else:
            cut = _last_space_run(text)
            if cut < 0 and len(text) <= MAX_CARRY_CHARS:
                self._carry = text  # a word may continue in the next block
                return
            cut = len(text) if cut < 0 else cut
            text, self._carry = text[:cut], text[cut:]
        pieces = split_sentences(text, self.tokenizer)
        table, add = self.table, self._add
        for i, piece in enumerate(pieces):
            tokens = tokenize_sentence(piece, self.tokenizer, self.lowercase)
            if tokens:
                self.ids.extend([table[w] if w in table else add(w) for w in tokens])
                self._maybe_spill()
            if i < len(pieces) - 1:
                self.end_sentence()

    def end_sentence(self) -> None:
        n = self.n_tokens
        if n > self.starts[-1]:
            self._longest = max(self._longest, n - self.starts[-1])
            self.starts.append(n)


def _count_ids(ids: np.ndarray, n_words: int, block: int = 1 << 20) -> np.ndarray:
    """Occurrences per id. In slices: np.bincount casts its input to int64, a full copy at twice the size."""
    counts = np.zeros(n_words, dtype=np.int64)
    for piece in slices(ids, block):
        counts += np.bincount(piece, minlength=n_words)
    return counts


def slices(arr: np.ndarray, size: int = 1 << 22):
    """Consecutive slices of `arr`. For a memory-mapped array, each slice's pages are let go after use, so
    reading a big file-backed array once does not leave all of it resident (and counted) in this process."""
    for i in range(0, arr.size, size):
        yield arr[i : i + size]
        release_pages(arr, i, i + size)


def release_pages(arr: np.ndarray, lo: int = 0, hi: int | None = None) -> None:
    """Let go of the resident pages behind elements [lo, hi) of a memory-mapped array (all of it by default).

    The pages of a file mapped read-only are clean: the kernel may drop them whenever it needs the memory,
    and they stay in its page cache, so touching them again costs a minor fault, not a read. Until then they
    count in this process's RSS; a pass over a big array of ids would leave all of it counted. Nothing for
    arrays in memory."""
    mapped = getattr(arr, "_mmap", None) if isinstance(arr, np.memmap) else None
    if mapped is None or not hasattr(mapped, "madvise") or arr.size == 0:
        return
    hi = arr.size if hi is None else min(hi, arr.size)
    if hi <= lo:
        return
    try:
        base = np.frombuffer(mapped, dtype=np.uint8).ctypes.data  # where the mapping starts
        page = mmap.PAGESIZE
        a = (arr.ctypes.data + lo * arr.itemsize - base) // page * page
        b = min(len(mapped), -(-(arr.ctypes.data + hi * arr.itemsize - base) // page) * page)
        if b > a >= 0:
            mapped.madvise(mmap.MADV_DONTNEED, a, b - a)
    except (OSError, ValueError, AttributeError, TypeError):
        pass  # a mapping we cannot advise: its pages stay until the kernel needs them


def leading_part(corpus: Corpus, max_tokens: int) -> Corpus:
    """The corpus itself when it has at most `max_tokens` words, else its first sentences up to that many
    words (at least two sentences), sharing its arrays (nothing copied). The run's end fits and scores the
    counts on this part (design §12): counting every trigram of a 1 GB corpus would need several GB."""
    if corpus.n_tokens <= max_tokens:
        return corpus
    k = max(int(np.searchsorted(corpus.starts, max_tokens, side="right")) - 1, min(2, corpus.n_sentences))
    return replace(corpus, ids=corpus.ids[: int(corpus.starts[k])], starts=corpus.starts[: k + 1])


def _last_space_run(text: str) -> int:
    """Index where the last run of white space starts (the text after it may be a cut word), or -1."""
    j = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t"), text.rfind("\r"))
    if j < 0:
        return -1
    while j > 0 and text[j - 1].isspace():
        j -= 1
    return j


def describe_size(n: int) -> str:
    """A byte count in words: 1,234 bytes, 5.2 MB (also for the token cache)."""
    if n < 1000:
        return f"{n:,} bytes"
    size = n / 1000
    for unit in ("KB", "MB"):
        if size < 1000:
            return f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"
