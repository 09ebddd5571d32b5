"""Tracking plans and transformations as control-plane objects: validated like the file,
per workspace, in the running configuration, and round-tripped by export and apply."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from eventyard.control import audit, store
from eventyard.control.apply import apply_changes, plan_changes
from eventyard.control.config import Config, parse_config
from eventyard.control.export import export_yaml
from eventyard.control.plane import ControlPlane
from eventyard.control.secrets import KEY_ENV, SecretBox
from eventyard.delivery.state import StateStore
from eventyard.errors import ConfigError
from eventyard.sqlite_writer import connect
from protocols.ecommerce import ecommerce_plan

FILE = """\
sources:
  - {name: web, write_key: wk_web}
  - {name: quarantine, write_key: wk_q}
tracking_plans:
  - name: shop
    sources: [web]
    events:
      Order Completed:
        type: object
        required: [order_id]
        properties: {order_id: {type: string}, revenue: {type: number}}
    settings: {violations: forward, forward_to: quarantine}
transformations:
  - name: rename
    sources: [web]
    if: event = "Checkout"
    rename_event: Checkout Started
"""


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


@pytest.fixture
def box(tmp_path: Path) -> SecretBox:
    return SecretBox.load(tmp_path)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(tmp_path / "state.db")
    store.ensure_schema(conn)
    yield conn
    conn.close()


def put(
    conn: sqlite3.Connection,
    box: SecretBox,
    kind: str,
    doc: dict[str, Any],
    workspace: str = "default",
) -> store.StoredObject:
    return store.put_object(conn, box, kind, workspace, doc, "user:t")


def refused(fn: Any, *words: str) -> str:
    with pytest.raises(ConfigError) as caught:
        fn()
    message = str(caught.value)
    for word in words:
        assert word in message, message
    return message


def apply(conn: sqlite3.Connection, box: SecretBox, text: str) -> list[str]:
    changes = plan_changes(conn, box, "default", parse_config(text))
    apply_changes(conn, box, "default", changes, "t")
    return [change.describe() for change in changes]


def test_plans_are_stored_canonically_and_audited(conn: sqlite3.Connection, box: SecretBox) -> None:
    put(conn, box, "source", {"name": "web"})
    saved = put(conn, box, "tracking_plan", ecommerce_plan(sources=["web"], settings={}))
    assert "settings" not in saved.doc  # defaults are left out, as in an export
    assert store.get_object(conn, "tracking_plan", "default", "shop") == saved
    [entry] = [e for e in audit.list_entries(conn, "default") if e.kind == "tracking_plan"]
    assert (entry.action, entry.name, entry.after) == ("create", "shop", saved.doc)


def test_plans_are_validated_like_the_file_naming_the_object(
    conn: sqlite3.Connection, box: SecretBox
) -> None:
    bad = ecommerce_plan(events={"Order Completed": {"type": "numbr"}})
    refused(
        lambda: put(conn, box, "tracking_plan", bad),
        "tracking_plans.shop.events.`Order Completed`.type:",
    )
    refused(
        lambda: put(conn, box, "tracking_plan", {"name": "x", "sources": ["nope"]}),
        "tracking_plans.x.sources[0]: no source named 'nope'",
        "(in workspace 'default')",
    )
    refused(
        lambda: put(
            conn,
            box,
            "transformation",
            {"name": "t", "sources": [], "if": "a = = b", "rename_event": "x"},
        ),
        "transformations.t.if:",
    )
    refused(lambda: put(conn, box, "tracking_plan", {"name": "../x"}), "not a valid name")


def test_references_are_per_workspace(conn: sqlite3.Connection, box: SecretBox) -> None:
    store.create_workspace(conn, "other", "t")
    put(conn, box, "source", {"name": "elsewhere"}, "other")
    put(conn, box, "source", {"name": "web"})
    refused(
        lambda: put(conn, box, "tracking_plan", {"name": "x", "sources": ["elsewhere"]}),
        "no source named 'elsewhere'",
    )
    put(conn, box, "tracking_plan", {"name": "x", "sources": ["web"]})
    refused(
        lambda: put(conn, box, "tracking_plan", {"name": "x", "sources": ["elsewhere"]}, "other"),
        "exists in another workspace",
    )
    refused(
        lambda: put(conn, box, "tracking_plan", {"name": "y", "sources": ["web"]}),
        "already follows plan 'x'",
    )


def test_a_source_a_plan_or_transformation_names_cannot_be_deleted(
    conn: sqlite3.Connection, box: SecretBox
) -> None:
    for name in ("web", "quarantine", "app"):
        put(conn, box, "source", {"name": name})
    plan = {
        "name": "shop",
        "sources": ["web"],
        "settings": {"violations": "forward", "forward_to": "quarantine"},
    }
    put(conn, box, "tracking_plan", plan)
    put(conn, box, "transformation", {"name": "t", "sources": ["app"], "rename_event": "x"})
    refused(
        lambda: store.delete_object(conn, "source", "default", "quarantine", "t"),
        "tracking_plans.shop name this source",
    )
    refused(lambda: store.delete_object(conn, "source", "default", "app", "t"), "transformations.t")
    assert store.delete_object(conn, "tracking_plan", "default", "shop", "t")
    assert store.delete_object(conn, "source", "default", "quarantine", "t")


def test_an_export_with_plans_applies_back_as_a_no_op(
    conn: sqlite3.Connection, box: SecretBox
) -> None:
    assert apply(conn, box, FILE) == [
        "+ source web", "+ source quarantine", "+ tracking_plan shop", "+ transformation rename",
    ]  # fmt: skip
    exported = export_yaml(conn, "default")
    data = yaml.safe_load(exported)
    assert [p["name"] for p in data["tracking_plans"]] == ["shop"]
    assert data["transformations"][0]["if"] == 'event = "Checkout"'
    assert apply(conn, box, exported) == []
    assert export_yaml(conn, "default") == exported


def test_apply_shows_field_changes_and_deletes_plans_the_file_drops(
    conn: sqlite3.Connection, box: SecretBox
) -> None:
    apply(conn, box, FILE)
    changed = FILE.replace("violations: forward", "violations: block")
    assert apply(conn, box, changed) == [
        '~ tracking_plan shop: settings.violations "forward" -> "block"'
    ]
    without = FILE.split("tracking_plans:")[0]
    assert apply(conn, box, without) == ["- transformation rename", "- tracking_plan shop"]


def test_an_export_without_plans_has_no_protocols_sections(
    conn: sqlite3.Connection, box: SecretBox
) -> None:
    put(conn, box, "source", {"name": "web"})
    data = yaml.safe_load(export_yaml(conn, "default"))
    assert set(data) == {"sources", "destinations"}


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[StateStore]:
    state = StateStore(tmp_path / "state.db")
    await state.open()
    yield state
    await state.close()


async def test_the_running_configuration_has_every_workspace_plans(state: StateStore) -> None:
    plane = await ControlPlane.open(state, state.path.parent, parse_config(FILE), environ={})
    assert plane.live.current.tracking_plans == []  # the file applies only by apply_file
    await plane.apply_file()
    [plan] = plane.live.current.tracking_plans
    assert plan.settings.forward_to == "quarantine"
    assert [t.name for t in plane.live.current.transformations] == ["rename"]

    def more(conn: sqlite3.Connection) -> None:
        store.create_workspace(conn, "other", "t")
        store.put_object(conn, plane.box, "source", "other", {"name": "app"}, "t")
        store.put_object(
            conn, plane.box, "tracking_plan", "other", {"name": "mobile", "sources": ["app"]}, "t"
        )

    await plane.change(more)
    assert [p.name for p in plane.live.current.tracking_plans] == ["shop", "mobile"]
    reopened = await ControlPlane.open(state, state.path.parent, Config(), environ={})
    assert [p.name for p in reopened.live.current.tracking_plans] == ["shop", "mobile"]
