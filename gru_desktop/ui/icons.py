"""The application icon: the PNG sizes rendered from resources/icons/gru-desktop.svg, plus the SVG.

The icons live in the checkout's resources/ folder next to the package (like the sample corpus, see
core.corpus.RESOURCES), so this works from a checkout and from `pip install -e .`. Where they are
missing (a plain wheel install) the icon comes from the freedesktop theme, which
resources/install_desktop.sh fills; an empty QIcon is never an error.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

ICON_NAME = "gru-desktop"
ICONS_DIR = Path(__file__).resolve().parents[2] / "resources" / "icons"
SVG_PATH = ICONS_DIR / f"{ICON_NAME}.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)


def png_path(size: int) -> Path:
    """The PNG of one size, in the freedesktop layout hicolor/<N>x<N>/apps/."""
    return ICONS_DIR / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"


def app_icon() -> QIcon:
    """The window and application icon: every PNG size, the SVG for any other size, else the theme's."""
    icon = QIcon()
    for size in PNG_SIZES:
        path = png_path(size)
        if path.is_file():
            icon.addFile(str(path))  # Qt reads the size from the file
    if SVG_PATH.is_file() and _svg_supported():
        icon.addFile(str(SVG_PATH))
    if icon.isNull():
        icon = QIcon.fromTheme(ICON_NAME)
    return icon


def _svg_supported() -> bool:
    # The SVG icon engine is a plugin (QtSvg); without it an added .svg would be an empty entry.
    from PySide6.QtGui import QImageReader

    return b"svg" in (bytes(f) for f in QImageReader.supportedImageFormats())
