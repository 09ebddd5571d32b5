"""kill -9 during appends: every batch acknowledged before the kill is in the log after."""

from __future__ import annotations

import asyncio
import random
import signal
import sys
from pathlib import Path

from eventyard.log import EventLog, partition_for
from eventyard.log.sqlite import SQLiteLog

PARTITIONS = 4
BATCH = 20

# Eight concurrent appenders (so that appends are group-committed), each printing a batch
# id only after `append` returned, i.e. after the batch was acknowledged as durable.
WRITER = f"""
import asyncio, sys
from pathlib import Path
from eventyard.log import Entry
from eventyard.log.sqlite import SQLiteLog

async def appender(log, round_, task):
    i = 0
    while True:
        batch = f"{{round_}}.{{task}}.{{i}}"
        await log.append([
            Entry("web", f"user-{{j % 13}}", f"{{batch}}/{{j}}", b"x" * 300) for j in range({BATCH})
        ])
        print(batch, flush=True)
        i += 1

async def main():
    log = SQLiteLog(Path(sys.argv[1]), {PARTITIONS})
    await log.open()
    await asyncio.gather(*(appender(log, sys.argv[2], t) for t in range(8)))

asyncio.run(main())
"""


async def _run_and_kill(path: Path, round_: int, rng: random.Random) -> set[str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, str(path), str(round_), stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    acked: set[str] = set()
    wanted = rng.randint(10, 300)
    while len(acked) < wanted:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line, "the writer process exited early"
        acked.add(line.decode().strip())
    await asyncio.sleep(rng.random() * 0.02)
    proc.send_signal(signal.SIGKILL)
    rest = await proc.stdout.read()  # lines already printed before the kill was delivered
    await proc.wait()
    acked.update(line for line in rest.decode().split("\n")[:-1])  # drop a torn last line
    return acked


async def _message_ids(log: EventLog) -> set[str]:
    found: set[str] = set()
    for p in range(PARTITIONS):
        records = await log.read(p, 0, 10_000_000)
        assert [r.offset for r in records] == list(range(1, len(records) + 1))
        assert all(partition_for(r.key, PARTITIONS) == p for r in records)
        found.update(r.message_id for r in records)
    return found


async def test_acknowledged_appends_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    rng = random.Random()
    acked: set[str] = set()
    for round_ in range(3):  # later rounds also recover offsets after a crash
        acked |= await _run_and_kill(path, round_, rng)
        log = SQLiteLog(path, PARTITIONS)
        await log.open()
        try:
            found = await _message_ids(log)
        finally:
            await log.close()
        missing = {f"{batch}/{j}" for batch in acked for j in range(BATCH)} - found
        assert not missing, f"{len(missing)} acknowledged entries lost, e.g. {sorted(missing)[:3]}"
