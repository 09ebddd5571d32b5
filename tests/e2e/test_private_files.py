"""The data dir is the server user's alone: 0700 directories, 0600 files, for what an older
install left world-readable and for every file written after the start (databases, WAL
files, the key, the archive, the warehouse)."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import httpx

from e2e.conftest import WRITE_KEY, wait_until
from e2e.server_process import ServerProcess
from e2e.test_storage_serve import STORAGE

CONFIG = f"sources:\n  - name: web\n    write_key: {WRITE_KEY}\n{STORAGE}"


def _everything(root: Path) -> list[Path]:
    return [root, *root.rglob("*")]


def _open_to_others(root: Path) -> list[str]:
    """Every path under root that a group or another user may use, with its mode."""
    return [
        f"{path} {stat.filemode(path.lstat().st_mode)}"
        for path in _everything(root)
        if path.lstat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    ]


def _like_an_old_install(root: Path) -> None:
    for path in _everything(root):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _archive_files(data_dir: Path) -> set[Path]:
    return {path for path in (data_dir / "archive").rglob("*") if path.is_file()}


async def _track_and_archive(server: ServerProcess, event: str) -> None:
    """Send one event and wait for the archive file that holds it."""
    before = _archive_files(server.data_dir)
    async with httpx.AsyncClient(auth=(WRITE_KEY, "")) as client:
        batch = {"batch": [{"type": "track", "userId": "u1", "event": event}]}
        response = await client.post(f"{server.url}/v1/batch", json=batch)
        assert response.status_code == 200
    await wait_until(lambda: bool(_archive_files(server.data_dir) - before), 20, "an archive file")


async def test_an_existing_install_is_tightened_and_new_files_are_private(tmp_path: Path) -> None:
    config = tmp_path / "eventyard.yaml"
    config.write_text(CONFIG)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = ServerProcess(config=config, data_dir=data_dir)
    await asyncio.to_thread(server.start)
    try:
        await _track_and_archive(server, "Signed Up")
    finally:
        assert await asyncio.to_thread(server.stop) == 0
    _like_an_old_install(data_dir)
    assert len(_open_to_others(data_dir)) > 5  # the files of an older eventyard

    server = ServerProcess(config=config, data_dir=data_dir)
    await asyncio.to_thread(server.start)
    try:
        assert _open_to_others(data_dir) == []  # tightened at start
        await _track_and_archive(server, "Order Completed")
        names = {path.name for path in _everything(data_dir)}
        for name in ("log.db", "log.db-wal", "state.db", "state.db-wal", "secret.key"):
            assert name in names
        assert "warehouse.duckdb" in names
        assert _open_to_others(data_dir) == []  # written after the start: private too
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE((data_dir / "log.db").stat().st_mode) == 0o600
    finally:
        assert await asyncio.to_thread(server.stop) == 0
