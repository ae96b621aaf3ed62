"""Stage 2 of the pipeline: text → tokens → word ids, and the vocabulary that maps them.

Two tokenizers, chosen by `TrainConfig.tokenizer`:
- "words" (default, for ordinary prose): lowercased (optional), words keep inner apostrophes and hyphens
  ("don't", "well-known"), numbers stay whole ("3.5", "1,000"), the in-sentence punctuation `, ; :` is kept
  as tokens because it carries context, quotes/brackets/dashes are dropped. A sentence ends at `.`, `!`, `?`
  (not after a few common abbreviations such as "Mr.") or at a blank line; single line breaks are spaces,
  so hard-wrapped books read as prose.
- "pretokenized" (for corpora such as WikiText that are already split): tokens are separated by white
  space and kept as they are, each line is one sequence, and a literal `<unk>` is the unknown word.

Reserved ids (design §1): 0 `<pad>`, 1 `<unk>`, 2 `<bos>`; the vocabulary size V counts them.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

import numpy as np

PAD, UNK, BOS = 0, 1, 2
RESERVED = ("<pad>", "<unk>", "<bos>")
MAX_WORD_CHARS = 64  # longer "words" (hashes, base64, URLs gone wrong) count as unknown
LONG_TOKEN_CHARS = 30  # a vocabulary mostly of one-off tokens longer than this is whole sentences, not words
# Scripts written without spaces that need a dictionary-based segmenter, which the words tokenizer is not.
UNSEGMENTED_SCRIPTS = {
    "Thai": re.compile("[\u0e00-\u0e7f]"),
    "Lao": re.compile("[\u0e80-\u0eff]"),
    "Khmer": re.compile("[\u1780-\u17ff]"),
    "Myanmar (Burmese)": re.compile("[\u1000-\u109f]"),
}

# Scripts written without spaces between words: each CJK ideograph, kana or hangul syllable is a token of
# its own (as BERT's basic tokenizer does for ideographs), so Chinese or Japanese text is not one "word"
# per sentence. Iteration marks 々〆〇, hiragana, katakana (and half-width), ideographs, hangul syllables.
CJK_CHARS = ("\u3005-\u3007\u3021-\u3029\u3038-\u303b\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff"
             "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f")
_WORD = rf"[^\W_{CJK_CHARS}]+(?:[-'’][^\W_{CJK_CHARS}]+)*"
_NUMBER = r"\d+(?:[.,:]\d+)*"
# `, ; :` and their full-width and ideographic forms are kept as tokens (context, never suggested).
WORD_TOKEN_RE = re.compile(rf"{_NUMBER}|[{CJK_CHARS}]|{_WORD}|[,;:，、；：]")
# A sentence ends with .!?… (and closing quotes/brackets) before white space, the end or a CJK character;
# at 。！？ (ideographic and full-width forms) wherever they are; or at a blank line.
_CLOSERS = "\"'”’)\\]」』）"  # inside a character class: the bracket escaped for the regex
SENTENCE_END_RE = re.compile(rf"[.!?…]+[{_CLOSERS}]*(?=\s|$|[{CJK_CHARS}])|[。｡．！？]+[{_CLOSERS}]*|\n[ \t\r\f\v]*\n")
_ABBREV_RE = re.compile(r"\b(mr|mrs|ms|dr|st|prof|sr|jr|vs|etc|e\.g|i\.e)\.(?=\s)", re.IGNORECASE)
# A word still being typed at the end of the text (for completion by prefix).
PARTIAL_WORD_RE = re.compile(rf"(?:{_WORD}|\d+)[-'’]?$")


def partial_word(text: str) -> re.Match | None:
    """PARTIAL_WORD_RE.search(text), looking only after the last white space: a match holds none, and the
    search tries every start in the text (~0.2 ms a keystroke in a 4,000-character sentence). The match's
    positions are in `text`."""
    body = text[:-1] if text.endswith("\n") else text  # `$` also matches before a last newline
    if not body or body[-1].isspace():
        return None
    return PARTIAL_WORD_RE.search(text, len(body) - len(body.rsplit(None, 1)[-1]))


def is_word(token: str) -> bool:
    """Tokens worth suggesting: those with a letter or digit (not `,` or `@-@`)."""
    return any(ch.isalnum() for ch in token)


def split_sentences(text: str, tokenizer: str) -> list[str]:
    """Split a piece of text into sentence strings (the last one may be unfinished)."""
    if tokenizer == "pretokenized":
        return text.split("\n")
    return SENTENCE_END_RE.split(_ABBREV_RE.sub(r"\1", text))


def split_last_sentence(text: str, tokenizer: str) -> tuple[str, str]:
    """(the text before the last sentence, the last sentence), as `split_sentences` reads them."""
    if tokenizer != "pretokenized":
        text = _ABBREV_RE.sub(r"\1", text)
    last = split_sentences(text, tokenizer)[-1]
    return text[: len(text) - len(last)], last


def tokenize_sentence(sentence: str, tokenizer: str, lowercase: bool) -> list[str]:
    if lowercase:
        sentence = sentence.lower()
    if tokenizer == "pretokenized":
        return sentence.split()
    return WORD_TOKEN_RE.findall(sentence)


@dataclass
class Vocab:
    """Word ↔ id. `itos[i]` is the word with id i; ids 0..2 are the reserved tokens."""

    itos: list[str]
    stoi: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if list(self.itos[:3]) != list(RESERVED):
            raise ValueError("a vocabulary starts with <pad>, <unk>, <bos>")
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        # Sorted words for prefix look-ups in O(log V): completions of a half-typed word.
        order = sorted(range(3, len(self.itos)), key=self.itos.__getitem__)
        self._sorted_ids = np.array(order, dtype=np.int64)
        self._sorted_words = [self.itos[i] for i in order]
        self.suggestable = np.array([i >= 3 and is_word(w) for i, w in enumerate(self.itos)], dtype=bool)

    def __len__(self) -> int:
        return len(self.itos)

    def id(self, word: str) -> int:
        return self.stoi.get(word, UNK)

    def encode(self, words: list[str]) -> list[int]:
        get = self.stoi.get
        return [get(w, UNK) for w in words]

    def ids_with_prefix(self, prefix: str) -> np.ndarray:
        """Ids of all vocabulary words that start with `prefix` (reserved tokens never included)."""
        lo = bisect.bisect_left(self._sorted_words, prefix)
        hi = bisect.bisect_left(self._sorted_words, prefix + "\U0010ffff")
        return self._sorted_ids[lo:hi]

    @classmethod
    def build(cls, words: list[str], counts: np.ndarray, max_size: int, min_count: int = 1) -> "Vocab":
        """The `max_size - 3` most frequent words seen at least `min_count` times (ties: first seen first)."""
        counts = np.asarray(counts)
        candidates = np.flatnonzero(counts >= min_count)
        candidates = np.array([i for i in candidates if words[i] not in RESERVED], dtype=np.int64)
        if candidates.size:
            # Stable sort by descending count keeps the first-seen order among equal counts: deterministic.
            order = candidates[np.argsort(-counts[candidates], kind="stable")]
        else:
            order = candidates
        keep = order[: max(0, max_size - len(RESERVED))]
        return cls(list(RESERVED) + [words[i] for i in keep])

    def remap_table(self, words: list[str]) -> np.ndarray:
        """For provisional ids (index into `words`) the vocabulary id, UNK when out of vocabulary."""
        get = self.stoi.get
        table = np.fromiter((get(w, UNK) for w in words), dtype=np.int32, count=len(words))
        return table


def token_shape_warnings(words: list[str], counts: np.ndarray, too_long: int) -> list[str]:
    """Warnings for text the `words` tokenizer could not split into words: a vocabulary made mostly of
    one-off "words" longer than LONG_TOKEN_CHARS (whole sentences), or much text in a script that is
    written without spaces and that it cannot segment (Thai, Lao, Khmer, Myanmar)."""
    found = []
    long_once = sum(1 for w, c in zip(words, counts, strict=True) if c == 1 and len(w) > LONG_TOKEN_CHARS) + too_long
    distinct = len(words) - 1 + too_long  # without <unk>
    if long_once >= 10 and long_once > 0.5 * distinct:
        found.append(f"{long_once:,} of the {distinct:,} distinct words occur once and are longer than "
                     f"{LONG_TOKEN_CHARS} characters: these look like whole sentences; is the text split into words?")
    total = int(counts.sum()) + too_long
    for script, pattern in UNSEGMENTED_SCRIPTS.items():
        n = sum(int(c) for w, c in zip(words, counts, strict=True) if pattern.search(w))
        if total and n > 0.05 * total:
            found.append(f"{n / total:.0%} of the words are {script}, which is written without spaces between "
                         "words: the words tokenizer cannot split it into words (split it with a word segmenter "
                         "first, with spaces between the words)")
    return found
