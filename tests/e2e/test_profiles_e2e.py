"""Profiles end to end: a real `eventyard serve` resolves identities from events sent over
HTTP, answers the Profile API, survives kill -9 without losing or doubling anything, and
syncs the graph to the embedded DuckDB warehouse."""

from __future__ import annotations

import asyncio
import base64
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson

from e2e.conftest import start_server
from e2e.server_process import ServerProcess
from profiles.test_journey import JANE, JOHN, JOURNEY

__all__ = ["start_server"]

WRITE_KEY = "wk_profiles"
SPACE = "spa_e2e"
ACCESS = "e2e-profile-token"
CONFIG = f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
archive:
  enabled: false
warehouses:
  - name: duckdb
    type: duckdb
    interval: 1s
profiles:
  space_id: {SPACE}
  access_token: {ACCESS}
  computed_traits:
    - key: orders
      type: counter
      if: 'event = "Order Completed"'
"""


async def _send(server: ServerProcess, events: Sequence[dict[str, Any]]) -> None:
    auth = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{server.url}/v1/batch",
            content=orjson.dumps({"batch": list(events)}),
            headers={"Authorization": auth, "Content-Type": "application/json"},
        )
    assert answer.status_code == 200, answer.text


async def _profile(server: ServerProcess, ref: str, what: str) -> httpx.Response:
    url = f"{server.url}/v1/spaces/{SPACE}/collections/users/profiles/{ref}/{what}"
    async with httpx.AsyncClient() as client:
        return await client.get(url, auth=(ACCESS, ""), params={"limit": "100"})


async def _eventually(check: Callable[[], Any], what: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


def _ids(body: dict[str, Any]) -> set[str]:
    return {f"{item['type']}:{item['id']}" for item in body["data"]}


JANE_IDS = {
    "anonymous_id:laptop-1",
    "anonymous_id:phone-1",
    "anonymous_id:family-pc",
    "user_id:jane-42",
    "email:jane.doe@example.com",
    "email:jane@newmail.com",
}


async def test_profiles_from_http_to_the_profile_api_and_the_warehouse(
    start_server: Callable[[str], ServerProcess], tmp_path: Path
) -> None:
    server = start_server(CONFIG)
    await _send(server, JOURNEY[:5])

    async def phone_merged() -> bool:
        answer = await _profile(server, "anonymous_id:phone-1", "external_ids")
        return answer.status_code == 200 and "user_id:jane-42" in _ids(answer.json())

    await _eventually(phone_merged, "the login on the phone to merge the two devices")
    server.kill()  # kill -9: nothing may be lost or applied twice
    server.start()
    await _send(server, JOURNEY)  # everything again: the first five are duplicates

    async def john_ordered() -> bool:
        answer = await _profile(server, "user_id:john-7", "traits")
        return answer.status_code == 200 and answer.json()["traits"].get("orders") == 1

    await _eventually(john_ordered, "John's order")
    jane = await _profile(server, "email:Jane.Doe@Example.com", "external_ids")
    assert _ids(jane.json()) == JANE_IDS
    john = await _profile(server, "user_id:john-7", "external_ids")
    assert _ids(john.json()) == {"user_id:john-7", "email:john@example.com"}
    events = (await _profile(server, JANE, "events")).json()["data"]
    assert sorted(e["message_id"] for e in events) == [f"m0{i}" for i in range(1, 9)]
    traits = (await _profile(server, "user_id:jane-42", "traits")).json()["traits"]
    assert traits == {"email": "jane@newmail.com", "name": "Jane Doe", "plan": "free"}
    meta = (await _profile(server, JOHN, "metadata")).json()["metadata"]
    assert (meta["first_message_id"], meta["last_message_id"]) == ("m09", "m10")
    async with httpx.AsyncClient() as client:
        path = f"/v1/spaces/{SPACE}/collections/users/profiles/user_id:john-7/traits"
        assert (await client.get(server.url + path)).status_code == 401

    store = server.data_dir / "profiles.db"

    async def synced() -> bool:  # every change copied (the feed is emptied as it is)
        with sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True) as con:
            waiting = con.execute("SELECT COUNT(*) FROM feed").fetchone()[0]
            done = con.execute("SELECT COUNT(*) FROM sync_cursors").fetchone()[0]
        return bool(waiting == 0 and done == 1)

    await _eventually(synced, "the profiles sync to DuckDB")
    server.stop()
    with duckdb.connect(str(server.data_dir / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT canonical_segment_id, type, value FROM profiles.user_identifiers"
        ).fetchall()
        traits = con.execute(
            "SELECT canonical_segment_id, name, value FROM profiles.user_traits"
        ).fetchall()
    assert {f"{kind}:{value}" for profile, kind, value in rows if profile == JANE} == JANE_IDS
    assert (JOHN, "orders", "1") in traits
