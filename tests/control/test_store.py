"""The config store accepts exactly what eventyard.yaml accepts, names the bad key, keeps
secrets encrypted and masked, and refuses hostile input with a clear ConfigError."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import orjson
import pytest

from eventyard.control import audit, store
from eventyard.control.secrets import KEY_ENV, SECRET_MASK, SecretBox
from eventyard.delivery.state import StateStore
from eventyard.destinations import registry
from eventyard.destinations.base import Secret
from eventyard.destinations.webhook import definition as webhook
from eventyard.errors import ConfigError

T = TypeVar("T")
SECRET = "whsec-plaintext-4417"


@pytest.fixture
async def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[StateStore]:
    monkeypatch.delenv(KEY_ENV, raising=False)
    state = StateStore(tmp_path / "state.db")
    await state.open()
    await state.run(store.ensure_schema)
    yield state
    await state.close()


@pytest.fixture
def box(tmp_path: Path) -> SecretBox:
    return SecretBox.load(tmp_path)


def hook(name: str = "hook", **extra: Any) -> dict[str, Any]:
    settings = {"url": "https://example.com/in", "shared_secret": SECRET}
    return {"name": name, "type": "webhook", "sources": ["web"], "settings": settings} | extra


def database_files(directory: Path) -> list[Path]:
    return list(directory.glob("state.db*"))


async def put(
    state: StateStore, box: SecretBox, kind: str, doc: Any, workspace: str = "default"
) -> store.StoredObject:
    return await state.run(lambda c: store.put_object(c, box, kind, workspace, doc, "user:t"))


async def refused(state: StateStore, fn: Callable[[sqlite3.Connection], T], *parts: str) -> str:
    with pytest.raises(ConfigError) as caught:
        await state.run(fn)
    message = str(caught.value)
    for part in parts:
        assert part in message, message
    return message


async def with_web(state: StateStore, box: SecretBox) -> None:
    await put(state, box, "source", {"name": "web", "write_key": "wk_web"})


async def test_objects_round_trip_in_canonical_form(state: StateStore, box: SecretBox) -> None:
    await with_web(state, box)
    stored = await put(state, box, "destination", hook(delivery={"timeout": 0.5, "max_age": 7200}))
    assert stored.doc == {
        "name": "hook",
        "type": "webhook",
        "sources": ["web"],
        "settings": {"url": "https://example.com/in", "shared_secret": SECRET_MASK},
        "delivery": {"timeout": "500ms", "max_age": "2h"},
    }
    got = await state.run(lambda c: store.get_object(c, "destination", "default", "hook"))
    assert got == stored
    listed = await state.run(lambda c: store.list_objects(c, "destination", "default"))
    assert listed == [stored]
    assert await state.run(lambda c: store.get_object(c, "destination", "other", "hook")) is None


async def test_a_source_without_write_key_gets_one_and_keeps_it(
    state: StateStore, box: SecretBox
) -> None:
    first = await put(state, box, "source", {"name": "app"})
    key = first.doc["write_key"]
    assert len(key) >= 32
    again = await put(state, box, "source", {"name": "app", "webhook_secret": "whs-1234"})
    assert again.doc["write_key"] == key


async def test_runtime_objects_have_the_secrets_decrypted(
    state: StateStore, box: SecretBox
) -> None:
    await put(state, box, "source", {"name": "web", "write_key": "wk", "webhook_secret": SECRET})
    await put(state, box, "destination", hook())
    sources, destinations = await state.run(lambda c: store.runtime_objects(c, box))
    assert sources[0].webhook_secret == SECRET
    assert destinations[0].settings["shared_secret"] == SECRET


async def test_the_mask_keeps_the_stored_secret_and_a_new_value_replaces_it(
    state: StateStore, box: SecretBox
) -> None:
    await with_web(state, box)
    await put(state, box, "destination", hook())
    version = await state.run(store.config_version)
    masked = hook()
    masked["settings"]["shared_secret"] = SECRET_MASK
    await put(state, box, "destination", masked)
    assert await state.run(store.config_version) == version  # nothing changed
    _, (dest,) = await state.run(lambda c: store.runtime_objects(c, box))
    assert dest.settings["shared_secret"] == SECRET
    changed = hook()
    changed["settings"]["shared_secret"] = "a-new-secret-value"
    await put(state, box, "destination", changed)
    _, (dest,) = await state.run(lambda c: store.runtime_objects(c, box))
    assert dest.settings["shared_secret"] == "a-new-secret-value"
    assert await state.run(store.config_version) == version + 1


async def test_a_mask_with_nothing_stored_is_refused(state: StateStore, box: SecretBox) -> None:
    await with_web(state, box)
    doc = hook()
    doc["settings"]["shared_secret"] = SECRET_MASK
    await refused(
        state,
        lambda c: store.put_object(c, box, "destination", "default", doc, "t"),
        "destinations.hook.settings.shared_secret: the value is masked",
    )


async def test_secret_maps_are_masked_per_value(state: StateStore, box: SecretBox) -> None:
    """http_request's headers are `dict[str, Secret]`: names stay readable, values do not."""
    await with_web(state, box)
    settings = {"headers": {"Authorization": "Bearer tok-9876"}}
    doc = {"name": "req", "type": "http_request", "sources": ["web"], "settings": settings}
    stored = await put(state, box, "destination", doc)
    assert stored.doc["settings"]["headers"] == {"Authorization": SECRET_MASK}
    _, (dest,) = await state.run(lambda c: store.runtime_objects(c, box))
    assert dest.settings["headers"] == {"Authorization": "Bearer tok-9876"}


