"""Stage 1 of the pipeline: reading text files into sentences of word ids, streamed.

Files are read in 1 MiB blocks, decoded incrementally, split into sentences and tokenized block by block;
each distinct word gets a provisional id as it is first seen, and the corpus is kept as one flat int32
array of ids plus sentence start offsets. A 100 MB file therefore needs about 4 bytes per word (plus one
string per distinct word), never the whole text or a list of Python strings per word.

Encodings: UTF-8 (a BOM is tolerated). UTF-16/32 with a BOM, and UTF-16 without one (recognised by its
zero bytes), are decoded with a warning. Text that is not valid UTF-8 is read as Windows-1252 (a superset
of Latin-1 for printable text) with a warning. Anything that looks binary is refused.
"""
from __future__ import annotations

import codecs
import hashlib
import mmap
import os
import re
import tempfile
from array import array
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..resources import SAMPLE_CORPUS  # package data (gru_desktop/resources/); re-exported here
from .errors import CorpusError
from .vocab import MAX_WORD_CHARS, RESERVED, split_sentences, tokenize_sentence

BLOCK_BYTES = 1 << 20
MAX_CARRY_CHARS = 1 << 16  # a "word" longer than this with no white space is cut rather than carried on
LONG_SENTENCE_WORDS = 100_000
SPILL_IDS = 1 << 22  # ids held in memory while reading before they are appended to a temporary file (16 MB)
LONG_TOKEN_CHARS = 30  # a vocabulary mostly of one-off tokens longer than this is whole sentences, not words
# Scripts written without spaces that need a dictionary-based segmenter, which the words tokenizer is not.
UNSEGMENTED_SCRIPTS = {
    "Thai": re.compile("[\u0e00-\u0e7f]"),
    "Lao": re.compile("[\u0e80-\u0eff]"),
    "Khmer": re.compile("[\u1780-\u17ff]"),
    "Myanmar (Burmese)": re.compile("[\u1000-\u109f]"),
}

_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"PK\x03\x04": "a zip archive (or .docx/.xlsx/.epub)",
    b"%PDF": "a PDF document",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x7fELF": "a program (ELF)",
    b"\x1f\x8b": "a gzip archive",
    b"{\\rtf": "an RTF document",
    b"SQLite format 3": "an SQLite database",
}
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


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


