"""`GET /api/v1/deadletters` searched by event, error and time, and paged by id."""

from __future__ import annotations

import pytest

from control.api_world import World, api_world, assert_error
from control.test_api import T0, seed_dead
from control.test_api_openapi import document

__all__ = ["api_world"]


async def seed(world: World) -> None:
    await seed_dead(world.ctx.state, "a", "m1", T0, b'{"event": "Order Completed"}')
    await seed_dead(world.ctx.state, "b", "m2", T0 + 60, b'{"event": "Signed Up"}')
    await seed_dead(world.ctx.state, "a", "m3", T0 + 120, b'{"event": "order completed"}')


async def ids(world: World, **params: str) -> list[str]:
    response = await world.call("GET", "/api/v1/deadletters", params=params)
    assert response.status_code == 200, response.text
    return [letter["messageId"] for letter in response.json()]


async def test_letters_are_found_by_event_error_and_time(api_world: World) -> None:
    await seed(api_world)
    assert await ids(api_world, event="ORDER COMPLETED") == ["m3", "m1"]
    assert await ids(api_world, event="m2") == ["m2"]
    assert await ids(api_world, error="http 400") == ["m3", "m2", "m1"]
    assert await ids(api_world, error="timeout") == []
    assert await ids(api_world, since="2024-05-01T12:01:00Z") == ["m3", "m2"]
    assert await ids(api_world, until="2024-05-01T14:01:01+02:00") == ["m2", "m1"]
    assert await ids(api_world, event="order", destination="a", limit="1") == ["m3"]


async def test_pages_follow_the_last_id(api_world: World) -> None:
    await seed(api_world)
    response = await api_world.call("GET", "/api/v1/deadletters", params={"limit": "2"})
    first = response.json()
    assert [x["messageId"] for x in first] == ["m3", "m2"]
    assert await ids(api_world, limit="2", before=str(first[-1]["id"])) == ["m1"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"since": "yesterday"}, "invalid_since"),
        ({"until": "2024-13-01"}, "invalid_until"),
        ({"before": "-1"}, "invalid_before"),
        ({"event": "x" * 201}, "invalid_event"),
    ],
)
async def test_a_bad_search_is_refused(api_world: World, params: dict[str, str], code: str) -> None:
    response = await api_world.call("GET", "/api/v1/deadletters", params=params)
    assert_error(response, 400, code)


async def test_the_search_is_in_the_openapi_document(api_world: World) -> None:
    operation = (await document(api_world))["paths"]["/api/v1/deadletters"]["get"]
    named = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert {"event", "error", "since", "until", "before"} <= named
