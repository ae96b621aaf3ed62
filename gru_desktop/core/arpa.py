"""A strict ARPA reader and scorer: what another program sees in an exported file (design §16).

Strict: the `\\data\\` counts must match the sections, every line must have a log10 probability ≤ 0, the
order's number of words and at most a finite back-off weight; every n-gram's context and suffix must be
listed one order below (as KenLM requires). Scoring follows the ARPA back-off rule:
    P(w | u v) = P_listed(u v w)  else  bo(u v) · P(w | v);    P(w | v) = P_listed(v w)  else  bo(v) · P(w)
with a sentence starting at `<s>` and no `</s>` scored (our models never predict a sentence end).
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

_COUNT_RE = re.compile(r"^ngram (\d+)=(\d+)$")


class ArpaError(ValueError):
    pass


@dataclass
class ArpaModel:
    order: int
    prob: dict[tuple[str, ...], float] = field(default_factory=dict)  # n-gram → log10 P
    backoff: dict[tuple[str, ...], float] = field(default_factory=dict)  # context → log10 bo
    followers: dict[tuple[str, ...], list[str]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def read(cls, path) -> "ArpaModel":
        with open(path, encoding="utf-8") as fh:
            lines = [ln.rstrip("\n") for ln in fh]
        i = 0
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or lines[i] != "\\data\\":
            raise ArpaError("the file does not start with \\data\\")
        i += 1
        declared: dict[int, int] = {}
        while i < len(lines) and lines[i].strip():
            m = _COUNT_RE.match(lines[i])
            if not m:
                raise ArpaError(f"line {i + 1}: not an ngram count: {lines[i]!r}")
            declared[int(m.group(1))] = int(m.group(2))
            i += 1
        if sorted(declared) != list(range(1, len(declared) + 1)) or not declared:
            raise ArpaError("the \\data\\ counts are not orders 1..N")
        model = cls(len(declared))
        for n in range(1, model.order + 1):
            while i < len(lines) and not lines[i].strip():
                i += 1
            if i >= len(lines) or lines[i] != f"\\{n}-grams:":
                raise ArpaError(f"line {i + 1}: expected \\{n}-grams:")
            i += 1
            seen = 0
            while i < len(lines) and lines[i].strip():
                model._entry(lines[i], n, i + 1)
                seen += 1
                i += 1
            if seen != declared[n]:
                raise ArpaError(f"{n}-grams: {seen} listed, {declared[n]} declared")
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or lines[i] != "\\end\\":
            raise ArpaError("the file does not end with \\end\\")
        for gram in model.prob:
            if len(gram) > 1 and (gram[:-1] not in model.prob or gram[1:] not in model.prob):
                raise ArpaError(f"{' '.join(gram)}: its context or suffix is not listed")
        for ctx in model.backoff:
            if ctx not in model.prob:
                raise ArpaError(f"back-off for unlisted {' '.join(ctx)}")
        return model

    def _entry(self, line: str, n: int, where: int) -> None:
        parts = line.split("\t")
        if len(parts) not in (2, 3):
            raise ArpaError(f"line {where}: expected 'logprob<TAB>words[<TAB>backoff]'")
        try:
            lp = float(parts[0])
            bo = float(parts[2]) if len(parts) == 3 else None
        except ValueError:
            raise ArpaError(f"line {where}: not a number") from None
        words = tuple(parts[1].split(" "))
        if len(words) != n or any(not w for w in words):
            raise ArpaError(f"line {where}: {n} words expected")
        if not (math.isfinite(lp) and lp <= 0) or (bo is not None and not math.isfinite(bo)):
            raise ArpaError(f"line {where}: a probability must be a finite log10 ≤ 0")
        if words in self.prob:
            raise ArpaError(f"line {where}: {parts[1]} listed twice")
        self.prob[words] = lp
        if bo is not None:
            self.backoff[words] = bo
        self.followers[words[:-1]].append(words[-1])

    def log10p(self, context: tuple[str, ...], word: str) -> float:
        """log10 P(word | context) by the back-off rule (context: the previous words, `<s>` first)."""
        context = context[len(context) - (self.order - 1):] if self.order > 1 else ()
        acc = 0.0
        while True:
            lp = self.prob.get(context + (word,))
            if lp is not None:
                return acc + lp
            if not context:
                lp = self.prob.get(("<unk>",))
                if lp is None:
                    raise ArpaError(f"{word!r} is not in the model and it has no <unk>")
                return acc + lp
            acc += self.backoff.get(context, 0.0)
            context = context[1:]

    def top(self, context: tuple[str, ...], k: int, candidates_floor: list[str]) -> list[str]:
        """The k most probable words after `context` (among its listed followers at every non-empty order and
        the `candidates_floor`, the k best unigrams): the same top-k as over the whole vocabulary, since a
        word listed after no part of the context scores the same back-offs plus its unigram, so only the k
        best unigrams can be among them (the empty context's followers are every word: scoring them all
        for each new context took hours on WikiText-2's validation text)."""
        context = context[len(context) - (self.order - 1):] if self.order > 1 else ()
        cands = set(candidates_floor)
        for j in range(len(context)):
            cands.update(self.followers.get(context[j:], ()))
        cands -= {"<s>", "</s>"}
        return sorted(cands, key=lambda w: (-self.log10p(context, w), w))[:k]

    def best_unigrams(self, k: int) -> list[str]:
        uni = [(lp, g[0]) for g, lp in self.prob.items() if len(g) == 1 and g[0] not in ("<s>", "</s>")]
        return [w for _, w in sorted(uni, key=lambda t: (-t[0], t[1]))[:k]]

    def score(self, sentences: list[list[str]], k: int = 3) -> tuple[float, float, int]:
        """(perplexity, top-k accuracy, words) over sentences of words (unknown words as `<unk>`)."""
        floor = self.best_unigrams(k)
        tops: dict[tuple[str, ...], set[str]] = {}  # a context comes back often: its top-k once
        nll, hits, n = 0.0, 0, 0
        for sent in sentences:
            ctx: tuple[str, ...] = ("<s>",)
            for w in sent:
                w = w if (w,) in self.prob else "<unk>"
                nll -= self.log10p(ctx, w) * math.log(10)
                if ctx not in tops:
                    tops[ctx] = set(self.top(ctx, k, floor))
                hits += w in tops[ctx]
                n += 1
                ctx = (ctx + (w,))[-(self.order - 1):]
        return (math.exp(nll / n) if n else math.nan), (hits / n if n else 0.0), n
