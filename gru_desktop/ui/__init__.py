"""The Qt desktop app: thin views over the core, the jobs and storage (design §2, §3, §7, §18). Its rooms:

- `window/`  the main window and what it is composed of: the corpus and training controllers, the left panel,
             menus, message boxes, start-up, remembered state; the app's entry (`app.py`) and error handler;
- `pages/`   the pages (Data, Training, Autocomplete, Runs, Queue) and their parts;
- `widgets/` reusable widgets and table models (the settings form, the charts, table bases);
- `workers/` the QThread workers (design §3): threads, training, training in processes, the warm-up.

A page is added in one place: `MainWindow._add_pages` (window/main_window.py). The benchmarks that drive the
window live above, in `gru_desktop/bench/`."""
