"""Package layout that pyproject.toml cannot say on its own.

The data files stay in the top-level ``resources/`` folder of the source tree (easy to find and
review), but they ship *inside* the package as ``hybridcoder.resources`` so that a wheel, an editable
install and a frozen bundle all find them the same way (``hybridcoder.resource_files``).
Each sub-folder of ``resources/`` (rules/, icons/, ...) becomes a data sub-package automatically.
Everything else about the project lives in pyproject.toml.
"""

from pathlib import Path

from setuptools import find_packages, setup

DATA_FILES = ["*.toml", "*.json", "*.svg", "*.png"]
RESOURCE_FOLDERS = sorted(
    folder.name for folder in (Path(__file__).parent / "resources").iterdir()
    if folder.is_dir() and not folder.name.startswith((".", "_"))
)
RESOURCE_PACKAGES = ["hybridcoder.resources", *(f"hybridcoder.resources.{name}" for name in RESOURCE_FOLDERS)]

setup(
    package_dir={"": "app", "hybridcoder.resources": "resources"},
    packages=[*find_packages("app"), *RESOURCE_PACKAGES],
    package_data={"hybridcoder": ["py.typed"], **{package: DATA_FILES for package in RESOURCE_PACKAGES}},
)
