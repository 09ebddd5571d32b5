"""`eventyard serve` sends Segment purchases to a local TikTok Events API: first delivery,
one delivery for an order sent by both browser and backend, consent suppression, limited data
use for a limited region, a retry after throttling (40100), a dead letter for a bad token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from destinations.ads.e2e_case import Scenario, run_scenario
from destinations.ads.events import sha
from destinations.ads.platforms import tiktok_settings
from e2e.server_process import ServerProcess
from fakes.tiktok_events_api import TikTokFake, tiktok_answer


def _first(first: dict[str, Any]) -> None:
    assert first["event"] == "Purchase" and first["limited_data_use"] is False
    assert first["user"]["email"] == sha("ada@example.com")
    assert first["user"]["phone"] == sha("+16505551212")
    assert first["page"]["url"] == "https://shop.example/thanks"


def _limited(limited: dict[str, Any]) -> None:
    assert limited["limited_data_use"] is True


async def test_tiktok_events_end_to_end(start_server: Callable[[str], ServerProcess]) -> None:
    async with TikTokFake() as fake:
        revoked = tiktok_answer(40001, "Access token is incorrect or has been revoked.")
        scenario = Scenario(
            fake=fake,
            kind="tiktok-events-api",
            settings=tiktok_settings(fake),
            first=_first,
            limited=_limited,
            retry=tiktok_answer(40100, "Too many requests"),
            refuse=revoked,
        )
        await run_scenario(start_server, scenario)