async def test_plaintext_secrets_are_nowhere_in_the_database_files(
    state: StateStore, box: SecretBox, tmp_path: Path
) -> None:
    await put(state, box, "source", {"name": "web", "write_key": "wk", "webhook_secret": SECRET})
    await put(state, box, "destination", hook())
    changed = hook()
    changed["settings"]["shared_secret"] = SECRET + "-v2"
    await put(state, box, "destination", changed)
    entries = await state.run(lambda c: audit.list_entries(c, "default"))
    assert len(entries) == 3
    assert SECRET not in orjson.dumps([dataclasses.asdict(e) for e in entries]).decode()
    await state.close()
    assert not any(SECRET.encode() in path.read_bytes() for path in database_files(tmp_path))


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (hook(settings={"url": 5}), "destinations.hook.settings.url: Expected `str`, got `int`"),
        (hook(settingz={}), "destinations.hook.settingz: unknown key"),
        (hook(type="nope"), "destinations.hook.type: unknown destination type 'nope'"),
        (hook(filter="type ="), "destinations.hook.filter:"),
        (hook(settings={"url": "ftp://x"}), "destinations.hook.settings: url 'ftp://x' must be"),
        (hook(delivery={"timeout": "soon"}), "destinations.hook.delivery.timeout: invalid"),
        (
            hook(actions={"send": {"mapping": {"data": {"@nope": 1}}}}),
            "destinations.hook.actions.send.mapping.data",
        ),
        (hook(sources=["ghost"]), "destinations.hook.sources[0]: no source named 'ghost'"),
        (hook(sources="web"), "destinations.hook.sources: Expected `array`, got `str`"),
    ],
)
async def test_invalid_destinations_name_the_key(
    state: StateStore, box: SecretBox, doc: dict[str, Any], expected: str
) -> None:
    await with_web(state, box)
    message = await refused(
        state, lambda c: store.put_object(c, box, "destination", "default", doc, "t"), expected
    )
    assert SECRET not in message
    assert await state.run(lambda c: store.list_objects(c, "destination", "default")) == []


async def test_a_refused_put_changes_nothing(state: StateStore, box: SecretBox) -> None:
    await with_web(state, box)
    version = await state.run(store.config_version)
    await refused(
        state,
        lambda c: store.put_object(c, box, "destination", "default", hook(sources=["x"]), "t"),
        "no source named 'x'",
    )
    assert await state.run(store.config_version) == version
    assert len(await state.run(lambda c: audit.list_entries(c, "default"))) == 1


class _ChattySettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    api_key: Secret
    region: str = "eu"

    def __post_init__(self) -> None:
        if self.region not in ("eu", "us"):
            raise ValueError(f"key {self.api_key} has no region {self.region!r}")


@pytest.fixture
def chatty() -> Iterator[None]:
    """A plugin whose settings error quotes its secret: eventyard must mask it anyway."""
    with registry.registered(dataclasses.replace(webhook, slug="chatty", settings=_ChattySettings)):
        yield


@pytest.mark.usefixtures("chatty")
async def test_errors_never_quote_a_secret(state: StateStore, box: SecretBox) -> None:
    await with_web(state, box)
    settings = {"api_key": SECRET, "region": "mars"}
    doc = {"name": "c", "type": "chatty", "sources": ["web"], "settings": settings}
    message = await refused(
        state,
        lambda c: store.put_object(c, box, "destination", "default", doc, "t"),
        f"key {SECRET_MASK} has no region 'mars'",
    )
    assert SECRET not in message


