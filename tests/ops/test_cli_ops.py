"""`eventyard init`, `--version` and `doctor`, run as an operator runs them."""

from __future__ import annotations

import os
import sqlite3
from importlib.metadata import version
from pathlib import Path

from e2e.server_process import free_port
from eventyard import __version__
from eventyard.control.config import load_config
from ops.command import eventyard


def test_version_comes_from_one_place() -> None:
    result = eventyard("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"eventyard {__version__}"
    assert version("eventyard") == __version__


def test_init_writes_a_starter_config_that_loads_and_does_not_overwrite(tmp_path: Path) -> None:
    first = eventyard("init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    written = (tmp_path / "eventyard.yaml").read_text()
    config = load_config(tmp_path / "eventyard.yaml")
    [source] = config.sources
    assert len(source.write_key) == 32 and source.write_key in first.stdout
    assert "eventyard serve --config eventyard.yaml --data-dir .eventyard" in first.stdout
    assert "docs/deploy.md" in first.stdout
    assert written.count("\n#") > 10  # commented

    again = eventyard("init", cwd=tmp_path)
    assert again.returncode == 2
    assert "exists; pass --force" in again.stderr
    assert (tmp_path / "eventyard.yaml").read_text() == written

    forced = eventyard("init", "--force", cwd=tmp_path)
    assert forced.returncode == 0
    assert load_config(tmp_path / "eventyard.yaml").sources[0].write_key != source.write_key


def private_data_dir(root: Path) -> Path:
    data_dir = root / "data"
    data_dir.mkdir(mode=0o700)
    data_dir.chmod(0o700)
    with sqlite3.connect(data_dir / "state.db") as con:
        con.execute("CREATE TABLE t (x)")
    (data_dir / "state.db").chmod(0o600)
    return data_dir


def test_doctor_passes_on_a_private_data_dir(tmp_path: Path) -> None:
    data_dir = private_data_dir(tmp_path)
    result = eventyard("doctor", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stdout
    assert f"ok      permissions: {data_dir}: only its owner can read it" in result.stdout
    assert f"ok      state: {data_dir / 'state.db'} (SQLite) opens" in result.stdout
    assert "ok      browser files: htmx and analytics.js" in result.stdout
    assert "ok      destination catalog: 14 destination types" in result.stdout


def test_doctor_names_each_problem_and_its_fix(tmp_path: Path) -> None:
    data_dir = private_data_dir(tmp_path)
    (data_dir / "secret.key").write_text("k\n")
    (data_dir / "secret.key").chmod(0o644)
    (data_dir / "log.db").write_bytes(b"not a database, just junk bytes" * 100)
    (data_dir / "log.db").chmod(0o600)
    config = tmp_path / "eventyard.yaml"
    closed = f"postgresql://postgres:hunter2@127.0.0.1:{free_port()}/events"
    config.write_text(f"profiles:\n  url: {closed}\n")
    env = os.environ | {"EVENTYARD_VENDOR_DIR": str(tmp_path / "empty")}

    result = eventyard("doctor", "--config", str(config), "--data-dir", str(data_dir), env=env)

    assert result.returncode == 1
    out = result.stdout
    assert f"problem permissions: readable by other users: {data_dir / 'secret.key'}" in out
    assert f"fix: chmod -R go-rwx {data_dir}" in out
    assert "problem log: " in out and "file is not a database" in out
    assert "problem profiles: PostgreSQL at 127.0.0.1:" in out and "/events is not reachable" in out
    assert "hunter2" not in out
    assert "problem browser files: htmx.org/dist/htmx.min.js is not installed" in out
    assert "4 problem(s) to fix" in result.stderr


def test_doctor_reaches_a_configured_postgresql(tmp_path: Path, postgres_url: str) -> None:
    config = tmp_path / "eventyard.yaml"
    config.write_text(f"log:\n  url: {postgres_url}\n")
    data_dir = private_data_dir(tmp_path)
    result = eventyard("doctor", "--config", str(config), "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stdout
    assert "ok      log: PostgreSQL " in result.stdout


def test_doctor_reports_a_config_error_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "eventyard.yaml"
    config.write_text("server:\n  colour: blue\n")
    result = eventyard("doctor", "--config", str(config), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 1
    assert f"problem config: {config}:2" in result.stdout
    assert "warn    data dir:" in result.stdout


def test_backup_refuses_a_folder_in_use_and_a_missing_data_dir(tmp_path: Path) -> None:
    data_dir = private_data_dir(tmp_path)
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine")
    refused = eventyard("backup", str(used), "--data-dir", str(data_dir))
    assert refused.returncode == 1
    assert f"{used} exists and is not an empty folder: choose a new one" in refused.stderr
    assert sorted(used.iterdir()) == [used / "keep.txt"]

    missing = eventyard("backup", str(tmp_path / "b"), "--data-dir", str(tmp_path / "nope"))
    assert missing.returncode == 1
    assert "is not a data dir (no such folder)" in missing.stderr
    assert not (tmp_path / "b").exists()
