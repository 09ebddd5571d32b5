"""Identity resolution: events/s with 1,000,000 profiles already in the store, against the
event pipeline without it, in the same run.

    .venv/bin/python bench/identity.py [--profiles 1000000] [--events 50000] [--seed 7]
                                       [--mix typical|churn]

The same events (seeded) are appended to one SQLite event log, then consumed by:
(a) the pipeline without identity resolution: `Router.process` per partition batch, with
    one webhook destination connected (dedup, filter, mapping, delivery job and trace
    inserts in state.db, offset commits);
(b) identity resolution: `ProfilesService.process_once` until the log is drained, on a
    profile store seeded with `--profiles` profiles (user_id, anonymous_id and email each);
(c) both at once in ONE process, each on fresh state, as `serve` would run them if the
    profiles consumer shared the server's process and event loop.
The events (`--mix`): `typical` interleaves 1,000 sessions of 3-12 events: 85% from known
users (a tenth of them start with an identify call carrying their signup traits), 15% from
new anonymous visitors (a page view, then tracks; 30% end with a login that merges the
visitor into a user, or that merge protection refuses); 1% of events are older than their
part of the graph (a replay of that part). `churn` is a stress mix with no sessions: every
event from a user drawn at random among the million, 60% known users, 15% new visitors,
10% returning visitors, 10% logins, 5% server-side identify calls with an identifier set
never seen ({user_id}), 2% late.
Prints events/s for each and the ratios (b)/(a) (aim >= 0.5) and (c)/(a). Everything runs
in a temporary directory; the seeding time is printed but not measured.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from eventyard.control.config import Config, DestinationConfig, SourceConfig
from eventyard.control.profiles_config import ProfilesSettings
from eventyard.delivery.state import StateStore
from eventyard.log.base import Entry, EventLog
from eventyard.log.sqlite import SQLiteLog
from eventyard.pipeline.router import Router
from eventyard.profiles.consumer import CONSUMER, ProfilesService
from eventyard.profiles.graph import profile_id_for
from eventyard.profiles.graph_store import link_hash
from eventyard.profiles.store_sqlite import SQLiteProfileStore

PARTITIONS = 8
SEEDED_AT = 1_700_000_000.0
START = 1_760_000_000.0


def _seed(path: Path, profiles: int) -> None:
    """`profiles` profiles of one link each, written straight into the store's tables."""
    store = SQLiteProfileStore(path)
    store.open()
    store.close()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("BEGIN")
    indexes = con.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    for (name,) in indexes.fetchall():  # built again after the load: much faster
        con.execute(f"DROP INDEX {name}")
    step = 100_000
    for start in range(0, profiles, step):
        clusters, rows, idents, links = [], [], [], []
        for i in range(start, min(profiles, start + step)):
            mid = f"seed-{i}"
            pid = profile_id_for((SEEDED_AT, mid))
            ids = [("user_id", f"user-{i}"), ("anonymous_id", f"anon-{i}")]
            ids.append(("email", f"user{i}@example.com"))
            clusters.append((i + 1, SEEDED_AT + 1, f"{mid}-t"))
            rows.append((pid, SEEDED_AT, mid, 0))
            for n, (kind, value) in enumerate(ids):
                via = (None, None) if n == 0 else ids[0]
                idents.append((kind, value, i + 1, pid, SEEDED_AT, mid, *via))
            # an identify call (all three), then a track call (user_id, anonymous_id)
            for at, by, linked in ((SEEDED_AT, mid, ids), (SEEDED_AT + 1, f"{mid}-t", ids[:2])):
                text = orjson.dumps(sorted(linked)).decode()
                links.append((link_hash(linked), i + 1, pid, at, by, text, "identify", None, "web"))
        con.executemany("INSERT INTO clusters VALUES (?, ?, ?, 2)", clusters)
        con.executemany("INSERT INTO profiles VALUES (?, ?, ?, ?)", rows)
        con.executemany("INSERT INTO identifiers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", idents)
        con.executemany(
            "INSERT INTO links (hash, cluster, profile_id, ts, message_id, ids, event_type, "
            "event, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            links,
        )
    con.execute("COMMIT")
    con.close()
    store.open()  # creates the indexes
    store.close()


