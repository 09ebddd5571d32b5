"""The config store's Protocols kinds: "tracking_plan" and "transformation".

They are stored like sources and destinations (documents in `objects`, one workspace each,
names unique per kind) and hold no secrets. A plan or transformation names sources of its
own workspace; `check_references` runs with the store's other checks across objects, and a
source that one of them uses cannot be deleted.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any, TypeVar

import msgspec
import orjson

from eventyard.control.config import ConfigProblem, decode_struct, describe_problem
from eventyard.control.protocols_config import TrackingPlanConfig, TransformationConfig
from eventyard.errors import ConfigError
from eventyard.protocols.compile import check_plan, check_references, check_transformation

__all__ = [
    "PROTOCOL_SECTIONS",
    "check_protocol_references",
    "protocol_users",
    "runtime_protocols",
    "validate_protocol",
]

_S = TypeVar("_S", bound=msgspec.Struct)

PROTOCOL_SECTIONS = {"tracking_plan": "tracking_plans", "transformation": "transformations"}
"""Object kind -> its eventyard.yaml section."""


def validate_protocol(kind: str, doc: dict[str, Any]) -> msgspec.Struct:
    """The decoded plan or transformation; ConfigProblem (path under `$`) otherwise."""
    if kind == "tracking_plan":
        plan = decode_struct(doc, TrackingPlanConfig)
        check_plan(plan)
        return plan
    item = decode_struct(doc, TransformationConfig)
    check_transformation(item)
    return item


def _rows(
    conn: sqlite3.Connection, workspace: str | None = None
) -> tuple[list[tuple[str, TrackingPlanConfig]], list[tuple[str, TransformationConfig]]]:
    query = "SELECT kind, workspace, doc FROM objects WHERE kind IN (?, ?)"
    args: tuple[str, ...] = tuple(PROTOCOL_SECTIONS)
    if workspace is not None:
        query, args = query + " AND workspace = ?", (*args, workspace)
    plans, transformations = [], []
    for kind, home, doc in conn.execute(query + " ORDER BY rowid", args):
        if kind == "tracking_plan":
            plans.append((home, _decode(orjson.loads(doc), TrackingPlanConfig)))
        else:
            transformations.append((home, _decode(orjson.loads(doc), TransformationConfig)))
    return plans, transformations


def _decode(doc: dict[str, Any], kind: type[_S]) -> _S:
    try:
        return decode_struct(doc, kind)
    except ConfigProblem as problem:
        section = "tracking_plans" if kind is TrackingPlanConfig else "transformations"
        path = f"$.{section}.{doc.get('name')}" + problem.path.removeprefix("$")
        raise ConfigError(
            f"stored {describe_problem(path, problem.message)}; this eventyard does not accept "
            "it any more: change it with `eventyard apply` or the admin API"
        ) from None


def runtime_protocols(
    conn: sqlite3.Connection,
) -> tuple[list[TrackingPlanConfig], list[TransformationConfig]]:
    """Every workspace's tracking plans and transformations, for the runtime Config."""
    plans, transformations = _rows(conn)
    return [plan for _, plan in plans], [item for _, item in transformations]


def check_protocol_references(conn: sqlite3.Connection) -> None:
    """Per workspace: the sources plans and transformations name exist there, a source
    follows one plan, and blocked events are forwarded to another source."""
    plans, transformations = _rows(conn)
    homes = {home for home, _ in plans} | {home for home, _ in transformations}
    for home in sorted(homes):
        sources = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM objects WHERE kind = 'source' AND workspace = ? ORDER BY rowid",
                (home,),
            )
        ]
        mine = [plan for where, plan in plans if where == home]
        theirs = [item for where, item in transformations if where == home]
        names = {
            "tracking_plans": [plan.name for plan in mine],
            "transformations": [item.name for item in theirs],
        }
        try:
            check_references(mine, theirs, sources, partial(_label, names))
        except ConfigProblem as problem:
            message = f"{problem.message} (in workspace {home!r})"
            raise ConfigError(describe_problem(problem.path, message)) from None


def _label(names: dict[str, list[str]], section: str, index: int) -> str:
    return f"$.{section}.{names[section][index]}"


def protocol_users(conn: sqlite3.Connection, workspace: str, source: str) -> list[str]:
    """`tracking_plans.shop`, `transformations.x`: what in the workspace names `source`."""
    plans, transformations = _rows(conn, workspace)
    users = [
        f"tracking_plans.{plan.name}"
        for _, plan in plans
        if source in plan.sources
        or source in (plan.settings.forward_to, plan.settings.forward_violations_to)
    ]
    return users + [f"transformations.{t.name}" for _, t in transformations if source in t.sources]
