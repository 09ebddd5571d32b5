"""End-to-end latency: client send -> durable ingest -> pipeline -> webhook receipt.

A paced sender posts batches to `eventyard serve` at a fixed event rate; a local webhook
receiver records when each event arrives; every event carries `properties.sent_ns`, so the
latency of each event is its arrival time minus its send time (same machine, same clock).

    .venv/bin/python bench/latency.py [--rate 2000] [--duration 20] [--batch-size 100] \
        [--delay-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

from _common import (
    HOST,
    BenchError,
    Processes,
    basic_auth,
    batch_body,
    free_port,
    http_get,
    install_sigterm_handler,
    start_eventyard,
    track_event,
    uvicorn_argv,
    wait_http_ok,
    write_config,
)


@dataclass
class SendStats:
    """What the paced sender did, to judge whether it kept to its schedule."""

    sent_ids: set[str] = field(default_factory=set)
    requests: int = 0
    elapsed_s: float = 0.0
    max_lag_ms: float = 0.0
    errors: list[str] = field(default_factory=list)


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _post(client: httpx.AsyncClient, body: bytes, stats: SendStats) -> None:
    try:
        resp = await client.post("/v1/batch", content=body)
        if resp.status_code != 200:
            stats.errors.append(f"HTTP {resp.status_code}: {resp.text[:200]}")
    except httpx.HTTPError as err:
        stats.errors.append(f"{type(err).__name__}: {err}")


async def send_paced(
    base: str, run_id: str, rate: float, duration: float, per_request: int, first_seq: int = 0
) -> SendStats:
    """Post `per_request`-event batches on a fixed tick schedule (tick k at t0 + k*interval).

    Ticks are computed from the start time, never from the previous send, so slow sends do
    not make the schedule drift; requests run concurrently so one slow answer delays nothing.
    """
    stats = SendStats()
    interval = per_request / rate
    ticks = max(1, round(duration / interval))
    headers = {"Authorization": basic_auth(), "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30.0
    ) as client:
        tasks: set[asyncio.Task[None]] = set()
        t0 = loop.time()
        seq = first_seq
        for k in range(ticks):
            delay = t0 + k * interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                stats.max_lag_ms = max(stats.max_lag_ms, -delay * 1000)
            sent_ns = time.time_ns()
            events = [track_event(seq + i, run_id, sent_ns) for i in range(per_request)]
            seq += per_request
            stats.sent_ids.update(e["messageId"] for e in events)
            task = asyncio.create_task(_post(client, batch_body(events, _now_iso()), stats))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            stats.requests += 1
        stats.elapsed_s = loop.time() - t0 + interval
        if tasks:
            await asyncio.gather(*tasks)
    return stats


def fetch_arrivals(receiver: str) -> list[tuple[str, int, int]]:
    status, body = http_get(f"{receiver}/arrivals", timeout=30)
    if status != 200:
        raise BenchError(f"receiver answered {status} to /arrivals")
    return [(str(m), int(s), int(r)) for m, s, r in orjson.loads(body)]


def wait_all_arrived(receiver: str, expected: int, procs: Processes, timeout: float) -> None:
    """Wait until the receiver has at least `expected` arrivals (duplicates checked later)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs.check_alive()
        _, body = http_get(f"{receiver}/count")
        if orjson.loads(body)["count"] >= expected:
            return
        time.sleep(0.1)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, round(pct / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(frozen=True)
class Outcome:
    received: int
    duplicates: int
    missing: int
    latencies_ms: list[float]


def analyse(arrivals: list[tuple[str, int, int]], sent_ids: set[str]) -> Outcome:
    """First arrival of each sent event gives its latency; later ones are duplicates."""
    first: dict[str, float] = {}
    duplicates = 0
    for message_id, sent_ns, recv_ns in arrivals:
        if message_id not in sent_ids:
            continue
        if message_id in first:
            duplicates += 1
        else:
            first[message_id] = (recv_ns - sent_ns) / 1e6
    return Outcome(
        received=len(first),
        duplicates=duplicates,
        missing=len(sent_ids) - len(first),
        latencies_ms=sorted(first.values()),
    )


def run(args: argparse.Namespace) -> int:
    run_id = uuid.uuid4().hex[:8]
    warm_id = f"warm{run_id[:4]}"
    with (
        tempfile.TemporaryDirectory(prefix="eventyard-latency-") as tmp_name,
        Processes(Path(tmp_name)) as procs,
    ):
        tmp = Path(tmp_name)
        receiver_port = free_port()
        delay = {"BENCH_RECEIVER_DELAY_MS": str(args.delay_ms)}
        procs.start("receiver", uvicorn_argv("baselines:receiver", receiver_port), delay)
        receiver = f"http://{HOST}:{receiver_port}"
        wait_http_ok(f"{receiver}/count", procs)

        webhook = {
            "name": "hook",
            "type": "webhook",
            "sources": ["web"],
            "settings": {
                "url": f"{receiver}/in",
                "batch_size": args.batch_size,
                "batch_wait_ms": args.batch_wait_ms,
            },
        }
        config = tmp / "eventyard.yaml"
        write_config(config, [webhook])
        base = start_eventyard(procs, config, tmp / "data", free_port())

        # Warm-up: prove the path works end to end (fail fast) and warm caches and connections.
        warm = asyncio.run(send_paced(base, warm_id, args.rate, 1.0, args.events_per_request))
        if warm.errors:
            raise BenchError(f"warm-up sends failed: {warm.errors[:3]}")
        wait_all_arrived(receiver, len(warm.sent_ids), procs, 30)
        warm_count = len(analyse(fetch_arrivals(receiver), warm.sent_ids).latencies_ms)
        if warm_count < len(warm.sent_ids):
            raise BenchError(f"warm-up: {warm_count}/{len(warm.sent_ids)} events reached webhook")
        already = len(fetch_arrivals(receiver))

        print(
            f"sending {args.rate:,.0f} events/s for {args.duration:g}s in "
            f"{args.events_per_request}-event requests; webhook batch_size={args.batch_size}, "
            f"batch_wait_ms={args.batch_wait_ms}, receiver delay {args.delay_ms:g} ms",
            flush=True,
        )
        stats = asyncio.run(
            send_paced(base, run_id, args.rate, args.duration, args.events_per_request)
        )
        if stats.errors:
            raise BenchError(f"{len(stats.errors)} sends failed, e.g. {stats.errors[:3]}")
        wait_all_arrived(receiver, already + len(stats.sent_ids), procs, args.drain_timeout)
        outcome = analyse(fetch_arrivals(receiver), stats.sent_ids)

    sent = len(stats.sent_ids)
    lat = outcome.latencies_ms
    print(
        f"sent:       {sent:,} events in {stats.requests:,} requests, "
        f"achieved {sent / stats.elapsed_s:,.0f} events/s "
        f"(max sender lag {stats.max_lag_ms:.1f} ms)"
    )
    print(f"received:   {outcome.received:,}   duplicates: {outcome.duplicates:,}")
    if lat:
        print(
            f"latency ms: p50 {percentile(lat, 50):.1f}   p99 {percentile(lat, 99):.1f}   "
            f"max {lat[-1]:.1f}   (send -> webhook receipt)"
        )
        print(f"aim p99 < 250 ms: {'met' if percentile(lat, 99) < 250 else 'NOT met'}")
    if outcome.missing:
        print(
            f"FAILED: {outcome.missing:,} events not received within {args.drain_timeout:g}s "
            "after the last send"
        )
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=2000, help="events per second to send")
    parser.add_argument("--duration", type=float, default=20, help="seconds of sending")
    parser.add_argument(
        "--batch-size", type=int, default=100, help="webhook batch_size (1 = one POST per event)"
    )
    parser.add_argument("--batch-wait-ms", type=int, default=20, help="webhook batch_wait_ms")
    parser.add_argument("--events-per-request", type=int, default=20, help="events per /v1/batch")
    parser.add_argument(
        "--drain-timeout", type=float, default=30, help="seconds to wait for stragglers"
    )
    parser.add_argument(
        "--delay-ms",
        type=float,
        default=0,
        help="the receiver answers each POST this late (an endpoint that far away)",
    )
    args = parser.parse_args()
    install_sigterm_handler()
    try:
        code = run(args)
    except BenchError as err:
        sys.exit(f"BENCHMARK FAILED: {err}")
    except KeyboardInterrupt:
        sys.exit("interrupted; all servers stopped")
    sys.exit(code)


if __name__ == "__main__":
    main()
