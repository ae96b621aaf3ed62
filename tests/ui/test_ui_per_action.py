"""`bench --only journey`'s per-action report (design §18): the worst tick inside each action's own window,
against its budget (an epoch end 16 ms, any other action 50 ms); the time between actions is not an action."""
from __future__ import annotations

from gru_desktop.bench.lateness import action_table, per_action


def test_each_action_reports_its_own_worst_tick_against_its_budget():
    ticks = [(0.5, "start", ""), (120.0, "launch: first paint", "launch"), (3.0, "pressing Train", "small"),
             (48.0, "pressing Train", "small"), (30.0, "training", "small"), (17.5, "epoch end (1)", "small"),
             (4.0, "epoch end (2)", "small"), (60.0, "typing a filter", "runs")]
    rows = {r["action"]: r for r in per_action(ticks)}
    assert list(rows) == ["pressing Train", "epoch end (1)", "epoch end (2)", "typing a filter"]
    assert rows["pressing Train"] == {"action": "pressing Train", "phase": "small", "ticks": 2, "worst_ms": 48.0,
                                      "budget_ms": 50.0, "ok": True}
    assert not rows["epoch end (1)"]["ok"] and rows["epoch end (1)"]["budget_ms"] == 16.0
    assert rows["epoch end (2)"]["ok"] and not rows["typing a filter"]["ok"]
    assert [r["action"] for r in per_action(ticks, phase="runs")] == ["typing a filter"]
    table = action_table(list(rows.values())).splitlines()
    assert table[0].split() == ["action", "worst", "ms", "budget", "ticks"]
    assert table[2].endswith("OVER") and not table[1].endswith("OVER")


def test_the_gui_threads_own_cpu_time_per_action_when_given():
    ticks = [(70.0, "select all", "runs"), (5.0, "select all", "runs"), (2.0, "closing", "runs")]
    rows = per_action(ticks, cpu=[3.0, 12.5, 0.4])
    assert [(r["worst_ms"], r["worst_cpu_ms"]) for r in rows] == [(70.0, 12.5), (2.0, 0.4)]
    table = action_table(rows).splitlines()
    assert table[0].split()[-3:] == ["GUI", "CPU", "ms"] and table[1].split()[-2:] == ["12.5", "OVER"]


def test_an_action_the_script_does_itself_is_charged_its_own_synchronous_work(qtbot):
    """`begin`: work done outside the event loop right after the mark (a page switch, close) is the new
    action's; with `mark` alone it went to the step before (what hid pressing Train's own 45 ms)."""
    import time

    from gru_desktop.bench.lateness import Recorder

    rec = Recorder()
    try:
        qtbot.wait(50)
        rec.mark("idle")
        qtbot.wait(50)
        rec.begin("busy action")
        time.sleep(0.08)  # the action's own work, outside the event loop
        qtbot.wait(50)
    finally:
        rec.stop()
    worst = {r["action"]: r["worst_ms"] for r in per_action(rec.ticks)}
    assert worst["busy action"] >= 60 and worst["idle"] < 40
