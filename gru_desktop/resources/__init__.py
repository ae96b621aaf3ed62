"""The files that ship inside the package: the sample corpus, the icons, the launcher template.

One copy in git: the top-level `resources/` folder (the product's layout). A wheel carries it as the package
`gru_desktop.data` (setup.py maps the folder), found with `importlib.resources`; a source checkout reads the
folder itself. So a checkout, an editable install and a wheel in any venv (pip, pipx) read the same files. Stdlib only: importing this loads neither torch nor Qt.
"""
from __future__ import annotations

import atexit
import contextlib
import importlib.util
from importlib import resources
from pathlib import Path

ICON_NAME = "gru-desktop"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)  # the PNGs under icons/hicolor/<N>x<N>/apps/

_extracted = contextlib.ExitStack()  # files extracted from a zipped package, removed at exit
atexit.register(_extracted.close)


CHECKOUT = Path(__file__).resolve().parents[2] / "resources"  # the top-level folder of a source checkout


def _root():
    """Where the files are: the installed package `gru_desktop.data` (a wheel, or an editable install's
    mapping of resources/), else the checkout's top-level resources/ folder (running from the source tree)."""
    if importlib.util.find_spec("gru_desktop.data") is not None:
        return resources.files("gru_desktop.data")
    return CHECKOUT


def resource_path(*parts: str) -> Path:
    """A packaged file as a real path (extracted to a temporary file if the package is zipped)."""
    item = _root().joinpath(*parts)
    if isinstance(item, Path):
        return item
    return _extracted.enter_context(resources.as_file(item))


SAMPLE_CORPUS = resource_path("sample_corpus.txt")
DESKTOP_TEMPLATE = resource_path(f"{ICON_NAME}.desktop")
SVG_ICON = resource_path("icons", f"{ICON_NAME}.svg")


def png_icon(size: int) -> Path:
    """The PNG of one size, in the freedesktop layout hicolor/<N>x<N>/apps/."""
    return resource_path("icons", "hicolor", f"{size}x{size}", "apps", f"{ICON_NAME}.png")
