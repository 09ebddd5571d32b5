"""The bounds of the HTTP layer through the real `eventyard serve`: oversized request heads are
refused at once, slow clients are cut off after `server.request_timeout` while others are
served, and a client that sends an over-limit body without waiting for `100 Continue` reads
the JSON error instead of a connection reset."""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from e2e.conftest import WRITE_KEY, module_server
from e2e.server_process import ServerProcess

TIMEOUT = 2.0
CONFIG = f"""
server:
  request_timeout: {TIMEOUT}s
sources:
  - name: web
    write_key: {WRITE_KEY}
"""
AUTH = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
HEADERS = {"Authorization": AUTH, "Content-Type": "application/json"}
TEN_MB = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from module_server(tmp_path_factory, CONFIG)


def _connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes the connection (a reset ends it too)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def _body(response: bytes) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(response.partition(b"\r\n\r\n")[2])
    return parsed


def _send_head(server: ServerProcess, head: bytes) -> tuple[bytes, float]:
    """The whole answer to `head` and how long it took; the connection must end."""
    started = time.monotonic()
    with _connect(server) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head)  # may be refused before all of it was sent
        return _read_all(sock), time.monotonic() - started


def test_a_100_kb_header_is_answered_431_at_once(server: ServerProcess) -> None:
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"
    response, took = _send_head(server, head)
    assert _status(response) == 431
    assert b"\r\nconnection: close\r\n" in response
    assert _body(response)["code"] == "headers_too_large"
    assert took < TIMEOUT  # not a timeout: refused as soon as the limit was passed


def test_many_headers_over_64_kib_in_total_are_431_and_just_under_is_served(
    server: ServerProcess,
) -> None:
    fields = b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1000) for i in range(70))
    response, _ = _send_head(server, b"GET /health HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert _status(response) == 431
    fields = b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1000) for i in range(60))
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + fields + b"\r\n"
    response, _ = _send_head(server, head)
    assert _status(response) == 200


def test_a_70_kb_request_line_is_answered_414(server: ServerProcess) -> None:
    head = b"GET /health?q=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    response, took = _send_head(server, head)
    assert _status(response) == 414
    assert _body(response)["code"] == "uri_too_long"
    assert took < TIMEOUT


def test_huge_headers_on_four_connections_leave_other_clients_served(
    server: ServerProcess,
) -> None:
    sent: list[int] = []

    def flood() -> None:
        total = 0
        with _connect(server) as sock:
            try:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
                for _ in range(100):  # up to 100 MB, as in the report
                    sock.sendall(b"a" * 1_000_000)
                    total += 1_000_000
            except (BrokenPipeError, ConnectionResetError):
                pass
        sent.append(total)

    floods = [threading.Thread(target=flood) for _ in range(4)]
    for thread in floods:
        thread.start()
    try:
        for _ in range(5):
            started = time.monotonic()
            assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
            assert time.monotonic() - started < 1.0
    finally:
        for thread in floods:
            thread.join(30)
    assert len(sent) == 4 and max(sent) < 20_000_000  # cut off long before 100 MB


def _trickle(server: ServerProcess, head: bytes, rest: bytes) -> tuple[bytes, float]:
    """Send `head`, then `rest` one byte every 0.1 s; the answer and when it came."""
    started = time.monotonic()
    with _connect(server) as sock:
        sock.sendall(head)
        try:
            for byte in rest:
                sock.send(bytes([byte]))
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return _read_all(sock), time.monotonic() - started


def _post_head(path: str, content_type: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: 200\r\n\r\n"
    ).encode()


def test_slow_heads_and_bodies_are_cut_off_while_another_client_is_served(
    server: ServerProcess,
) -> None:
    slow = {
        "head": (b"GET /health HTTP/1.1\r\n", b"Host: x\r\n" * 20),
        "tracking body": (_post_head("/v1/track", "application/json"), b" " * 200),
        "form body": (_post_head("/login", "application/x-www-form-urlencoded"), b"a" * 200),
    }
    answers: dict[str, tuple[bytes, float]] = {}

    def trickle(name: str) -> None:
        answers[name] = _trickle(server, *slow[name])

    threads = [threading.Thread(target=trickle, args=(name,)) for name in slow]
    for thread in threads:
        thread.start()
    served = 0
    with httpx.Client(auth=(WRITE_KEY, "")) as client:
        while any(thread.is_alive() for thread in threads):
            event = {"userId": "u1", "event": "Meanwhile"}
            assert client.post(f"{server.url}/v1/track", json=event).status_code == 200
            served += 1
            time.sleep(0.05)
    assert served > 5
    for name, (response, took) in answers.items():
        assert _status(response) == 408, name
        assert _body(response)["code"] == "request_timeout"
        assert TIMEOUT <= took < TIMEOUT + 3, (name, took)
    assert httpx.get(f"{server.url}/health").status_code == 200  # after the cut requests' ends
    output = (server.data_dir.parent / f"server-{server.port}.log").read_text()
    assert "Traceback" not in output  # a body that never came is no server error


def _ten_mb_batch() -> bytes:
    return b'{"batch": [' + b" " * TEN_MB + b"]}"


def test_urllib_sending_10_mb_reads_the_json_error(server: ServerProcess) -> None:
    request = urllib.request.Request(
        f"{server.url}/v1/batch",
        data=_ten_mb_batch(),
        headers={"Content-Type": "application/json", "Authorization": AUTH},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=20)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["code"] == "payload_too_large"
    assert refused.value.headers["Connection"] == "close"


@pytest.mark.parametrize("expect", ["Expect: 100-continue", "Expect:"])
def test_curl_sending_10_mb_reads_the_json_error(
    server: ServerProcess, tmp_path: Path, expect: str
) -> None:
    body = tmp_path / "batch.json"
    body.write_bytes(_ten_mb_batch())
    done = subprocess.run(
        [
            *("curl", "-sS", "--max-time", "20", "-w", "\n%{http_code}", "-H", expect),
            *("-H", "Content-Type: application/json", "-u", f"{WRITE_KEY}:"),
            *("--data-binary", f"@{body}", f"{server.url}/v1/batch"),
        ],
        capture_output=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    text, _, code = done.stdout.rpartition(b"\n")
    assert code == b"400"
    assert json.loads(text)["code"] == "payload_too_large"


def test_dropping_an_early_answered_body_stops_at_16_mib(server: ServerProcess) -> None:
    declared = 64 * 1024 * 1024
    head = (
        f"POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    )
    sent = 0
    with _connect(server) as sock:
        sock.sendall(head.encode())
        chunk = b" " * 65536
        try:
            while sent < declared:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert 16 * 1024 * 1024 <= sent < 40 * 1024 * 1024  # socket buffers hold some MB


def test_keep_alive_requests_still_share_a_connection(server: ServerProcess) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    sockets = set()
    for _ in range(3):
        connection.request("POST", "/v1/track", b'{"userId": "u1", "event": "Again"}', HEADERS)
        response = connection.getresponse()
        assert response.status == 200 and response.read() == b'{"success":true}'
        assert response.headers["Connection"] is None
        sockets.add(id(connection.sock))
    connection.close()
    assert len(sockets) == 1
