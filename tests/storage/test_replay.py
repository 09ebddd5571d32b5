"""Replay in one process: archive -> chosen destinations' plans -> delivery jobs.

Crash safety is the cursor: each chunk's jobs and the cursor commit in one state
transaction, so a replay stopped anywhere (here: cancelled by a shutdown between chunks;
a kill -9 mid-transaction rolls both back) resumes after the last queued chunk and queues
each event exactly once per destination. The e2e test kills a real server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from eventyard.control.config import parse_config
from eventyard.delivery.state import StateStore, open_state
from eventyard.log.sqlite import SQLiteLog
from eventyard.storage.replay import ReplayService
from eventyard.storage.replay_request import ReplayRefused, parse_request
from eventyard.storage.replay_state import Replay
from storage.replay_helpers import CONFIG, DAY, archive, config, day_of_events, queued


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[StateStore]:
    store = await open_state(tmp_path / "state.db")
    try:
        yield store
    finally:
        await store.close()


def body(**overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "source": "web",
        "from": DAY.isoformat(),
        "to": (DAY + timedelta(days=1)).isoformat(),
        "destinations": ["hook-a"],
    }
    request.update(overrides)
    return request


async def wait_for(
    service: ReplayService, replay_id: str, done: Callable[[Replay], bool]
) -> Replay:
    """Poll the replay's progress until `done` holds (10 s at most)."""
    for _ in range(1000):
        current = await service.get(replay_id)
        assert current is not None
        if done(current):
            return current
        await asyncio.sleep(0.01)
    raise AssertionError(f"replay {replay_id} did not get there: {current}")


async def replay_until_done(service: ReplayService, request: dict[str, Any]) -> dict[str, Any]:
    stop = asyncio.Event()
    runner = asyncio.create_task(service.run(stop))
    replay = await service.start(parse_request(service.config, request))
    current = await wait_for(service, replay.id, lambda r: r.status != "running")
    stop.set()
    await runner
    return {"id": current.id, "status": current.status, "total": current.total,
            "done": current.done, "queued": current.queued}  # fmt: skip


async def test_replays_a_day_to_the_chosen_destination_only_in_per_user_order(
    event_log: SQLiteLog, state: StateStore, tmp_path: Path
) -> None:
    events = day_of_events(140)
    await archive(event_log, tmp_path / "archive", events)
    service = ReplayService(config(), state, str(tmp_path / "archive"), on_enqueued=lambda: None)
    await service.open()

    result = await replay_until_done(service, body())

    assert result["status"] == "done"
    assert result["total"] == result["done"] == result["queued"] == 140
    jobs = await queued(state, "hook-a")
    assert await queued(state, "hook-b") == []  # not chosen, though connected
    sent = [payload["data"] for _, payload in jobs]
    assert sorted(e["messageId"] for e in sent) == sorted(e["messageId"] for e in events)
    for user in {e["userId"] for e in events}:
        seqs = [e["properties"]["seq"] for e in sent if e["userId"] == user]
        assert seqs == sorted(seqs) == list(range(20))
    assert all(e["integrations"] == {} for e in sent)  # the stored event, untouched
    assert all(key == event["userId"] for (key, _), event in zip(jobs, sent, strict=True))

    def steps(conn: Any) -> list[tuple[str, str]]:
        return conn.execute("SELECT step, detail FROM trace").fetchall()

    trace = await state.run(steps)
    assert len(trace) == 140
    assert all(step == "queued" and detail.startswith(f"replay {result['id']}: queued for send")
               for step, detail in trace)  # fmt: skip


async def test_where_and_the_destination_filter_both_apply(
    event_log: SQLiteLog, state: StateStore, tmp_path: Path
) -> None:
    events = day_of_events(60)
    await archive(event_log, tmp_path / "archive", events)
    service = ReplayService(config(), state, str(tmp_path / "archive"), on_enqueued=lambda: None)
    await service.open()

    where = 'event = "Order Completed"'
    result = await replay_until_done(service, body(where=where, destinations=["hook-b"]))

    matching = [e for e in events if e["event"] == "Order Completed"]
    assert result["total"] == result["done"] == len(matching)
    kept = {e["messageId"] for e in matching if e["properties"]["revenue"] > 100}
    assert {p["data"]["messageId"] for _, p in await queued(state, "hook-b")} == kept
    assert result["queued"] == len(kept) < len(matching)


