"""`eventyard doctor`: what on this machine would stop the server, and what to do about it.

Each check returns findings: `ok`, `warn` (works, but look at it) or `problem` (fix it
before relying on the server), each problem with the command or change that fixes it.
Checks only read: nothing is created or repaired here.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import psycopg
from psycopg.conninfo import conninfo_to_dict

from eventyard.control.config import Config, load_config
from eventyard.destinations.actions import catalog as actions_catalog
from eventyard.destinations.registry import get_definition, type_names
from eventyard.errors import EventyardError
from eventyard.ops.databases import Database, databases
from eventyard.ops.node_parts import NodePartsMissing, node_parts, shipped_packages
from eventyard.ui.vendor import VendorMissing, vendor_dir, vendor_file

__all__ = ["Finding", "diagnose"]

Status = Literal["ok", "warn", "problem"]

MIN_FREE_BYTES = 1 << 30
MAX_WALK = 10_000
"""Entries of the data dir whose permissions are checked (an archive can hold many more)."""
CONNECT_TIMEOUT = 5
SERVED_FILES = ("htmx.org/dist/htmx.min.js", "@segment/analytics-next/dist/umd/standalone.js")


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    status: Status
    detail: str
    fix: str = ""


def _walk(root: Path) -> Iterator[Path]:
    """Up to MAX_WALK entries below root, without following symbolic links."""
    count = 0
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            count += 1
            if count > MAX_WALK:
                return
            yield Path(folder) / name


def _open_to_others(path: Path) -> bool:
    """Group or others have any permission; a symlink or a file gone meanwhile is not."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return False
    return not stat.S_ISLNK(mode) and bool(mode & (stat.S_IRWXG | stat.S_IRWXO))


def check_data_dir(data_dir: Path) -> list[Finding]:
    """0700 for the dir and every folder in it, 0600 for files: it holds the secret key,
    the admin password and every event."""
    if not data_dir.exists():
        return [
            Finding(
                "data dir",
                "warn",
                f"{data_dir} does not exist yet (the server creates it on first start)",
                f"mkdir -m 700 -p {data_dir}, owned by the user the server runs as",
            )
        ]
    if not data_dir.is_dir():
        return [Finding("data dir", "problem", f"{data_dir} is not a directory", "move it away")]
    found = []
    if not os.access(data_dir, os.W_OK | os.X_OK):
        found.append(
            Finding(
                "data dir",
                "problem",
                f"{data_dir} is not writable by uid {os.getuid()}",
                f"chown -R <service user> {data_dir}, or run doctor as the service user",
            )
        )
    too_open = [path for path in (data_dir, *_walk(data_dir)) if _open_to_others(path)]
    if too_open:
        shown = ", ".join(str(path) for path in too_open[:3])
        more = f" and {len(too_open) - 3} more" if len(too_open) > 3 else ""
        found.append(
            Finding(
                "permissions",
                "problem",
                f"readable by other users: {shown}{more}",
                f"chmod -R go-rwx {data_dir}",
            )
        )
    else:
        found.append(Finding("permissions", "ok", f"{data_dir}: only its owner can read it"))
    return found


def check_disk(data_dir: Path) -> Finding:
    existing = next(path for path in (data_dir, *data_dir.absolute().parents) if path.exists())
    usage = shutil.disk_usage(existing)
    detail = f"{usage.free / (1 << 30):.1f} GiB free of {usage.total / (1 << 30):.1f} GiB"
    if usage.free < MIN_FREE_BYTES:
        return Finding(
            "disk", "problem", detail, "free space: the log answers 503 when it cannot write"
        )
    if usage.free < usage.total // 10:
        return Finding("disk", "warn", f"{detail} (under 10%)", "free space or grow the volume")
    return Finding("disk", "ok", detail)


def _check_sqlite(name: str, path: Path) -> Finding:
    if not path.exists():
        return Finding(name, "ok", f"{path} not created yet (made on first start)")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=CONNECT_TIMEOUT)
        try:
            con.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        finally:
            con.close()
    except sqlite3.Error as error:
        return Finding(
            name, "problem", f"{path}: {error}", "check its permissions, or restore it from backup"
        )
    return Finding(name, "ok", f"{path} (SQLite) opens")


def _where(url: str) -> str:
    """host:port/dbname of a PostgreSQL URL: never its password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "an unparsable postgresql:// URL"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def _check_postgres(name: str, url: str) -> Finding:
    where = _where(url)
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as con:
            version = con.execute("SHOW server_version").fetchone()
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return Finding(
            name,
            "problem",
            f"PostgreSQL at {where} is not reachable: {reason}",
            "start it, or correct the URL in the config",
        )
    return Finding(name, "ok", f"PostgreSQL {version[0] if version else '?'} at {where}")


def check_database(database: Database) -> Finding:
    if database.url is not None:
        return _check_postgres(database.name, database.url)
    assert database.path is not None
    return _check_sqlite(database.name, database.path)


def check_node(data_dir: Path) -> Finding:
    """Node.js matters only once a Node-based part ships (then `eventyard setup` installs it)."""
    if not shipped_packages():
        node = shutil.which("node")
        where = f"found at {node}" if node else "not installed"
        return Finding("Node.js", "ok", f"{where}; no part of this version needs it")
    try:
        parts = node_parts(data_dir)
    except NodePartsMissing as error:
        # Only Segment's Actions destinations need them; a config naming one fails above.
        detail = f"{error} (needed only by Segment's Actions destinations, `actions/<slug>`)"
        return Finding("Node.js", "warn", detail, f"eventyard setup --data-dir {data_dir}")
    version = subprocess.run(
        [parts.node, "--version"], capture_output=True, text=True, timeout=10, check=False
    ).stdout.strip()
    return Finding("Node.js", "ok", f"{version}; Node-based parts in {parts.modules}")


def check_files() -> list[Finding]:
    """The browser files the server serves, and the destination catalog (entry points)."""
    found = []
    try:
        for relative in SERVED_FILES:
            vendor_file(relative)
        found.append(Finding("browser files", "ok", f"htmx and analytics.js in {vendor_dir()}"))
    except VendorMissing as error:
        found.append(
            Finding("browser files", "problem", str(error), "reinstall eventyard from its wheel")
        )
    try:
        names = type_names()
        for name in names:
            get_definition(name)
    except EventyardError as error:
        return [*found, Finding("destination catalog", "problem", str(error), "pip check")]
    if not names:
        return [
            *found,
            Finding(
                "destination catalog",
                "problem",
                "no destination type is installed (the package metadata is missing)",
                "reinstall eventyard (pip install eventyard-*.whl, or pip install -e . in a clone)",
            ),
        ]
    return [*found, Finding("destination catalog", "ok", f"{len(names)} destination types")]


def diagnose(config_path: Path | None, data_dir: Path) -> list[Finding]:
    """Every check, in the order an operator would fix things."""
    found = [*check_data_dir(data_dir), check_disk(data_dir)]
    try:
        actions_catalog.activate(data_dir)  # a config may name Segment's Actions types
        config = load_config(config_path)
        found.append(Finding("config", "ok", str(config_path or "defaults (no --config)")))
    except EventyardError as error:
        found.append(Finding("config", "problem", str(error), "correct the file"))
        config = Config()
    found += [check_database(database) for database in databases(config, data_dir)]
    found.append(check_node(data_dir))
    return found + check_files()
