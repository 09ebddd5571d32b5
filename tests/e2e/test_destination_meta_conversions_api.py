"""`eventyard serve` sends Segment purchases to a local Meta Conversions API: first delivery,
one delivery for an order sent by both browser and backend, consent suppression, Limited Data
Use for a limited region, a retry after a 503, and a dead letter for a refused event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from destinations.ads.e2e_case import Scenario, run_scenario
from destinations.ads.events import sha
from destinations.ads.platforms import meta_settings
from e2e.server_process import ServerProcess
from fakes.meta_conversions_api import MetaFake, graph_error
from fakes.webhook_receiver import Answer


def _first(first: dict[str, Any]) -> None:
    assert (first["event_name"], first["action_source"]) == ("Purchase", "website")
    assert first["user_data"]["em"] == [sha("ada@example.com")]
    assert first["user_data"]["fbp"] == "fb.1.1767000000000.1098115397"
    assert first["custom_data"] == first["custom_data"] | {"value": 42.5, "currency": "USD"}
    assert "data_processing_options" not in first


def _limited(limited: dict[str, Any]) -> None:
    assert limited["data_processing_options"] == ["LDU"]
    assert (
        limited["data_processing_options_country"],
        limited["data_processing_options_state"],
    ) == (1, 1000)


def _retried(retried: dict[str, Any]) -> None:
    assert retried["action_source"] == "other"  # a backend event without a page


async def test_meta_conversions_end_to_end(start_server: Callable[[str], ServerProcess]) -> None:
    async with MetaFake() as fake:
        scenario = Scenario(
            fake=fake,
            kind="meta-conversions-api",
            settings=meta_settings(fake),
            first=_first,
            limited=_limited,
            retry=Answer(503, {}, b"unavailable"),
            retried=_retried,
            refuse=graph_error(100, "Invalid parameter", 2804001),
        )
        await run_scenario(start_server, scenario)