async def test_a_stopped_replay_resumes_from_its_cursor_without_queueing_twice(
    event_log: SQLiteLog, state: StateStore, tmp_path: Path
) -> None:
    events = day_of_events(100)
    await archive(event_log, tmp_path / "archive", events)
    root = str(tmp_path / "archive")
    first = ReplayService(config(), state, root, on_enqueued=lambda: None)
    await first.open()
    stop = asyncio.Event()
    runner = asyncio.create_task(first.run(stop))
    replay = await first.start(parse_request(first.config, body(rate=200)))  # chunks of 20
    await wait_for(first, replay.id, lambda r: r.done >= 40)
    stop.set()  # the server shuts down mid-replay
    await runner
    stopped = await first.get(replay.id)
    assert stopped is not None and stopped.status == "running" and 40 <= stopped.done < 100
    assert len(await queued(state, "hook-a")) == stopped.done

    second = ReplayService(config(), state, root, on_enqueued=lambda: None)
    stop = asyncio.Event()
    runner = asyncio.create_task(second.run(stop))  # resumes every unfinished replay
    current = await wait_for(second, replay.id, lambda r: r.status != "running")
    stop.set()
    await runner
    assert current.status == "done" and current.done == 100
    ids = [p["data"]["messageId"] for _, p in await queued(state, "hook-a")]
    assert len(ids) == len(set(ids)) == 100
    assert sorted(ids) == sorted(e["messageId"] for e in events)


async def test_the_rate_is_a_token_bucket_of_events_per_second(
    event_log: SQLiteLog, state: StateStore, tmp_path: Path
) -> None:
    await archive(event_log, tmp_path / "archive", day_of_events(60))
    service = ReplayService(config(), state, str(tmp_path / "archive"), on_enqueued=lambda: None)
    await service.open()
    started = time.monotonic()
    result = await replay_until_done(service, body(rate=100))
    # chunks of 10; the first is the bucket's burst, the other 50 events need >= 0.5 s
    assert result["done"] == 60 and time.monotonic() - started >= 0.45


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"source": "nope"}, "unknown_source"),
        ({"from": "yesterday"}, "invalid_from"),
        ({"to": DAY.isoformat()}, "invalid_range"),
        ({"destinations": []}, "invalid_destinations"),
        ({"destinations": ["hook-off"]}, "unknown_destination"),
        ({"destinations": ["missing"]}, "unknown_destination"),
        ({"where": "event = "}, "invalid_where"),
        ({"rate": 0}, "invalid_rate"),
        ({"rate": True}, "invalid_rate"),
        ({"speed": 5}, "invalid_json"),
    ],
)
def test_bad_requests_are_refused_with_a_code(overrides: dict[str, Any], code: str) -> None:
    with pytest.raises(ReplayRefused) as caught:
        parse_request(config(), body(**overrides))
    assert caught.value.code == code


async def test_a_tracking_plan_blocks_and_reshapes_replayed_events_as_it_did_live(
    event_log: SQLiteLog, state: StateStore, tmp_path: Path
) -> None:
    """The archive keeps events as received; a replay must not let a blocked event out."""
    events = day_of_events(30)
    await archive(event_log, tmp_path / "archive", events)
    planned = (
        CONFIG
        + """
tracking_plans:
  - name: shop
    sources: [web]
    events:
      "Order Completed": {type: object, properties: {revenue: {type: number}}}
    settings: {unplanned_events: block, unplanned_properties: omit}
"""
    )
    service = ReplayService(
        parse_config(planned), state, str(tmp_path / "archive"), on_enqueued=lambda: None
    )
    await service.open()

    result = await replay_until_done(service, body())

    orders = [e for e in events if e["event"] == "Order Completed"]
    assert result["done"] == 30 and result["queued"] == len(orders) < 30
    sent = [payload["data"] for _, payload in await queued(state, "hook-a")]
    assert {e["messageId"] for e in sent} == {e["messageId"] for e in orders}
    assert all(set(e["properties"]) == {"revenue"} for e in sent)  # "seq" was unplanned

    def blocked(conn: Any) -> list[tuple[str, str]]:
        query = "SELECT message_id, detail FROM trace WHERE step = 'blocked'"
        return conn.execute(query).fetchall()

    def counted(conn: Any) -> list[tuple[str, int]]:
        query = "SELECT reason, count FROM trace_counts WHERE step = 'blocked'"
        return conn.execute(query).fetchall()

    carts = {e["messageId"] for e in events if e["event"] == "Cart Viewed"}
    rows = await state.run(blocked)
    assert {mid for mid, _ in rows} == carts
    assert all("unplanned_event" in detail for _, detail in rows)
    assert await state.run(counted) == [("unplanned_event", len(carts))]
