"""`eventyard compare ROUTE_A ROUTE_B --since ISO [--until ISO]`: two routes side by side.

For cutting over from Segment: run the Segment-fed route and the direct route as two
destinations (usually in `mode: observe`) over the same traffic, then compare their
conversions per canonical name, value totals, dedup keys, consent suppressions and match
quality. It reads the conversion ledger in the data dir's state.db directly (read-only,
while the server runs). Exit codes: 0 the routes agree, 1 they differ (CI can gate a
cut-over on it), 2 bad input.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.table import Table

from eventyard.cli_common import DEFAULT_DATA_DIR, DataDirOption, JsonOption, err, out
from eventyard.conversions.compare import Comparison, Route, compare, parse_period, recorded

__all__ = ["compare_routes"]


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(2)


def _read(data_dir: Path, a: str, b: str, since: float, until: float) -> Comparison:
    path = data_dir / "state.db"
    if not path.is_file():
        raise _fail(f"no state.db in {data_dir}; pass the server's --data-dir")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        for name in (a, b):
            if not recorded(conn, name):
                raise _fail(f"no conversions recorded for destination {name!r}; check the name")
        return compare(conn, a, b, since, until)
    except sqlite3.Error as error:
        raise _fail(f"cannot read the conversion ledger in {path}: {error}") from None
    finally:
        conn.close()


def _cells(route: Route) -> list[tuple[str, str]]:
    rows = [("conversions", str(route.conversions))]
    rows += [(f"  {name}", str(n)) for name, n in route.events.items()]
    rows += [(f"value {currency}", f"{total:,.2f}") for currency, total in route.values.items()]
    rows += [(f"suppressed: {reason}", str(n)) for reason, n in route.suppressed.items()]
    quality = "-" if route.match_quality is None else f"{route.match_quality:.1f}"
    rows.append(("mean match quality", quality))
    missing = ", ".join(f"{m.identifier} {m.share:.0%}" for m in route.missing)
    rows.append(("most often missing", missing or "-"))
    return rows


def _render(report: Comparison) -> None:
    table = Table(title=f"{report.since} to {report.until}", title_justify="left")
    table.add_column("")
    table.add_column(report.a.destination, overflow="fold")
    table.add_column(report.b.destination, overflow="fold")
    left, right = dict(_cells(report.a)), dict(_cells(report.b))
    labels = list(dict.fromkeys([*left, *right]))
    for label in labels:
        table.add_row(label, left.get(label, "-"), right.get(label, "-"))
    keys = report.dedup_keys
    table.add_row("event_ids in both", str(keys.both), str(keys.both))
    table.add_row("event_ids only here", str(keys.only_a), str(keys.only_b))
    out.print(table, highlight=False)
    for side, examples in ((report.a, keys.only_a_examples), (report.b, keys.only_b_examples)):
        if examples:
            out.print(f"only in {side.destination}: {', '.join(examples)}", highlight=False)
    if report.equal:
        out.print("the routes agree", highlight=False)
    for difference in report.differences:
        out.print(f"differs: {difference}", highlight=False)


def compare_routes(
    route_a: Annotated[
        str, typer.Argument(metavar="ROUTE_A", help="A destination, e.g. the Segment-fed route.")
    ],
    route_b: Annotated[
        str, typer.Argument(metavar="ROUTE_B", help="The destination to compare it with.")
    ],
    since: Annotated[str, typer.Option(help="Start of the period (ISO-8601, inclusive).")],
    until: Annotated[
        str | None, typer.Option(help="End of the period (ISO-8601) \\[default: now]")
    ] = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    as_json: JsonOption = False,
) -> None:
    """Compare two routes' conversions by event time: counts per canonical event, value
    per currency, dedup keys (event_ids), consent suppressions and match quality.

    Exits 0 when they agree, 1 when they differ, 2 on bad input.
    """
    try:
        start, end = parse_period(since, until, time.time())
    except ValueError as error:
        raise _fail(str(error)) from None
    if route_a == route_b:
        raise _fail("compare two different destinations")
    report = _read(data_dir, route_a, route_b, start, end)
    if as_json:
        out.print_json(msgspec.json.encode(report).decode())
    else:
        _render(report)
    if not report.equal:
        raise typer.Exit(1)
