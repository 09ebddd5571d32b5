"""`eventyard serve` sends Segment purchases to a local Snapchat Conversions API: first
delivery, one delivery for an order sent by both browser and backend, consent suppression,
Limited Data Use for a limited region, a retry after a 500, a dead letter for an INVALID event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from destinations.ads.e2e_case import Scenario, run_scenario
from destinations.ads.events import sha
from destinations.ads.platforms import snap_settings
from e2e.server_process import ServerProcess
from fakes.snapchat_conversions_api import SnapFake, invalid_answer
from fakes.webhook_receiver import Answer


def _first(first: dict[str, Any]) -> None:
    assert (first["event_name"], first["action_source"]) == ("PURCHASE", "WEB")
    assert first["user_data"]["em"] == [sha("ada@example.com")]
    assert first["user_data"]["ph"] == [sha("16505551212")]


def _limited(limited: dict[str, Any]) -> None:
    assert limited["data_processing_options"] == ["LDU"]


def _retried(retried: dict[str, Any]) -> None:
    assert retried["action_source"] == "OFFLINE"


async def test_snap_conversions_end_to_end(start_server: Callable[[str], ServerProcess]) -> None:
    async with SnapFake() as fake:
        scenario = Scenario(
            fake=fake,
            kind="snapchat-conversions-api",
            settings=snap_settings(fake),
            first=_first,
            limited=_limited,
            retry=Answer(500, {}, b"oops"),
            retried=_retried,
            refuse=invalid_answer("Invalid event_time", index=0),
        )
        await run_scenario(start_server, scenario)
