#!/usr/bin/env bash
# The program as a user gets it: build the wheel from the tracked files, install it into a fresh venv
# outside the checkout, and from there open the window (offscreen) and close it, train one epoch on the
# bundled sample corpus (no path), get suggestions, and install the desktop launcher into a temporary
# XDG_DATA_HOME and run its Exec line. Nothing of the checkout is on the path while it runs.
#
# Usage: bash .ci/wheel_smoke.sh        (needs `make install` first; `make smoke-wheel` does both)
# Time: the venv install dominates (torch from the local wheel, the rest from pip's cache); pip's
# byte-compilation of torch is skipped (--no-compile), which cut it from 3.4 to 1.2 minutes here.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
py="$root/.venv/bin/python"
test -x "$py" || { echo "wheel smoke: no .venv (run make install)"; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gru-wheel-smoke.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
step() { printf '[wheel smoke %4ss] %s\n' "$SECONDS" "$*"; }
quietly() { "$@" > "$tmp/log" 2>&1 || { grep -v "is ignored" "$tmp/log"; echo "wheel smoke: failed: $*"; exit 1; }; }

step "build the wheel from the tracked files (a clean copy: no stale build/ folder)"
mkdir -p "$tmp/src"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] && printf '%s\0' "$f"
done | xargs -0 cp --parents -t "$tmp/src"
quietly "$py" -m pip wheel --quiet --no-deps --no-build-isolation -w "$tmp/dist" "$tmp/src"
wheel=("$tmp"/dist/gru_desktop-*.whl)
test -f "${wheel[0]}" || { echo "wheel smoke: no wheel was built"; exit 1; }

step "install it into a fresh venv outside the checkout"
python3 -m venv "$tmp/venv"
quietly "$tmp/venv/bin/pip" install --quiet --no-compile "${wheel[0]}"
bin="$tmp/venv/bin"
test -x "$bin/gru-desktop" || { echo "wheel smoke: the wheel installed no gru-desktop command"; exit 1; }

cd "$tmp"  # not the checkout: nothing is imported from it
export GRU_DESKTOP_HOME="$tmp/data" XDG_DATA_HOME="$tmp/share" XDG_CONFIG_HOME="$tmp/config" QT_QPA_PLATFORM=offscreen
unset PYTHONPATH
# as on a user's machine, Python caches what it compiles: the venv was installed with --no-compile, and with
# PYTHONDONTWRITEBYTECODE (set on these machines) every step below compiled torch's modules again
unset PYTHONDONTWRITEBYTECODE

step "the package comes from the venv and finds its data"
"$bin/python" - "$root" <<'EOF'
import sys
from pathlib import Path

import gru_desktop, storage
from gru_desktop.resources import SAMPLE_CORPUS, SVG_ICON, png_icon

root = Path(sys.argv[1]).resolve()
for mod in (gru_desktop, storage):
    where = Path(mod.__file__).resolve()
    assert root not in where.parents, f"{mod.__name__} imported from the checkout: {where}"
for f in (SAMPLE_CORPUS, SVG_ICON, png_icon(48)):
    assert f.is_file() and root not in f.resolve().parents, f
print("ok:", Path(gru_desktop.__file__).parent)
EOF

step "the window opens offscreen, with its icon, and closes"
GRU_DESKTOP_STARTUP_PROBE=1 timeout 120 "$bin/gru-desktop"
"$bin/python" -c "
from PySide6.QtWidgets import QApplication
app = QApplication(['x'])
from gru_desktop.ui.window.icons import app_icon
icon = app_icon()
assert not icon.isNull() and icon.availableSizes(), 'no icon'
print('ok: icon sizes', sorted(s.width() for s in icon.availableSizes()))"

step "train with no path: one epoch on the bundled sample corpus"
timeout 600 "$bin/gru-desktop" train --epochs 1 --json | tail -1 | tee "$tmp/train.json"
grep -q '"status": "completed"' "$tmp/train.json"

step "suggest answers"
"$bin/gru-desktop" suggest latest "the cat sat on the " | tee "$tmp/suggest.txt"
test "$(wc -l < "$tmp/suggest.txt")" -eq 3

step "install-desktop into a temporary XDG_DATA_HOME; the launcher's Exec runs"
"$bin/gru-desktop" install-desktop
launcher="$XDG_DATA_HOME/applications/gru-desktop.desktop"
"$bin/python" - "$launcher" "$bin/gru-desktop" "$root" <<'EOF'
import configparser, shlex, subprocess, sys
from pathlib import Path

launcher, expected, root = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]).resolve()
entry = configparser.ConfigParser(interpolation=None)
entry.optionxform = str
entry.read(launcher, encoding="utf-8")
exec_argv = shlex.split(entry["Desktop Entry"]["Exec"])  # our temporary paths need no desktop-entry escapes
assert exec_argv == [expected], exec_argv
assert root not in Path(exec_argv[0]).resolve().parents
ran = subprocess.run([*exec_argv, "runs"], capture_output=True, text=True, timeout=120)
assert ran.returncode == 0 and "completed" in ran.stdout, (ran.returncode, ran.stdout, ran.stderr)
print("ok: Exec =", exec_argv[0])
EOF
test -f "$XDG_DATA_HOME/icons/hicolor/48x48/apps/gru-desktop.png"
"$bin/gru-desktop" uninstall-desktop
test ! -e "$launcher"

step "passed"
