"""`eventyard replay` against a real server: a day of archived events into a webhook while
live traffic flows, and a kill -9 in the middle of a replay.

The archive is built with the storage library before the server starts (a past day, so
its events never went through this server's log: every copy the webhook gets of them is
the replay's). Exactly-once queueing: each chunk's jobs and the replay's cursor commit in
one state transaction, so after kill -9 and restart the replay resumes after its cursor
and queues no event twice. Delivery is at-least-once: a job the webhook accepted but the
server had not recorded as delivered when it was killed is sent again; with one delivery
slot and batches of one that is at most one extra copy per kill.

The webhook destination is unordered (like Segment's), so these tests give it one delivery
slot: what the webhook sees is then the order the replay queued, each user's archive
order. Ordered destinations keep per-user order with any concurrency (the delivery engine).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from segment.analytics.client import Client

from e2e.conftest import WRITE_KEY, config_text, delivered_events, wait_until
from e2e.server_process import ServerProcess
from e2e.test_cli_trace import cli
from eventyard.log.sqlite import SQLiteLog
from fakes.webhook_receiver import WebhookReceiver
from storage.replay_helpers import DAY, archive, day_of_events

STORAGE = "archive:\n  flush_every: 200ms\nwarehouses: []\n"
RANGE = ["--from", DAY.isoformat(), "--to", (DAY + timedelta(days=1)).isoformat()]


async def _seed(data_dir: Path, count: int) -> list[dict[str, Any]]:
    events = day_of_events(count)
    log = SQLiteLog(data_dir.parent / "seed.db", 16)
    await log.open()
    try:
        await archive(log, data_dir / "archive", events)
    finally:
        await log.close()
    return events


def _live(url: str, stop: threading.Event, sent: list[str]) -> None:
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=3)
    i = 0
    while not stop.is_set():
        ok, message = client.track(f"live-{i % 3}", "Live Event", {"i": i})
        assert ok
        sent.append(message["messageId"])
        i += 1
        stop.wait(0.02)


def _assert_per_user_order(events: list[dict[str, Any]], seeded: list[dict[str, Any]]) -> None:
    """Each user's replayed events arrive in archive order (first copies, for duplicates)."""
    ids = {e["messageId"] for e in seeded}
    first: dict[str, list[int]] = {}
    seen: set[str] = set()
    for event in events:
        if event["messageId"] in ids and event["messageId"] not in seen:
            seen.add(event["messageId"])
            first.setdefault(event["userId"], []).append(event["properties"]["seq"])
    assert first and all(seqs == sorted(seqs) for seqs in first.values())


async def test_replay_of_a_day_while_live_traffic_flows(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess], tmp_path: Path
) -> None:
    seeded = await _seed(tmp_path / "data", 240)
    config = config_text(receiver.url, batch_size=20, concurrency=1) + STORAGE
    server = await asyncio.to_thread(start_server, config)
    stop, live = threading.Event(), []
    sender = threading.Thread(target=_live, args=(server.url, stop, live))
    sender.start()
    try:
        done = await cli("replay", "--source", "web", *RANGE, "-d", "my-hook",
                         "--rate", "400/s", "--url", server.url)  # fmt: skip
    finally:
        stop.set()
        await asyncio.to_thread(sender.join)
    assert done.returncode == 0, done.stderr
    assert "done: 240 events, 240 delivery jobs queued" in done.stdout
    await wait_until(
        lambda: len(delivered_events(receiver.requests)) >= 240 + len(live), 20, "every event"
    )
    events = delivered_events(receiver.requests)
    counts = Counter(e["messageId"] for e in events)
    assert all(counts[e["messageId"]] == 1 for e in seeded)  # each replayed event once
    assert all(counts[mid] == 1 for mid in live) and live  # live traffic unaffected
    replayed = [e for e in events if e["messageId"] in {s["messageId"] for s in seeded}]
    assert all(e["integrations"] == {} for e in replayed)  # the stored event, untouched
    _assert_per_user_order(events, seeded)


async def test_a_replay_resumes_after_kill_9(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess], tmp_path: Path
) -> None:
    seeded = await _seed(tmp_path / "data", 150)
    config = config_text(receiver.url, concurrency=1) + STORAGE
    server = await asyncio.to_thread(start_server, config)
    started = await cli("replay", "--source", "web", *RANGE, "-d", "my-hook",
                        "--rate", "100/s", "--no-wait", "--json", "--url", server.url)  # fmt: skip
    assert started.returncode == 0, started.stderr
    replay_id = json.loads(started.stdout)["id"]

    def progress() -> dict[str, Any]:
        url = f"{server.url}/api/v1/replays/{replay_id}"
        data: dict[str, Any] = httpx.get(url, headers=server.headers).json()
        return data

    await wait_until(lambda: progress()["done"] >= 40, 10, "40 events replayed")
    await asyncio.to_thread(server.kill)
    await asyncio.to_thread(server.start)
    await wait_until(lambda: progress()["status"] == "done", 15, "the replay to finish")
    assert progress()["done"] == progress()["queued"] == 150
    ids = {e["messageId"] for e in seeded}
    await wait_until(
        lambda: {e["messageId"] for e in delivered_events(receiver.requests)} >= ids,
        20,
        "every replayed event",
    )
    await asyncio.sleep(0.3)
    counts = Counter(e["messageId"] for e in delivered_events(receiver.requests))
    assert set(counts) == ids
    assert sum(counts.values()) - len(ids) <= 1  # one slot, batches of 1, one kill
    _assert_per_user_order(delivered_events(receiver.requests), seeded)
