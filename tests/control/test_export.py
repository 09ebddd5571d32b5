"""`eventyard export` writes a workspace as eventyard.yaml that applies back as a no-op,
with secrets masked."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from eventyard.control import store
from eventyard.control.apply import apply_changes, plan_changes
from eventyard.control.config import parse_config
from eventyard.control.export import export_yaml
from eventyard.control.secrets import KEY_ENV, SECRET_MASK, SecretBox
from eventyard.errors import ConfigError
from eventyard.sqlite_writer import connect

RICH = """\
sources:
  - name: web
    write_key: wk_web
    webhook_secret: hook-signing-secret
destinations:
  - name: orders
    type: webhook
    sources: [web]
    settings: {url: "https://example.com/in", shared_secret: s3cret-value, batch_size: 10}
    filter: 'type = "track" and properties.revenue > 0'
    filters:
      - {if: 'event = "Test"', drop: true}
      - {sample: 0.5, sample_path: userId}
    actions:
      send:
        subscription: 'event = "Order Completed"'
        mapping:
          data:
            order: {"@path": "$.properties.order_id"}
            who: {"@template": "{{userId}} <{{context.traits.email}}>"}
    delivery: {timeout: 1500ms, max_age: 1d, concurrency: 8, backoff_max: 90s}
    mode: observe
    consent_categories: [Advertising]
  - name: mixpanel
    type: mixpanel
    sources: [web]
    enabled: false
    settings: {project_token: mp-token-12345}
"""


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretBox:
    monkeypatch.delenv(KEY_ENV, raising=False)
    return SecretBox.load(tmp_path)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(tmp_path / "state.db")
    store.ensure_schema(conn)
    yield conn
    conn.close()


def apply(conn: sqlite3.Connection, box: SecretBox, text: str) -> list[str]:
    changes = plan_changes(conn, box, "default", parse_config(text))
    apply_changes(conn, box, "default", changes, "t")
    return [change.describe() for change in changes]


def test_an_export_applies_back_as_a_no_op(conn: sqlite3.Connection, box: SecretBox) -> None:
    apply(conn, box, RICH)
    exported = export_yaml(conn, "default")
    assert apply(conn, box, exported) == []
    assert export_yaml(conn, "default") == exported


def test_secrets_are_masked_and_the_rest_reads_like_the_file(
    conn: sqlite3.Connection, box: SecretBox
) -> None:
    apply(conn, box, RICH)
    exported = export_yaml(conn, "default")
    for secret in ("hook-signing-secret", "s3cret-value", "mp-token-12345"):
        assert secret not in exported
    data = yaml.safe_load(exported)
    web, (orders, mixpanel) = data["sources"][0], data["destinations"]
    assert web == {"name": "web", "write_key": "wk_web", "webhook_secret": SECRET_MASK}
    assert orders["settings"]["shared_secret"] == SECRET_MASK
    assert orders["delivery"] == {
        "concurrency": 8,
        "timeout": "1500ms",
        "max_age": "1d",
        "backoff_max": "90s",
    }
    assert orders["filters"] == [
        {"if": 'event = "Test"', "drop": True},
        {"sample": 0.5, "sample_path": "userId"},
    ]
    assert mixpanel == {
        "name": "mixpanel",
        "type": "mixpanel",
        "sources": ["web"],
        "settings": {"project_token": SECRET_MASK},
        "enabled": False,
    }
    assert exported.startswith("# Sources and destinations of eventyard workspace 'default'")


def test_an_edited_export_changes_only_what_was_edited(
    conn: sqlite3.Connection, box: SecretBox
) -> None:
    apply(conn, box, RICH)
    edited = export_yaml(conn, "default").replace("batch_size: 10", "batch_size: 20")
    assert apply(conn, box, edited) == ["~ destination orders: settings.batch_size 10 -> 20"]
    _, (orders, _) = store.runtime_objects(conn, box)
    assert orders.settings["shared_secret"] == "s3cret-value"


def test_literal_dollar_braces_survive_the_round_trip(
    conn: sqlite3.Connection, box: SecretBox
) -> None:
    doc = {"name": "web", "write_key": "wk_${not_a_variable}"}
    store.put_object(conn, box, "source", "default", doc, "t")
    exported = export_yaml(conn, "default")
    assert "wk_$${not_a_variable}" in exported
    assert apply(conn, box, exported) == []


def test_an_empty_workspace_exports_empty_lists(conn: sqlite3.Connection) -> None:
    assert yaml.safe_load(export_yaml(conn, "default")) == {"sources": [], "destinations": []}


def test_an_unknown_workspace_is_an_error(conn: sqlite3.Connection) -> None:
    with pytest.raises(ConfigError, match="no workspace named 'nope'"):
        export_yaml(conn, "nope")
