"""The outbound policy: the decision per address, and the client every destination uses.

The client tests answer DNS with a resolver of their own (names under `.test` resolve
nowhere else), so a request that arrives proves the client connected to the address it
checked, not to one it looked up again.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from eventyard.control.config import parse_config
from eventyard.control.outbound_config import OutboundSettings
from eventyard.delivery.http import from_http_error
from eventyard.delivery.outbound import OutboundPolicy, OutboundRefused, outbound_client, refusal
from eventyard.errors import ConfigError, TerminalError, TransientError
from fakes.webhook_receiver import WebhookReceiver

OPEN = OutboundPolicy()
CLOSED = OutboundPolicy(private_networks=False)
DENY_PRIVATE = "(server.outbound.private_networks: deny"

# address, refusal under the default policy, refusal under `private_networks: deny`
# (None: allowed; otherwise the start of the reason).
TABLE = [
    ("169.254.169.254", "link-local (cloud metadata)", "link-local (cloud metadata)"),
    ("169.254.1.1", "link-local", "link-local"),
    ("fe80::1", "link-local", "link-local"),
    ("fd00:ec2::254", "a cloud metadata address (AWS", "a cloud metadata address (AWS"),
    ("fd20:ce::254", "a cloud metadata address (Google", "a cloud metadata address (Google"),
    ("100.100.100.200", "a cloud metadata address (Alibaba", "a cloud metadata address (Alibaba"),
    ("168.63.129.16", "a cloud platform address (Azure", "a cloud platform address (Azure"),
    ("0.0.0.0", "unspecified", "unspecified"),
    ("::", "unspecified", "unspecified"),
    ("224.0.0.1", "multicast", "multicast"),
    ("ff02::1", "multicast", "multicast"),
    ("255.255.255.255", "reserved", "reserved"),
    ("::ffff:169.254.169.254", "an IPv6 form of 169.254.169.254, which is link-local", None),
    ("64:ff9b::a9fe:a9fe", "an IPv6 form of 169.254.169.254, which is link-local", None),
    ("2002:a9fe:a9fe::1", "an IPv6 form of 169.254.169.254, which is link-local", None),
    ("127.0.0.1", None, "loopback " + DENY_PRIVATE),
    ("127.8.9.10", None, "loopback"),
    ("::1", None, "loopback"),
    ("::ffff:127.0.0.1", None, "an IPv6 form of 127.0.0.1, which is loopback"),
    ("10.1.2.3", None, "private (RFC 1918)"),
    ("172.31.255.255", None, "private (RFC 1918)"),
    ("192.168.1.1", None, "private (RFC 1918)"),
    ("fd12:3456::1", None, "private (unique local)"),
    ("100.64.0.1", None, "shared address space (CGNAT"),
    ("198.18.0.1", None, "special-purpose (benchmarking)"),
    ("203.0.113.9", None, "special-purpose (documentation)"),
    ("172.32.0.1", None, None),
    ("8.8.8.8", None, None),
    ("2606:4700::1111", None, None),
    ("::ffff:8.8.8.8", None, None),
]


@pytest.mark.parametrize(("address", "default", "closed"), TABLE)
def test_the_decision_for_each_kind_of_address(
    address: str, default: str | None, closed: str | None
) -> None:
    ip = ipaddress.ip_address(address)
    for policy, expected in ((OPEN, default), (CLOSED, closed or default)):
        reason = refusal(ip, policy)
        if expected is None:
            assert reason is None, (address, policy)
        else:
            assert reason is not None and reason.startswith(expected), (address, reason)


def _policy(settings: OutboundSettings) -> OutboundPolicy:
    return OutboundPolicy.from_settings(settings)


def _why(address: str, policy: OutboundPolicy) -> str | None:
    return refusal(ipaddress.ip_address(address), policy)


def test_allow_opens_private_ranges_but_never_link_local_or_metadata() -> None:
    policy = _policy(
        OutboundSettings(private_networks="deny", allow=["127.0.0.1", "10.0.0.0/8", "0.0.0.0/0"])
    )
    assert _why("127.0.0.1", policy) is None
    assert _why("10.9.9.9", policy) is None
    assert _why("192.168.0.1", policy) is None  # inside 0.0.0.0/0
    assert _why("127.0.0.2", policy) is None  # 0.0.0.0/0 again: the lists are CIDRs
    assert _why("169.254.169.254", policy) == "link-local (cloud metadata)"
    assert _why("100.100.100.200", policy) == "a cloud metadata address (Alibaba Cloud)"
    assert (_why("::1", policy) or "").startswith("loopback")  # an IPv4 list opens no IPv6


def test_the_narrowest_entry_decides_and_deny_wins_a_tie() -> None:
    policy = _policy(
        OutboundSettings(deny=["10.0.0.0/8", "8.8.8.8/32", "127.0.0.1"], allow=["10.1.0.0/16"])
    )
    assert _why("10.1.2.3", policy) is None  # allow /16 is narrower than deny /8
    assert _why("10.2.0.1", policy) == "in server.outbound.deny (10.0.0.0/8)"
    assert _why("8.8.8.8", policy) == "in server.outbound.deny (8.8.8.8/32)"
    assert _why("8.8.4.4", policy) is None
    assert _why("127.0.0.2", policy) is None  # private_networks: allow (the default)
    tie = _policy(OutboundSettings(allow=["127.0.0.1/32"], deny=["127.0.0.1/32"]))
    assert _why("127.0.0.1", tie) == "in server.outbound.deny (127.0.0.1/32)"
    egress = _policy(OutboundSettings(deny=["0.0.0.0/0", "::/0"], allow=["93.184.0.0/16"]))
    assert _why("93.184.216.34", egress) is None
    assert _why("1.1.1.1", egress) == "in server.outbound.deny (0.0.0.0/0)"


def test_the_keys_are_checked_when_the_config_loads() -> None:
    ok = parse_config(
        "server:\n  outbound:\n    private_networks: deny\n"
        "    allow: [127.0.0.1/32, 'fd00::/8', 10.0.0.5]\n    deny: [10.0.0.0/8]\n"
    )
    assert ok.server.outbound.private_networks == "deny"
    assert _policy(ok.server.outbound).allow[2] == ipaddress.ip_network("10.0.0.5/32")
    assert parse_config("").server.outbound == OutboundSettings()
    cases = {
        "server:\n  outbound:\n    allow: [10.1.2.3/8]\n": (
            "eventyard.yaml:2: server.outbound: allow[0]: '10.1.2.3/8' has host bits set; "
            "write 10.0.0.0/8 or 10.1.2.3/32"
        ),
        "server:\n  outbound:\n    deny: [10.0.0.0/8, example.com]\n": (
            "deny[1]: 'example.com' is not an IP address or CIDR like 10.0.0.0/8"
        ),
        "server:\n  outbound:\n    private_networks: no\n": "server.outbound.private_networks",
        "server:\n  outbound:\n    alow: []\n": "eventyard.yaml:3: server.outbound.alow: unknown",
    }
    for text, message in cases.items():
        with pytest.raises(ConfigError) as raised:
            parse_config(text)
        assert message in str(raised.value)


class Resolver:
    """DNS answers chosen by the test; counts the questions."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


