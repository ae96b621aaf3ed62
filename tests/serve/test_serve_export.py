"""`runs export --arpa/--presage --from counts|gru` read back by independent readers: KenLM's own `kenlm` module
(where it is installed) and our strict ARPA reader, Presage's tables with plain sqlite3 and with Presage itself
(where it is installed). The tables give the
same top words as `suggest --source counts --json`; a failed export leaves nothing behind."""
from __future__ import annotations

import json
import math
import shutil
import sqlite3
import subprocess

import numpy as np
import pytest

from gru_desktop.core.arpa import ArpaError, ArpaModel
from gru_desktop.core.ngram import KneserNeyTrigram
from gru_desktop.core.ngram_export import write_arpa, write_presage
from serve_helpers import TEXTS, cli  # noqa: E402

CONTEXT = TEXTS[0].split()[-2:]  # "for your"


@pytest.fixture(scope="module")
def exported(served_home, tmp_path_factory):
    home, run_id, _, _ = served_home
    out = tmp_path_factory.mktemp("exports")
    r = cli(home, "runs", "export", str(run_id), "--arpa", out / "counts.arpa", "--presage", out / "counts.db", "--json")
    assert r.returncode == 0, r.stderr
    done = json.loads(r.stdout)
    assert done["arpa_from"] == "counts" and done["presage_sizes"]["_3_gram"] > 0
    r = cli(home, "runs", "export", str(run_id), "--arpa", out / "gru.arpa", "--from", "gru", "--sample-words", "3000")
    assert r.returncode == 0, r.stderr
    r = cli(home, "suggest", str(run_id), TEXTS[0], "--source", "counts", "--json")
    assert r.returncode == 0, r.stderr
    counts_top = [s["word"] for s in json.loads(r.stdout)["suggestions"]]
    return out, counts_top, home, run_id


def test_arpa_from_counts_gives_the_counts_suggestions(exported):
    out, counts_top, _, _ = exported
    model = ArpaModel.read(out / "counts.arpa")  # strict: counts, sections, contexts all checked
    assert model.order == 3
    assert model.top(tuple(CONTEXT), 3, model.best_unigrams(3)) == counts_top


def test_arpa_top_words_equal_a_search_of_the_whole_vocabulary(exported):
    """`top` looks only at each context's listed followers and the best unigrams: the same words, in the same
    order, as scoring every word of the vocabulary."""
    out, _, _, _ = exported
    model = ArpaModel.read(out / "counts.arpa")
    words = sorted({g[0] for g in model.prob if len(g) == 1} - {"<s>", "</s>"})
    floor = model.best_unigrams(3)
    rng = np.random.default_rng(0)
    contexts = [("<s>",), tuple(CONTEXT), ("<s>", "the"), ("zzz-unknown", "of")]
    contexts += [tuple(rng.choice(words, size=2)) for _ in range(20)]
    for ctx in contexts:
        whole = sorted(words, key=lambda w: (-model.log10p(ctx, w), w))[:3]
        assert model.top(ctx, 3, floor) == whole, ctx


def test_kenlm_reads_the_arpa_files_and_agrees(exported):
    kenlm = pytest.importorskip("kenlm")
    out, counts_top, _, _ = exported
    for name in ("counts.arpa", "gru.arpa"):
        ours, theirs = ArpaModel.read(out / name), kenlm.Model(str(out / name))
        assert theirs.order == 3
        for text in TEXTS:
            words = text.lower().split()
            scores = [s[0] for s in theirs.full_scores(" ".join(words), bos=True, eos=False)]
            ctx, mine = ("<s>",), []
            for w in words:
                w = w if (w,) in ours.prob else "<unk>"
                mine.append(ours.log10p(ctx, w))
                ctx = (ctx + (w,))[-2:]
            assert scores == pytest.approx(mine, abs=1e-4), (name, text)
    # KenLM's own ranking of the counts' best words after "for your" is the same as suggest's
    m = kenlm.Model(str(out / "counts.arpa"))
    best = sorted(counts_top, key=lambda w: -m.score(" ".join([*CONTEXT, w]), bos=False, eos=False))
    assert best == counts_top


