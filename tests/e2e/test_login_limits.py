"""Sign-in limits through the real server: 429 after 10 failures per address and per
account (client addresses forwarded by a trusted proxy), the counters in /metrics, and the
API staying fast while passwords are being hashed."""

from __future__ import annotations

import re
import statistics
import threading
import time
from collections.abc import Callable

import httpx

from e2e.server_process import ServerProcess

CONFIG = "server:\n  trusted_proxies: [127.0.0.1/32]\n"
ALICE = ("alice@example.com", "alice's long password")


def sign_in(client: httpx.Client, email: str, password: str, address: str) -> httpx.Response:
    """The login form as a browser behind the proxy at 127.0.0.1 sends it from `address`."""
    forwarded = {"X-Forwarded-For": address}
    page = client.get("/login", headers=forwarded)
    found = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert found, page.text
    form = {"email": email, "password": password, "next": "/", "login_token": found.group(1)}
    return client.post("/login", data=form, headers=forwarded)


def started(start_server: Callable[[str], ServerProcess]) -> tuple[ServerProcess, str]:
    server = start_server(CONFIG)
    password = (server.data_dir / "admin-password").read_text().strip()
    user = {"email": ALICE[0], "password": ALICE[1], "role": "viewer"}
    added = httpx.post(f"{server.url}/api/v1/users", json=user, headers=server.headers)
    assert added.status_code == 201, added.text
    return server, password


def metric(text: str, line_start: str) -> float:
    (value,) = [line.rsplit(" ", 1)[1] for line in text.splitlines() if line.startswith(line_start)]
    return float(value)


def test_ten_failures_lock_the_address_and_the_account(
    start_server: Callable[[str], ServerProcess],
) -> None:
    server, password = started(start_server)
    with httpx.Client(base_url=server.url) as client:
        for _ in range(10):
            assert sign_in(client, "admin", "a wrong guess", "203.0.113.1").status_code == 401
        # the address is locked, whatever the account, even with the right password
        locked = sign_in(client, *ALICE, "203.0.113.1")
        assert locked.status_code == 429
        assert 240 <= int(locked.headers["retry-after"]) <= 300
        assert "Too many failed sign-ins" in locked.text
        # the account is locked from any address, even with the right password
        account = sign_in(client, "admin", password, "198.51.100.7")
        assert account.status_code == 429 and int(account.headers["retry-after"]) <= 300
        # another account from another address is not
        assert sign_in(client, *ALICE, "198.51.100.7").status_code == 303
        text = client.get("/metrics").text
    assert metric(text, "eventyard_login_failures_total ") == 10
    assert metric(text, 'eventyard_login_throttled_total{limit="ip"}') == 1
    assert metric(text, 'eventyard_login_throttled_total{limit="account"}') == 1


def test_the_api_stays_fast_while_eight_sign_ins_run_at_once(
    start_server: Callable[[str], ServerProcess],
) -> None:
    """Before, the hash ran on the state thread: /api/v1/sources went from 5 ms to over a
    second. Each of 8 threads signs in over and over with the right password (so no limit
    applies) while the API is called."""
    server, password = started(start_server)
    done = threading.Event()
    signed_in: list[int] = []

    def flood(number: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            while not done.is_set():
                client.cookies.clear()  # signed out again: the form, not a redirect
                answer = sign_in(client, "admin", password, f"203.0.113.{number}")
                signed_in.append(answer.status_code)

    threads = [threading.Thread(target=flood, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    took: list[float] = []
    try:
        with httpx.Client(base_url=server.url, headers=server.headers) as api:
            deadline = time.monotonic() + 30
            while len(signed_in) < 8 and time.monotonic() < deadline:
                time.sleep(0.01)  # the threads are all signing in by now
            while len(signed_in) < 48 and time.monotonic() < deadline:  # 6 rounds each
                start = time.perf_counter()
                assert api.get("/api/v1/sources").status_code == 200
                took.append(time.perf_counter() - start)
                time.sleep(0.01)
    finally:
        done.set()
        for thread in threads:
            thread.join(30)
    median = statistics.median(took)
    print(f"/api/v1/sources during 8 sign-in loops: median {median * 1000:.1f} ms, "
          f"max {max(took) * 1000:.1f} ms, {len(signed_in)} sign-ins")  # fmt: skip
    assert set(signed_in) == {303}
    # measured 1-4 ms here; 380 ms with the hash on the state thread (over 1 s in the issue)
    assert median < 0.15, took