def _finish(body: dict[str, Any], n: int, late: bool) -> dict[str, Any]:
    at = SEEDED_AT - 3600 if late else START + n * 0.01  # late: older than its part: a replay
    body.update(
        messageId=f"bench-{n}",
        timestamp=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{n % 1000:03d}Z",
        properties={"product_id": f"p-{n % 500}", "price": 10 + n % 90},
        context={"ip": "203.0.113.9", "library": {"name": "analytics.js", "version": "2"}},
    )
    return body


def _churn(count: int, profiles: int, rng: random.Random) -> list[dict[str, Any]]:
    """Every event from a user drawn at random: no session ever repeats."""
    visitors: list[str] = []
    bodies = []
    for n in range(count):
        user, roll = rng.randrange(profiles), rng.random()
        body: dict[str, Any] = {"type": "track", "event": "Product Viewed"}
        if roll < 0.60:
            body.update(userId=f"user-{user}", anonymousId=f"anon-{user}")
        elif roll < 0.75 or not visitors:
            visitors.append(f"visitor-{n}")
            body.update(type="page", name="Home", anonymousId=visitors[-1])
        elif roll < 0.85:
            body.update(anonymousId=rng.choice(visitors))
        elif roll < 0.95:
            body.update(type="identify", userId=f"user-{user}", anonymousId=rng.choice(visitors))
            body["traits"] = {"plan": rng.choice(["free", "pro"]), "logins": n}
        else:  # a server-side identify: an identifier set ({user_id}) never seen
            body.update(type="identify", userId=f"user-{user}", traits={"name": f"User {user}"})
        bodies.append(_finish(body, n, rng.random() < 0.02))
    return bodies


def _typical(count: int, profiles: int, rng: random.Random) -> list[dict[str, Any]]:
    """1,000 sessions at a time, 3-12 events each: 85% known users (one in ten identifies,
    with the traits of their signup), 15% new visitors (a page, then tracks; 30% log in at
    the end: the visitor's profile merges into the user's, or merge protection refuses)."""
    sessions: list[list[dict[str, Any]]] = []
    bodies = []
    for n in range(count):
        while len(sessions) < 1000:
            sessions.append(_session(profiles, rng, n))
        session = rng.randrange(len(sessions))
        bodies.append(_finish(sessions[session].pop(0), n, rng.random() < 0.01))
        if not sessions[session]:
            sessions.pop(session)
    return bodies


def _session(profiles: int, rng: random.Random, n: int) -> list[dict[str, Any]]:
    user, length = rng.randrange(profiles), rng.randint(3, 12)
    track = {"type": "track", "event": "Product Viewed"}
    if rng.random() < 0.85:
        ids = {"userId": f"user-{user}", "anonymousId": f"anon-{user}"}
        events = [{**track, **ids} for _ in range(length)]
        if rng.random() < 0.1:
            traits = {"email": f"user{user}@example.com", "name": f"User {user}"}
            events[0] = {"type": "identify", **ids, "traits": traits}
        return events
    visitor = {"anonymousId": f"visitor-{n}-{rng.randrange(10**9)}"}
    events = [{"type": "page", "name": "Home", **visitor}]
    events += [{**track, **visitor} for _ in range(length - 1)]
    if rng.random() < 0.3:
        login = {"userId": f"user-{user}", "traits": {"plan": rng.choice(["free", "pro"])}}
        events.append({"type": "identify", **visitor, **login})
    return events


MIXES = {"typical": _typical, "churn": _churn}


def _events(count: int, profiles: int, seed: int, mix: str) -> list[dict[str, Any]]:
    return MIXES[mix](count, profiles, random.Random(seed))


