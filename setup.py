"""The one packaging fact pyproject.toml cannot say: the top-level `resources/` folder (icons, the launcher
template, the sample corpus; design: the product's layout) travels in the wheel as the package
`gru_desktop.data`, so an installed gru-desktop finds it with importlib.resources (gru_desktop/resources)."""
from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["gru_desktop*", "storage*"]), "gru_desktop.data"],
    package_dir={"gru_desktop.data": "resources"},
    package_data={"gru_desktop.data": ["*.txt", "*.desktop", "icons/*.svg", "icons/hicolor/*/apps/*.png"]},
)
