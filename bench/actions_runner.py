"""Delivery throughput through Segment's Webhook (Actions) vs eventyard's native webhook.

Both targets deliver the same events, one POST per event, to the same local receiver, in
the same run: (a) the native `webhook` type; (b) `actions/webhook`, where each event goes
through the actions runner (Node.js, Segment's code) and its request comes back to the
server to be sent. The ratio (b) / (a) says what the runner and its pipe cost; the aim is
>= 0.5 (the IPC must not dominate).

    .venv/bin/python bench/actions_runner.py [--events 3000] [--concurrency 16]

Needs the Node-based parts in the repository's `.eventyard` (`make install`, or
`eventyard setup --data-dir .eventyard`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import orjson

from _common import (
    HOST,
    REPO_DIR,
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

PER_REQUEST = 100


def destination(kind: str, receiver: str, concurrency: int) -> dict[str, Any]:
    delivery = {"concurrency": concurrency}
    if kind == "webhook":
        settings = {"url": f"{receiver}/in", "batch_size": 1}
        return {"name": "hook", "type": kind, "sources": ["web"], "settings": settings,
                "delivery": delivery}  # fmt: skip
    send = {"subscription": 'type = "track"', "mapping": {"url": f"{receiver}/in"}}
    return {"name": "hook", "type": kind, "sources": ["web"], "settings": {},
            "actions": {"send": send}, "delivery": delivery}  # fmt: skip


def received(receiver: str) -> int:
    _, body = http_get(f"{receiver}/count")
    count: int = orjson.loads(body)["count"]
    return count


def ingest(base: str, run_id: str, events: int) -> None:
    """POST the events to /v1/batch, 100 per request."""
    for start in range(0, events, PER_REQUEST):
        batch = [track_event(seq, run_id) for seq in range(start, min(events, start + PER_REQUEST))]
        request = urllib.request.Request(
            f"{base}/v1/batch",
            data=batch_body(batch),
            headers={"Authorization": basic_auth(), "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            if answer.status != 200:
                raise BenchError(f"ingest answered {answer.status}")


def measure(
    procs: Processes, tmp: Path, kind: str, receiver: str, args: argparse.Namespace
) -> float:
    """Events/s delivered: from the first ingest until the receiver has them all."""
    data_dir = tmp / kind.replace("/", "-")
    data_dir.mkdir()
    if kind.startswith("actions/"):
        parts = REPO_DIR / ".eventyard" / "node"
        if not (parts / ".installed-lock").exists():
            raise BenchError("no Node-based parts in .eventyard: run `make install` first")
        (data_dir / "node").symlink_to(parts)
    config = tmp / f"{data_dir.name}.yaml"
    write_config(config, [destination(kind, receiver, args.concurrency)], storage=False)
    base = start_eventyard(procs, config, data_dir, free_port())
    before = received(receiver)
    ingest(base, f"warm{uuid.uuid4().hex[:6]}", PER_REQUEST)  # starts the runner, warms up
    deadline = time.monotonic() + args.timeout
    while received(receiver) < before + PER_REQUEST:
        procs.check_alive()
        if time.monotonic() > deadline:
            raise BenchError(f"{kind}: the warm-up events did not all arrive")
        time.sleep(0.05)
    before = received(receiver)
    started = time.monotonic()
    ingest(base, uuid.uuid4().hex[:8], args.events)
    while (count := received(receiver) - before) < args.events:
        procs.check_alive()
        if time.monotonic() > started + args.timeout:
            raise BenchError(f"{kind}: {count}/{args.events} delivered in {args.timeout:g}s")
        time.sleep(0.02)
    rate = float(args.events) / (time.monotonic() - started)
    procs.stop("eventyard")
    return rate


def run(args: argparse.Namespace) -> int:
    with (
        tempfile.TemporaryDirectory(prefix="eventyard-actions-") as tmp_name,
        Processes(Path(tmp_name)) as procs,
    ):
        tmp = Path(tmp_name)
        port = free_port()
        procs.start("receiver", uvicorn_argv("baselines:receiver", port))
        receiver = f"http://{HOST}:{port}"
        wait_http_ok(f"{receiver}/count", procs)
        native = measure(procs, tmp, "webhook", receiver, args)
        print(f"(a) webhook          {native:8,.0f} events/s", flush=True)
        actions = measure(procs, tmp, "actions/webhook", receiver, args)
        print(f"(b) actions/webhook  {actions:8,.0f} events/s", flush=True)
    ratio = actions / native
    print(f"(b) / (a) = {ratio:.2f}   aim >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'}")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=3000, help="events per target")
    parser.add_argument("--concurrency", type=int, default=16, help="delivery.concurrency")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per target")
    args = parser.parse_args()
    install_sigterm_handler()
    try:
        sys.exit(run(args))
    except BenchError as error:
        print(f"BENCHMARK FAILED: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
