"""Render resources/icons/gru-desktop.svg to the PNG sizes under hicolor/<N>x<N>/apps/ beside it
(freedesktop icon theme layout).

Run from anywhere after editing the SVG, then commit the PNGs:

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/render_icons.py
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "resources" / "icons"
SVG = HERE / "gru-desktop.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(svg: Path = SVG, out_dir: Path = HERE / "hicolor", sizes=SIZES) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (QPainter needs one)
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {svg}")
    written = []
    for n in sizes:
        image = QImage(n, n, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        path = out_dir / f"{n}x{n}" / "apps" / "gru-desktop.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"cannot write {path}")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in render():
        print(p.relative_to(HERE))
