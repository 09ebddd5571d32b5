"""The control plane keeps the running configuration in step with state.db: its own changes
apply before it answers, another process's within a poll, and a bad read never stops it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from eventyard.control import accounts, store
from eventyard.control.config import Config, parse_config
from eventyard.control.plane import ControlPlane
from eventyard.control.secrets import KEY_ENV, SecretBox
from eventyard.delivery.state import StateStore
from eventyard.errors import ConfigError
from eventyard.sqlite_writer import connect

FILE = """\
server: {port: 9123}
sources:
  - {name: web, write_key: wk_web}
destinations:
  - name: hook
    type: webhook
    sources: [web]
    settings: {url: "https://example.com/in", shared_secret: hook-secret-1}
"""


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[StateStore]:
    state = StateStore(tmp_path / "state.db")
    await state.open()
    yield state
    await state.close()


async def open_plane(state: StateStore, config: Config | None = None) -> ControlPlane:
    return await ControlPlane.open(state, state.path.parent, config or Config(), environ={})


async def eventually(check: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_open_bootstraps_once_and_keeps_the_files_process_settings(
    state: StateStore,
) -> None:
    plane = await open_plane(state, parse_config(FILE))
    assert len(plane.bootstrapped.messages()) == 2
    assert plane.live.current.server.port == 9123
    assert plane.live.current.sources == []  # the file is applied only by apply_file
    assert (await open_plane(state)).bootstrapped.messages() == []


async def test_apply_file_makes_the_database_match_and_publishes(state: StateStore) -> None:
    plane = await open_plane(state, parse_config(FILE))
    changes = await plane.apply_file()
    assert [c.describe() for c in changes] == ["+ source web", "+ destination hook"]
    (dest,) = plane.live.current.destinations
    assert dest.settings["shared_secret"] == "hook-secret-1"
    assert plane.live.current.server.port == 9123
    assert await plane.apply_file() == []


async def test_an_unchanged_file_keeps_what_the_api_changed_and_an_edited_one_wins(
    state: StateStore,
) -> None:
    """`serve --config` at every start: a restart with the same file must not delete a
    source made in the UI since; an edited file is applied like `eventyard apply`."""
    await (await open_plane(state, parse_config(FILE))).apply_file()
    plane = await open_plane(state, parse_config(FILE))
    doc = {"name": "from-ui", "write_key": "wk_ui"}
    await plane.change(lambda c: store.put_object(c, plane.box, "source", "default", doc, "t"))

    restarted = await open_plane(state, parse_config(FILE))
    assert await restarted.apply_file() == []
    assert {s.name for s in restarted.live.current.sources} == {"web", "from-ui"}

    edited = await open_plane(state, parse_config(FILE + "# edited\n"))
    assert await edited.apply_file() == []  # a comment is not a change of objects
    renamed = await open_plane(state, parse_config(FILE.replace("wk_web", "wk_web2")))
    changes = await renamed.apply_file()
    described = [c.describe() for c in changes]
    assert "- source from-ui" in described
    assert any(line.startswith("~ source web: write_key") for line in described)
    assert {s.name for s in renamed.live.current.sources} == {"web"}


async def test_a_file_without_objects_leaves_the_database_alone(state: StateStore) -> None:
    await (await open_plane(state, parse_config(FILE))).apply_file()
    plane = await open_plane(state, parse_config("server: {port: 9124}\n"))
    assert await plane.apply_file() == []
    assert [s.name for s in plane.live.current.sources] == ["web"]
    assert plane.live.current.server.port == 9124


async def test_a_change_is_published_before_it_returns(state: StateStore) -> None:
    plane = await open_plane(state)
    seen: list[Config] = []
    plane.live.subscribe(seen.append)
    doc = {"name": "web", "write_key": "wk_1"}
    await plane.change(lambda c: store.put_object(c, plane.box, "source", "default", doc, "t"))
    assert [s.name for s in seen[-1].sources] == ["web"]
    assert plane.live.current is seen[-1]
    await plane.change(lambda c: accounts.create_token(c, "default", "viewer", "ro", "t"))
    assert len(seen) == 1  # no configuration change, nothing to publish
    assert await plane.read(lambda c: len(accounts.list_tokens(c, "default"))) == 2


async def test_a_rotated_write_key_replaces_the_old_one_at_once(state: StateStore) -> None:
    plane = await open_plane(state, parse_config(FILE))
    await plane.apply_file()
    key = await plane.change(lambda c: store.rotate_write_key(c, "default", "web", "t"))
    assert set(plane.live.current.source_by_key()) == {key}


async def test_a_failed_change_publishes_nothing(state: StateStore) -> None:
    plane = await open_plane(state)
    seen: list[Config] = []
    plane.live.subscribe(seen.append)
    with pytest.raises(ConfigError):
        await plane.change(
            lambda c: store.put_object(c, plane.box, "source", "default", {"name": "a b"}, "t")
        )
    assert seen == []


async def test_follow_picks_up_another_process_and_survives_bad_reads(
    state: StateStore, caplog: pytest.LogCaptureFixture
) -> None:
    plane = await open_plane(state, parse_config(FILE))
    await plane.apply_file()
    stop = asyncio.Event()
    follower = asyncio.create_task(plane.follow(stop, every=0.01))
    other = connect(state.path)  # what `eventyard apply` does, beside the server
    box = SecretBox.load(state.path.parent)
    try:
        other.execute("BEGIN IMMEDIATE")
        doc = {"name": "app", "write_key": "wk_app"}
        store.put_object(other, box, "source", "default", doc, "cli:test")
        other.execute("COMMIT")
        await eventually(lambda: len(plane.live.current.sources) == 2)

        (sealed,) = other.execute("SELECT secrets FROM objects WHERE name = 'hook'").fetchone()
        damaged = '[[["settings", "shared_secret"], "not a token"]]'
        other.execute("UPDATE objects SET secrets = ? WHERE name = 'hook'", (damaged,))
        other.execute("UPDATE config_version SET version = version + 1")
        await eventually(lambda: "cannot read the configuration" in caplog.text)
        assert not follower.done()

        other.execute("UPDATE objects SET secrets = ? WHERE name = 'hook'", (sealed,))
        other.execute("DELETE FROM objects WHERE name = 'app'")
        other.execute("UPDATE config_version SET version = version + 1")
        await eventually(lambda: len(plane.live.current.sources) == 1)
    finally:
        other.close()
        stop.set()
        await follower
    assert "hook-secret-1" not in caplog.text


async def test_follow_ends_promptly_when_stopped(state: StateStore) -> None:
    plane = await open_plane(state)
    stop = asyncio.Event()
    follower = asyncio.create_task(plane.follow(stop, every=3600))
    await asyncio.sleep(0)
    stop.set()
    await asyncio.wait_for(follower, 1)


async def test_the_wrong_secret_key_is_refused_at_open(
    state: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await open_plane(state)
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    with pytest.raises(ConfigError, match=f"the environment variable {KEY_ENV}: either the key"):
        await open_plane(state)


async def test_compose_reads_without_publishing(state: StateStore) -> None:
    plane = await open_plane(state, parse_config(FILE))
    await plane.state.run(
        lambda c: store.put_object(
            c, plane.box, "source", "default", {"name": "web", "write_key": "k"}, "t"
        )
    )
    composed = await plane.compose()
    assert [s.name for s in composed.sources] == ["web"] and composed.server.port == 9123
    assert plane.live.current.sources == []