def find_text_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand folders to their .txt files (recursively, sorted); refuse missing paths and empty folders."""
    files: list[Path] = []
    paths = list(paths)
    if not paths:
        raise CorpusError("no text files given")
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.suffix.lower() == ".txt" and q.is_file())
            if not found:
                raise CorpusError(f"{p}: folder has no .txt files")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        elif p.exists():
            raise CorpusError(f"{p}: not a regular file")
        else:
            raise CorpusError(f"{p}: no such file or folder")
    return files


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
    total = sum(_size(f) for f in files)
    enc = _Encoder(tokenizer, lowercase)
    digest = hashlib.sha256()  # of the files' own sha256s, in order
    infos: list[FileInfo] = []
    warnings: list[str] = []
    done = 0
    for path in files:
        mark = enc.mark()
        try:
            report = (lambda n: progress(done + n, total)) if progress else None
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
        done += _size(path)
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
        starts=np.frombuffer(enc.starts, dtype=np.int64).copy(),
        files=infos,
        sha256=digest.hexdigest(),
        tokenizer=tokenizer,
        lowercase=lowercase,
        warnings=warnings,
    )


def sniff_encoding(path: Path, head: bytes) -> tuple[str, str | None]:
    """(codec, warning or None) for a file whose first bytes are `head`; CorpusError if it is not text."""
    for sig, what in _SIGNATURES.items():
        if head.startswith(sig):
            raise CorpusError(f"{path}: this is {what}, not plain text")
    for bom, codec in _BOMS:
        if head.startswith(bom):
            warn = None if codec == "utf-8-sig" else f"{path}: decoded as {codec.upper()} (byte-order mark found)"
            return codec, warn
    sample = head[:65536]
    if b"\x00" in sample:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        half = len(sample) / 2
        if odd > 0.3 * half and even < 0.02 * half:
            return "utf-16-le", f"{path}: decoded as UTF-16 (little-endian, no byte-order mark)"
        if even > 0.3 * half and odd < 0.02 * half:
            return "utf-16-be", f"{path}: decoded as UTF-16 (big-endian, no byte-order mark)"
        raise CorpusError(f"{path}: looks like a binary file (it contains zero bytes), not plain text")
    control = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    if sample and control > 0.01 * len(sample):
        raise CorpusError(f"{path}: looks like a binary file ({control} control bytes in the first {len(sample)}), not plain text")
    return "utf-8", None


def _read_file(path: Path, enc: "_Encoder", progress, should_stop) -> tuple[FileInfo, list[str]]:
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if size == 0:
        raise CorpusError(f"{path}: the file is empty")
    codec, warning = sniff_encoding(path, head)
    warnings = [warning] if warning else []
    mark = enc.mark()
    try:
        info = _decode_into(path, size, codec, enc, progress, should_stop)
    except UnicodeDecodeError as exc:
        # Not UTF-8 after all: start the file again as Windows-1252 (Latin-1's printable superset).
        enc.rewind(mark)
        info = _decode_into(path, size, "cp1252", enc, progress, should_stop)
        warnings.append(
            f"{path}: not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start} of a block); read as Windows-1252/Latin-1"
        )
    if info.longest_sentence > LONG_SENTENCE_WORDS:
        warnings.append(
            f"{path}: a sentence of {info.longest_sentence:,} words has no sentence break; it is cut into windows for training"
        )
    return info, warnings


def _decode_into(path, size, codec, enc, progress, should_stop) -> FileInfo:
    errors = "replace" if codec == "cp1252" else "strict"
    decoder = codecs.getincrementaldecoder(codec)(errors=errors)
    info = FileInfo(str(path), size, codec)
    tokens0, sentences0 = enc.n_tokens, enc.n_sentences
    digest = hashlib.sha256()
    read = 0
    try:
        with open(path, "rb") as fh:
            while block := fh.read(BLOCK_BYTES):
                if should_stop is not None and should_stop():
                    raise CorpusError("reading was cancelled")
                read += len(block)
                digest.update(block)
                enc.feed(decoder.decode(block))
                if progress:
                    progress(read)
            enc.feed(decoder.decode(b"", final=True), final=True)
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    enc.end_sentence()
    info.tokens = enc.n_tokens - tokens0
    info.sentences = enc.n_sentences - sentences0
    info.longest_sentence = enc.take_longest()
    info.sha256 = digest.hexdigest()
    return info


class _Encoder:
    """Turns decoded text, block by block, into provisional ids and sentence starts."""

    def __init__(self, tokenizer: str, lowercase: bool):
        self.tokenizer, self.lowercase = tokenizer, lowercase
        self.table: dict[str, int] = {}
        self.words: list[str] = []
        self.ids = array("i")  # the ids not yet spilled
        self._spill = None  # temporary file with the ids before those (int32), once there are many
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


def token_shape_warnings(words: list[str], counts: np.ndarray, too_long: int) -> list[str]:
    """Warnings for text the `words` tokenizer could not split into words: a vocabulary made mostly of
    one-off "words" longer than LONG_TOKEN_CHARS (whole sentences), or much text in a script that is
    written without spaces and that it cannot segment (Thai, Lao, Khmer, Myanmar)."""
    found = []
    long_once = sum(1 for w, c in zip(words, counts) if c == 1 and len(w) > LONG_TOKEN_CHARS) + too_long
    distinct = len(words) - 1 + too_long  # without <unk>
    if long_once >= 10 and long_once > 0.5 * distinct:
        found.append(f"{long_once:,} of the {distinct:,} distinct words occur once and are longer than "
                     f"{LONG_TOKEN_CHARS} characters: these look like whole sentences; is the text split into words?")
    total = int(counts.sum()) + too_long
    for script, pattern in UNSEGMENTED_SCRIPTS.items():
        n = sum(int(c) for w, c in zip(words, counts) if pattern.search(w))
        if total and n > 0.05 * total:
            found.append(f"{n / total:.0%} of the words are {script}, which is written without spaces between "
                         "words: the words tokenizer cannot split it into words (split it with a word segmenter "
                         "first, with spaces between the words)")
    return found


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


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def describe_size(n: int) -> str:
    """A byte count in words: 1,234 bytes, 5.2 MB (also for the token cache)."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} bytes"
