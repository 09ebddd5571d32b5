"""`eventyard serve`: the tracking API, the pipeline and delivery in one process; storage
(archive, warehouses, compaction) in a supervised child process.

Why storage is a separate process: on a 2-core machine its per-event Python work, even in
worker threads, took the event loop's CPU (GIL): ingest throughput fell to 0.36x of the
baseline vs 0.51x with storage off, and webhook delivery p50 at 500 events/s rose from
46 ms to ~900 ms. The child reads and commits through its own handle on the same log, and
is restarted with a back-off if it dies, so it can never stop ingest or delivery. Measured
after the split (same machine, 500 events/s, one POST each): delivery p50 ~220-650 ms vs
~1,350-1,410 ms in-process; saturated ingest with storage on fell from 0.41-0.47x to
0.31-0.35x of the baseline (two processes now share the two cores).

Shutdown order is what keeps acknowledged events safe: HTTP stops first (in-flight requests
finish, and each one is answered only after its append is durable), then the pipeline and
delivery stop (replays keep their committed cursors) and the storage child gets SIGTERM
(its archiver flushes what it buffered), then the log flushes and closes. A kill -9 at any
point loses nothing that was acknowledged, because acknowledgement itself waits for the
commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import socket
from collections.abc import Callable, Generator
from pathlib import Path

import uvicorn

from eventyard.control.api import api_routes
from eventyard.control.config import Config
from eventyard.control.context import ServerContext
from eventyard.control.plane import ControlPlane
from eventyard.delivery.outbound import outbound_client
from eventyard.delivery.service import DeliveryService
from eventyard.delivery.state import open_state
from eventyard.destinations.actions import catalog as actions_catalog
from eventyard.destinations.actions import tokens as actions_tokens
from eventyard.errors import EventyardError
from eventyard.http_protocol import bounded_http_protocol
from eventyard.ingest.analytics_js import analytics_js_routes
from eventyard.ingest.app import create_app
from eventyard.log import open_log
from eventyard.pipeline.router import Router
from eventyard.private_files import data_roots, make_private
from eventyard.profiles.api import profile_api_routes
from eventyard.storage.replay import ReplayService
from eventyard.storage.service import archive_root
from eventyard.storage.worker import StorageProcess, storage_enabled
from eventyard.ui.app import ui_routes

__all__ = ["serve"]


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after its own shutdown, which would kill us before the
    log is flushed; signals are handled by `serve` instead."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.ready.set()


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as error:
        raise EventyardError(
            f"cannot listen on {host}:{port}: {error.strerror}; "
            "is another server using the port? choose another with --port"
        ) from None


@contextlib.contextmanager
def _lock_data_dir(data_dir: Path) -> Generator[None, None, None]:
    """One server per data dir: two writers would hand out the same log offsets."""
    with (data_dir / "lock").open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            raise EventyardError(
                f"the data dir {data_dir} is in use by another eventyard (pid {owner}); "
                "stop it or choose another --data-dir"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        yield


async def serve(
    config: Config,
    data_dir: Path,
    host: str,
    port: int,
    on_ready: Callable[[str, Config], None] | None = None,
) -> None:
    """Run until SIGTERM/SIGINT; `on_ready` gets the listening URL and the running config
    (the file's settings with the objects of state.db). data_dir must exist."""
    make_private(data_roots(config, data_dir))
    with _lock_data_dir(data_dir):
        await _serve_locked(config, data_dir, _listen(host, port), host, on_ready)


async def _serve_locked(
    config: Config,
    data_dir: Path,
    listener: socket.socket,
    host: str,
    on_ready: Callable[[str, Config], None] | None,
) -> None:
    log = open_log(config.log.url, data_dir, config.log.partitions)
    await log.open()
    state = await open_state(data_dir / "state.db", config)
    stop = asyncio.Event()
    try:
        plane = await ControlPlane.open(state, data_dir, config)
        for line in plane.bootstrapped.messages():
            print(line, flush=True)
        changes = await plane.apply_file()
        if changes:
            print("applied the config file's changes to workspace 'default':", flush=True)
            for change in changes:
                print(f"  {change.describe()}", flush=True)
        live = plane.live
        config = live.current  # the file's process settings + the objects of state.db
        actions_tokens.keep_tokens_with(actions_tokens.store_in(plane))  # refreshed OAuth
        async with outbound_client(config.server.outbound) as client:
            delivery = DeliveryService(config, state, client)
            router = Router(config, log, state, on_enqueued=delivery.notify)
            storage = StorageProcess(config, log, data_dir)
            root = archive_root(config, data_dir)
            replays = ReplayService(config, state, root, on_enqueued=delivery.notify)
            await replays.open()
            for follower in (router.reconfigure, delivery.reconfigure, replays.reconfigure):
                live.subscribe(follower)

            ctx = ServerContext(plane, log, state, delivery, storage, replays, data_dir)
            routes = [
                *analytics_js_routes(ctx),
                *profile_api_routes(ctx),
                *api_routes(ctx),
                *ui_routes(ctx),
            ]
            app = create_app(config, log, extra_routes=routes, live=live, limits=ctx.limits)
            server = _Server(
                uvicorn.Config(
                    app,
                    host=host,
                    port=listener.getsockname()[1],
                    lifespan="off",
                    access_log=False,
                    log_level="warning",
                    backlog=2048,
                    timeout_graceful_shutdown=30,
                    # X-Forwarded-For is honoured by the ingest API itself, only from
                    # server.trusted_proxies; uvicorn would otherwise trust 127.0.0.1.
                    proxy_headers=False,
                    http=bounded_http_protocol(config.server.request_timeout),
                    ws="none",
                )
            )

            def request_exit() -> None:
                server.should_exit = True
                ctx.stopping.set()  # live debugger streams end now, not after their timeout

            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, request_exit)
            workers = [
                asyncio.create_task(router.run(stop), name="pipeline"),
                asyncio.create_task(delivery.run(stop), name="delivery"),
                # storage and replays never stop ingest or delivery: they log and retry
                asyncio.create_task(replays.run(stop), name="replays"),
                # changes made by `eventyard apply` in another process
                asyncio.create_task(plane.follow(stop), name="control"),
            ]
            if storage_enabled(config):
                # stopped (SIGTERM, bounded wait) once HTTP has stopped, like the others
                workers.append(asyncio.create_task(storage.run(stop), name="storage"))
            serving = asyncio.create_task(server.serve(sockets=[listener]), name="http")
            started = asyncio.create_task(server.ready.wait())
            await asyncio.wait([started, serving], return_when=asyncio.FIRST_COMPLETED)
            started.cancel()
            if server.started and on_ready is not None:
                bound = listener.getsockname()
                on_ready(f"http://{host}:{bound[1]}", live.current)
            await serving
            stop.set()
            await asyncio.gather(*workers)
    finally:
        listener.close()
        stop.set()
        await actions_catalog.close()  # Segment's Actions runner, if one started
        actions_tokens.keep_tokens_with(None)
        await log.close()
        await state.close()
