"""A data dir from before the webhook's `headers` were secrets: its header values sit in the
clear in the stored document and in the audit log. The first command that opens it (here
`eventyard export`, as `eventyard serve` would) encrypts them, masks the audit entries and
keeps what the runtime sends."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from e2e.test_cli import eventyard
from eventyard.cli_config import state_db
from eventyard.control import audit, store
from eventyard.control.secrets import KEY_ENV, SECRET_MASK

BEARER = "Bearer old-plain-9d41c7"
HOOK: dict[str, Any] = {
    "name": "hook",
    "type": "webhook",
    "sources": ["web"],
    "settings": {"url": "https://h.test/in", "shared_secret": "sig-5"},
}


def _as_an_older_version_stored_it(data_dir: Path) -> None:
    """The webhook written with `headers` in the clear, in its row and its audit entry."""
    with state_db(data_dir) as (conn, box):
        store.put_object(conn, box, "source", "default", {"name": "web"}, "t")
        store.put_object(conn, box, "destination", "default", HOOK, "t")
    settings = {**HOOK["settings"], "shared_secret": SECRET_MASK}  # sealed, as it was then
    doc = {**HOOK, "settings": {**settings, "headers": {"Authorization": BEARER}}}
    with sqlite3.connect(data_dir / "state.db") as conn:
        text = orjson.dumps(doc).decode()
        conn.execute("UPDATE objects SET doc = ? WHERE name = 'hook'", (text,))
        conn.execute("UPDATE audit_log SET after = ? WHERE name = 'hook'", (text,))


def test_an_older_data_dir_gets_its_plain_secrets_sealed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    data_dir = tmp_path / "data"
    _as_an_older_version_stored_it(data_dir)

    done = eventyard("export", "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    exported = done.stdout
    assert "Authorization: '********'" in exported and BEARER not in exported

    with state_db(data_dir, create=False) as (conn, box):
        (shown,) = store.list_objects(conn, "destination", "default")
        entries = audit.list_entries(conn, "default")
        _, (runtime,) = store.runtime_objects(conn, box)
    assert shown.doc["settings"]["headers"] == {"Authorization": SECRET_MASK}
    assert BEARER not in orjson.dumps([(e.before, e.after) for e in entries]).decode()
    assert runtime.settings["headers"] == {"Authorization": BEARER}
    assert runtime.settings["shared_secret"] == "sig-5"
