"""The `eventyard` command line: `serve` runs everything; `status`, `trace`, `deadletters`
and `replay` ask a running server (their shared plumbing is in `cli_common`); `query`
reads the data dir's warehouse and archive directly."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated, Any

import typer
import uvloop
from rich.table import Table

from eventyard import __version__, cli_deadletters
from eventyard.cli_accounts import tokens_app, users_app
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
    load,
    out,
)
from eventyard.cli_compare import compare_routes
from eventyard.cli_config import apply, export
from eventyard.cli_destinations import destinations, test_connection
from eventyard.cli_ops import backup, doctor, init, options, setup
from eventyard.cli_protocols import plans_app, typegen
from eventyard.cli_query import query
from eventyard.cli_replay import replay
from eventyard.cli_trace import trace
from eventyard.control.config import Config
from eventyard.errors import EventyardError

__all__ = ["app", "main"]

app = typer.Typer(
    name="eventyard",
    help="Self-hosted, Segment-compatible customer data platform.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def serve(
    config_path: ConfigOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: server.host, 127.0.0.1]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on [default: server.port, 8088]")
    ] = None,
) -> None:
    """Run the tracking API, the pipeline and delivery until SIGTERM or Ctrl-C."""
    from eventyard.delivery.http_logs import redact_http_logs
    from eventyard.server import serve as run_server

    config = load(config_path, data_dir)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    redact_http_logs()

    def ready(url: str, running: Config) -> None:
        err.print(
            f"eventyard {__version__} listening on {url} "
            f"(data dir {data_dir.resolve()}, {len(running.sources)} sources, "
            f"{len(running.destinations)} destinations)",
            highlight=False,
        )

    data_dir.mkdir(parents=True, exist_ok=True)
    listen_host = host or config.server.host
    listen_port = config.server.port if port is None else port
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(run_server(config, data_dir, listen_host, listen_port, ready))
    except EventyardError as error:
        err.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(1) from None
    err.print("eventyard stopped; every acknowledged event is on disk", highlight=False)


def _render(data: dict[str, Any]) -> None:
    sources = Table(title="Sources")
    sources.add_column("source")
    sources.add_column("received", justify="right")
    sources.add_column("rate limited", justify="right")
    for source in data["sources"]:
        limited = source.get("rate_limited")
        sources.add_row(
            source["name"], str(source["received"]), "-" if limited is None else str(limited)
        )
    out.print(sources)
    out.print(f"pipeline lag: {data['pipeline']['lag']} events")
    dests = Table(title="Destinations")
    columns = ("destination", "delivered", "observed", "pending", "retrying", "dead")
    for column in (*columns, "oldest pending"):
        dests.add_column(column, justify="left" if column == "destination" else "right")
    for dest in data["destinations"]:
        age = dest["oldest_pending_age_s"]
        dests.add_row(
            dest["name"],
            str(dest["delivered"]),
            str(dest.get("observed", 0)),
            str(dest["pending"]),
            str(dest["retrying"]),
            str(dest["dead"]),
            "-" if age is None else f"{age:.1f}s",
        )
    out.print(dests)
    for dest in data["destinations"]:
        if dest["last_error"]:
            out.print(f"{dest['name']} last error: {dest['last_error']}", highlight=False)


@app.command()
def status(
    config_path: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    as_json: JsonOption = False,
) -> None:
    """Events received per source; delivered, retrying and dead per destination.

    Exits 1 when the server cannot be reached.
    """
    data = call(connect(url, config_path, token, data_dir), "GET", "/api/v1/status")
    if as_json:
        out.print_json(json.dumps(data))
    else:
        _render(data)


app.command()(trace)
app.command()(query)
app.command(name="compare")(compare_routes)
app.command()(replay)
app.command()(destinations)
app.command(name="test-connection")(test_connection)
app.add_typer(cli_deadletters.app)
app.command()(apply)
app.command()(export)
app.add_typer(users_app)
app.add_typer(tokens_app)
app.command()(typegen)
app.add_typer(plans_app)
app.callback()(options)
for command in (init, doctor, setup, backup):
    app.command()(command)


def main() -> None:
    app()
