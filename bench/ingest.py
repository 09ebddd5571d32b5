"""Ingest throughput: events/s through POST /v1/batch, eventyard against two baselines.

All targets run behind the same uvicorn options and are loaded by the same wrk invocation
in the same run, so the ratios compare code paths, not machines:
  (a) bare ASGI app (HTTP ceiling), (b) orjson parse + append + fsync per request,
  (c) `eventyard serve` with one source, no destinations, archive and warehouse off (the
      durable ingest path the ratio is about),
  (d) the same with the defaults: archive and embedded DuckDB warehouse on, consuming the
      log in the same process while it is loaded.

    .venv/bin/python bench/ingest.py [--duration 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from _common import (
    HOST,
    BenchError,
    Processes,
    admin_headers,
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
from eventyard.log.sqlite import decode_chunk

EVENTS_PER_REQUEST = 100

_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "{auth}"
local f = assert(io.open("{body_path}", "rb"))
wrk.body = f:read("*a")
f:close()

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,'
    .. '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run, as reported by the Lua `done` hook."""

    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s

    @property
    def events_per_s(self) -> float:
        return self.requests_per_s * EVENTS_PER_REQUEST


def require_wrk() -> str:
    """wrk is the load generator; say how to get it rather than fail obscurely."""
    path = shutil.which("wrk")
    if path is None:
        sys.exit(
            "wrk (HTTP load generator) is not installed.\n"
            "  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y wrk\n"
            "  macOS:         brew install wrk"
        )
    return path


