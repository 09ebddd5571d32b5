"""Config as code: make one workspace's sources, destinations, tracking plans and
transformations match a file.

`plan_changes` compares the file with the database object by object (secrets by their
decrypted values) and says what would change, field by field; `apply_changes` makes those
changes in the caller's transaction and then checks all objects together, so a plan is
applied entirely or not at all. Objects of the workspace that the file does not name are
deleted. Applying the same file twice gives an empty plan the second time, and so does
applying what `eventyard export` wrote (its masked secrets mean "keep the stored value").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
import orjson

from eventyard.control.config import Config
from eventyard.control.documents import KeyPath, get_at, mask_secrets, to_doc
from eventyard.control.secrets import SecretBox
from eventyard.control.store import (
    delete_object,
    list_objects,
    reveal_object,
    write_object,
)
from eventyard.control.store_secrets import dotted, restore_masked
from eventyard.control.store_validate import (
    SECTIONS,
    check_composed,
    check_document,
    check_name,
    elsewhere,
    moved_locations,
    secret_roots,
)
from eventyard.control.workspaces import create_workspace, list_workspaces

__all__ = ["Change", "Diff", "apply_changes", "plan_changes"]

_SHOWN = 80  # characters of a value shown in a plan line


@dataclass(frozen=True, slots=True)
class Diff:
    """One changed field; values are masked where they hold secrets (None: not set)."""

    path: str
    before: Any
    after: Any
    secret: bool = False
    """Only a secret's value changed (both sides show the mask)."""

    def describe(self) -> str:
        if self.secret:
            return f"{self.path} (secret changed)"
        return f"{self.path} {_show(self.before)} -> {_show(self.after)}"


@dataclass(frozen=True, slots=True)
class Change:
    action: Literal["create", "update", "delete"]
    kind: str
    """"workspace", "source" or "destination"."""
    name: str
    diffs: tuple[Diff, ...] = ()
    doc: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    """What create/update writes (it may hold secrets in plain text: never show it)."""

    def describe(self) -> str:
        """`+ source web`, `~ destination meta: settings.pixel_id "1" -> "2"`, `- ...`."""
        sign = {"create": "+", "update": "~", "delete": "-"}[self.action]
        line = f"{sign} {self.kind} {self.name}"
        if self.diffs:
            line += ": " + ", ".join(diff.describe() for diff in self.diffs)
        return line


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    text = orjson.dumps(value).decode()
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _diffs(before: Any, after: Any, path: KeyPath = ()) -> list[KeyPath]:
    """Paths where two documents differ, descending into mappings."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [*before, *(key for key in after if key not in before)]
        return [p for key in keys for p in _diffs(before.get(key), after.get(key), (*path, key))]
    return [] if before == after else [path]


def _update(kind: str, name: str, stored: dict[str, Any], wanted: dict[str, Any]) -> Change | None:
    shown_before = mask_secrets(stored, secret_roots(kind, stored))
    shown_after = mask_secrets(wanted, secret_roots(kind, wanted))
    diffs = []
    for path in _diffs(stored, wanted):
        before, after = get_at(shown_before, path), get_at(shown_after, path)
        diffs.append(Diff(dotted(path), before, after, secret=before == after))
    return Change("update", kind, name, tuple(diffs), wanted) if diffs else None


def plan_changes(
    conn: sqlite3.Connection, box: SecretBox, workspace: str, desired: Config
) -> list[Change]:
    """What applying `desired`'s sources and destinations to `workspace` would change, in
    the order it is applied: sources, destinations, tracking plans, transformations, then
    deletions (in the reverse order)."""
    changes: list[Change] = []
    if workspace not in list_workspaces(conn):
        changes.append(Change("create", "workspace", check_name("workspace", workspace)))
    wanted: dict[str, set[str]] = {kind: set() for kind in SECTIONS}
    sections: list[tuple[str, Sequence[msgspec.Struct]]] = [
        ("source", desired.sources),
        ("destination", desired.destinations),
        ("tracking_plan", desired.tracking_plans),
        ("transformation", desired.transformations),
    ]
    for kind, items in sections:
        for item in items:
            doc = to_doc(item)
            name = check_document(kind, doc)
            wanted[kind].add(name)
            key = f"{SECTIONS[kind]}.{name}"
            stored = reveal_object(conn, box, kind, name)
            if stored is not None and stored.workspace != workspace:
                raise elsewhere(key, kind, name)
            kept, before = ({}, None) if stored is None else (stored.secrets, stored.doc)
            moved = moved_locations(kind, before, doc)
            doc = restore_masked(key, doc, secret_roots(kind, doc), kept, moved)
            if stored is None:
                changes.append(Change("create", kind, name, (), doc))
            elif change := _update(kind, name, stored.doc, doc):
                changes.append(change)
    for kind in ("transformation", "tracking_plan", "destination", "source"):
        for obj in list_objects(conn, kind, workspace):
            if obj.name not in wanted[kind]:
                changes.append(Change("delete", kind, obj.name))
    return changes


def apply_changes(
    conn: sqlite3.Connection, box: SecretBox, workspace: str, changes: list[Change], actor: str
) -> None:
    """Make the planned changes, then check all objects together (ConfigError: the caller's
    transaction must roll back, which `StateStore.run` and the CLI do)."""
    for change in changes:
        if change.kind == "workspace":
            create_workspace(conn, change.name, actor)
        elif change.action == "delete":
            delete_object(conn, change.kind, workspace, change.name, actor)
        else:
            assert change.doc is not None
            write_object(conn, box, change.kind, workspace, change.doc, actor)
    check_composed(conn)
