#!/usr/bin/env bash
# Install GRU Desktop in the desktop menu for the current user (no root needed):
#   ~/.local/share/applications/gru-desktop.desktop   the launcher, Exec = this checkout's venv python + main.py
#   ~/.local/share/icons/hicolor/<N>x<N>/apps/gru-desktop.png (and scalable/apps/gru-desktop.svg)
# Usage: bash resources/install_desktop.sh [--uninstall]      (or: make install-desktop / make uninstall-desktop)
# Honours XDG_DATA_HOME. The checkout must stay where it is: the launcher points into it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
case "$data" in /*) ;; *) data="$HOME/.local/share" ;; esac  # XDG: a relative value is ignored
apps="$data/applications"
icons="$data/icons/hicolor"
name=gru-desktop
sizes="16 24 32 48 64 128 256"

refresh() {  # best effort: the menu picks up changes by itself on most desktops anyway
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" 2>/dev/null || true
    # updates the cache only where the theme has one (an index.theme); never creates a stray cache
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q "$icons" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$apps/$name.desktop" "$icons/scalable/apps/$name.svg"
    for n in $sizes; do rm -f "$icons/${n}x${n}/apps/$name.png"; done
    refresh
    echo "removed $apps/$name.desktop and its icons"
    exit 0
elif [ $# -gt 0 ]; then
    echo "usage: $0 [--uninstall]" >&2
    exit 2
fi

python="$root/.venv/bin/python"
if [ ! -x "$python" ]; then
    echo "no $python: run 'make install' first" >&2
    exit 1
fi

# Desktop Entry quoting (spec "The Exec key"): each argument in double quotes with \ " ` $ backslash-escaped,
# then the string-level escape doubles every backslash; a literal % is %%. TryExec only gets the latter.
quote() { local s="$1"; s="${s//\\/\\\\\\\\}"; s="${s//\"/\\\\\"}"; s="${s//\`/\\\\\`}"; s="${s//\$/\\\\\$}"; s="${s//%/%%}"; printf '"%s"' "$s"; }
exec_line="$(quote "$python") $(quote "$root/main.py")"
# sed replacement text: escape \ & and the | delimiter
sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

mkdir -p "$apps"
sed -e '/^# .*install_desktop/d' -e "s|@EXEC@|$(sed_escape "$exec_line")|" \
    -e "s|@TRYEXEC@|$(sed_escape "${python//\\/\\\\}")|" "$here/$name.desktop" > "$apps/$name.desktop.tmp"
mv "$apps/$name.desktop.tmp" "$apps/$name.desktop"
chmod 644 "$apps/$name.desktop"

for n in $sizes; do
    src="$here/icons/hicolor/${n}x${n}/apps/$name.png"
    [ -f "$src" ] && install -D -m 644 "$src" "$icons/${n}x${n}/apps/$name.png"
done
install -D -m 644 "$here/icons/$name.svg" "$icons/scalable/apps/$name.svg"
refresh

echo "installed $apps/$name.desktop"
echo "  Exec=$exec_line"
echo "GRU Desktop is in the applications menu (log out and in if your desktop does not show it yet)."
