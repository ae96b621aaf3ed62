"""Secret-like text: finding it, masking it, and drawing random text of the same format (design §17).

Kinds: e-mail addresses, URLs that carry a token, IBAN-like codes, and digit runs of 4 or more digits
(single spaces, dashes or dots may separate groups: PINs, card, phone and account numbers). Each found
span keeps its place (character offsets in its line) so an audit can say where it is.

Masking keeps just enough to recognise one's own data and never the secret part:
    john.smith@example.org → j***@example.org      4111 1111 1111 1234 → 41** **** **** 1234
    555-123-4567 → ***-***-**67                     4821 → ****
    DE89 3704 0044 0532 0130 00 → DE** **** **** **** **** 00
    https://x.org/reset?token=abc123… → https://x.org/***
`mask_text` masks every span of a free text: whatever the audit prints or logs goes through it.

Candidates of the same format (the randomness space R of Carlini et al. 2019): every digit replaced by a
random digit, every letter by a random letter of the same case, separators kept; an e-mail keeps its domain
(only the local part varies), a URL its scheme, host and parameter names (the token values vary), an IBAN
its country code. `space_bits` is log2 of the size of that space.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only a type here: the window's epoch table masks text before numpy is loaded
    import numpy as np

KINDS = ("email", "url", "iban", "card", "phone", "number")

EMAIL_RE = re.compile(r"(?<![\w.+-])[A-Za-z0-9][\w.+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
URL_RE = re.compile(r"\bhttps?://[^\s<>\"'()\[\]]+", re.IGNORECASE)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
# At least 4 digits; groups joined by one space, dash or dot; an optional leading + (phone numbers).
DIGITS_RE = re.compile(r"(?<![\w.,])\+?\d(?:[ .-]?\d){3,}(?![\w])")
# A URL carries a token when a parameter is named like one, or a path/query part is long and mixes
# letters and digits (reset links, signed URLs, API keys in paths).
TOKEN_PARAM_RE = re.compile(r"(?:^|[?&;])(?:access_token|api_?key|apikey|auth|code|key|pass(?:word)?|secret|"
                            r"session|sid|sig(?:nature)?|token)=([^&;#]+)", re.IGNORECASE)
TOKEN_PART_RE = re.compile(r"(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,}")
URL_PARTS_RE = re.compile(r"^(https?://[^/?#]+)(.*)$", re.IGNORECASE)
LOWER, UPPER, DIGITS = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"


@dataclass(frozen=True)
class Span:
    kind: str  # one of KINDS
    text: str
    start: int  # offsets into the line it was found in
    end: int

    @property
    def masked(self) -> str:
        return mask(self.text, self.kind)


def find_spans(line: str) -> list[Span]:
    """Secret-like spans of one line, left to right, not overlapping (IBAN, e-mail, URL before digits)."""
    found: list[Span] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for kind, regex in (("iban", IBAN_RE), ("email", EMAIL_RE), ("url", URL_RE)):
        for m in regex.finditer(line):
            text = m.group(0).rstrip(".,;:!?") if kind == "url" else m.group(0)
            if kind == "url" and not _token_parts(text):
                continue  # a plain link is not a secret
            if free(m.start(), m.start() + len(text)):
                found.append(Span(kind, text, m.start(), m.start() + len(text)))
                taken.append((m.start(), m.start() + len(text)))
    for m in DIGITS_RE.finditer(line):
        if free(m.start(), m.end()):
            found.append(Span(digit_kind(m.group(0)), m.group(0), m.start(), m.end()))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda s: s.start)


def digit_kind(text: str) -> str:
    n = sum(ch.isdigit() for ch in text)
    if 13 <= n <= 19 and not text.startswith("+"):
        return "card"
    if text.startswith("+") or (10 <= n <= 12 and re.search(r"[ .-]", text)):
        return "phone"
    return "number"


def mask(text: str, kind: str) -> str:
    """The span with its secret part replaced by `*` (see the module's examples)."""
    if kind == "email":
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind == "url":
        m = URL_PARTS_RE.match(text)
        return f"{m.group(1)}/***" if m else "***"
    if kind == "iban":
        return _keep_chars(text, 2, 2)
    n = sum(ch.isdigit() for ch in text)
    first, last = (2, 4) if n >= 12 else (0, 2) if n >= 7 else (0, 0)
    return _keep_chars(text, first, last)


def _keep_chars(text: str, first: int, last: int) -> str:
    """Letters and digits replaced by `*`, except the first `first` and the last `last` of them."""
    alnum = [i for i, ch in enumerate(text) if ch.isalnum()]
    keep = set(alnum[:first]) | (set(alnum[-last:]) if last else set())
    return "".join(ch if (i in keep or not ch.isalnum()) else "*" for i, ch in enumerate(text))


def mask_text(text: str) -> str:
    """`text` with every secret-like span masked, line by line (for anything printed or logged)."""
    out = []
    for line in text.split("\n"):
        pieces, at = [], 0
        for span in find_spans(line):
            pieces += [line[at:span.start], span.masked]
            at = span.end
        out.append("".join(pieces) + line[at:])
    return "\n".join(out)


def _token_parts(url: str) -> list[tuple[int, int]]:
    """(start, end) of the token-like parts of a URL (after its host), or [] for a plain link."""
    m = URL_PARTS_RE.match(url)
    if not m:
        return []
    base, rest = len(m.group(1)), m.group(2)
    parts = [(base + p.start(1), base + p.end(1)) for p in TOKEN_PARAM_RE.finditer(rest)]
    for p in TOKEN_PART_RE.finditer(rest):
        a, b = base + p.start(), base + p.end()
        if all(b <= s or a >= e for s, e in parts):
            parts.append((a, b))
    return sorted(parts)


def _variable(text: str, kind: str) -> list[int]:
    """Positions of the characters that vary among candidates of the same format."""
    if kind == "email":
        local = text.index("@")
        return [i for i in range(local) if text[i].isalnum()]
    if kind == "url":
        return [i for a, b in _token_parts(text) for i in range(a, b) if text[i].isalnum()]
    if kind == "iban":
        return [i for i, ch in enumerate(text) if ch.isalnum()][2:]
    return [i for i, ch in enumerate(text) if ch.isdigit()]


def _alphabet(ch: str) -> str:
    return DIGITS if ch.isdigit() else UPPER if ch.isupper() else LOWER


def space_bits(text: str, kind: str) -> float:
    """log2 of the number of strings of this format (the size of Carlini's R)."""
    return sum(math.log2(len(_alphabet(text[i]))) for i in _variable(text, kind))


def candidates(text: str, kind: str, n: int, rng: np.random.Generator) -> list[str]:
    """`n` random strings of the same format as `text`, none equal to it (drawn with replacement)."""
    where = _variable(text, kind)
    if not where or space_bits(text, kind) < math.log2(n + 2):
        raise ValueError(f"a {kind} of this format has too few variants for {n} candidates")
    alphabets = [_alphabet(text[i]) for i in where]
    out: list[str] = []
    chars = list(text)
    while len(out) < n:
        draws = rng.integers(0, 1 << 30, size=(n, len(where)))
        for row in draws:
            for j, (i, alphabet) in enumerate(zip(where, alphabets, strict=True)):
                chars[i] = alphabet[row[j] % len(alphabet)]
            cand = "".join(chars)
            if cand != text:
                out.append(cand)
                if len(out) == n:
                    break
    return out