def run_wrk(
    wrk: str, url: str, script: Path, args: argparse.Namespace, seconds: float
) -> WrkResult:
    """Run wrk once; any socket error or non-2xx/3xx answer fails the benchmark."""
    argv = [
        wrk,
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        f"--script={script}",
        url,
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_RESULT ")]
    if proc.returncode != 0 or not lines:
        raise BenchError(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    raw: dict[str, int] = orjson.loads(lines[-1].removeprefix("BENCH_RESULT "))
    errors = {k: raw[k] for k in ("connect", "read", "write", "status", "timeout") if raw[k]}
    if errors:
        raise BenchError(
            f"wrk against {url} saw errors {errors}; not a valid result:\n{proc.stdout}"
        )
    if raw["requests"] == 0:
        raise BenchError(f"wrk completed no requests against {url}")
    return WrkResult(
        requests=raw["requests"],
        duration_s=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1e3,
        p99_ms=raw["p99_us"] / 1e3,
        max_ms=raw["max_us"] / 1e3,
    )


def status_received(base: str) -> int | None:
    """The `web` source's received count from /api/v1/status, if the server offers it."""
    try:
        status, body = http_get(f"{base}/api/v1/status", timeout=5, headers=admin_headers())
        if status in (401, 403):
            raise BenchError(f"/api/v1/status refused the bench's admin token: {body[:200]!r}")
        if status == 200:
            doc: Any = orjson.loads(body)
            for source in doc.get("sources", []):
                if source.get("name") == "web" and "received" in source:
                    return int(source["received"])
    except (OSError, orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
        pass
    return None


def count_logged(base: str, data_dir: Path) -> int:
    """Events of the `web` source the SQLite log really holds: decoded from its chunks,
    not taken from a counter."""
    db = data_dir / "log.db"
    if not db.exists():
        raise BenchError(f"cannot verify: {db} does not exist")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return sum(
            sum(1 for entry in decode_chunk(blob) if entry.source == "web")
            for (blob,) in conn.execute("SELECT entries FROM chunks")
        )


def count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def verify_count(name: str, stored: Callable[[], int], completed: int, connections: int) -> None:
    """Acknowledged events must be stored; in-flight ones at wrk's stop may be stored too."""
    low = completed * EVENTS_PER_REQUEST
    high = (completed + 2 * connections) * EVENTS_PER_REQUEST
    count, previous = stored(), -1
    deadline = time.monotonic() + 10
    while (count < low or count != previous) and time.monotonic() < deadline:
        time.sleep(0.3)  # let requests still in flight when wrk stopped finish
        count, previous = stored(), count
    if not low <= count <= high:
        raise BenchError(f"{name}: stored {count} events, expected {low}..{high} (acked {low})")
    print(f"  verified: {name} stored {count:,} events for {low:,} acknowledged")


def bench_target(
    name: str,
    wrk: str,
    script: Path,
    args: argparse.Namespace,
    start: Callable[[], str],
    stored: Callable[[str], int] | None,
) -> WrkResult:
    """Start a server, warm it up, measure, verify storage; the caller's Processes stops it."""
    print(f"- {name}: starting", flush=True)
    base = start()
    url = f"{base}/v1/batch"
    warm = run_wrk(wrk, url, script, args, args.warmup) if args.warmup > 0 else None
    print(
        f"  warmed up ({warm.requests if warm else 0} requests); measuring {args.duration}s",
        flush=True,
    )
    result = run_wrk(wrk, url, script, args, args.duration)
    completed = result.requests + (warm.requests if warm else 0)
    if stored is not None:
        verify_count(name, lambda: stored(base), completed, args.connections)
    if name in (TARGET_C, TARGET_D) and (received := status_received(base)) is not None:
        print(f"  /api/v1/status: web received={received:,}")
    print(f"  {result.events_per_s:,.0f} events/s", flush=True)
    return result


def print_table(results: dict[str, WrkResult], args: argparse.Namespace, body_size: int) -> None:
    print()
    print(
        f"POST /v1/batch, {EVENTS_PER_REQUEST} events/request ({body_size:,} bytes), "
        f"wrk {args.threads} thread(s) x {args.connections} connections, {args.duration}s"
        + (f", median of {args.rounds} rounds" if args.rounds > 1 else "")
    )
    header = (
        f"{'target':<34} {'events/s':>11} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        print(
            f"{name:<34} {r.events_per_s:>11,.0f} {r.requests_per_s:>9,.1f} "
            f"{r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {r.max_ms:>8.1f}"
        )
    ey = results.get(TARGET_C)
    if ey is not None:
        print()
        for label, other in ((TARGET_A, "(c) / (a)"), (TARGET_B, "(c) / (b)")):
            if label in results:
                ratio = ey.events_per_s / results[label].events_per_s
                print(f"{other}: {ratio:.2f}")
        if TARGET_B in results:
            ok = ey.events_per_s >= 0.6 * results[TARGET_B].events_per_s
            print(f"aim (c) >= 0.60 x (b): {'met' if ok else 'NOT met'}")
        if TARGET_D in results and TARGET_B in results:
            ratio_d = results[TARGET_D].events_per_s / results[TARGET_B].events_per_s
            print(f"(d) / (b): {ratio_d:.2f}")


TARGET_A = "(a) bare ASGI (HTTP ceiling)"
TARGET_B = "(b) orjson + append + fsync"
TARGET_C = "(c) eventyard serve, ingest only"
TARGET_D = "(d) eventyard serve, defaults"
TARGETS = (TARGET_A, TARGET_B, TARGET_C, TARGET_D)


def _measure_round(
    procs: Processes, tmp: Path, wrk: str, script: Path, args: argparse.Namespace, round_no: int
) -> dict[str, WrkResult]:
    """One pass over the targets; each gets fresh storage so verification counts its own."""
    durable_file = tmp / f"durable-{round_no}.jsonl"
    data_dir = tmp / f"data-{round_no}"
    data_dir_d = tmp / f"data-defaults-{round_no}"
    config = tmp / "eventyard.yaml"
    write_config(config, storage=False)
    config_d = tmp / "eventyard-defaults.yaml"
    write_config(config_d)

    def start_baseline(app: str, env: dict[str, str] | None = None) -> str:
        port = free_port()
        procs.start(app, uvicorn_argv(f"baselines:{app}", port), env)
        base = f"http://{HOST}:{port}"
        wait_http_ok(f"{base}/", procs)
        return base

    targets: list[tuple[str, str, Callable[[], str], Callable[[str], int] | None]] = [
        ("a", "bare", lambda: start_baseline("bare"), None),
        (
            "b",
            "durable",
            lambda: start_baseline("durable", {"BENCH_DURABLE_FILE": str(durable_file)}),
            lambda _base: count_lines(durable_file),
        ),
        (
            "c",
            "eventyard",
            lambda: start_eventyard(procs, config, data_dir, free_port()),
            lambda base: count_logged(base, data_dir),
        ),
        (
            "d",
            "eventyard",
            lambda: start_eventyard(procs, config_d, data_dir_d, free_port()),
            lambda base: count_logged(base, data_dir_d),
        ),
    ]
    results: dict[str, WrkResult] = {}
    for (letter, proc_name, start, stored), name in zip(targets, TARGETS, strict=True):
        if letter in args.skip:
            continue
        results[name] = bench_target(name, wrk, script, args, start, stored)
        procs.stop(proc_name)
    return results


def run(args: argparse.Namespace) -> None:
    wrk = require_wrk()
    with tempfile.TemporaryDirectory(prefix="eventyard-bench-") as tmp_name:
        tmp = Path(tmp_name)
        run_id = uuid.uuid4().hex[:8]
        body = batch_body([track_event(i, run_id) for i in range(EVENTS_PER_REQUEST)])
        body_path = tmp / "body.json"
        body_path.write_bytes(body)
        script = tmp / "post.lua"
        script.write_text(_LUA.format(auth=basic_auth(), body_path=body_path))
        rounds: dict[str, list[WrkResult]] = {}
        with Processes(tmp) as procs:
            for round_no in range(args.rounds):
                if args.rounds > 1:
                    print(f"round {round_no + 1}/{args.rounds}", flush=True)
                for name, result in _measure_round(procs, tmp, wrk, script, args, round_no).items():
                    rounds.setdefault(name, []).append(result)
        # The median round per target: robust to one round disturbed by other work.
        results = {
            name: sorted(rs, key=lambda r: r.events_per_s)[len(rs) // 2]
            for name, rs in rounds.items()
        }
        print_table(results, args, len(body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per target")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per target")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1 suits 2 cores)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="passes over (a)(b)(c); the median is shown"
    )
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=["a", "b", "c", "d"], help="targets to leave out"
    )
    args = parser.parse_args()
    install_sigterm_handler()
    try:
        run(args)
    except BenchError as err:
        sys.exit(f"BENCHMARK FAILED: {err}")
    except KeyboardInterrupt:
        sys.exit("interrupted; all servers stopped")


if __name__ == "__main__":
    main()
