"""The archive on S3-compatible storage (moto's server on 127.0.0.1), through fsspec/s3fs."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import s3fs

from eventyard.log.sqlite import SQLiteLog
from eventyard.storage import Archiver, compact, read_archive
from storage.conftest import append, sdk_event

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 2, tzinfo=UTC)


def _options(endpoint: str) -> dict[str, Any]:
    return {"endpoint_url": endpoint, "key": "test", "secret": "test", "use_listings_cache": False}


async def test_archive_round_trip_and_compaction_on_s3(
    event_log: SQLiteLog, s3_endpoint: str
) -> None:
    options = _options(s3_endpoint)
    bucket = f"archive-{secrets.token_hex(4)}"
    fs = s3fs.S3FileSystem(**options)
    fs.mkdir(bucket)
    root = f"s3://{bucket}/events"
    archiver = Archiver(event_log, root, storage_options=options)
    events = [sdk_event(i) for i in range(30)]
    await append(event_log, events[:15])
    await archiver.catch_up()
    await append(event_log, events[15:])
    await archiver.catch_up()

    keys = fs.find(f"{bucket}/events/source=web")
    assert keys and all("/date=2026-01-01/hour=12/part-" in k for k in keys)
    table = read_archive(root, "web", START, END, storage_options=options)
    assert sorted(table["messageId"].to_pylist()) == sorted(e["messageId"] for e in events)

    result = compact(root, "web", "2026-01-01", 12, storage_options=options)
    assert result["deleted"] == len(keys)
    fs.invalidate_cache()
    assert [k.rsplit("/", 1)[-1] for k in fs.find(f"{bucket}/events/source=web")] == [
        result["merged"]
    ]
    again = read_archive(root, "web", START, END, storage_options=options)
    assert again.to_pylist() == table.to_pylist()
