"""Build step: put the browser files eventyard serves into the wheel (metadata: pyproject.toml).

A clone gets htmx and analytics.js from npm (`npm ci --prefix vendor`, into
vendor/node_modules). An installed wheel has no clone beside it, so the build copies the
files the server actually serves, with their licences, into `eventyard/_vendor/` (where
`eventyard.ui.vendor` looks first). The sdist carries the same files under
vendor/node_modules, so that `python -m build` (sdist, then a wheel from it) ships them too.
An editable install (`pip install -e`) copies nothing: it reads the clone's node_modules.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
NODE_MODULES = ROOT / "vendor" / "node_modules"

SHIPPED = {
    "htmx.org": ["LICENSE", "package.json", "dist/htmx.min.js"],
    "@segment/analytics-next": [
        "LICENSE.MD",
        "package.json",
        "dist/umd/standalone.js",
        "dist/umd/*.bundle.*.js",
        "dist/umd/*.bundle.*.js.map",
    ],
}
"""Per npm package, the files served at /ui/static/vendor and /analytics.js (globs for the
content-hashed analytics.js chunks), plus the licence and the package.json naming the
version. Nothing else of node_modules ships."""


def shipped_files(node_modules: Path) -> list[str]:
    """The relative paths to ship; stops the build when npm has not installed them."""
    found: list[str] = []
    for package, patterns in SHIPPED.items():
        for pattern in patterns:
            matches = sorted((node_modules / package).glob(pattern))
            if not matches:
                raise SystemExit(
                    f"{package}/{pattern} is missing under {node_modules}: run "
                    "`npm ci --prefix vendor` (or `make install`) before building"
                )
            found += [match.relative_to(node_modules).as_posix() for match in matches]
    return found


def copy_shipped(node_modules: Path, target: Path) -> None:
    for relative in shipped_files(node_modules):
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(node_modules / relative, destination)


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            copy_shipped(NODE_MODULES, Path(self.build_lib) / "eventyard" / "_vendor")


class Sdist(sdist):
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        copy_shipped(NODE_MODULES, Path(base_dir) / "vendor" / "node_modules")


setup(cmdclass={"build_py": BuildPy, "sdist": Sdist})
