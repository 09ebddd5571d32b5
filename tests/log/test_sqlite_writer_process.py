"""The SQLite log's writer child: killed, it fails only unanswered appends and is replaced;
it never outlives the process that started it."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from pathlib import Path

import pytest

from eventyard.errors import LogError
from eventyard.log import Entry, partition_for
from eventyard.log.sqlite import SQLiteLog

PARTITIONS = 4


def _batch(name: str, size: int = 10) -> list[Entry]:
    return [Entry("web", f"user-{j % 7}", f"{name}/{j}", b'{"x":1}') for j in range(size)]


async def _stored(log: SQLiteLog) -> list[str]:
    """Every message id in the log, checking that each partition's offsets are 1..n."""
    found: list[str] = []
    for p in range(PARTITIONS):
        records = await log.read(p, 0, 10_000_000)
        assert [r.offset for r in records] == list(range(1, len(records) + 1))
        assert all(partition_for(r.key, PARTITIONS) == p for r in records)
        found += [r.message_id for r in records]
    return found


def _running(pid: int) -> bool:
    """False once the process has exited (a zombie waiting for its reaper counts as exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


async def test_killed_writer_fails_unanswered_appends_and_is_replaced(tmp_path: Path) -> None:
    log = SQLiteLog(tmp_path / "log.db", PARTITIONS)
    await log.open()
    try:
        await log.append(_batch("before"))
        pid = log.writer_pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)  # requests pile up unanswered
        in_flight = [asyncio.create_task(log.append(_batch(f"lost{n}"))) for n in range(8)]
        await asyncio.sleep(0.1)
        assert not any(task.done() for task in in_flight)
        assert log.pending() == 80
        os.kill(pid, signal.SIGKILL)
        results = await asyncio.wait_for(asyncio.gather(*in_flight, return_exceptions=True), 10)
        assert all(isinstance(r, LogError) for r in results), results
        assert log.pending() == 0

        await log.append(_batch("after"))  # a new writer took over
        assert log.writer_pid not in (None, pid)
        await log.commit("pipeline", 0, 1)
        assert await log.committed("pipeline", 0) == 1
        assert sorted(await _stored(log)) == sorted(
            e.message_id for e in _batch("before") + _batch("after")
        )
    finally:
        await log.close()
    assert not _running(pid)


async def test_writer_killed_mid_stream_loses_nothing_acknowledged(tmp_path: Path) -> None:
    log = SQLiteLog(tmp_path / "log.db", PARTITIONS)
    await log.open()
    acked: set[str] = set()
    failed = 0
    stop = asyncio.Event()

    async def appender(task: int) -> None:
        nonlocal failed
        i = 0
        while not stop.is_set():
            batch = _batch(f"{task}.{i}", 20)
            i += 1
            try:
                await log.append(batch)
            except LogError:
                failed += 1
                continue
            acked.update(e.message_id for e in batch)

    rng = random.Random()
    appenders = [asyncio.create_task(appender(t)) for t in range(8)]
    try:
        for _ in range(3):
            await asyncio.sleep(rng.uniform(0.05, 0.3))
            pid = log.writer_pid
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*appenders), 30)
        assert log.pending() == 0
        found = await _stored(log)
        assert len(found) == len(set(found))
        assert acked <= set(found)
        assert len(acked) > 0
    finally:
        stop.set()
        await log.close()


PARENT = """
import asyncio, sys
from pathlib import Path
from eventyard.log import Entry
from eventyard.log.sqlite import SQLiteLog

async def main():
    log = SQLiteLog(Path(sys.argv[1]), 4)
    await log.open()
    print(log.writer_pid, flush=True)
    while True:
        await log.append([Entry("web", f"u{i}", f"m{i}", b"{}") for i in range(50)])

asyncio.run(main())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
async def test_writer_exits_when_its_parent_is_killed(tmp_path: Path) -> None:
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PARENT, str(tmp_path / "log.db"), stdout=asyncio.subprocess.PIPE
    )
    assert parent.stdout is not None
    pid = int(await asyncio.wait_for(parent.stdout.readline(), 30))
    await asyncio.sleep(0.2)  # appends in flight
    assert _running(pid)
    parent.send_signal(signal.SIGKILL)
    await parent.wait()
    for _ in range(200):  # up to 10 s
        if not _running(pid):
            break
        await asyncio.sleep(0.05)
    assert not _running(pid), "the writer outlived its parent"

    log = SQLiteLog(tmp_path / "log.db", PARTITIONS)
    await log.open()
    try:
        assert len(await _stored(log)) > 0
    finally:
        await log.close()