async def test_names_are_unique_per_kind_across_workspaces(
    state: StateStore, box: SecretBox
) -> None:
    await with_web(state, box)
    await state.run(lambda c: store.create_workspace(c, "acme", "t"))
    await refused(
        state,
        lambda c: store.put_object(
            c, box, "source", "acme", {"name": "web", "write_key": "k"}, "t"
        ),
        "sources.web: a source named 'web' exists in another workspace",
    )
    await put(state, box, "destination", hook(name="web"))  # another kind may share it


async def test_write_keys_are_unique_across_workspaces(state: StateStore, box: SecretBox) -> None:
    await with_web(state, box)
    await state.run(lambda c: store.create_workspace(c, "acme", "t"))
    await refused(
        state,
        lambda c: store.put_object(
            c, box, "source", "acme", {"name": "app", "write_key": "wk_web"}, "t"
        ),
        "sources.app.write_key: this write key is taken",
    )


async def test_destinations_only_name_sources_of_their_own_workspace(
    state: StateStore, box: SecretBox
) -> None:
    await with_web(state, box)
    await state.run(lambda c: store.create_workspace(c, "acme", "t"))
    message = await refused(
        state,
        lambda c: store.put_object(c, box, "destination", "acme", hook(), "t"),
        "destinations.hook.sources[0]: no source named 'web' in workspace 'acme'",
        "known sources: none",
    )
    assert "wk_web" not in message


@pytest.mark.parametrize(
    "name", ["", "a b", "x" * 65, "../etc", "naïve", "a/b", "<script>", None, 5, ["web"]]
)
async def test_odd_names_are_refused(state: StateStore, box: SecretBox, name: object) -> None:
    await refused(
        state,
        lambda c: store.put_object(c, box, "source", "default", {"name": name}, "t"),
        "sources.name:",
        "is not a valid name; use 1 to 64 letters, digits, _ . -",
    )


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "..//", "ws\n"])
async def test_odd_workspace_names_are_refused(state: StateStore, name: str) -> None:
    await refused(state, lambda c: store.create_workspace(c, name, "t"), "workspace:")


async def test_workspaces(state: StateStore, box: SecretBox) -> None:
    assert await state.run(store.list_workspaces) == ["default"]
    await state.run(lambda c: store.create_workspace(c, "acme", "user:a@b.c"))
    assert await state.run(store.list_workspaces) == ["acme", "default"]
    await refused(state, lambda c: store.create_workspace(c, "acme", "t"), "already exists")
    await refused(
        state,
        lambda c: store.put_object(c, box, "source", "nope", {"name": "web"}, "t"),
        "no workspace named 'nope'; workspaces: acme, default",
    )


@pytest.mark.parametrize("kind", ["audience", "", "Source", "sources", "source\x00"])
async def test_unknown_kinds_are_refused(state: StateStore, box: SecretBox, kind: str) -> None:
    await refused(
        state,
        lambda c: store.put_object(c, box, kind, "default", {"name": "x"}, "t"),
        f"unknown kind {kind!r}; kinds: destination, source, tracking_plan, transformation",
    )
    await refused(state, lambda c: store.list_objects(c, kind, "default"), "unknown kind")


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"name": "web", "write_key": "k", "x": "y" * 300_000}, "bytes; at most 256000"),
        ("a string", "a source must be a mapping"),
        ([{"name": "web"}], "a source must be a mapping"),
        ({"name": "web", "write_key": 2**70}, "not JSON data"),
    ],
)
async def test_hostile_documents_are_refused(
    state: StateStore, box: SecretBox, doc: Any, expected: str
) -> None:
    await refused(
        state, lambda c: store.put_object(c, box, "source", "default", doc, "t"), expected
    )


async def test_deeply_nested_documents_are_refused(state: StateStore, box: SecretBox) -> None:
    await with_web(state, box)
    deep: Any = "x"
    for _ in range(300):
        deep = {"a": deep}
    doc = hook(settings={"url": "https://e.com", "shared_secret": deep})
    await refused(
        state, lambda c: store.put_object(c, box, "destination", "default", doc, "t"), "not JSON"
    )


