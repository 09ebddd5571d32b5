"""`eventyard apply`, `export`, `users` and `tokens` as a user runs them, on a data dir."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from e2e.server_process import ServerProcess
from eventyard.control import accounts

SECRET = "signing-secret-e2e-77"
FILE = """\
sources:
  - name: web
    write_key: wk_web
destinations:
  - name: hook
    type: webhook
    sources: [web]
    settings:
      url: https://example.com/in
      shared_secret: ${HOOK_SECRET}
"""


def eventyard(
    *args: str, data_dir: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "EVENTYARD_SECRET_KEY"}
    env |= {"HOOK_SECRET": SECRET, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "eventyard", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "eventyard.yaml"
    path.write_text(FILE)
    return path


def test_apply_prints_the_plan_and_export_applies_back_as_a_no_op(
    tmp_path: Path, config: Path
) -> None:
    data = tmp_path / "data"
    dry = eventyard("apply", "-f", str(config), "--dry-run", data_dir=data)
    assert (dry.returncode, dry.stdout) == (0, "+ source web\n+ destination hook\n")
    assert "dry run: nothing applied" in dry.stderr
    applied = eventyard("apply", "-f", str(config), data_dir=data)
    assert (applied.returncode, applied.stdout) == (0, dry.stdout)
    assert "applied 2 changes" in applied.stderr
    again = eventyard("apply", "-f", str(config), data_dir=data)
    assert again.stdout == "no changes: the database matches the file\n"

    exported = eventyard("export", data_dir=data)
    assert exported.returncode == 0
    assert "shared_secret: '********'" in exported.stdout and SECRET not in exported.stdout
    edited = tmp_path / "edited.yaml"
    moved = exported.stdout.replace("example.com/in", "example.com/v2")
    edited.write_text(moved)  # a new address with the mask: the secret must come along
    refused = eventyard("apply", "-f", str(edited), data_dir=data)
    assert refused.returncode == 2
    assert (
        "destinations.hook.settings.url changed: set settings.shared_secret again" in refused.stderr
    )
    edited.write_text(moved.replace("'********'", "${HOOK_SECRET}"))
    changed = eventyard("apply", "-f", str(edited), data_dir=data)
    assert changed.stdout == (
        '~ destination hook: settings.url "https://example.com/in" -> "https://example.com/v2"\n'
    )
    roundtrip = tmp_path / "exported.yaml"
    assert eventyard("export", "-o", str(roundtrip), data_dir=data).returncode == 0
    assert "no changes" in eventyard("apply", "-f", str(roundtrip), data_dir=data).stdout
    for path in data.glob("state.db*"):
        assert SECRET.encode() not in path.read_bytes()


def test_bad_input_exits_2_naming_the_key(tmp_path: Path, config: Path) -> None:
    data = tmp_path / "data"
    config.write_text(FILE.replace("sources: [web]", "sources: [ghost]"))
    result = eventyard("apply", "-f", str(config), data_dir=data)
    assert result.returncode == 2
    assert f"{config}:7: destinations[0].sources[0]: no source named 'ghost'" in result.stderr
    config.write_text(FILE.replace("${HOOK_SECRET}", "'********'"))
    masked = eventyard("apply", "-f", str(config), data_dir=data)
    assert masked.returncode == 2
    assert "destinations.hook.settings.shared_secret: the value is masked" in masked.stderr
    assert "no state.db" in eventyard("export", data_dir=tmp_path / "nowhere").stderr


def test_users_and_tokens(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = eventyard(
        "users", "add", "Ada@Example.com", "--role", "editor", "--password-stdin",
        data_dir=data, stdin="correct horse\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "created user ada@example.com the role editor in workspace default" in added.stdout
    joined = eventyard("users", "add", "ada@example.com", "--role", "owner", data_dir=data)
    assert "gave ada@example.com the role owner" in joined.stdout
    refused = eventyard("users", "add", "eve@x.io", "--role", "king", data_dir=data)
    assert refused.returncode == 2 and "role 'king' is not one of" in refused.stderr

    created = eventyard("tokens", "create", "deploy", "--role", "viewer", data_dir=data)
    token = created.stdout.strip()
    assert token.startswith("ey_") and "not shown again" in created.stderr
    listed = eventyard("tokens", "list", "--json", data_dir=data)
    assert '"name": "deploy"' in listed.stdout and token not in listed.stdout

    conn = sqlite3.connect(data / "state.db")
    try:
        assert accounts.verify_password(conn, "ada@example.com", "correct horse")
        assert accounts.user_workspaces(conn, "ada@example.com") == {"default": "owner"}
        principal = accounts.authenticate_token(conn, token)
        assert principal is not None and principal.role == "viewer"
        (token_id,) = conn.execute("SELECT id FROM tokens WHERE name = 'deploy'").fetchone()
    finally:
        conn.close()
    assert eventyard("tokens", "revoke", str(token_id), data_dir=data).returncode == 0
    gone = eventyard("tokens", "revoke", str(token_id), data_dir=data)
    assert gone.returncode == 2 and f"no token with id {token_id}" in gone.stderr


def test_apply_reaches_a_running_server_without_a_restart(
    tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)  # the server reads the same file
    data = tmp_path / "data"
    data.mkdir()
    server = ServerProcess(config, data).start()
    event = {"type": "track", "event": "Signed Up", "userId": "u1"}

    def track(write_key: str) -> int:
        response = httpx.post(f"{server.url}/v1/track", json=event, auth=(write_key, ""))
        return response.status_code

    try:
        assert (track("wk_web"), track("wk_new")) == (200, 401)
        changed = tmp_path / "changed.yaml"
        changed.write_text(FILE.replace("wk_web", "wk_new"))
        result = eventyard("apply", "-f", str(changed), data_dir=data)
        assert result.stdout == '~ source web: write_key "wk_web" -> "wk_new"\n'
        deadline = time.monotonic() + 10
        while track("wk_new") != 200:
            assert time.monotonic() < deadline, "the server did not pick up the change"
            time.sleep(0.05)
        assert track("wk_web") == 401
    finally:
        assert server.stop() == 0
