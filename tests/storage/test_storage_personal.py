"""The personal counts in the data folder (design §17): rows survive, Forget, Forget all, damage, pause."""
from __future__ import annotations

import storage
from storage.personal import forget_all_personal, get_personal_meta, load_personal, save_personal


def _db(tmp_path):
    return storage.open_db(tmp_path / "runs.db")


def test_rows_survive_a_reopen_and_deletes_apply(tmp_path):
    db = _db(tmp_path)
    save_personal(db, [(("hello",), 2.0, 2, 5, 100.0), (("hello", "there"), 1.0, 1, 5, 101.0)], [], tick=5)
    db.conn.close()
    rows, tick, paused, warning = load_personal(_db(tmp_path))
    assert warning is None and tick == 5 and not paused
    assert sorted(r[0] for r in rows) == [("hello",), ("hello", "there")]
    db = _db(tmp_path)
    save_personal(db, [], [("hello", "there")], tick=6)
    assert [r[0] for r in load_personal(db)[0]] == [("hello",)]


def test_forget_all_removes_every_row_and_the_clock(tmp_path):
    db = _db(tmp_path)
    save_personal(db, [((f"w{i}",), 1.0, 1, i, 1.0) for i in range(1, 50)], [], tick=49)
    forget_all_personal(db)
    rows, tick, _, _ = load_personal(db)
    assert rows == [] and tick == 0 and get_personal_meta(db, "tick") is None


def test_a_damaged_table_is_rebuilt_empty_with_a_warning(tmp_path):
    db = _db(tmp_path)
    save_personal(db, [(("fine",), 1.0, 1, 1, 1.0)], [], tick=1)
    db.execute("INSERT INTO personal_ngrams VALUES ('not json', 1, 1.0, 1, 1, 1.0)")
    db.conn.commit()
    rows, tick, _, warning = load_personal(db)
    assert rows == [] and "rebuilt empty" in warning
    save_personal(db, [(("again",), 1.0, 1, 1, 1.0)], [], tick=1)  # and it works again
    assert [r[0] for r in load_personal(db)[0]] == [("again",)]
    db.execute("DROP TABLE personal_ngrams")
    db.execute("CREATE TABLE personal_ngrams (x)")
    db.conn.commit()
    rows, _, _, warning = load_personal(db)
    assert rows == [] and "rebuilt empty" in warning
    assert load_personal(db)[3] is None


def test_impossible_numbers_count_as_damage(tmp_path):
    db = _db(tmp_path)
    db.execute("INSERT INTO personal_ngrams VALUES ('[\"a\"]', 1, -3.0, 1, 1, 1.0)")
    db.conn.commit()
    assert "rebuilt empty" in load_personal(db)[3]


def test_writes_that_delete_rows_count_up_deletions(tmp_path):
    """`lsp --learn` notices a forget in the window by this number: only writes that delete rows change it."""
    from storage.personal import personal_deletions

    db = _db(tmp_path)
    assert personal_deletions(db) == 0
    save_personal(db, [(("hello",), 2.0, 2, 5, 100.0), (("hello", "there"), 1.0, 1, 5, 101.0)], [], tick=5)
    assert personal_deletions(db) == 0
    save_personal(db, [], [("hello", "there")], tick=6)
    assert personal_deletions(db) == 1
    forget_all_personal(db)
    assert personal_deletions(db) == 2
