"""What every `eventyard` command that asks a running server shares: options, consoles,
finding the server, its API token and one way to call it.

The token is `--token`, else env EVENTYARD_TOKEN, else the owner token the server wrote to
`<data-dir>/admin-token` on first start (readable where the server runs).

Exit codes are the same for every such command: 1 when the server cannot be reached or
fails, 2 when it refuses what we asked (bad input, no or a too weak token, or something it
does not know).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from eventyard.control.bootstrap import TOKEN_FILE
from eventyard.control.config import Config, load_config
from eventyard.destinations.actions import catalog as actions_catalog
from eventyard.errors import EventyardError

__all__ = [
    "DEFAULT_DATA_DIR",
    "ConfigOption",
    "DataDirOption",
    "JsonOption",
    "Server",
    "TokenOption",
    "UrlOption",
    "api_token",
    "call",
    "connect",
    "err",
    "load",
    "out",
    "server_url",
]

err = Console(stderr=True, soft_wrap=True)
out = Console()

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="eventyard.yaml with sources and destinations."),
]
UrlOption = Annotated[
    str | None, typer.Option(help="Server URL \\[default: from the config, else :8088]")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the raw JSON.")]
TokenOption = Annotated[
    str | None,
    typer.Option(
        envvar="EVENTYARD_TOKEN",
        show_default=False,
        help="API token \\[default: env EVENTYARD_TOKEN, else <data-dir>/admin-token]",
    ),
]
DataDirOption = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        help="The server's data dir (state.db, admin-token, the SQLite log, the warehouse).",
    ),
]
DEFAULT_DATA_DIR = Path(".eventyard")


def load(config_path: Path | None, data_dir: Path | None = None) -> Config:
    """The config, or exit 2 printing the error (it names the key and line). With the data
    dir, Segment's Actions types (`actions/<slug>`) installed there are known too."""
    try:
        if data_dir is not None:
            actions_catalog.activate(data_dir)
        return load_config(config_path)
    except EventyardError as error:
        err.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(2) from None


def server_url(url: str | None, config_path: Path | None) -> str:
    """`--url` if given, else where the config says the server listens."""
    if url is None:
        config = load(config_path)
        url = f"http://{config.server.host}:{config.server.port}"
    return url.rstrip("/")


def api_token(token: str | None, data_dir: Path) -> str | None:
    """`--token` / EVENTYARD_TOKEN if given, else the data dir's admin-token, if readable."""
    if token:
        return token.strip()
    try:
        return (data_dir / TOKEN_FILE).read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


@dataclass(frozen=True, slots=True)
class Server:
    """A running eventyard to call: where it listens and the API token to send."""

    url: str
    token: str | None


def connect(url: str | None, config_path: Path | None, token: str | None, data_dir: Path) -> Server:
    """The server from `--url` (or the config) with the token from `api_token`."""
    return Server(server_url(url, config_path), api_token(token, data_dir))


def call(
    server: Server,
    method: str,
    path: str,
    *,
    params: dict[str, str | int] | None = None,
    body: object = None,
    not_found: str | None = None,
    timeout: float = 5,
) -> Any:
    """The decoded JSON answer; exits 1 if unreachable or failing, 2 if refused.

    `not_found`: what to say (exiting 2) when the server answers 404; otherwise 404 is a
    failure like any other (an older server without this endpoint).
    """
    base = server.url
    headers = {"Authorization": f"Bearer {server.token}"} if server.token else {}
    try:
        response = httpx.request(
            method, f"{base}{path}", params=params, json=body, headers=headers, timeout=timeout
        )
    except httpx.HTTPError as error:
        err.print(f"[red]eventyard is not reachable at {base}:[/red] {error}", highlight=False)
        raise typer.Exit(1) from None
    if response.status_code in (401, 403):
        err.print(f"[red]refused:[/red] {_message(response)}", highlight=False)
        if response.status_code == 401:
            err.print(
                "pass --token, set EVENTYARD_TOKEN, or point --data-dir at the server's "
                f"data dir (it holds {TOKEN_FILE})",
                highlight=False,
            )
        raise typer.Exit(2)
    if response.status_code == 404 and not_found is not None:
        err.print(f"[red]{not_found}[/red]", highlight=False)
        raise typer.Exit(2)
    if response.status_code == 400:
        err.print(f"[red]error:[/red] {_message(response)}", highlight=False)
        raise typer.Exit(2)
    try:
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as error:
        err.print(f"[red]eventyard at {base} failed:[/red] {error}", highlight=False)
        raise typer.Exit(1) from None


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json()["message"])
    except (ValueError, KeyError, TypeError):
        return response.text