async def test_deleting(state: StateStore, box: SecretBox) -> None:
    await with_web(state, box)
    await put(state, box, "destination", hook())
    await refused(
        state,
        lambda c: store.delete_object(c, "source", "default", "web", "t"),
        "sources.web: destinations hook send from this source; remove it from their sources",
    )
    assert not await state.run(lambda c: store.delete_object(c, "destination", "acme", "hook", "t"))
    assert await state.run(lambda c: store.delete_object(c, "destination", "default", "hook", "t"))
    assert await state.run(lambda c: store.delete_object(c, "source", "default", "web", "t"))
    assert not await state.run(lambda c: store.delete_object(c, "source", "default", "web", "t"))
    entries = await state.run(lambda c: audit.list_entries(c, "default"))
    assert [(e.action, e.kind, e.after) for e in entries[:2]] == [
        ("delete", "source", None),
        ("delete", "destination", None),
    ]
    assert entries[1].before is not None
    assert entries[1].before["settings"]["shared_secret"] == SECRET_MASK


async def test_every_change_bumps_the_version(state: StateStore, box: SecretBox) -> None:
    versions = [await state.run(store.config_version)]
    await with_web(state, box)
    versions.append(await state.run(store.config_version))
    await with_web(state, box)  # the same again: no change
    versions.append(await state.run(store.config_version))
    await state.run(lambda c: store.rotate_write_key(c, "default", "web", "t"))
    versions.append(await state.run(store.config_version))
    await state.run(lambda c: store.delete_object(c, "source", "default", "web", "t"))
    versions.append(await state.run(store.config_version))
    assert versions == [0, 1, 1, 2, 3]


async def test_rotating_a_write_key(state: StateStore, box: SecretBox) -> None:
    await with_web(state, box)
    key = await state.run(lambda c: store.rotate_write_key(c, "default", "web", "user:a@b.c"))
    assert key != "wk_web" and len(key) >= 32
    (source,), _ = await state.run(lambda c: store.runtime_objects(c, box))
    assert source.write_key == key
    (entry, *_) = await state.run(lambda c: audit.list_entries(c, "default"))
    assert (entry.action, entry.actor) == ("rotate_write_key", "user:a@b.c")
    assert entry.before is not None and entry.before["write_key"] == "wk_web"
    assert entry.after is not None and entry.after["write_key"] == key
    await refused(
        state,
        lambda c: store.rotate_write_key(c, "acme", "web", "t"),
        "no source named 'web' in workspace 'acme'",
    )


async def test_a_tampered_secret_fails_loudly_at_load(state: StateStore, box: SecretBox) -> None:
    await with_web(state, box)
    await put(state, box, "destination", hook())

    def tamper(conn: sqlite3.Connection) -> None:
        (sealed,) = conn.execute("SELECT secrets FROM objects WHERE name = 'hook'").fetchone()
        ((path, token),) = orjson.loads(sealed)
        damaged = orjson.dumps([[path, token[:-6] + "AAAAAA"]]).decode()
        conn.execute("UPDATE objects SET secrets = ? WHERE name = 'hook'", (damaged,))

    await state.run(tamper)
    await refused(state, lambda c: store.runtime_objects(c, box), "cannot be decrypted")


async def test_the_key_check_catches_a_wrong_key_before_any_secret_is_read(
    state: StateStore, box: SecretBox, tmp_path: Path
) -> None:
    await state.run(lambda c: store.verify_key(c, box))
    await state.run(lambda c: store.verify_key(c, box))  # the same key again: fine
    other = SecretBox.load(tmp_path / "elsewhere")
    await refused(state, lambda c: store.verify_key(c, other), "elsewhere/secret.key")


async def test_update_object_replaces_some_keys_and_none_removes_one(
    state: StateStore, box: SecretBox
) -> None:
    await put(state, box, "source", {"name": "web", "write_key": "wk_web", "webhook_secret": "s1"})

    def update(change: dict[str, Any]) -> Callable[[sqlite3.Connection], store.StoredObject]:
        return lambda c: store.update_object(c, box, "source", "default", "web", change, "t")

    saved = await state.run(update({"webhook_secret": None}))
    assert saved.doc == {"name": "web", "write_key": "wk_web"}
    saved = await state.run(update({"webhook_secret": "s2"}))
    assert saved.doc["webhook_secret"] == SECRET_MASK and saved.doc["write_key"] == "wk_web"
    await state.run(lambda c: store.delete_object(c, "source", "default", "web", "t"))
    await refused(state, update({"webhook_secret": "s3"}), "sources.web: it was deleted meanwhile")
