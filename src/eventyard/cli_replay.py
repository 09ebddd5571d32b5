"""`eventyard replay`: send archived events of a time range to chosen destinations again.

The running server does the work (it owns the delivery queues and keeps each replay's
cursor in its state database, so a replay survives a restart); this command starts the
replay and shows its progress until it is done, or returns at once with `--no-wait`.
"""

from __future__ import annotations

import json
import re
import time
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from eventyard.cli_common import (
    DEFAULT_DATA_DIR,
    ConfigOption,
    DataDirOption,
    JsonOption,
    Server,
    TokenOption,
    UrlOption,
    call,
    connect,
    err,
    out,
)
from eventyard.cli_deadletters import since_iso

__all__ = ["parse_rate", "replay"]

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*s)?\s*$")
POLL_EVERY = 0.5


def parse_rate(value: str | None) -> float | None:
    """`100`, `100/s` -> 100.0; None -> None (as fast as the queues take them)."""
    if value is None:
        return None
    match = _RATE.match(value)
    if match is None or float(match.group(1)) <= 0:
        err.print(f"[red]error:[/red] --rate must look like 100 or 100/s, got {value!r}")
        raise typer.Exit(2)
    return float(match.group(1))


def _time(value: str, now: float) -> str:
    return since_iso("0s" if value == "now" else value, now)


def replay(
    source: Annotated[str, typer.Option(help="The source whose archive is replayed.")],
    from_: Annotated[
        str, typer.Option("--from", help="Start: ISO time (UTC unless it says) or 2h, 1d ago.")
    ],
    destination: Annotated[
        list[str], typer.Option("--destination", "-d", help="A destination (repeatable).")
    ],
    to: Annotated[str, typer.Option("--to", help="End (exclusive), like --from.")] = "now",
    where: Annotated[str | None, typer.Option(help='FQL, e.g. event = "Order Completed".')] = None,
    rate: Annotated[str | None, typer.Option(help="Events per second, e.g. 100/s.")] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Start it and return.")] = False,
    config_path: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    as_json: JsonOption = False,
) -> None:
    """Replay archived events (by receivedAt) through the chosen destinations' filters and
    mappings; safe while live traffic flows, resumed after a server restart."""
    server = connect(url, config_path, token, data_dir)
    now = time.time()
    body = {
        "source": source,
        "from": _time(from_, now),
        "to": _time(to, now),
        "where": where,
        "destinations": destination,
        "rate": parse_rate(rate),
    }
    started = call(server, "POST", "/api/v1/replays", body=body)
    replay_id = started["id"]
    if no_wait:
        _show(started, as_json)
        return
    if as_json:
        _show(_wait(server, replay_id), as_json)
    else:
        err.print(f"replay {replay_id}: {body['from']} .. {body['to']}", highlight=False)
        _show(_watch(server, replay_id), as_json)


def _get(server: Server, replay_id: str) -> dict[str, Any]:
    data: dict[str, Any] = call(
        server, "GET", f"/api/v1/replays/{replay_id}", not_found=f"no replay {replay_id}"
    )
    return data


def _wait(server: Server, replay_id: str) -> dict[str, Any]:
    while (data := _get(server, replay_id))["status"] == "running":
        time.sleep(POLL_EVERY)
    return data


def _watch(server: Server, replay_id: str) -> dict[str, Any]:
    columns = (TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("replay", total=None)
        while True:
            data = _get(server, replay_id)
            progress.update(task, total=data["total"], completed=data["done"])
            if data["status"] != "running":
                return data
            time.sleep(POLL_EVERY)


def _show(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(data))
        return
    if data["status"] == "failed":
        err.print(f"[red]replay {data['id']} failed:[/red] {data['error']}", highlight=False)
        raise typer.Exit(1)
    if data["status"] == "running":
        out.print(f"replay {data['id']} started; see GET /api/v1/replays/{data['id']}")
        return
    out.print(
        f"replay {data['id']} done: {data['done']} events, {data['queued']} delivery jobs queued",
        highlight=False,
    )
