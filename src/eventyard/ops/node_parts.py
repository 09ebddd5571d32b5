"""Parts of eventyard that run on Node.js, installed on demand rather than with the wheel.

Everything else works without Node.js. The packages those parts need are pinned in
`ops/node/package.json` and `package-lock.json`, shipped in the wheel; `eventyard setup`
runs `npm ci` on them in `<data-dir>/node` and records the lock's digest there. Code that
runs a Node-based part calls `node_parts(data_dir)`, which raises `NodePartsMissing`
(naming the command to run) when Node.js is absent or the installed lock is not the
shipped one (never installed, or the wheel was upgraded since).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from eventyard.errors import ConfigError

__all__ = [
    "SHIPPED",
    "NodeParts",
    "NodePartsMissing",
    "install",
    "node_parts",
    "shipped_packages",
]

SHIPPED = Path(__file__).parent / "node"
"""package.json and package-lock.json of the Node-based parts, as shipped in the wheel."""
FOLDER = "node"
STAMP = ".installed-lock"
MANIFESTS = ("package.json", "package-lock.json")
NPM_TIMEOUT = 600.0
_ERROR_LINES = 20


class NodePartsMissing(ConfigError):
    """Node.js or the Node-based parts are not installed; the message names the command."""


@dataclass(frozen=True, slots=True)
class NodeParts:
    """Where to run a Node-based part: the `node` binary and the installed node_modules."""

    node: Path
    modules: Path


def _setup_command(data_dir: Path) -> str:
    return f"`eventyard setup --data-dir {data_dir}`"


def _tools(data_dir: Path) -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = ", ".join(name for name, path in (("node", node), ("npm", npm)) if not path)
        raise NodePartsMissing(
            f"Node.js is needed here but not on PATH (missing: {missing}): install Node.js 18+ "
            f"with npm (e.g. `apt-get install nodejs npm`), then run {_setup_command(data_dir)}"
        )
    return node, npm


def _digest(folder: Path) -> str:
    lock = folder / "package-lock.json"
    try:
        return hashlib.sha256(lock.read_bytes()).hexdigest()
    except OSError as error:
        raise NodePartsMissing(f"cannot read {lock}: {error.strerror}") from None


def shipped_packages(source: Path = SHIPPED) -> dict[str, str]:
    """The npm packages the Node-based parts need (name -> version); empty: none needs any."""
    manifest = json.loads((source / "package.json").read_text(encoding="utf-8"))
    return dict(manifest.get("dependencies") or {})


def install(data_dir: Path, source: Path = SHIPPED, timeout: float = NPM_TIMEOUT) -> NodeParts:
    """`npm ci` of `source`'s lock into `<data-dir>/node` (scripts off), then the stamp."""
    node, npm = _tools(data_dir)
    target = data_dir / FOLDER
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    (target / STAMP).unlink(missing_ok=True)
    for name in MANIFESTS:
        shutil.copyfile(source / name, target / name)
    command = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev"]
    try:
        done = subprocess.run(
            command, cwd=target, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise NodePartsMissing(
            f"npm ci in {target} did not finish within {timeout:.0f} s; check the network "
            f"to the npm registry, then run {_setup_command(data_dir)} again"
        ) from None
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-_ERROR_LINES:])
        raise NodePartsMissing(f"npm ci in {target} failed (exit {done.returncode}):\n{tail}")
    stamp = target / STAMP
    stamp.write_text(_digest(source) + "\n", encoding="utf-8")
    stamp.chmod(0o600)
    return NodeParts(Path(node), target / "node_modules")


def node_parts(data_dir: Path, source: Path = SHIPPED) -> NodeParts:
    """The installed Node-based parts of this data dir, or NodePartsMissing saying what to run."""
    node, _ = _tools(data_dir)
    target = data_dir / FOLDER
    try:
        installed = (target / STAMP).read_text(encoding="utf-8").strip()
    except OSError:
        raise NodePartsMissing(
            f"the Node-based parts are not installed in {target}: run {_setup_command(data_dir)}"
        ) from None
    if installed != _digest(source):
        raise NodePartsMissing(
            f"the Node-based parts in {target} are from another eventyard version: run "
            f"{_setup_command(data_dir)}"
        )
    return NodeParts(Path(node), target / "node_modules")
