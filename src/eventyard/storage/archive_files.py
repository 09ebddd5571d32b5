"""Archive file names, and which files a reader must read so that it sees every row once.

Layout: `source=<name>/date=YYYY-MM-DD/hour=HH/<file>.parquet` (hive partitioning, by the
hour of receivedAt). Two kinds of file live in an hour directory:

- `part-<partition>-<first>-<last>.parquet`: written by one archiver flush; it holds that
  flush's rows of this source and hour, taken from log offsets first..last of the partition.
  Flushes of a partition cover disjoint, increasing offset ranges, so the name is unique and
  deterministic: redoing a flush rewrites the same names with the same rows.
- `merged-<hash>.parquet`: written by compaction. Its Parquet footer records the offset
  range it covers per partition (`eventyard.covers`); the hash in the name is of that
  coverage, so redoing a compaction also rewrites the same name.

Compaction writes the merged file first and deletes its inputs afterwards, so for a moment
(or after a crash, for longer) both exist. `visible_files` hides every part file whose
range lies inside a merged file's coverage, and every merged file whose coverage lies
inside another's, so a reader sees each row exactly once at every instant.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

import pyarrow.parquet as pq

from eventyard.storage.fs import Store

__all__ = [
    "COVERS_KEY",
    "Coverage",
    "PartName",
    "covers",
    "hour_dir",
    "merged_name",
    "part_name",
    "read_coverage",
    "visible_files",
]

COVERS_KEY = b"eventyard.covers"
_PART = re.compile(r"^part-(\d+)-(\d+)-(\d+)\.parquet$")
_MERGED = re.compile(r"^merged-[0-9a-f]{16}\.parquet$")

Coverage = dict[int, tuple[int, int]]
"""partition -> (first offset, last offset) that a file accounts for."""


@dataclass(frozen=True, slots=True)
class PartName:
    partition: int
    first: int
    last: int


def hour_dir(source: str, at: datetime) -> str:
    """The directory (relative to the archive root) of `source`'s rows received at `at`."""
    if not source or "/" in source or "=" in source:
        raise ValueError(f"unusable source name for the archive: {source!r}")
    return f"source={source}/date={at:%Y-%m-%d}/hour={at:%H}"


def part_name(partition: int, first: int, last: int) -> str:
    return f"part-{partition}-{first}-{last}.parquet"


def parse_part(name: str) -> PartName | None:
    match = _PART.match(name)
    if match is None:
        return None
    return PartName(int(match[1]), int(match[2]), int(match[3]))


def merged_name(coverage: Coverage) -> str:
    digest = hashlib.sha256(_encode(coverage)).hexdigest()[:16]
    return f"merged-{digest}.parquet"


def _encode(coverage: Coverage) -> bytes:
    return json.dumps({str(p): list(r) for p, r in sorted(coverage.items())}).encode()


def encode_coverage(coverage: Coverage) -> bytes:
    return _encode(coverage)


def read_coverage(store: Store, path: str) -> Coverage:
    """The coverage recorded in a merged file's footer."""
    with store.fs.open(store.path(path), "rb") as f:
        metadata = pq.read_metadata(f).metadata or {}
    raw = json.loads(metadata.get(COVERS_KEY, b"{}"))
    return {int(p): (int(r[0]), int(r[1])) for p, r in raw.items()}


def covers(outer: Coverage, inner: Coverage) -> bool:
    """True if every range of `inner` lies inside `outer`'s range for that partition."""
    for partition, (first, last) in inner.items():
        span = outer.get(partition)
        if span is None or first < span[0] or last > span[1]:
            return False
    return True


def visible_files(store: Store, directory: str) -> tuple[list[str], list[str], Coverage]:
    """(files to read, files that are hidden because something covers them, the union of
    the coverage of the files to read) for one hour directory; names, not paths."""
    names = store.names(directory)
    merged = {n: read_coverage(store, f"{directory}/{n}") for n in names if _MERGED.match(n)}
    kept: dict[str, Coverage] = {}
    for name, coverage in sorted(merged.items(), key=lambda kv: -_size(kv[1])):
        if not any(covers(other, coverage) for other in kept.values()):
            kept[name] = coverage
    visible = list(kept)
    union: Coverage = {}
    for coverage in kept.values():
        _extend(union, coverage)
    hidden = [n for n in merged if n not in kept]
    for name in names:
        part = parse_part(name)
        if part is None:
            continue
        own = {part.partition: (part.first, part.last)}
        if any(covers(c, own) for c in kept.values()):
            hidden.append(name)
        else:
            visible.append(name)
            _extend(union, own)
    return sorted(visible), sorted(hidden), union


def _size(coverage: Coverage) -> int:
    return sum(last - first + 1 for first, last in coverage.values())


def _extend(union: Coverage, coverage: Coverage) -> None:
    for partition, (first, last) in coverage.items():
        if partition in union:
            a, b = union[partition]
            union[partition] = (min(a, first), max(b, last))
        else:
            union[partition] = (first, last)
