"""The jobs layer (design §2): where the engine (`gru_desktop.core`) and the database (`storage`) meet.

Each module is one kind of job that the CLI and the GUI's workers both drive, so they do it the same way:
`runs` (one training job end to end, resume, continue, delete), `queue` (sweeps, working the run queue),
`blends` and `baselines` (a run's fitted blend and the count-based baseline), `exports` (CSV and model
exports), `launch` (`train --processes N` through torchrun), `sysmon` (what the training process used),
`faults` (which errors are the user's to fix). Never imports Qt. This file imports nothing, so the GUI can
import a light module of the package on its own thread (`run_table`, `compare`, `sysmon`: no storage and no
torch at import), and the heavy modules (torch) load only when a job needs them, in a worker.
"""
