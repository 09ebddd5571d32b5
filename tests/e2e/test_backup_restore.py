"""Backup and restore as docs/deploy.md says: `eventyard backup` of a running server's data
dir while events keep arriving, the copy restored into another folder, a new server on it.
Events, configuration, tokens and secrets must all be there (the stored webhook secret
decrypts with the copied secret.key: the restored server signs with it)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from segment.analytics import Client

from e2e.conftest import SECRET, WRITE_KEY, wait_until
from e2e.server_process import ServerProcess
from eventyard.storage.errors import StorageError
from eventyard.storage.query import run_query
from fakes.webhook_receiver import WebhookReceiver

CONFIG = f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
archive:
  flush_every: 200ms
warehouses:
  - name: duckdb
    type: duckdb
    interval: 200ms
"""


def send(url: str, events: list[str]) -> None:
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=3)
    for event in events:
        client.track(user_id="u1", event=event, message_id=event)


def count(data_dir: Path, sql: str) -> int:
    _, rows = run_query(data_dir, sql, wait=30)
    return int(rows[0][0])


def tracks(data_dir: Path) -> int:
    """Rows in web.tracks; 0 until the loader made the table."""
    try:
        return count(data_dir, "SELECT count(*) FROM web.tracks")
    except StorageError:
        return 0


def archived(data_dir: Path) -> tuple[int, int]:
    """(rows, distinct messageIds) of the archive."""
    _, rows = run_query(data_dir, "SELECT count(*), count(DISTINCT messageId) FROM archive.web")
    return int(rows[0][0]), int(rows[0][1])


def received(server: ServerProcess) -> int:
    sources = server.status()["sources"]
    assert isinstance(sources, list)
    return int(sources[0]["received"])


@pytest.fixture
def servers() -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.kill()


async def start(servers: list[ServerProcess], config: Path, data_dir: Path) -> ServerProcess:
    server = ServerProcess(config, data_dir)
    servers.append(server)
    return await asyncio.to_thread(server.start)


async def test_a_backup_of_a_running_server_restores_everything(
    receiver: WebhookReceiver, servers: list[ServerProcess], tmp_path: Path
) -> None:
    config = tmp_path / "eventyard.yaml"
    config.write_text(CONFIG)
    server = await start(servers, config, tmp_path / "data")
    hook = {
        "name": "hook",
        "type": "webhook",
        "sources": ["web"],
        "settings": {"url": receiver.url, "shared_secret": SECRET},
    }
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as http:
        assert (await http.post("/api/v1/destinations", json=hook)).status_code == 201
        made_token = await http.post("/api/v1/tokens", json={"name": "ops", "role": "viewer"})
        token = made_token.json()["token"]
    before = [f"before-{i}" for i in range(20)]
    await asyncio.to_thread(send, server.url, before)
    await receiver.wait_for(20, timeout=20)
    await wait_until(lambda: tracks(server.data_dir) == 20, 30, "the warehouse")

    during = threading.Thread(target=send, args=(server.url, [f"during-{i}" for i in range(60)]))
    during.start()
    backup = tmp_path / "backup"
    command = [sys.executable, "-m", "eventyard", "backup", str(backup), "--config", str(config)]
    made = await asyncio.to_thread(
        subprocess.run,
        [*command, "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    during.join(60)
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[0] == "copied secret.key"
    assert "not copied" not in made.stdout
    assert backup.stat().st_mode & 0o777 == 0o700
    assert {path.stat().st_mode & 0o777 for path in backup.rglob("*") if path.is_file()} == {0o600}
    assert server.stop() == 0

    restored_dir = tmp_path / "elsewhere" / "data"
    shutil.copytree(backup, restored_dir)  # what `cp -a <backup>/. <data dir>/` does
    restored = await start(servers, config, restored_dir)
    viewer = {"Authorization": f"Bearer {token}"}  # made through the API: only in state.db
    async with httpx.AsyncClient(base_url=restored.url, headers=viewer) as http:
        [dest] = (await http.get("/api/v1/destinations")).json()
    assert dest["name"] == "hook" and dest["settings"]["url"] == receiver.url
    assert dest["settings"]["shared_secret"] == "********"

    kept = received(restored)
    assert kept >= 20
    assert count(restored_dir, "SELECT count(*) FROM web.tracks WHERE id LIKE 'before-%'") == 20

    receiver.requests.clear()
    await asyncio.to_thread(send, restored.url, ["after-restore"])
    await receiver.wait_for(1, timeout=20)
    [request] = [r for r in receiver.requests if b"after-restore" in r.body]
    signature = hmac.new(SECRET.encode(), request.body, hashlib.sha1).hexdigest()
    assert request.headers["x-signature"] == signature

    # The restored archiver writes what the copied log had not archived: no gap, no twice.
    await wait_until(lambda: archived(restored_dir) == (kept + 1, kept + 1), 30, "archive")
    assert restored.stop() == 0
