"""`eventyard trace <messageId>`: every decision delivery took about one event, in order.

This is how a user answers "why did this event (not) reach destination X" from a terminal.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.table import Table

from eventyard.cli_common import (
    DEFAULT_DATA_DIR,
    ConfigOption,
    DataDirOption,
    JsonOption,
    TokenOption,
    UrlOption,
    call,
    connect,
    out,
)

__all__ = ["trace"]


def trace(
    message_id: Annotated[str, typer.Argument(help="The event's messageId.")],
    config_path: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    as_json: JsonOption = False,
) -> None:
    """Show each step of one event per destination: queued, filtered, attempts, delivered...

    Exits 1 when the server cannot be reached, 2 when it has no trace of the messageId.
    """
    data = call(
        connect(url, config_path, token, data_dir),
        "GET",
        f"/api/v1/trace/{quote(message_id, safe='')}",
        not_found=f"no trace of messageId {message_id!r}: never received, or older than "
        "the trace retention",
    )
    if as_json:
        out.print_json(json.dumps(data))
    else:
        _render(data)


def _render(data: dict[str, Any]) -> None:
    steps = data["steps"]
    days = {step["at"][:10] for step in steps}
    one_day = len(days) == 1  # then the date goes in the title: the table fits 80 columns
    title = f"messageId {data['messageId']}" + (f" ({days.pop()}, UTC)" if one_day else "")
    table = Table(title=title, title_justify="left")
    table.add_column("time", no_wrap=True)
    for column in ("destination", "action", "step"):
        table.add_column(column, overflow="fold")
    table.add_column("status", justify="right")
    table.add_column("detail", overflow="fold")
    for step in steps:
        table.add_row(
            step["at"][11:23] if one_day else step["at"],
            step["destination"],
            step["action"] or "-",
            step["step"],
            "-" if step["status"] is None else str(step["status"]),
            step["detail"],
        )
    out.print(table, highlight=False)
