# Two commands for a fresh machine: `make run` (install, then launch the app) and `make test`
# (install, then the whole suite headless). Both are idempotent: the install step reruns only when
# pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint install qt-check clean bench install-desktop uninstall-desktop smoke-wheel

run: $(STAMP) qt-check
	$(PY) main.py

# mypy (~35 s of one core on a fresh clone, cold cache) runs beside the suite, filling the cores' idle
# moments (subprocess start-ups, the last files of one worker); either failing fails `make test`.
# Byte-compiled first: where PYTHONDONTWRITEBYTECODE is set (these machines set it) Python never caches
# what it compiles, so each of the suite's ~300 subprocesses (CLI, torchrun ranks, servers, windows) would
# compile our modules again; compileall writes the caches regardless, once (ignored by git).
test: $(STAMP) qt-check
	$(VENV)/bin/ruff check --quiet .
	@$(PY) -m compileall -q -j 0 gru_desktop storage tests main.py > /dev/null
	@$(VENV)/bin/mypy > $(VENV)/mypy.log 2>&1 & lint=$$!; \
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n 2 --dist loadfile; suite=$$?; \
	wait $$lint; typed=$$?; cat $(VENV)/mypy.log; \
	test $$suite = 0 && test $$typed = 0

# ruff (pyflakes, import order, bugbear, blind except) on everything; mypy on the engine and storage.
# Settings in pyproject.toml; ~1 s each once mypy's cache (.venv/.mypy_cache) is warm.
lint: $(STAMP)
	$(VENV)/bin/ruff check --quiet .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m gru_desktop bench

install: $(STAMP)

# Build the wheel, install it into a fresh venv outside the checkout and smoke-test it there (CI runs it).
smoke-wheel: $(STAMP) qt-check
	bash .ci/wheel_smoke.sh

# The applications-menu launcher and icons for the current user (~/.local/share); it starts this
# checkout's .venv/bin/gru-desktop, so rerun it after moving the checkout. (An installed wheel:
# `gru-desktop install-desktop`.)
install-desktop: $(STAMP)
	$(VENV)/bin/gru-desktop install-desktop

uninstall-desktop: $(STAMP)
	$(VENV)/bin/gru-desktop uninstall-desktop

$(STAMP): pyproject.toml setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first, pinned, so pip takes the CPU wheel and never resolves a CUDA build.
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[test,onnx]"
	@touch $(STAMP)

# Qt needs a few system libraries even offscreen; install them where we can, or say which are missing.
qt-check: $(STAMP)
	@QT_QPA_PLATFORM=offscreen $(PY) -c "from PySide6.QtWidgets import QApplication; QApplication([])" 2>/dev/null \
	|| { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	       echo "installing the system libraries Qt needs…"; \
	       apt-get update -qq && apt-get install -y -qq libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 >/dev/null; \
	     else \
	       echo "Qt cannot start: install libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 (as root)"; exit 1; \
	     fi; }

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
