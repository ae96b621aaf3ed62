"""Time saved at the user's own speed: a keystroke-level model of typing with suggestions (design §17).

Keystrokes saved are not time saved (Quinn & Zhai, CHI 2016; Palin et al., MobileHCI 2019): a suggestion
must be read and chosen, and for a fast typist that can cost more than the letters it saves, while at slow
rates (one finger, on-screen or switch typing) prediction pays (Trnka et al., ACM TACCESS 2009). The model
uses the keystroke-level model of Card, Moran & Newell ("The keystroke-level model for user performance
time with interactive systems", CACM 23(7), 1980):

    K  one keystroke: the user's own, measured as the median time between keys in the box
       (the KLM's table: 0.08 s for the best typists, 0.20 s average skilled, 0.28 s average non-secretary,
       1.2 s for a typist unfamiliar with the keyboard);
    M  mental preparation, 1.35 s: charged once for every suggestion accepted — to read the chips, decide
       the word is there, and choose it (the KLM places an M before such a decision).

    time without suggestions = letters and spaces × K
    time with suggestions    = keys pressed × K + suggestions accepted × M

so the time saved = keys saved × K − accepted × M, reported per 100 words. The break-even key time is
M × accepted / keys saved: slower typists than that gain time, faster ones lose it. The model ignores the
time spent glancing at chips that are not accepted (optimistic for suggestions) and any learning of the
interface (pessimistic once the user knows where the word will appear).
"""
from __future__ import annotations

# "Show suggestions only when at least p": the p's offered and measured (core.learner counts keys per p). Here, in
# a module without numpy, because the window builds its threshold choice before numpy is loaded.
THRESHOLDS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2)

KLM_M_S = 1.35  # mental preparation per accepted suggestion (Card, Moran & Newell 1980)
KLM_K_AVERAGE_S = 0.28  # an average non-secretary typist's keystroke (same table), used before any is measured
MAX_GAP_S = 3.0  # gaps between keys longer than this are pauses (thinking, reading), not typing speed


def median_key_time(gaps: list[float]) -> float | None:
    """The median gap between keys (seconds), pauses left out; None before 10 keys were timed."""
    kept = sorted(g for g in gaps if 0 < g <= MAX_GAP_S)
    if len(kept) < 10:
        return None
    mid = len(kept) // 2
    return kept[mid] if len(kept) % 2 else 0.5 * (kept[mid - 1] + kept[mid])


def time_saved(words: int, plain: int, keys: int, accepted: int, key_s: float, m_s: float = KLM_M_S) -> dict:
    """Seconds saved per 100 words (negative: suggestions cost time) and the break-even key time."""
    if words <= 0:
        return {"seconds_per_100_words": 0.0, "break_even_key_s": None, "keys_saved_per_100_words": 0.0}
    saved_keys = plain - keys
    seconds = saved_keys * key_s - accepted * m_s
    return {"seconds_per_100_words": 100.0 * seconds / words,
            "keys_saved_per_100_words": 100.0 * saved_keys / words,
            "accepted_per_100_words": 100.0 * accepted / words,
            "break_even_key_s": (m_s * accepted / saved_keys) if saved_keys > 0 else None,
            "minutes_without_per_100_words": 100.0 * plain * key_s / words / 60.0}
