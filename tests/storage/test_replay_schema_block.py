"""A replay drops the events the source blocks (`sources[].schema.blocked_events`) as the
router did live: the archive keeps them, the destinations never get them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eventyard.control.config import parse_config
from eventyard.delivery.state import StateStore
from eventyard.log.sqlite import SQLiteLog
from eventyard.storage.replay import ReplayService
from storage.replay_helpers import CONFIG, archive, day_of_events, queued
from storage.test_replay import body, replay_until_done, state

__all__ = ["state"]


async def test_a_replay_skips_blocked_events_with_a_trace_step(
    event_log: SQLiteLog, state: StateStore, tmp_path: Path
) -> None:
    events = day_of_events(12)
    await archive(event_log, tmp_path / "archive", events)
    blocking = CONFIG.replace(
        "{name: web, write_key: k1}",
        "{name: web, write_key: k1, schema: {blocked_events: [Cart Viewed]}}",
    )
    service = ReplayService(
        parse_config(blocking), state, str(tmp_path / "archive"), on_enqueued=lambda: None
    )
    await service.open()

    result = await replay_until_done(service, body())

    carts = {e["messageId"] for e in events if e["event"] == "Cart Viewed"}
    assert result["done"] == 12 and result["queued"] == 12 - len(carts)
    sent = {payload["data"]["messageId"] for _, payload in await queued(state, "hook-a")}
    assert not sent & carts

    def blocked(conn: Any) -> list[tuple[str, str]]:
        return conn.execute(
            "SELECT message_id, detail FROM trace WHERE step = 'blocked'"
        ).fetchall()

    rows = await state.run(blocked)
    assert {mid for mid, _ in rows} == carts
    assert all("blocked by schema: source 'web' blocks 'Cart Viewed'" in d for _, d in rows)
