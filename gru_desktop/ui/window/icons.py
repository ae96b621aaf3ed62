"""The application icon: the PNG sizes rendered from the package's icons/gru-desktop.svg, plus the SVG.

The icons are package data (gru_desktop/resources/icons, found with importlib.resources), so a checkout
and an installed wheel show the same icon. Where a file is missing the icon comes from the freedesktop
theme (which `gru-desktop install-desktop` fills); an empty QIcon is never an error.
"""
from __future__ import annotations

from PySide6.QtGui import QIcon

from ...resources import ICON_NAME, ICON_SIZES, SVG_ICON, png_icon


def app_icon() -> QIcon:
    """The window and application icon: every PNG size, the SVG for any other size, else the theme's."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = png_icon(size)
        if path.is_file():
            icon.addFile(str(path))  # Qt reads the size from the file
    if SVG_ICON.is_file() and _svg_supported():
        icon.addFile(str(SVG_ICON))
    if icon.isNull():
        icon = QIcon.fromTheme(ICON_NAME)
    return icon


def _svg_supported() -> bool:
    # The SVG icon engine is a plugin (QtSvg); without it an added .svg would be an empty entry.
    from PySide6.QtGui import QImageReader

    return b"svg" in (bytes(f) for f in QImageReader.supportedImageFormats())