def test_presage_tables_read_back_with_sqlite(exported):
    out, counts_top, _, _ = exported
    con = sqlite3.connect(out / "counts.db")
    cols = {t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")] for t in ("_1_gram", "_2_gram", "_3_gram")}
    assert cols == {"_1_gram": ["word", "count"], "_2_gram": ["word_1", "word", "count"],
                    "_3_gram": ["word_2", "word_1", "word", "count"]}
    top = [w for (w,) in con.execute("SELECT word FROM _3_gram WHERE word_2 = ? AND word_1 = ? ORDER BY count DESC, "
                                     "word LIMIT 1", CONTEXT)]
    assert top == counts_top[:1]  # the most counted follower is the counts' best word
    reserved = con.execute("SELECT count(*) FROM _1_gram WHERE word IN ('<unk>', '<bos>', '<pad>')").fetchone()[0]
    assert reserved == 0
    # a bigram's count is at most its first word's; the same pair as a trigram suffix at most the bigram's
    worst = con.execute("SELECT max(b.count - u.count) FROM _2_gram b JOIN _1_gram u ON u.word = b.word_1").fetchone()[0]
    assert worst <= 0
    con.close()


PRESAGE_CONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<Presage>
  <PredictorRegistry><LOGGER>ERROR</LOGGER><PREDICTORS>Ours</PREDICTORS></PredictorRegistry>
  <ContextTracker><LOGGER>ERROR</LOGGER><SLIDING_WINDOW_SIZE>80</SLIDING_WINDOW_SIZE>
    <LOWERCASE_MODE>yes</LOWERCASE_MODE></ContextTracker>
  <Selector><LOGGER>ERROR</LOGGER><SUGGESTIONS>3</SUGGESTIONS><REPEAT_SUGGESTIONS>yes</REPEAT_SUGGESTIONS>
    <GREEDY_SUGGESTION_THRESHOLD>0</GREEDY_SUGGESTION_THRESHOLD></Selector>
  <PredictorActivator><LOGGER>ERROR</LOGGER><PREDICT_TIME>1000</PREDICT_TIME>
    <MAX_PARTIAL_PREDICTION_SIZE>60</MAX_PARTIAL_PREDICTION_SIZE><COMBINATION_POLICY>Meritocracy</COMBINATION_POLICY>
  </PredictorActivator>
  <ProfileManager><LOGGER>ERROR</LOGGER><AUTOPERSIST>false</AUTOPERSIST></ProfileManager>
  <Predictors><Ours><PREDICTOR>SmoothedNgramPredictor</PREDICTOR><LOGGER>ERROR</LOGGER>
    <DBFILENAME>{db}</DBFILENAME><DELTAS>0.01 0.1 0.89</DELTAS><LEARN>false</LEARN>
    <DatabaseConnector><LOGGER>ERROR</LOGGER></DatabaseConnector></Ours></Predictors>
</Presage>
"""


@pytest.mark.skipif(shutil.which("presage_demo_text") is None, reason="Presage is not installed (apt: presage)")
def test_presage_itself_reads_the_database_and_agrees(exported, tmp_path):
    """Presage's own SmoothedNgramPredictor (its `presage_demo_text`, Debian's `presage` package) reads the
    exported database and ranks the counts' best word first after the same text."""
    out, counts_top, _, _ = exported
    config = tmp_path / "presage.xml"
    config.write_text(PRESAGE_CONFIG.format(db=out / "counts.db"), encoding="utf-8")
    # the demo answers each line of input and never ends at EOF: read its first answer, then stop it
    proc = subprocess.Popen(["presage_demo_text", "-c", str(config), "-s", "3"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        proc.stdin.write(TEXTS[0] + "\n")
        proc.stdin.flush()
        lines: list[str] = []
        while not (lines and lines[-1].startswith("-- Context:")):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()  # it ended without answering
            lines.append(line.rstrip("\n"))
    finally:
        proc.kill()
        proc.wait(10)
    at = next(i for i, line in enumerate(lines) if line.startswith("> "))  # "> " then the first suggestion
    predicted = [lines[at][2:].strip(), lines[at + 1].strip(), lines[at + 2].strip()]
    assert predicted[0] == counts_top[0], (predicted, counts_top)


def test_from_gru_is_seeded_and_strict(exported):
    out, _, home, run_id = exported
    again = out / "again.arpa"
    r = cli(home, "runs", "export", str(run_id), "--arpa", again, "--from", "gru", "--sample-words", "3000")
    assert r.returncode == 0, r.stderr
    assert again.read_bytes() == (out / "gru.arpa").read_bytes()
    gru, counts = ArpaModel.read(out / "gru.arpa"), ArpaModel.read(out / "counts.arpa")
    assert len(gru.prob) > len(counts.prob)  # the sample adds n-grams the corpus never showed


def test_unwritable_path_is_one_error_line(exported, tmp_path):
    _, _, home, run_id = exported
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for target in (blocker / "out.arpa", tmp_path):
        r = cli(home, "runs", "export", str(run_id), "--presage" if target == tmp_path else "--arpa", target)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: cannot write"), r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def _tiny_kn() -> KneserNeyTrigram:
    rng = np.random.default_rng(0)
    ids = rng.integers(3, 12, size=400)
    starts = np.arange(0, 401, 8)
    return KneserNeyTrigram().fit(ids, starts, np.arange(len(starts) - 1), 12)


@pytest.mark.parametrize("write", [write_arpa, write_presage])
def test_a_failed_write_leaves_nothing(tmp_path, write):
    words = ["<pad>", "<unk>", "<bos>", *[f"w{i}" for i in range(3, 11)], "bad\udcff"]  # not encodable
    with pytest.raises(UnicodeEncodeError):
        write(tmp_path / "out", _tiny_kn(), words)
    assert list(tmp_path.iterdir()) == []


def test_tiny_arpa_round_trip_is_exact(tmp_path):
    kn = _tiny_kn()
    words = ["<pad>", "<unk>", "<bos>", *[f"w{i}" for i in range(3, 12)]]
    write_arpa(tmp_path / "t.arpa", kn, words)
    model = ArpaModel.read(tmp_path / "t.arpa")
    rng = np.random.default_rng(1)
    for _ in range(50):  # any context, any word: the file gives back the interpolated probability
        u, v, w = (int(x) for x in rng.integers(3, 12, size=3))
        for ctx, (a, b) in ((("<s>",), (0, 2)), (("<s>", words[v]), (2, v)), ((words[u], words[v]), (u, v))):
            want = math.log10(float(kn.prob(np.array([a]), np.array([b]), np.array([w]))[0]))
            assert model.log10p(ctx, words[w]) == pytest.approx(want, abs=2e-6)


def test_strict_reader_refuses_broken_files(tmp_path):
    good = "\\data\\\nngram 1=2\n\n\\1-grams:\n-1.0\t<unk>\n-0.5\ta\n\n\\end\\\n"
    (tmp_path / "ok.arpa").write_text(good)
    assert ArpaModel.read(tmp_path / "ok.arpa").order == 1
    for bad in (good.replace("ngram 1=2", "ngram 1=3"), good.replace("-0.5", "0.5"), good.replace("\\end\\", ""),
                good.replace("-1.0\t<unk>", "-1.0\t<unk> x"), "nonsense"):
        (tmp_path / "bad.arpa").write_text(bad)
        with pytest.raises(ArpaError):
            ArpaModel.read(tmp_path / "bad.arpa")
