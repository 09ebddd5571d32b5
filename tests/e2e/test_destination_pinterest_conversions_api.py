"""`eventyard serve` sends Segment purchases to a local Pinterest Conversions API: first
delivery, one delivery for an order sent by both browser and backend, consent suppression,
limited data processing for a limited region, a retry after a 429, and a dead letter for an
event Pinterest did not process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from destinations.ads.e2e_case import Scenario, run_scenario
from destinations.ads.events import sha
from destinations.ads.platforms import pinterest_settings
from e2e.server_process import ServerProcess
from fakes.common import json_answer
from fakes.pinterest_conversions_api import PinterestFake, pinterest_error

_FAILED = {
    "num_events_received": 1,
    "num_events_processed": 0,
    "events": [{"status": "failed", "error_message": "Invalid value", "warning_message": None}],
}


def _first(first: dict[str, Any]) -> None:
    assert (first["event_name"], first["action_source"]) == ("checkout", "web")
    assert first["user_data"]["em"] == [sha("ada@example.com")]
    assert first["user_data"]["click_id"] == "epik-1"
    assert first["custom_data"]["value"] == "42.5"
    assert "opt_out_type" not in first["custom_data"]


def _limited(limited: dict[str, Any]) -> None:
    assert limited["custom_data"]["opt_out_type"] == "LDP"


def _retried(retried: dict[str, Any]) -> None:
    assert retried["action_source"] == "offline"


async def test_pinterest_conversions_end_to_end(
    start_server: Callable[[str], ServerProcess],
) -> None:
    async with PinterestFake() as fake:
        scenario = Scenario(
            fake=fake,
            kind="pinterest-conversions-api",
            settings=pinterest_settings(fake),
            first=_first,
            limited=_limited,
            retry=pinterest_error(429, 8, "Rate limit exceeded"),
            retried=_retried,
            refuse=json_answer(422, _FAILED),
        )
        await run_scenario(start_server, scenario)
