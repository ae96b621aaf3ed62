"""What the Autocomplete page's model picker writes (Qt-free; HTML where a rich-text label shows it): the source
picker's tooltip, the blend's weights in words, and the run's typing-quality numbers."""
from __future__ import annotations

SOURCE_TIP = ("what suggests: the fitted blend of the network with word counts (Kneser–Ney trigram) and the words "
              "used earlier in your text, and the words that followed moments of your text the network saw as alike, or one "
              "part alone; λ is the network's share of the two models")


def elide(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def weights_text(w) -> str:
    """The blend's weights in words: a·GRU + b·counts + c·recency cache + d·state cache, and λ."""
    return (f"p = {w.gru:.2f}·GRU + {w.counts:.2f}·counts + {w.cache:.2f}·recency cache + "
            f"{w.state:.2f}·state cache; λ = a / (a + b) = {w.lam:.2f}")


def quality_text(r: dict) -> str:
    """The run's typing-quality numbers on its validation text: what suggests (the blend, or the GRU alone),
    then the GRU's and the counts' own on the same positions."""
    def pct(x):
        return "–" if x is None else f"{x:.1%}"

    def ppl(x):
        return "–" if x is None else f"{x:.1f}"

    blend = r.get("eval_source") == "blend"
    head = (f"On its validation text ({r['eval_tokens']:,} words): "
            + (f"blend (λ = {r['blend_lambda']:.2f}) " if blend and r.get("blend_lambda") is not None else
               "blend " if blend else "GRU alone ")
            + f"perplexity <b>{ppl(r['eval_perplexity'])}</b>, top-1 <b>{pct(r['eval_top1'])}</b>, "
              f"top-3 <b>{pct(r['eval_top3'])}</b>, keystroke savings <b>{pct(r['eval_keystroke_savings'])}</b>")
    if blend:
        head += (f" · GRU only: perplexity {ppl(r.get('eval_gru_perplexity'))}, top-3 {pct(r.get('eval_gru_top3'))}, "
                 f"keystroke savings {pct(r.get('eval_gru_keystroke_savings'))}")
        if r.get("eval_counts_perplexity") is not None:
            head += (f" · counts only: perplexity {ppl(r['eval_counts_perplexity'])}, "
                     f"top-3 {pct(r.get('eval_counts_top3'))}")
    return head
