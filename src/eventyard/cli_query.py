"""`eventyard query "SQL"`: read-only SQL on the embedded warehouse and the raw archive.

It opens the DuckDB file read-only (between two loads of a running server, so it works
while `eventyard serve` runs) and the archive's Parquet files as `archive.<source>` views.
Exit 2 when the SQL is refused (it would change something) or fails, with DuckDB's message.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from eventyard.cli_common import DEFAULT_DATA_DIR, ConfigOption, DataDirOption, err, load, out
from eventyard.errors import EventyardError

__all__ = ["query"]


def _default(value: Any) -> Any:
    """JSON for what DuckDB returns beyond JSON's types."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _cell(value: Any) -> str:
    return "NULL" if value is None else str(value)


def query(
    sql: Annotated[str, typer.Argument(help='One SELECT, e.g. "SELECT * FROM web.tracks".')],
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    config_path: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per row.")] = False,
) -> None:
    """Run read-only SQL on the embedded DuckDB warehouse (`web.tracks`, `web.users`, ...)
    and the archive (`archive.web`); prints a table, or JSON lines with --json."""
    from eventyard.storage.query import run_query
    from eventyard.storage.service import archive_root, warehouse_path

    config = load(config_path)
    try:
        columns, rows = run_query(
            data_dir,
            sql,
            archive=archive_root(config, data_dir),
            warehouse=warehouse_path(config, data_dir),
            storage_options=config.archive.storage_options,
        )
    except EventyardError as error:
        err.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        for row in rows:
            line = orjson.dumps(dict(zip(columns, row, strict=True)), default=_default)
            sys.stdout.write(line.decode() + "\n")
        return
    table = Table(show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    out.print(table, highlight=False)
    noun = "row" if len(rows) == 1 else "rows"
    err.print(f"{len(rows)} {noun}", highlight=False)
