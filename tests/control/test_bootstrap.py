"""First start creates working admin credentials in private files; the environment can fix
them for tests and automation, and later starts leave them alone."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from eventyard.control import accounts, store
from eventyard.control.accounts import Principal
from eventyard.control.bootstrap import (
    PASSWORD_ENV,
    PASSWORD_FILE,
    TOKEN_ENV,
    TOKEN_FILE,
    bootstrap,
)
from eventyard.delivery.state import StateStore
from eventyard.errors import ConfigError

OWNER = Principal("token:cli", "default", "owner")


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[StateStore]:
    state = StateStore(tmp_path / "state.db")
    await state.open()
    await state.run(store.ensure_schema)
    yield state
    await state.close()


def secret_file(path: Path) -> str:
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return path.read_text().strip()


async def test_first_start_writes_an_admin_password_and_an_owner_token(
    state: StateStore, tmp_path: Path
) -> None:
    done = await bootstrap(state, tmp_path, environ={})
    password = secret_file(tmp_path / PASSWORD_FILE)
    token = secret_file(tmp_path / TOKEN_FILE)
    assert len(password) >= 20 and token.startswith("ey_")
    assert await state.run(lambda c: accounts.verify_password(c, "admin", password))
    assert await state.run(lambda c: accounts.user_workspaces(c, "admin")) == {"default": "owner"}
    assert await state.run(lambda c: accounts.authenticate_token(c, token)) == OWNER
    assert done.messages() == [
        f"admin login: user admin, password in {tmp_path / PASSWORD_FILE}",
        f"owner API token 'cli' in {tmp_path / TOKEN_FILE}",
    ]
    assert password not in " ".join(done.messages()) and token not in repr(done)


async def test_later_starts_change_nothing(state: StateStore, tmp_path: Path) -> None:
    await bootstrap(state, tmp_path, environ={})
    password = (tmp_path / PASSWORD_FILE).read_text()
    again = await bootstrap(state, tmp_path, environ={})
    assert again.messages() == []
    assert (tmp_path / PASSWORD_FILE).read_text() == password


async def test_environment_values_are_used_and_re_ensured_on_every_start(
    state: StateStore, tmp_path: Path
) -> None:
    env = {PASSWORD_ENV: "first password", TOKEN_ENV: "ey_first_token_for_tests_0001"}
    await bootstrap(state, tmp_path, environ=env)
    assert secret_file(tmp_path / PASSWORD_FILE) == "first password"
    assert secret_file(tmp_path / TOKEN_FILE) == env[TOKEN_ENV]
    unchanged = await bootstrap(state, tmp_path, environ=env)
    assert unchanged.messages() == []

    env = {PASSWORD_ENV: "second password", TOKEN_ENV: "ey_second_token_for_tests_02"}
    changed = await bootstrap(state, tmp_path, environ=env)
    assert len(changed.messages()) == 2
    assert not await state.run(lambda c: accounts.verify_password(c, "admin", "first password"))
    assert await state.run(lambda c: accounts.verify_password(c, "admin", "second password"))
    old = await state.run(lambda c: accounts.authenticate_token(c, "ey_first_token_for_tests_0001"))
    assert old is None
    assert await state.run(lambda c: accounts.authenticate_token(c, env[TOKEN_ENV])) == OWNER
    assert secret_file(tmp_path / TOKEN_FILE) == env[TOKEN_ENV]


async def test_the_environment_restores_a_demoted_admin(state: StateStore, tmp_path: Path) -> None:
    await bootstrap(state, tmp_path, environ={PASSWORD_ENV: "first password"})
    await state.run(
        lambda c: accounts.create_user(
            c, "ada@example.com", "correct horse", "default", "owner", "t"
        )
    )  # the last owner cannot be demoted: another owner did it
    await state.run(lambda c: accounts.set_membership(c, "admin", "default", "viewer", "t"))
    await bootstrap(state, tmp_path, environ={PASSWORD_ENV: "first password"})
    assert await state.run(lambda c: accounts.user_workspaces(c, "admin")) == {"default": "owner"}


async def test_an_existing_user_means_no_admin_is_created(
    state: StateStore, tmp_path: Path
) -> None:
    await state.run(
        lambda c: accounts.create_user(
            c, "ada@example.com", "correct horse", "default", "owner", "t"
        )
    )
    assert (await bootstrap(state, tmp_path, environ={})).messages() == []
    assert not await state.run(lambda c: accounts.user_exists(c, "admin"))
    assert not (tmp_path / PASSWORD_FILE).exists()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({PASSWORD_ENV: "short"}, "a password has 8 to 1024 characters"),
        ({TOKEN_ENV: "not-a-token"}, "a token starts with ey_"),
    ],
)
async def test_bad_environment_values_are_refused(
    state: StateStore, tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        await bootstrap(state, tmp_path, environ=env)
    assert not (tmp_path / PASSWORD_FILE).exists() and not (tmp_path / TOKEN_FILE).exists()
