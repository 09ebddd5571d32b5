"""Kept secrets never follow a destination to a new address (issue 12.2).

An editor cannot read secrets, but may change settings. Were a masked secret kept while
the setting that decides where requests go changed, the next request (or the test button)
would carry the owner's credential to the editor's host. So such a change must set the
secrets again, for every type that holds one; other changes keep them.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from control.api_world import World, api_world, assert_error
from control.every_secret import MARKER, destination_doc, marked, secret_types, url_locations
from eventyard.control import store
from eventyard.control.documents import get_at, set_at
from eventyard.control.secrets import SECRET_MASK

__all__ = ["api_world"]

HOME, ELSEWHERE = "http://127.0.0.1:9", "http://127.0.0.1:8"


async def stored_secrets(world: World, name: str) -> dict[str, str]:
    """The destination's decrypted secrets by dotted path."""

    def read(conn: sqlite3.Connection) -> dict[str, str]:
        found = store.reveal_object(conn, world.ctx.plane.box, "destination", name)
        assert found is not None
        return {".".join(map(str, path)): value for path, value in found.secrets.items()}

    return await world.ctx.plane.read(read)


def moved(doc: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    """`doc` with the location at `path` pointing at ELSEWHERE (a Slack url keeps its path)."""
    current = get_at(doc, path)
    target = ELSEWHERE if current in (None, HOME) else current.replace(HOME, ELSEWHERE)
    if path[0] == "settings":
        return set_at(doc, path, target)
    actions = {**doc.get("actions", {})}
    action = actions.setdefault(path[1], {"mapping": {}})
    actions[path[1]] = {**action, "mapping": {**action.get("mapping", {}), "url": target}}
    return {**doc, "actions": actions}


def top_level(doc: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    """The PATCH body changing the top-level key that holds `path`."""
    return {str(path[0]): doc[str(path[0])]}


@pytest.mark.parametrize("slug", secret_types())
async def test_moving_a_destination_needs_its_secrets_again(api_world: World, slug: str) -> None:
    world = api_world
    doc = destination_doc(slug, "d", "web", HOME)
    secrets = marked(doc)
    created = await world.call("POST", "/api/v1/destinations", json=doc)
    assert created.status_code == 201, created.text
    masked = created.json()
    assert MARKER not in created.text
    original = await stored_secrets(world, "d")
    assert sorted(original) == sorted(secrets)

    for path in url_locations(slug):
        # The mask kept while the address changes: refused, naming every secret to set.
        where = ".".join(map(str, path))
        if where in secrets:  # Slack's url: the secret itself, so given again when changed
            continue
        change = top_level(moved(masked, path), path)
        answer = await world.call("PATCH", "/api/v1/destinations/d", "editor", json=change)
        assert_error(answer, 400, "invalid_config", f"destinations.d.{where} changed", "again")
        for secret in secrets:
            assert secret in answer.json()["message"]
        assert await stored_secrets(world, "d") == original

    # The same change with every secret given again is taken, with the new values.
    given = doc
    for path in url_locations(slug):
        given = moved(given, path)
    renewed = {key: given[key] for key in ("settings", "actions") if key in given}
    renewed = {k: _replace_marker(v) for k, v in renewed.items()}
    answer = await world.call("PATCH", "/api/v1/destinations/d", "editor", json=renewed)
    assert answer.status_code == 200, answer.text
    now = await stored_secrets(world, "d")
    assert sorted(now) == sorted(original)
    assert all("renewed" in value for value in now.values())


@pytest.mark.parametrize("slug", secret_types())
async def test_other_changes_keep_the_masked_secrets(api_world: World, slug: str) -> None:
    world = api_world
    created = await world.call(
        "POST", "/api/v1/destinations", json=destination_doc(slug, "d", "web", HOME)
    )
    masked = created.json()
    original = await stored_secrets(world, "d")
    change = {key: masked[key] for key in ("settings", "actions") if key in masked}
    answer = await world.call(
        "PATCH", "/api/v1/destinations/d", "editor", json={**change, "enabled": False}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["enabled"] is False
    assert await stored_secrets(world, "d") == original


async def test_a_non_location_setting_keeps_the_secret(api_world: World) -> None:
    """The issue's own case: Meta's `test_event_code` is no address, `api_base_url` is."""
    world = api_world
    doc = destination_doc("meta-conversions-api", "meta", "web", HOME)
    await world.call("POST", "/api/v1/destinations", json=doc)
    settings = {**doc["settings"], "access_token": SECRET_MASK, "test_event_code": "TEST123"}
    answer = await world.call(
        "PATCH", "/api/v1/destinations/meta", "editor", json={"settings": settings}
    )
    assert answer.status_code == 200, answer.text
    assert (await stored_secrets(world, "meta"))["settings.access_token"] == MARKER
    settings["api_base_url"] = "http://attacker.invalid"
    answer = await world.call(
        "PATCH", "/api/v1/destinations/meta", "editor", json={"settings": settings}
    )
    assert_error(
        answer,
        400,
        "invalid_config",
        "settings.api_base_url changed: set settings.access_token again "
        "(kept secrets are not sent to a new address)",
    )


def _replace_marker(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(MARKER, "renewed")
    if isinstance(value, dict):
        return {key: _replace_marker(item) for key, item in value.items()}
    return value