def _key(body: dict[str, Any]) -> str:
    return str(body.get("userId") or body.get("anonymousId"))


async def _fill(log: EventLog, bodies: list[dict[str, Any]]) -> None:
    for start in range(0, len(bodies), 5000):
        chunk = bodies[start : start + 5000]
        await log.append([Entry("web", _key(b), b["messageId"], orjson.dumps(b)) for b in chunk])


def _config(store: Path) -> Config:
    hook = DestinationConfig(
        name="hook",
        type="webhook",
        sources=["web"],
        settings={"url": "http://127.0.0.1:9/unused"},
    )
    return Config(
        sources=[SourceConfig(name="web", write_key="wk")],
        destinations=[hook],
        warehouses=[],
        profiles=ProfilesSettings(url=str(store)),
    )


async def _route(config: Config, log: EventLog, state_path: Path) -> int:
    state = StateStore(state_path)
    await state.open()
    router = Router(config, log, state, on_enqueued=lambda: None, batch_size=500)
    routed = 0
    try:
        for partition in range(log.partitions):
            after = 0
            while records := await log.read(partition, after, router.batch_size):
                await router.process(records)
                after = records[-1].offset
                routed += len(records)
    finally:
        await state.close()
    return routed


async def _resolve(config: Config, log: EventLog, data_dir: Path) -> int:
    service = ProfilesService(config, log, data_dir)
    await asyncio.to_thread(service.store.open)
    try:
        while await service.process_once():
            pass
    finally:
        await asyncio.to_thread(service.store.close)
    return sum([await log.committed(CONSUMER, p) for p in range(log.partitions)])


async def _timed(work: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = await work
    return result, time.perf_counter() - started


async def main(profiles: int, events: int, seed: int, mix: str) -> int:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        started = time.perf_counter()
        _seed(tmp / "seeded.db", profiles)
        print(f"seeded {profiles:,} profiles in {time.perf_counter() - started:.1f}s")
        for copy in ("b.db", "c.db"):
            shutil.copy(tmp / "seeded.db", tmp / copy)
        bodies = _events(events, profiles, seed, mix)
        log = SQLiteLog(tmp / "log.sqlite", PARTITIONS)
        await log.open()
        try:
            await _fill(log, bodies)
            routed, t_a = await _timed(_route(_config(tmp / "b.db"), log, tmp / "a-state.db"))
            resolved, t_b = await _timed(_resolve(_config(tmp / "b.db"), log, tmp))
            log_c = SQLiteLog(tmp / "log-c.sqlite", PARTITIONS)
            await log_c.open()
            await _fill(log_c, bodies)
            config_c = _config(tmp / "c.db")
            both, t_c = await _timed(
                asyncio.gather(
                    _route(config_c, log_c, tmp / "c-state.db"), _resolve(config_c, log_c, tmp)
                )
            )
            await log_c.close()
            merged = SQLiteProfileStore(tmp / "b.db").read(
                lambda sql: sql.one("SELECT COUNT(*) FROM merges")[0]
            )
        finally:
            await log.close()
    if routed != events or resolved != events or list(both) != [events, events]:
        print(f"BENCHMARK FAILED: routed={routed} resolved={resolved} both={both} of {events}")
        return 1
    a, b, c = events / t_a, events / t_b, events / t_c
    print(
        f"events: {events:,} ({mix} mix), profiles in the store: {profiles:,}, merges: {merged:,}"
    )
    print(f"(a) pipeline without identity (router)  : {a:>9,.0f} events/s ({t_a:.2f}s)")
    print(f"(b) identity resolution, {profiles:,} profiles: {b:>9,.0f} events/s ({t_b:.2f}s)")
    print(f"(c) both in one process                  : {c:>9,.0f} events/s ({t_c:.2f}s)")
    print(f"ratio (b)/(a): {b / a:.2f}  (aim >= 0.5);  (c)/(a): {c / a:.2f}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mix", choices=sorted(MIXES), default="typical")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.profiles, args.events, args.seed, args.mix)))
