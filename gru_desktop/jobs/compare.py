"""What the Runs page's compare area shows for the selected runs, Qt-free (the jobs layer): their epoch
curves and the settings that differ. `compare_data` runs in a worker with its own connection, so neither the
reads nor the diff ever run on the GUI thread (design §3)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core.config import stored_settings

MAX_COMPARED = 8  # runs drawn at once: 4 curves each, one colour each; more would be unreadable and slow


@dataclass
class Comparison:
    """The compared runs' curves ({label: epoch rows}) and their settings rows, both only those that differ
    (`differ`) and all (`every`)."""

    series: dict[str, list[dict]] = field(default_factory=dict)
    differ: list[tuple[str, list]] = field(default_factory=list)
    every: list[tuple[str, list]] = field(default_factory=list)


def compared(runs: list[dict]) -> tuple[list[dict], str]:
    """The runs the compare area shows (the first MAX_COMPARED, in the table's order) and what to say about
    the rest ("" when all are shown)."""
    shown = runs[:MAX_COMPARED]
    if len(runs) <= MAX_COMPARED:
        return shown, ""
    return shown, (f"Comparing the first {MAX_COMPARED} of the {len(runs):,} selected runs (in the table's order): "
                   f"select fewer to choose which.")


def compare_data(db, runs: list[dict]) -> Comparison:
    """Read the runs' epochs and diff their settings (run dicts as `storage.list_runs` gives them)."""
    from .exports import run_series  # here, not at the top: `exports` loads storage, after the window's first paint

    if not runs:  # nothing selected any more: an empty chart and diff (run_series refuses no runs)
        return Comparison()
    series = run_series(db, [r["id"] for r in runs])
    return Comparison(series, settings_rows(runs, False), settings_rows(runs, True))


def settings_rows(runs: list[dict], show_all: bool) -> list[tuple[str, list]]:
    """(setting, value per run) for the settings that differ between the runs (all of them with show_all)."""
    if not runs:
        return []
    extra = {"corpus": [r.get("corpus") for r in runs], "vocabulary (actual)": [r.get("vocab_size") for r in runs],
             "parent run": [r.get("parent_run_id") for r in runs]}
    # A run stored before a setting existed was made with its legacy value (e.g. untied), not "missing".
    configs = [stored_settings(r["config"]) if r.get("config") else {} for r in runs]
    keys = sorted({k for c in configs for k in c})
    rows = list(extra.items()) + [(k, [setting_text(c, k) for c in configs]) for k in keys]
    return [(k, v) for k, v in rows if show_all or len({repr(x) for x in v}) > 1]


def setting_text(config: dict, key: str):
    """A stored setting as the diff shows it: epochs 0 is "auto"; the time budget only counts for Epochs auto
    (runs with a number of epochs, and runs from before the budget existed, show "not used")."""
    value = config.get(key)
    if key == "epochs" and value == 0:
        return "auto"
    if key == "budget":
        if config.get("epochs", 1) != 0:
            return "not used"
        return f"{value:g} s" if isinstance(value, (int, float)) else value
    return value
