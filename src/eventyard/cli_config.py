"""`eventyard apply` and `eventyard export`: configuration as code, on the data dir directly.

These open `<data-dir>/state.db` themselves rather than calling a server: they work before
the first start and in CI, and a running server notices the change within a second (it
polls the configuration version). SQLite in WAL mode lets both write, one at a time.
"""

from __future__ import annotations

import contextlib
import getpass
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from eventyard.cli_common import DEFAULT_DATA_DIR, DataDirOption, err, load, out
from eventyard.control.apply import Change, apply_changes, plan_changes
from eventyard.control.export import export_yaml
from eventyard.control.secrets import SecretBox
from eventyard.control.store import ensure_schema, verify_key
from eventyard.control.workspaces import DEFAULT_WORKSPACE
from eventyard.errors import EventyardError
from eventyard.sqlite_writer import connect

__all__ = [
    "DataDirOption",
    "WorkspaceOption",
    "actor",
    "apply",
    "export",
    "fail",
    "state_db",
]

WorkspaceOption = Annotated[str, typer.Option("--workspace", "-w", help="Workspace to work on.")]
_STYLES = {"create": "green", "update": "yellow", "delete": "red"}


@contextlib.contextmanager
def state_db(data_dir: Path, create: bool = True) -> Iterator[tuple[sqlite3.Connection, SecretBox]]:
    """state.db and the secret key, in one write transaction committed when the block ends
    (rolled back on an exception). Without `create`, a missing state.db is an error."""
    path = data_dir / "state.db"
    if not create and not path.exists():
        raise EventyardError(
            f"no state.db in {data_dir}; is --data-dir right? (start `eventyard serve` or "
            "run `eventyard apply` first)"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    box = SecretBox.load(data_dir)
    conn = connect(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            ensure_schema(conn)
            verify_key(conn, box)
            yield conn, box
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


def actor() -> str:
    """The audit log's actor for a CLI command: `cli:<os user>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no user name in a bare container
        return "cli"


def fail(error: EventyardError) -> typer.Exit:
    err.print(Text("error: ", style="red") + Text(str(error)))
    return typer.Exit(2)


def _print_plan(changes: list[Change]) -> None:
    if not changes:
        out.print("no changes: the database matches the file")
    for change in changes:
        out.print(Text(change.describe(), style=_STYLES[change.action]), soft_wrap=True)


def apply(
    file: Annotated[
        Path, typer.Option("--file", "-f", help="eventyard.yaml with sources and destinations.")
    ],
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan only.")] = False,
) -> None:
    """Make a workspace's sources and destinations match a file; prints the plan first.

    Objects of the workspace that the file does not name are deleted. Secrets written as
    ******** (as `eventyard export` writes them) keep their stored values. Exit 2 on bad
    input, with the key that is wrong.
    """
    config = load(file, data_dir)
    try:
        with state_db(data_dir) as (conn, box):
            changes = plan_changes(conn, box, workspace, config)
            _print_plan(changes)
            if changes and not dry_run:
                apply_changes(conn, box, workspace, changes, actor())
    except EventyardError as error:
        raise fail(error) from None
    if changes:
        noun = "change" if len(changes) == 1 else "changes"
        done = "dry run: nothing applied" if dry_run else f"applied {len(changes)} {noun}"
        err.print(done, highlight=False)


def export(
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write a workspace's sources and destinations as eventyard.yaml (secrets masked)."""
    try:
        with state_db(data_dir, create=False) as (conn, _):
            text = export_yaml(conn, workspace)
    except EventyardError as error:
        raise fail(error) from None
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)
