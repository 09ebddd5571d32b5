"""`eventyard typegen` and `eventyard plans import|export`: tracking plans from a terminal.

Like `eventyard apply`, these work on `<data-dir>/state.db` directly (a running server picks
up an import within a second); `typegen --config FILE` reads the plan from an eventyard.yaml
instead, for CI that generates clients from the committed configuration.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
import typer

from eventyard.cli_common import ConfigOption, err, load
from eventyard.cli_config import DataDirOption, WorkspaceOption, actor, fail, state_db
from eventyard.control import store
from eventyard.control.documents import to_doc
from eventyard.control.protocols_view import import_into
from eventyard.control.workspaces import DEFAULT_WORKSPACE
from eventyard.errors import ConfigError, EventyardError
from eventyard.protocols.segment_format import export_segment
from eventyard.protocols.typegen import generate

__all__ = ["plans_app", "typegen"]

plans_app = typer.Typer(
    name="plans", help="Import and export tracking plans.", no_args_is_help=True
)

OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
]


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)


MAX_FILE_BYTES = 5_000_000


def _read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise ConfigError(f"{path}: not valid JSON: {error}") from None


def _stored_plan(data_dir: Path, workspace: str, name: str) -> dict[str, Any]:
    with state_db(data_dir, create=False) as (conn, _):
        found = store.get_object(conn, "tracking_plan", workspace, name)
    if found is None:
        raise ConfigError(f"no tracking plan named {name!r} in workspace {workspace!r}")
    return found.doc


def typegen(
    plan: Annotated[str, typer.Option("--plan", help="The tracking plan's name.")],
    lang: Annotated[
        Literal["python", "typescript"], typer.Option("--lang", help="python or typescript.")
    ] = "python",
    output: OutputOption = None,
    config_path: ConfigOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    data_dir: DataDirOption = Path(".eventyard"),
) -> None:
    """Write a typed module for a tracking plan: one function per planned event.

    The plan comes from --config when given, else from the data dir; exit 2 without it.
    """
    try:
        if config_path is not None:
            plans = {p.name: p for p in load(config_path).tracking_plans}
            if plan not in plans:
                known = ", ".join(sorted(plans)) or "none"
                raise ConfigError(f"{config_path} has no tracking plan {plan!r}; plans: {known}")
            doc = to_doc(plans[plan])
        else:
            doc = _stored_plan(data_dir, workspace, plan)
    except EventyardError as error:
        raise fail(error) from None
    _write(generate(doc, lang), output)


@plans_app.command("import")
def import_plan(
    file: Annotated[Path, typer.Argument(help="A Segment tracking plan export or a JSON Schema.")],
    form: Annotated[
        Literal["segment", "jsonschema"],
        typer.Option("--format", help="segment: a whole plan; jsonschema: one event's schema."),
    ] = "segment",
    name: Annotated[
        str | None,
        typer.Option("--name", help="The plan to create or update [segment: its own name]."),
    ] = None,
    event: Annotated[
        str | None, typer.Option("--event", help="jsonschema: the event [default: its title].")
    ] = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    data_dir: DataDirOption = Path(".eventyard"),
) -> None:
    """Create or update a tracking plan from a file; its sources and settings stay.

    A Segment import replaces the plan's schemas; a JSON Schema adds or replaces one event.
    Exit 2 on bad input, naming what is wrong.
    """
    try:
        body = _read_json(file)
        with state_db(data_dir) as (conn, box):
            saved = import_into(conn, box, workspace, actor(), body, form, name, event)
    except EventyardError as error:
        raise fail(error) from None
    for warning in saved.warnings:
        err.print(f"[yellow]left out:[/yellow] {warning}", highlight=False)
    events = len(saved.plan.get("events", {}))
    err.print(f"saved tracking plan {saved.plan['name']!r} ({events} events)", highlight=False)


@plans_app.command("export")
def export_plan(
    name: Annotated[str, typer.Argument(help="The tracking plan's name.")],
    form: Annotated[
        Literal["segment", "eventyard"],
        typer.Option("--format", help="segment: Segment's JSON; eventyard: the yaml entry."),
    ] = "segment",
    output: OutputOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    data_dir: DataDirOption = Path(".eventyard"),
) -> None:
    """Write a tracking plan as Segment's JSON (Public API rules), or as its eventyard entry."""
    try:
        doc = _stored_plan(data_dir, workspace, name)
    except EventyardError as error:
        raise fail(error) from None
    shown = export_segment(doc) if form == "segment" else doc
    _write(json.dumps(shown, indent=2, ensure_ascii=False) + "\n", output)