async def test_a_name_is_resolved_once_checked_and_connected_by_the_checked_address(
    receiver: WebhookReceiver,
) -> None:
    resolve = Resolver({"hook.test": ["127.0.0.1"], "meta.test": ["169.254.169.254"]})
    async with outbound_client(OutboundSettings(), resolve) as client:
        answer = await client.post(f"http://hook.test:{receiver.port}/in", content=b"{}")
        assert answer.status_code == 200
        with pytest.raises(OutboundRefused) as refused:
            await client.get("http://meta.test/latest/meta-data/")
    (arrived,) = receiver.requests
    assert arrived.headers["host"] == f"hook.test:{receiver.port}"  # the URL's, not the IP
    assert resolve.asked == ["hook.test", "meta.test"]
    assert str(refused.value) == (
        "refused by the outbound policy: meta.test (169.254.169.254) is link-local (cloud metadata)"
    )
    assert isinstance(refused.value, TerminalError)  # dead letter, never retried


async def test_a_name_with_one_refused_address_is_refused_whatever_the_others(
    receiver: WebhookReceiver,
) -> None:
    resolve = Resolver({"rebind.test": ["127.0.0.1", "fd00:ec2::254"]})
    async with outbound_client(OutboundSettings(), resolve) as client:
        with pytest.raises(OutboundRefused, match=r"rebind.test \(fd00:ec2::254\) is a cloud"):
            await client.get(f"http://rebind.test:{receiver.port}/")
    assert receiver.requests == []


async def test_private_networks_deny_refuses_loopback_before_connecting(
    receiver: WebhookReceiver,
) -> None:
    closed = OutboundSettings(private_networks="deny")
    async with outbound_client(closed, Resolver({"hook.test": ["127.0.0.1"]})) as client:
        for url in (receiver.url, f"http://hook.test:{receiver.port}/", "http://[::1]:9/"):
            with pytest.raises(OutboundRefused, match="is loopback"):
                await client.post(url, content=b"{}")
    assert receiver.requests == []
    opened = OutboundSettings(private_networks="deny", allow=["127.0.0.1/32"])
    async with outbound_client(opened) as client:
        assert (await client.post(receiver.url, content=b"{}")).status_code == 200


async def test_a_name_that_does_not_resolve_is_a_connection_failure_worth_a_retry() -> None:
    async with outbound_client(OutboundSettings(), Resolver({})) as client:
        with pytest.raises(httpx.ConnectError) as failed:
            await client.get("http://gone.test/")
    error = from_http_error(failed.value)
    assert isinstance(error, TransientError)
    assert "cannot resolve gone.test" in str(error)


async def test_proxies_from_the_environment_are_not_used(
    receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:1")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with outbound_client(OutboundSettings()) as client:
        assert (await client.post(receiver.url, content=b"{}")).status_code == 200
    assert len(receiver.requests) == 1


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for `name` and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_https_checks_the_certificate_against_the_urls_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = _certificate(tmp_path, "hook.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust it, as a private CA would be
    server_names: list[str | None] = []
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    tls.sni_callback = lambda _socket, name, _context: server_names.append(name)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    resolve = Resolver({"hook.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    async with server, outbound_client(OutboundSettings(), resolve) as client:
        answered = await client.get(f"https://hook.test:{port}/")
        assert (answered.status_code, answered.text) == (200, "ok")
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get(f"https://other.test:{port}/")  # same address, wrong name
    assert server_names == ["hook.test", "other.test"]  # SNI is the URL's host


async def test_the_next_checked_address_is_tried_when_one_does_not_answer(
    receiver: WebhookReceiver,
) -> None:
    resolve = Resolver({"dual.test": ["::1", "127.0.0.1"]})  # the receiver has IPv4 only
    async with outbound_client(OutboundSettings(), resolve) as client:
        answer = await client.post(f"http://dual.test:{receiver.port}/in", content=b"{}")
    assert answer.status_code == 200 and len(receiver.requests) == 1
