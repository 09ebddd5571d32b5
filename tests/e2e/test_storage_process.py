"""Storage runs in its own process under `eventyard serve`: a killed storage child is
restarted by the server, the archive catches up, and ingest answers 200 throughout."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from typing import Any

import httpx
import pyarrow.parquet as pq

from e2e.conftest import WRITE_KEY, config_text, wait_until
from e2e.server_process import ServerProcess
from fakes.webhook_receiver import WebhookReceiver

STORAGE = """
archive:
  flush_every: 200ms
warehouses:
  - name: duckdb
    type: duckdb
    interval: 200ms
"""


def _storage(server: ServerProcess) -> dict[str, Any]:
    storage: dict[str, Any] = server.status()["storage"]  # type: ignore[assignment]
    return storage


def _track(url: str, i: int) -> None:
    response = httpx.post(
        f"{url}/v1/track",
        auth=(WRITE_KEY, ""),
        json={"type": "track", "event": "Tick", "userId": "u", "messageId": f"m-{i}"},
        timeout=5,
    )
    assert response.status_code == 200, response.text


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_a_killed_storage_process_is_restarted_and_catches_up(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, config_text(receiver.url) + STORAGE)
    assert server.process is not None

    await wait_until(lambda: _storage(server).get("pid") is not None, 15, "the storage child")
    first = _storage(server)["pid"]
    assert isinstance(first, int) and first != server.process.pid and _alive(first)

    for i in range(10):
        await asyncio.to_thread(_track, server.url, i)
    os.kill(first, signal.SIGKILL)
    # ingest keeps answering while storage is down and while it comes back
    for i in range(10, 40):
        await asyncio.to_thread(_track, server.url, i)
        await asyncio.sleep(0.02)

    def restarted() -> bool:
        pid = _storage(server).get("pid")
        return pid is not None and pid != first

    await wait_until(restarted, 15, "the storage child to be restarted")
    second = _storage(server)["pid"]
    assert _alive(second) and not _alive(first)
    for i in range(40, 50):
        await asyncio.to_thread(_track, server.url, i)

    def caught_up() -> bool:
        storage = _storage(server)
        return bool(storage["archive"]["lag"] == 0 and storage["warehouses"][0]["lag"] == 0)

    await wait_until(caught_up, 20, "the archive and the warehouse to catch up")
    table = pq.read_table(server.data_dir / "archive" / "source=web")
    assert set(table.column("messageId").to_pylist()) == {f"m-{i}" for i in range(50)}
    # the child reports its last load on its own clock (worker._STATUS_EVERY), after the
    # offsets that make the lag 0 were committed: wait for that report, it must come
    await wait_until(
        lambda: bool(_storage(server)["warehouses"][0]["last_load_at"]), 10, "the load report"
    )

    assert await asyncio.to_thread(server.stop) == 0
    assert not _alive(second)
