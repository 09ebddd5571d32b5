"""`eventyard deadletters list|retry`: see events given up on, and send them again.

Retry is for after the cause is fixed (a receiver was down, a credential was wrong): the
events go back to their destination's queue and are delivered like new ones.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Annotated, Any

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
    err,
    out,
)
from eventyard.control.duration import parse_duration
from eventyard.spec.timestamps import format_iso

__all__ = ["app", "since_iso"]

app = typer.Typer(
    name="deadletters",
    help="Events a destination gave up on: list them, retry them.",
    no_args_is_help=True,
)

DestinationOption = Annotated[
    str | None, typer.Option("--destination", "-d", help="Only this destination.")
]


def since_iso(value: str, now: float) -> str:
    """`1h`, `30m`, `2d` mean that long ago; anything else is sent as an ISO-8601 time."""
    try:
        ago = parse_duration(value)
    except ValueError:
        return value  # the server checks it and names the problem
    return format_iso(datetime.fromtimestamp(now - ago, UTC))


@app.command("list")
def list_(
    destination: DestinationOption = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 100,
    config_path: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    as_json: JsonOption = False,
) -> None:
    """The most recent dead letters, newest first, with the error that decided each."""
    params: dict[str, str | int] = {"limit": limit}
    if destination is not None:
        params["destination"] = destination
    data = call(
        connect(url, config_path, token, data_dir), "GET", "/api/v1/deadletters", params=params
    )
    if as_json:
        out.print_json(json.dumps(data))
    elif not data:
        out.print("no dead letters")
    else:
        _render(data)


def _render(letters: list[dict[str, Any]]) -> None:
    table = Table(title="Dead letters", title_justify="left")
    table.add_column("failed at", no_wrap=True, min_width=24)
    table.add_column("destination", overflow="fold")
    table.add_column("messageId", overflow="fold")  # people copy it into `eventyard trace`
    table.add_column("attempts", justify="right")
    table.add_column("error", overflow="fold")
    for letter in letters:
        table.add_row(
            letter["failed_at"],
            letter["destination"],
            letter["messageId"],
            str(letter["attempts"]),
            letter["error"],
        )
    out.print(table, highlight=False)


@app.command()
def retry(
    destination: DestinationOption = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only those failed since: an ISO time (UTC unless it says) or 1h, 2d."),
    ] = None,
    config_path: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Put dead letters back in their destination's queue (all, or the chosen ones)."""
    body = {
        "destination": destination,
        "since": None if since is None else since_iso(since, time.time()),
    }
    server = connect(url, config_path, token, data_dir)
    data = call(server, "POST", "/api/v1/deadletters/retry", body=body)
    count = data["requeued"]
    where = f" for {destination}" if destination else ""
    noun = "dead letter" if count == 1 else "dead letters"
    out.print(f"requeued {count} {noun}{where}", highlight=False)
    if not count:
        err.print("nothing matched: see `eventyard deadletters list`", highlight=False)
