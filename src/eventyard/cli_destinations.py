"""`eventyard destinations [TYPE]`: the catalog, and one type's YAML reference.

Printed from the declarations themselves (settings schema, action fields and their default
mappings), so the reference can never drift from what eventyard.yaml accepts.
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
from eventyard.destinations.actions import catalog as actions_catalog
from eventyard.destinations.catalog import describe, summary
from eventyard.errors import ConfigError

__all__ = ["destinations", "test_connection"]


def _show(value: Any) -> str:
    return "-" if value is None else json.dumps(value)


def _render(data: dict[str, Any]) -> None:
    out.print(f"[bold]{data['name']}[/bold] (type: {data['type']})", highlight=False)
    if data["description"]:
        out.print(data["description"], highlight=False)
    order = "kept per user" if data["ordered"] else "not guaranteed"
    suggested = data["consent_category"] or "-"
    out.print(f"order: {order}; suggested consent category: {suggested}", highlight=False)
    names = ", ".join(data["catalog_names"]) or "-"
    out.print(f"integrations keys (Segment catalog names): {names}", highlight=False)
    settings = Table(title="settings:")
    for column in ("key", "type", "required", "default"):
        settings.add_column(column)
    for row in data["settings"]:
        settings.add_row(
            row["name"], row["type"], "yes" if row["required"] else "", _show(row["default"])
        )
    out.print(settings)
    for key, action in data["actions"].items():
        subscription = action["default_subscription"]
        table = Table(title=f"actions.{key}: {action['title']} (subscription: {subscription})")
        for column in ("field", "type", "required", "default mapping"):
            table.add_column(column)
        for name, spec in action["fields"].items():
            kind = f"{spec['type']}[]" if spec["multiple"] else spec["type"]
            table.add_row(name, kind, "yes" if spec["required"] else "", _show(spec["default"]))
        out.print(table)


def destinations(
    type_: Annotated[
        str | None, typer.Argument(metavar="[TYPE]", help="A destination type.")
    ] = None,
    as_json: JsonOption = False,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """List destination types, or show one type's settings and actions with default mappings
    (Segment's Actions, `actions/<slug>`, once `eventyard setup` installed them in the data dir)."""
    try:
        actions_catalog.activate(data_dir)
        data: Any = summary() if type_ is None else describe(type_)
    except ConfigError as error:
        out.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        out.print_json(json.dumps(data, default=str))
    elif type_ is None:
        table = Table(title="Destination types")
        for column in ("type", "name", "actions"):
            table.add_column(column)
        for row in data:
            table.add_row(row["type"], row["name"], ", ".join(row["actions"]))
        out.print(table)
    else:
        _render(data)


def test_connection(
    name: Annotated[str, typer.Argument(help="A destination name from eventyard.yaml.")],
    config_path: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Check a configured destination's settings against its platform, sending no event.

    Exits 0 when the platform accepts them, 3 when it does not, 2 for an unknown destination
    or a type without a connection test, 1 when the server cannot be reached.
    """
    server = connect(url, config_path, token, data_dir)
    path = f"/api/v1/destinations/{quote(name, safe='')}/test"
    data = call(server, "POST", path, not_found=f"no destination {name!r}", timeout=120)
    if data["ok"]:
        out.print(f"{name}: connection ok")
        return
    out.print(f"[red]{name}: connection failed:[/red] {data['error']}", highlight=False)
    raise typer.Exit(3)
