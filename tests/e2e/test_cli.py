"""The `eventyard` command as a user runs it: errors, exit codes, status output."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from e2e.conftest import WRITE_KEY, config_text
from e2e.server_process import ServerProcess, free_port


def eventyard(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eventyard", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_status_exits_1_when_no_server_answers() -> None:
    result = eventyard("status", "--url", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert "not reachable" in result.stderr


def test_serve_refuses_a_bad_config_naming_the_key_and_line(tmp_path: Path) -> None:
    config = tmp_path / "eventyard.yaml"
    config.write_text("sources:\n  - name: web\n    write_key: wk\n    colour: blue\n")
    result = eventyard("serve", "--config", str(config), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert f"{config}:4" in result.stderr
    assert "colour" in result.stderr
    assert not (tmp_path / "d" / "log.db").exists()


def test_serve_says_when_the_port_is_taken(
    tmp_path: Path, start_server: Callable[[str], ServerProcess]
) -> None:
    running = start_server(config_text("http://127.0.0.1:9/in"))
    config = tmp_path / "other.yaml"
    config.write_text(f"sources:\n  - name: web\n    write_key: {WRITE_KEY}\n")
    result = eventyard(
        "serve", "--config", str(config), "--data-dir", str(tmp_path / "other"),
        "--port", str(running.port),
    )  # fmt: skip
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{running.port}" in result.stderr


def test_a_second_server_on_the_same_data_dir_is_refused(
    start_server: Callable[[str], ServerProcess],
) -> None:
    running = start_server(config_text("http://127.0.0.1:9/in"))
    result = eventyard(
        "serve", "--config", str(running.config), "--data-dir", str(running.data_dir),
        "--port", str(free_port()),
    )  # fmt: skip
    assert result.returncode == 1
    assert "in use by another eventyard" in result.stderr
    assert httpx.get(f"{running.url}/health").status_code == 200


def test_status_reports_received_and_pending_then_sigterm_stops_cleanly(
    start_server: Callable[[str], ServerProcess],
) -> None:
    # the webhook points at a closed port: events wait in the queue as "retrying"
    server = start_server(config_text(f"http://127.0.0.1:{free_port()}/in"))
    for i in range(3):
        response = httpx.post(
            f"{server.url}/v1/track",
            json={"userId": f"u{i}", "event": "Signed Up"},
            auth=(WRITE_KEY, ""),
        )
        assert response.status_code == 200

    as_json = eventyard("status", "--url", server.url, "--token", server.token, "--json")
    data = json.loads(as_json.stdout)
    assert data["sources"] == [{"name": "web", "received": 3}]
    assert data["destinations"][0]["name"] == "my-hook"
    assert data["destinations"][0]["pending"] == 3

    # without --token, the owner token the server wrote to its data dir
    table = eventyard("status", "--url", server.url, "--data-dir", str(server.data_dir))
    assert table.returncode == 0, table.stderr
    assert "my-hook" in table.stdout and "web" in table.stdout

    refused = eventyard("status", "--url", server.url, "--data-dir", str(server.data_dir / "x"))
    assert refused.returncode == 2
    assert "refused" in refused.stderr and "--token" in refused.stderr

    assert server.stop() == 0
    log = (server.data_dir.parent / f"server-{server.port}.log").read_text()
    assert f"listening on {server.url}" in log
    assert "every acknowledged event is on disk" in log
