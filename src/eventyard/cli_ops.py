"""Commands for running eventyard as an operator: `init`, `doctor`, `setup`, `backup`, and
`--version`. None of them needs a running server (doctor and backup read the data dir)."""

from __future__ import annotations

import secrets
from importlib.resources import files
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from eventyard import __version__
from eventyard.cli_common import DEFAULT_DATA_DIR, ConfigOption, DataDirOption, err, load, out
from eventyard.destinations.actions import catalog as actions_catalog
from eventyard.errors import EventyardError
from eventyard.ops.backup import backup as copy_data_dir
from eventyard.ops.doctor import diagnose
from eventyard.ops.node_parts import install, shipped_packages

__all__ = ["backup", "doctor", "init", "options", "setup"]


def _version(value: bool) -> None:
    if value:
        out.print(f"eventyard {__version__}", highlight=False)
        raise typer.Exit()


def options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Self-hosted, Segment-compatible customer data platform."""


def _fail(error: EventyardError) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(str(error))}", highlight=False)
    return typer.Exit(1)


def init(
    path: Annotated[Path, typer.Argument(help="The file to write.")] = Path("eventyard.yaml"),
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter eventyard.yaml (one source with a new write key) and print
    the next steps. Refuses to overwrite a file unless --force."""
    if path.exists() and not force:
        err.print(f"[red]error:[/red] {path} exists; pass --force to overwrite it", highlight=False)
        raise typer.Exit(2)
    write_key = secrets.token_hex(16)
    text = files("eventyard.ops").joinpath("starter.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("__WRITE_KEY__", write_key), encoding="utf-8")
    where = f"--config {path} --data-dir {data_dir}"
    out.print(
        f"wrote {path} (source `web`, write key {write_key})\n\nnext:\n"
        f"  1. eventyard doctor {where}    # checks this machine\n"
        f"  2. eventyard serve {where}     # http://127.0.0.1:8088\n"
        f"  3. sign in as admin with the password in {data_dir / 'admin-password'}\n"
        f"  4. curl -u {write_key}: -H 'Content-Type: application/json' \\\n"
        """       -d '{"userId": "u1", "event": "Signed Up"}' http://127.0.0.1:8088/v1/track\n"""
        "On a server: a systemd unit, TLS and backups are in docs/deploy.md.",
        highlight=False,
        soft_wrap=True,
    )


_MARKS = {
    "ok": "[green]ok[/green]     ",
    "warn": "[yellow]warn[/yellow]   ",
    "problem": "[red]problem[/red]",
}


def doctor(config_path: ConfigOption = None, data_dir: DataDirOption = DEFAULT_DATA_DIR) -> None:
    """Check the data dir (permissions, free disk), the databases, Node.js and the installed
    files, and say what to fix. Exits 1 when something must be fixed."""
    findings = diagnose(config_path, data_dir)
    for finding in findings:
        line = f"{finding.check}: {escape(finding.detail)}"
        out.print(f"{_MARKS[finding.status]} {line}", highlight=False, soft_wrap=True)
        if finding.fix and finding.status != "ok":
            out.print(f"          fix: {escape(finding.fix)}", highlight=False, soft_wrap=True)
    problems = sum(finding.status == "problem" for finding in findings)
    if problems:
        err.print(f"{problems} problem(s) to fix", highlight=False)
        raise typer.Exit(1)


def setup(data_dir: DataDirOption = DEFAULT_DATA_DIR) -> None:
    """Install the Node-based parts into <data-dir>/node (`npm ci` of the lock file shipped
    with eventyard). Needs Node.js 18+ with npm; nothing else in eventyard does."""
    try:
        parts = install(data_dir)
        catalog = actions_catalog.generate(
            parts, parts.modules.parent / actions_catalog.CATALOG_FILE
        )
    except EventyardError as error:
        raise _fail(error) from None
    packages = ", ".join(f"{name}@{version}" for name, version in shipped_packages().items())
    out.print(
        f"installed in {parts.modules.parent}: {packages or 'no packages (no part needs any yet)'}"
        f"; the actions catalog in {catalog}",
        highlight=False,
        soft_wrap=True,
    )


def backup(
    target: Annotated[Path, typer.Argument(help="A new folder for the copy.")],
    config_path: ConfigOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Copy the data dir consistently while the server runs: secret.key first, the SQLite
    databases by online backup, the archive and the warehouse (see docs/deploy.md)."""
    config = load(config_path)
    try:
        notes = copy_data_dir(config, data_dir, target)
    except EventyardError as error:
        raise _fail(error) from None
    for note in notes:
        out.print(escape(note), highlight=False, soft_wrap=True)
    out.print(
        f"backup in {target}; restore: copy it into an empty data dir",
        highlight=False,
        soft_wrap=True,
    )
