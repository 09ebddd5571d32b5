"""`eventyard backup` copies only archive files the copied log counts as archived: the
restored server writes the rest again from the log, so nothing is there twice."""

from __future__ import annotations

from pathlib import Path

from eventyard.control.config import Config
from eventyard.log.sqlite import SQLiteLog
from eventyard.ops.backup import backup


async def test_a_flush_the_copied_log_has_not_committed_is_left_out(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    log = SQLiteLog(data_dir / "log.db", 2)
    await log.open()
    await log.commit("archive", 0, 10)
    await log.commit("warehouse-duckdb", 1, 99)
    await log.close()
    hour = data_dir / "archive" / "source=web" / "date=2026-12-08" / "hour=01"
    hour.mkdir(parents=True)
    written = [
        "part-0-1-10.parquet",  # committed
        "part-0-11-20.parquet",  # written, offset not committed when the log was copied
        "part-1-1-5.parquet",  # partition 1: the archiver committed nothing there
        ".part-0-21-30.parquet.0a1b.tmp",  # being written
        "merged-0123456789abcdef.parquet",  # compaction output: closed hours only
    ]
    for name in written:
        (hour / name).write_bytes(b"parquet")

    notes = backup(Config(), data_dir, tmp_path / "backup")

    copied = sorted(p.name for p in (tmp_path / "backup" / "archive").rglob("*") if p.is_file())
    assert copied == ["merged-0123456789abcdef.parquet", "part-0-1-10.parquet"]
    assert notes == ["copied log.db (log, SQLite online backup)", "copied archive (2 files)"]
