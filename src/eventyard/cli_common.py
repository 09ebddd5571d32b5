"""What every `eventyard` command that asks a running server shares: options, consoles,
finding the server and one way to call it.

Exit codes are the same for every such command: 1 when the server cannot be reached or
fails, 2 when it refuses what we asked (bad input, or something it does not know).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from eventyard.control.config import Config, load_config
from eventyard.errors import EventyardError

__all__ = [
    "ConfigOption",
    "JsonOption",
    "UrlOption",
    "call",
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


def load(config_path: Path | None) -> Config:
    """The config, or exit 2 printing the error (it names the key and line)."""
    try:
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


def call(
    base: str,
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
    try:
        response = httpx.request(method, f"{base}{path}", params=params, json=body, timeout=timeout)
    except httpx.HTTPError as error:
        err.print(f"[red]eventyard is not reachable at {base}:[/red] {error}", highlight=False)
        raise typer.Exit(1) from None
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
