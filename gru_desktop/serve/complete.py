"""`POST /v1/completions`: the OpenAI legacy completions subset, answered word by word from a Predictor.

Fields read: `model` (run-N or latest), `prompt` (a string, or a list holding one), `max_tokens` (words,
default 16, at most 256), `temperature` (0 = greedy, the default 1 samples), `n` (1–8 choices), `logprobs`
(0–20: the top-k next words at every step, OpenAI's `choices[].logprobs` shape), `stop` (a string or up to
4), `seed`. Other fields are ignored, except `stream` and `echo`, which are refused (not supported).

A "token" here is one word as it is appended to the text: a half-typed word at the end of the prompt is
first completed (the token is the rest of the word), then each next word comes with the space before it.
"""
from __future__ import annotations

import math
import secrets
import time

import torch

from ..core.vocab import is_word
from .models import Registry, bad_request

MAX_WORDS = 256
MAX_CHOICES = 8
MAX_LOGPROBS = 20
MAX_PROMPT_CHARS = 60_000


def _int(body: dict, name: str, default: int, lo: int, hi: int) -> int:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise bad_request(f"{name} must be a whole number from {lo} to {hi}")
    return value


def parse(body: dict) -> dict:
    """The request's fields, checked; 400 with a message for anything else."""
    if body.get("stream"):
        raise bad_request("stream is not supported: ask without stream")
    if body.get("echo"):
        raise bad_request("echo is not supported")
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1:
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise bad_request("prompt must be a string (or a list of one string)")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise bad_request(f"prompt is longer than {MAX_PROMPT_CHARS:,} characters")
    temperature = body.get("temperature", 1.0)
    if temperature is None:
        temperature = 1.0
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 <= temperature <= 2:
        raise bad_request("temperature must be a number from 0 to 2")
    stop = body.get("stop")
    if stop is None:
        stop = []
    elif isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or len(stop) > 4 or not all(isinstance(s, str) and s for s in stop):
        raise bad_request("stop must be a string or a list of up to 4 non-empty strings")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise bad_request("seed must be a whole number")
    logprobs = body.get("logprobs")
    return {"model": body.get("model"), "prompt": prompt, "max_tokens": _int(body, "max_tokens", 16, 0, MAX_WORDS),
            "temperature": float(temperature), "n": _int(body, "n", 1, 1, MAX_CHOICES),
            "logprobs": None if logprobs is None else _int(body, "logprobs", 0, 0, MAX_LOGPROBS),
            "stop": stop, "seed": seed}


def complete(registry: Registry, body: dict) -> dict:
    """The response body for a completions request."""
    if not isinstance(body.get("model"), (str, int)):
        raise bad_request("model is required: run-N or latest (GET /v1/models lists them)")
    req = parse(body)
    run_id = registry.resolve(req["model"])
    predictor = registry.predictor(run_id, None, req["prompt"])
    gen = torch.Generator().manual_seed(req["seed"] if req["seed"] is not None else secrets.randbelow(2**31))
    choices, used = [], 0
    for index in range(req["n"]):
        choice, words = _one(predictor, req, gen)
        choices.append({"index": index, **choice})
        used += words
    prompt_tokens = len(predictor.context(req["prompt"]).tokens)
    return {"id": "cmpl-" + secrets.token_hex(12), "object": "text_completion", "created": int(time.time()),
            "model": req["model"] if isinstance(req["model"], str) else f"run-{run_id}", "choices": choices,
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": used, "total_tokens": prompt_tokens + used}}


def _one(predictor, req: dict, gen: torch.Generator) -> tuple[dict, int]:
    """One choice: (its OpenAI fields, words generated)."""
    text, pieces, logps, tops = req["prompt"], [], [], []
    k, finish = req["logprobs"], "length"
    ended_word = False  # the text ends in a word we appended: the next one is a new word, not its completion
    for _ in range(req["max_tokens"]):
        probs, ctx = predictor.probabilities(text + " " if ended_word else text)
        prefix = "" if ended_word else ctx.prefix
        ranked = predictor.top_k(probs, prefix, max(k or 0, 1) if req["temperature"] == 0 else max(k or 0, 50))
        if not ranked:
            finish = "stop"  # a half word that no word of the vocabulary completes
            break
        word = ranked[0] if req["temperature"] == 0 else _sample(ranked, req["temperature"], gen)
        glue = " " if text and (ended_word or not prefix) and not text[-1].isspace() and is_word(word.word) else ""
        if prefix:
            piece = word.word[len(prefix):] if word.word.startswith(prefix) else word.word
            pieces_of = {s.word: s.word[len(prefix):] for s in ranked}
        else:
            piece = glue + word.word
            pieces_of = {s.word: (glue if is_word(s.word) else "") + s.word for s in ranked}
        pieces.append(piece)
        logps.append(_log(word.probability))
        if k is not None:
            tops.append({pieces_of[s.word]: _log(s.probability) for s in ranked[:k]})
        text += piece
        ended_word = True
        out = "".join(pieces)
        cut = min((i for i in (out.find(s) for s in req["stop"]) if i >= 0), default=-1)
        if cut >= 0:
            pieces, finish = _cut(pieces, cut), "stop"
            logps, tops = logps[: len(pieces)], tops[: len(pieces)]
            break
    out = "".join(pieces)
    logprobs = None
    if k is not None:
        offsets, at = [], len(req["prompt"])
        for p in pieces:
            offsets.append(at)
            at += len(p)
        logprobs = {"tokens": pieces, "token_logprobs": logps, "top_logprobs": tops, "text_offset": offsets}
    return {"text": out, "logprobs": logprobs, "finish_reason": finish}, len(pieces)


def _sample(ranked, temperature: float, gen: torch.Generator):
    """One of the ranked words, drawn with probability ∝ p^(1/temperature) (from the best 50)."""
    p = torch.tensor([max(s.probability, 1e-30) for s in ranked], dtype=torch.float64).pow(1.0 / temperature)
    return ranked[int(torch.multinomial(p / p.sum(), 1, generator=gen))]


def _cut(pieces: list[str], at: int) -> list[str]:
    """The pieces up to character `at` of their concatenation (the last one shortened)."""
    out, used = [], 0
    for p in pieces:
        if used + len(p) <= at:
            out.append(p)
            used += len(p)
        else:
            if at > used:
                out.append(p[: at - used])
            break
    return out


def _log(p: float) -> float:
    return math.log(p) if p > 0 else -1e9
