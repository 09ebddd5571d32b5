"""Configuration through the API: workspaces, sources, destinations. Changes apply to the
running configuration before the answer, are audited, stay inside the token's workspace,
never show a secret, and hostile input is refused with a message naming the problem."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from control.api_world import SECRET, World, api_world, assert_error, decoded, hook_doc
from eventyard.control.api_schemas import CreatedWorkspace, Workspace, WriteKey
from eventyard.control.config import DestinationConfig, SourceConfig

__all__ = ["api_world"]


def live_destination(world: World, name: str) -> DestinationConfig | None:
    return next((d for d in world.ctx.config.destinations if d.name == name), None)


def live_source(world: World, name: str) -> SourceConfig | None:
    return next((s for s in world.ctx.config.sources if s.name == name), None)


async def last_audit(world: World, who: str = "owner") -> dict[str, Any]:
    entries = (await world.call("GET", "/api/v1/audit", who, params={"limit": "1"})).json()
    entry: dict[str, Any] = entries[0]
    return entry


# -- workspaces


async def test_a_token_sees_its_own_workspace_and_role(api_world: World) -> None:
    response = await api_world.call("GET", "/api/v1/workspaces", "viewer")
    assert decoded(response, list[Workspace]) == [Workspace(name="default", role="viewer")]


async def test_an_owner_creates_a_workspace_and_gets_its_owner_token(api_world: World) -> None:
    response = await api_world.call("POST", "/api/v1/workspaces", json={"name": "eu-shop"})
    created = decoded(response, CreatedWorkspace, 201)
    assert created.name == "eu-shop" and created.token.startswith("ey_")
    headers = {"Authorization": f"Bearer {created.token}"}
    spaces = await api_world.call("GET", "/api/v1/workspaces", None, headers=headers)
    assert spaces.json() == [{"name": "eu-shop", "role": "owner"}]
    sources = await api_world.call("GET", "/api/v1/sources", None, headers=headers)
    assert sources.json() == []
    audit = await api_world.call("GET", "/api/v1/audit", None, headers=headers)
    assert {(e["action"], e["kind"]) for e in audit.json()} >= {("create", "workspace")}


@pytest.mark.parametrize(
    ("body", "status", "code", "word"),
    [
        ({"name": "default"}, 409, "workspace_exists", "default"),
        ({"name": "other"}, 409, "workspace_exists", "other"),
        ({"name": "../etc"}, 400, "invalid_config", "../etc"),
        ({"name": "has space"}, 400, "invalid_config", "has space"),
        ({"name": "x" * 65}, 400, "invalid_config", "xxxx"),
        ({"name": ""}, 400, "invalid_config", "workspace"),
        ({"name": 5}, 400, "invalid_json", "Expected `str`, got `int`"),
        ({}, 400, "invalid_json", "missing required field `name`"),
        ({"name": "ok", "token": "x"}, 400, "invalid_json", "token"),
    ],
)
async def test_creating_a_workspace_refuses_bad_names(
    api_world: World, body: dict[str, Any], status: int, code: str, word: str
) -> None:
    response = await api_world.call("POST", "/api/v1/workspaces", json=body)
    assert_error(response, status, code, word)


# -- sources


async def test_sources_are_listed_per_workspace(api_world: World) -> None:
    mine = await api_world.call("GET", "/api/v1/sources", "viewer")
    assert decoded(mine, list[SourceConfig]) == [SourceConfig(name="web", write_key="wk-web")]
    theirs = await api_world.call("GET", "/api/v1/sources", "other")
    assert [s["name"] for s in theirs.json()] == ["shop"]


async def test_a_created_source_takes_events_at_once_and_is_audited(api_world: World) -> None:
    response = await api_world.call("POST", "/api/v1/sources", "editor", json={"name": "app"})
    created = decoded(response, SourceConfig, 201)
    assert len(created.write_key) >= 24
    assert live_source(api_world, "app") == created
    assert api_world.ctx.config.source_by_key()[created.write_key].name == "app"
    entry = await last_audit(api_world)
    assert (entry["actor"], entry["action"], entry["kind"], entry["name"]) == (
        "token:editor", "create", "source", "app",
    )  # fmt: skip
    assert entry["before"] is None and entry["after"]["name"] == "app"


async def test_put_replaces_a_source_and_the_old_write_key_stops(api_world: World) -> None:
    response = await api_world.call(
        "PUT", "/api/v1/sources/web", "editor", json={"write_key": "wk-2"}
    )
    assert decoded(response, SourceConfig) == SourceConfig(name="web", write_key="wk-2")
    keys = api_world.ctx.config.source_by_key()
    assert "wk-2" in keys and "wk-web" not in keys
    assert (await api_world.call("GET", "/api/v1/sources/web")).json()["write_key"] == "wk-2"


async def test_put_creates_a_source_the_workspace_does_not_have(api_world: World) -> None:
    response = await api_world.call("PUT", "/api/v1/sources/ios", "editor", json={})
    assert response.status_code == 200
    assert live_source(api_world, "ios") is not None


async def test_rotating_a_write_key_replaces_it_at_once(api_world: World) -> None:
    response = await api_world.call("POST", "/api/v1/sources/web/rotate-key", "editor")
    key = decoded(response, WriteKey).write_key
    assert key != "wk-web"
    keys = api_world.ctx.config.source_by_key()
    assert keys[key].name == "web" and "wk-web" not in keys
    assert (await last_audit(api_world))["action"] == "rotate_write_key"


async def test_a_source_in_use_cannot_be_deleted(api_world: World) -> None:
    response = await api_world.call("DELETE", "/api/v1/sources/web", "editor")
    assert_error(response, 400, "invalid_config", "a, b", "remove it from their sources first")
    assert live_source(api_world, "web") is not None


async def test_deleting_a_source_removes_it_from_the_running_config(api_world: World) -> None:
    for name in ("a", "b"):
        assert (await api_world.call("DELETE", f"/api/v1/destinations/{name}")).status_code == 204
    response = await api_world.call("DELETE", "/api/v1/sources/web", "editor")
    assert response.status_code == 204 and response.content == b""
    assert live_source(api_world, "web") is None
    assert_error(await api_world.call("DELETE", "/api/v1/sources/web"), 404, "unknown_source")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/sources/shop"),
        ("DELETE", "/api/v1/sources/shop"),
        ("POST", "/api/v1/sources/shop/rotate-key"),
        ("GET", "/api/v1/destinations/c"),
        ("PATCH", "/api/v1/destinations/c"),
        ("DELETE", "/api/v1/destinations/c"),
        ("POST", "/api/v1/destinations/c/test"),
    ],
)
async def test_another_workspace_objects_are_not_found(
    api_world: World, method: str, path: str
) -> None:
    before = await api_world.call("GET", "/api/v1/audit", "other")
    response = await api_world.call(method, path, "owner", json={"enabled": False})
    assert response.status_code == 404, response.text
    assert response.json()["code"] in ("unknown_source", "unknown_destination")
    assert "other" not in response.text
    assert (await api_world.call("GET", "/api/v1/audit", "other")).json() == before.json()
    assert live_destination(api_world, "c") is not None
    assert live_destination(api_world, "c").enabled  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/sources", {"name": "shop"}),
        ("PUT", "/api/v1/sources/shop", {}),
        ("POST", "/api/v1/destinations", hook_doc("c", "web")),
        ("PUT", "/api/v1/destinations/c", hook_doc("c", "web")),
    ],
)
async def test_a_name_another_workspace_uses_is_409_and_untouched(
    api_world: World, method: str, path: str, body: dict[str, Any]
) -> None:
    response = await api_world.call(method, path, "editor", json=body)
    assert_error(response, 409, response.json()["code"], "unique across workspaces")
    theirs = (await api_world.call("GET", "/api/v1/sources", "other")).json()
    assert theirs == [{"name": "shop", "write_key": "wk-shop"}]
    assert live_destination(api_world, "c").sources == ["shop"]  # type: ignore[union-attr]


async def test_post_of_an_existing_name_says_to_use_put(api_world: World) -> None:
    response = await api_world.call("POST", "/api/v1/sources", json={"name": "web"})
    assert_error(response, 409, "source_exists", "PUT")


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({"name": "x", "write_key": 5}, "invalid_config", ["write_key", "Expected `str`"]),
        ({"name": "x", "wrte_key": "k"}, "invalid_config", ["wrte_key"]),
        ({"name": "x", "write_key": "wk-shop"}, "invalid_config", ["write_key"]),
        ({"name": "../../etc/passwd"}, "invalid_config", ["../../etc/passwd"]),
        ({"name": "a b"}, "invalid_config", ["a b"]),
        ({"name": "é"}, "invalid_config", ["é"]),
        ({"name": "n" * 65}, "invalid_config", ["nnnn"]),
        ({"name": 7}, "invalid_config", ["name"]),
        ({"write_key": "k"}, "invalid_config", ["name"]),
    ],
)
async def test_a_bad_source_is_refused_naming_the_key(
    api_world: World, body: dict[str, Any], code: str, words: list[str]
) -> None:
    response = await api_world.call("POST", "/api/v1/sources", "editor", json=body)
    assert_error(response, 400, code, *words)
    assert [s.name for s in api_world.ctx.config.sources] == ["web", "shop"]


async def test_put_refuses_a_body_that_names_another_object(api_world: World) -> None:
    response = await api_world.call("PUT", "/api/v1/sources/web", json={"name": "mobile"})
    assert_error(response, 400, "name_mismatch", "'mobile'", "'web'", "renamed")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sources/..%2F..%2Fetc",
        "/api/v1/sources/%2e%2e",
        "/api/v1/sources/web%00",
        "/api/v1/sources/" + "x" * 5000,
        "/api/v1/sources/%F0%9F%92%A9",
        "/api/v1/sources/web'%20OR%20'1'='1",
    ],
)
async def test_odd_names_in_paths_are_not_found(api_world: World, path: str) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = await api_world.call(method, path, "editor", json={})
        assert response.status_code == 404, response.text
        assert response.json()["code"] in ("unknown_source", "not_found")
    assert [s.name for s in api_world.ctx.config.sources] == ["web", "shop"]


# -- destinations


async def test_destinations_show_secrets_only_masked(api_world: World) -> None:
    listed = await api_world.call("GET", "/api/v1/destinations", "viewer")
    assert [d.name for d in decoded(listed, list[DestinationConfig])] == ["a", "b"]
    one = decoded(await api_world.call("GET", "/api/v1/destinations/a"), DestinationConfig)
    assert one.settings == {"url": "http://127.0.0.1:9/a", "shared_secret": "********"}
    assert SECRET not in listed.text
    assert live_destination(api_world, "a").settings["shared_secret"] == SECRET  # type: ignore[union-attr]


async def test_a_created_destination_runs_with_its_secret_but_shows_the_mask(
    api_world: World,
) -> None:
    doc = hook_doc("d", "web") | {
        "settings": {"url": "http://127.0.0.1:9/d", "shared_secret": "s2"}
    }
    response = await api_world.call("POST", "/api/v1/destinations", "editor", json=doc)
    created = decoded(response, DestinationConfig, 201)
    assert created.settings["shared_secret"] == "********"
    running = live_destination(api_world, "d")
    assert running is not None and running.settings["shared_secret"] == "s2"
    entry = await last_audit(api_world)
    assert entry["after"]["settings"]["shared_secret"] == "********"
    assert "s2" not in orjson.dumps(entry).decode()


async def test_patch_disables_a_destination_at_once_keeping_its_secret(api_world: World) -> None:
    response = await api_world.call(
        "PATCH", "/api/v1/destinations/a", "editor", json={"enabled": False}
    )
    assert decoded(response, DestinationConfig).enabled is False
    running = live_destination(api_world, "a")
    assert running is not None and running.enabled is False
    assert running.settings["shared_secret"] == SECRET
    entry = await last_audit(api_world)
    assert (entry["action"], entry["before"].get("enabled", True), entry["after"]["enabled"]) == (
        "update", True, False,
    )  # fmt: skip


async def test_put_with_the_mask_keeps_the_secret_and_a_new_value_replaces_it(
    api_world: World,
) -> None:
    shown = (await api_world.call("GET", "/api/v1/destinations/a")).json()
    shown["settings"]["batch_size"] = 5
    assert (await api_world.call("PUT", "/api/v1/destinations/a", json=shown)).status_code == 200
    running = live_destination(api_world, "a")
    assert running is not None and running.settings == {
        "url": "http://127.0.0.1:9/a", "shared_secret": SECRET, "batch_size": 5,
    }  # fmt: skip
    shown["settings"]["shared_secret"] = "rotated"
    await api_world.call("PUT", "/api/v1/destinations/a", json=shown)
    assert live_destination(api_world, "a").settings["shared_secret"] == "rotated"  # type: ignore[union-attr]


async def test_a_get_answer_put_back_changes_nothing(api_world: World) -> None:
    before = await api_world.call("GET", "/api/v1/audit")
    for kind, name in (("sources", "web"), ("destinations", "a")):
        shown = (await api_world.call("GET", f"/api/v1/{kind}/{name}")).json()
        again = await api_world.call("PUT", f"/api/v1/{kind}/{name}", json=shown)
        assert again.json() == shown
    assert (await api_world.call("GET", "/api/v1/audit")).json() == before.json()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"settings": {"url": 5}}, ["destinations.a.settings.url", "Expected `str`, got `int`"]),
        ({"settings": {"url": "http://x", "sekret": 1}}, ["settings.sekret"]),
        ({"settings": {}}, ["settings", "url"]),
        ({"sources": ["shop"]}, ["shop"]),
        ({"sources": ["nope"]}, ["nope"]),
        ({"type": "no-such-type"}, ["no-such-type"]),
        ({"filter": "type = "}, ["filter"]),
        ({"enabled": "yes"}, ["enabled", "Expected `bool`"]),
        ({"delivery": {"timeout": "soon"}}, ["delivery.timeout"]),
        ({"mode": "dry"}, ["mode"]),
        ({"colour": "blue"}, ["colour"]),
        ({"actions": {"send": {"mapping": {"data": {"@nope": 1}}}}}, ["actions"]),
    ],
)
async def test_a_bad_destination_change_is_400_naming_the_key_and_not_applied(
    api_world: World, change: dict[str, Any], words: list[str]
) -> None:
    response = await api_world.call("PATCH", "/api/v1/destinations/a", "editor", json=change)
    assert_error(response, 400, "invalid_config", *words)
    running = live_destination(api_world, "a")
    assert running is not None and running.enabled and running.type == "webhook"
    assert running.settings["url"] == "http://127.0.0.1:9/a"


async def test_patch_cannot_rename(api_world: World) -> None:
    response = await api_world.call("PATCH", "/api/v1/destinations/a", json={"name": "z"})
    assert_error(response, 400, "name_mismatch", "'z'")


async def test_deleting_a_destination_stops_it_at_once(api_world: World) -> None:
    response = await api_world.call("DELETE", "/api/v1/destinations/b", "editor")
    assert response.status_code == 204
    assert live_destination(api_world, "b") is None
    entry = await last_audit(api_world)
    assert (entry["action"], entry["name"], entry["after"]) == ("delete", "b", None)
    assert entry["before"]["settings"]["shared_secret"] == "********"


async def test_a_type_without_a_connection_test_says_so(api_world: World) -> None:
    response = await api_world.call("POST", "/api/v1/destinations/a/test", "editor")
    assert_error(response, 400, "not_supported", "'webhook'")


# -- hostile bodies, for every endpoint that reads one


_WRITES = [
    ("POST", "/api/v1/sources"),
    ("PUT", "/api/v1/sources/web"),
    ("POST", "/api/v1/destinations"),
    ("PUT", "/api/v1/destinations/a"),
    ("PATCH", "/api/v1/destinations/a"),
    ("POST", "/api/v1/workspaces"),
]


@pytest.mark.parametrize(("method", "path"), _WRITES)
@pytest.mark.parametrize(
    ("body", "status", "code", "word"),
    [
        (b"", 400, "invalid_json", "JSON"),
        (b"{not json", 400, "invalid_json", "JSON"),
        (b"[]", 400, "invalid_json", "object"),
        (b"null", 400, "invalid_json", "object"),
        (b'"name"', 400, "invalid_json", "object"),
        (b"\xff\xfe{}", 400, "invalid_json", "UTF-8"),
        (b"[" * 5000 + b"]" * 5000, 400, "invalid_json", "nested too deeply"),
        (b'{"name": "' + b"x" * 1_000_000 + b'"}', 413, "payload_too_large", "1000000"),
    ],
)
async def test_hostile_bodies_are_refused_before_anything_changes(
    api_world: World, method: str, path: str, body: bytes, status: int, code: str, word: str
) -> None:
    response = await api_world.call(method, path, content=body)
    assert_error(response, status, code, word)
    assert [d.name for d in api_world.ctx.config.destinations] == ["a", "b", "c"]


async def test_a_lying_content_length_is_still_bounded(api_world: World) -> None:
    async def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 100_000

    response = await api_world.call(
        "POST", "/api/v1/sources", content=chunks(), headers={"Content-Length": "10"}
    )
    assert response.status_code in (400, 413)


async def test_deeply_nested_settings_are_refused(api_world: World) -> None:
    nested: Any = "x"
    for _ in range(200):
        nested = {"k": nested}
    response = await api_world.call(
        "PATCH", "/api/v1/destinations/a", json={"settings": {"url": "http://x", "headers": nested}}
    )
    assert_error(response, 400, "invalid_config", "headers")


async def test_a_form_post_is_not_json(api_world: World) -> None:
    response = await api_world.call("POST", "/api/v1/sources", data={"name": "x"})
    assert_error(response, 400, "invalid_json")
