"""`eventyard users passwd`: an operator sets a user's password on the data dir (for one who is
locked out); the user's sessions end."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.cli_config import state_db
from eventyard.control import accounts

runner = CliRunner()
OLD, NEW = "the old password", "a fresh passphrase"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    with state_db(tmp_path) as (conn, _):
        accounts.create_user(conn, "ada@example.com", OLD, "default", "editor", "test")
        accounts.create_session(conn, "ada@example.com")
    return tmp_path


def passwd(data_dir: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["users", "passwd", *args, "--data-dir", str(data_dir)], stdin)
    return result.exit_code, result.output


def check(data_dir: Path, password: str) -> bool:
    conn = sqlite3.connect(data_dir / "state.db")
    try:
        return accounts.verify_password(conn, "ada@example.com", password)
    finally:
        conn.close()


def sessions(data_dir: Path) -> int:
    conn = sqlite3.connect(data_dir / "state.db")
    try:
        return int(conn.execute("SELECT count(*) FROM sessions").fetchone()[0])
    finally:
        conn.close()


def test_from_stdin(data_dir: Path) -> None:
    code, output = passwd(data_dir, "Ada@Example.com", "--password-stdin", stdin=NEW + "\n")
    assert code == 0, output
    assert "set the password of ada@example.com; their sessions are signed out" in output
    assert check(data_dir, NEW) and not check(data_dir, OLD)
    assert sessions(data_dir) == 0


def test_from_the_prompt_asked_twice(data_dir: Path) -> None:
    code, output = passwd(data_dir, "ada@example.com", stdin=f"{NEW}\n{NEW}\n")
    assert code == 0, output
    assert output.count("Password") == 1 and "Repeat for confirmation" in output
    assert NEW not in output and check(data_dir, NEW)


def test_the_prompt_refuses_two_different_passwords(data_dir: Path) -> None:
    code, output = passwd(data_dir, "ada@example.com", stdin=f"{NEW}\nother one\n")
    assert code != 0 and "do not match" in output
    assert check(data_dir, OLD)


@pytest.mark.parametrize(
    ("login", "password", "message"),
    [
        ("nobody@example.com", NEW, "no user 'nobody@example.com'; add one with"),
        ("not a login", NEW, "is not a valid login"),
        ("ada@example.com", "short", "a password has 8 to 1024 characters"),
        ("ada@example.com", "x" * 2000, "a password has 8 to 1024 characters"),
    ],
)
def test_refusals_exit_2_and_change_nothing(
    data_dir: Path, login: str, password: str, message: str
) -> None:
    code, output = passwd(data_dir, login, "--password-stdin", stdin=password + "\n")
    assert code == 2 and message in " ".join(output.split())
    assert check(data_dir, OLD) and sessions(data_dir) == 1


def test_a_missing_data_dir_is_an_error_not_a_new_database(tmp_path: Path) -> None:
    code, output = passwd(tmp_path / "nowhere", "ada@example.com", "--password-stdin", stdin="x\n")
    assert code == 2 and "no state.db" in output
    assert not (tmp_path / "nowhere").exists()
