"""`sources[].schema.blocked_events`: the events a source blocks, in eventyard.yaml and through
the API, checked like every other key."""

from __future__ import annotations

import pytest

from control.api_world import World, api_world, assert_error
from eventyard.control.config import SourceSchema, parse_config
from eventyard.errors import ConfigError

__all__ = ["api_world"]


def test_the_yaml_key_is_read_and_checked() -> None:
    config = parse_config(
        "sources:\n  - name: web\n    write_key: wk\n"
        "    schema: {blocked_events: [Order Completed, identify]}\n"
    )
    assert config.sources[0].schema == SourceSchema(blocked_events=["Order Completed", "identify"])
    with pytest.raises(ConfigError, match=r"eventyard.yaml:4: sources\[0\].schema.blocked_events"):
        parse_config(
            "sources:\n  - name: web\n    write_key: wk\n    schema: {blocked_events: ['']}\n"
        )


async def test_the_api_sets_and_clears_blocked_events(api_world: World) -> None:
    body = {"write_key": "wk-web", "schema": {"blocked_events": ["Order Completed"]}}
    response = await api_world.call("PUT", "/api/v1/sources/web", "editor", json=body)
    assert response.status_code == 200
    assert response.json()["schema"] == {"blocked_events": ["Order Completed"]}
    [web] = [s for s in api_world.ctx.config.sources if s.name == "web"]
    assert web.schema == SourceSchema(blocked_events=["Order Completed"])

    typo = {"write_key": "wk-web", "schema": {"blocked": ["x"]}}
    refused = await api_world.call("PUT", "/api/v1/sources/web", "editor", json=typo)
    assert_error(refused, 400, "invalid_config", "blocked")

    cleared = await api_world.call(
        "PUT", "/api/v1/sources/web", "editor", json={"write_key": "wk-web"}
    )
    assert cleared.json().get("schema") is None
