"""Putting questions together (design §15): a quiz (3 questions), practice (5, easy → hard) or a test (10
across easy, medium and hard), from every family the material allows, deterministic per (material, mode,
seed). Questions missed before (`missed_first`, by id) come back first when they can be regenerated for this
material: an id names its family, variant, material and seed, so the same question comes back."""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from . import behaviour, code, concepts, padding, parameters, shapes, training, vocabulary
from .material import Material
from .question import DIFFICULTIES, FAMILIES, Question, Skip

MODES = {"quiz": 3, "practice": 5, "test": 10}
PLANS = {
    "quiz": ("easy", "medium", "hard"),
    "practice": ("easy", "easy", "medium", "medium", "hard"),
    "test": ("easy",) * 3 + ("medium",) * 4 + ("hard",) * 3,
}
_MODULES = {"shapes": shapes, "code": code, "padding": padding, "vocabulary": vocabulary, "parameters": parameters,
            "training": training, "behaviour": behaviour, "concepts": concepts}


def registry() -> dict[str, dict]:
    """family → {variant → (difficulty, generator(material, rng, qid))}."""
    return {f: _MODULES[f].variants() for f in FAMILIES}


@dataclass(frozen=True)
class Quiz:
    mode: str
    seed: int
    questions: tuple[Question, ...]
    skipped: tuple[tuple[str, str], ...]  # (family, why it was left out)


def check_mode_seed(mode: str, seed: int) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a whole number of 0 or more, not {seed!r}")


def make(material: Material, family: str, variant: str, qseed: int) -> Question:
    """One question by family, variant and seed; Skip when this material cannot give it."""
    difficulty, gen = registry()[family][variant]
    qid = f"{family}:{variant}:{material.fingerprint}:{qseed}"
    with torch.random.fork_rng(devices=[]):  # modules built and seeded here leave the caller's generator alone
        q = gen(material, random.Random(qid), qid)
    if q.difficulty != difficulty:
        raise AssertionError(f"{qid}: difficulty {q.difficulty} != {difficulty}")
    return q


def regenerate(material: Material, qid: str) -> Question | None:
    """The question an id names, if it belongs to this material and can still be asked; else None."""
    parts = qid.split(":")
    if len(parts) != 4 or not parts[3].isdecimal():
        return None
    family, variant, fingerprint, qseed = parts
    if fingerprint != material.fingerprint or family not in FAMILIES or not material.available(family):
        return None
    if variant not in registry()[family]:
        return None
    try:
        return make(material, family, variant, int(qseed))
    except Skip:
        return None


def build_questions(material: Material, mode: str, seed: int, missed_first: Sequence[str] = ()) -> Quiz:
    check_mode_seed(mode, seed)
    n = MODES[mode]
    reg = registry()
    skipped = tuple((f, material.unavailable[f]) for f in FAMILIES if f in material.unavailable)
    chosen: list[Question] = []
    room = n - len(DIFFICULTIES) if mode == "test" else n  # a test keeps room for all three difficulties
    for qid in missed_first:
        if len(chosen) == room:
            break
        q = regenerate(material, qid)
        if q is not None and all(q.id != c.id for c in chosen):
            chosen.append(q)
    plan = list(PLANS[mode])
    for q in chosen:  # the missed ones take the places of their own difficulty first
        plan.remove(q.difficulty if q.difficulty in plan else plan[-1])
    if mode == "test":  # every difficulty the missed ones lack stays in the plan
        for d in DIFFICULTIES:
            if d not in plan and all(q.difficulty != d for q in chosen):
                surplus = max(set(plan), key=plan.count)
                plan[plan.index(surplus)] = d
    rng = random.Random(f"learn:{mode}:{seed}:{material.fingerprint}")
    families = [f for f in FAMILIES if material.available(f)]
    rng.shuffle(families)
    used_family = {f: sum(q.family == f for q in chosen) for f in families}
    used_variant = {(q.family, q.variant) for q in chosen}
    fresh: list[Question] = []
    for difficulty in plan:
        q = _one(material, reg, families, used_family, used_variant, difficulty, rng)
        if q is None:  # no family gives this difficulty for this material: any difficulty will do
            q = next((x for d in DIFFICULTIES if (x := _one(material, reg, families, used_family, used_variant, d, rng))),
                     None)
        if q is None:
            break
        used_family[q.family] += 1
        used_variant.add((q.family, q.variant))
        fresh.append(q)
    fresh.sort(key=lambda q: DIFFICULTIES.index(q.difficulty))  # easy → hard
    return Quiz(mode, seed, tuple(chosen + fresh), skipped)


def _one(material, reg, families, used_family, used_variant, difficulty, rng) -> Question | None:
    """A question of `difficulty` from the least-used family that has one, preferring unused variants."""
    order = sorted(families, key=lambda f: (used_family[f], families.index(f)))
    for fresh_only in (True, False):
        for family in order:
            names = [v for v, (d, _) in reg[family].items() if d == difficulty
                     and (not fresh_only or (family, v) not in used_variant)]
            rng.shuffle(names)
            for variant in names:
                qseed = rng.randrange(2**31)
                try:
                    return make(material, family, variant, qseed)
                except Skip:
                    continue
    return None


def stage_question(material: Material, tensor: str, seed: int, batch_first: bool | None = None) -> Question:
    """Predict, then reveal: the shape of `tensor` (padded_ids, embedding_out, gru_output, h_n, logits) for
    this material's corpus and settings, as a shapes question. `batch_first`: ask about that layout (the
    model's own is True); the question is then the first from `seed` on that has it, so its id regenerates it."""
    if tensor not in shapes.TENSORS:
        raise ValueError(f"tensor must be one of {', '.join(shapes.TENSORS)}, not {tensor!r}")
    for qseed in range(seed, seed + 64):
        q = make(material, "shapes", tensor, qseed)
        if batch_first is None or q.given["batch_first"] == batch_first:
            return q
    raise AssertionError("no seed in 64 gave the layout asked for")  # each is a fair coin: 2^-64
