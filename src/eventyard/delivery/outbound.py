"""The outbound policy: which addresses a destination's requests may connect to.

Every request of a destination (deliveries, connection tests) goes through the one client
`outbound_client()` makes. Its network backend resolves the host once, checks every
address with `refusal()`, and connects to a checked address, so a name cannot resolve to a
public address for the check and to an internal one for the connection (DNS rebinding).
TLS still verifies the certificate against the URL's host: httpcore passes the origin's
host to `start_tls` as `server_hostname`, whatever address the socket connected to.

Order of the decision, first match wins:
1. link-local, cloud metadata, unspecified (`0.0.0.0`, `::`), multicast and reserved
   addresses: always refused, whatever the lists say;
2. `server.outbound.allow` / `deny`: the narrowest matching entry decides, `deny` wins a tie;
3. loopback, private and other non-internet ranges: `server.outbound.private_networks`;
4. everything else (the internet): allowed.
An IPv6 address that carries an IPv4 address (`::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`,
6to4) is judged by the IPv4 address it reaches.

Proxies from the environment (`HTTPS_PROXY`...) are not used: through a proxy the checked
address would be the proxy's, not the destination's.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import httpcore
import httpx

from eventyard.control.outbound_config import IPNetwork, OutboundSettings, parse_network
from eventyard.errors import TerminalError

__all__ = [
    "ALWAYS_REFUSED",
    "PRIVATE",
    "OutboundPolicy",
    "OutboundRefused",
    "OutboundTransport",
    "Resolver",
    "outbound_client",
    "refusal",
    "resolve_host",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _table(*rows: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(cidr), what) for cidr, what in rows)


_METADATA = "link-local (cloud metadata)"

ALWAYS_REFUSED = _table(
    # Inside 169.254.0.0/16 anyway; named so that the trace says what they are.
    ("169.254.169.254/32", _METADATA),  # AWS, Google Cloud, Azure, OpenStack, DigitalOcean
    ("169.254.170.2/32", _METADATA),  # AWS ECS task credentials
    ("169.254.170.23/32", _METADATA),  # AWS EKS Pod Identity credentials
    ("169.254.42.42/32", _METADATA),  # Scaleway
    ("169.254.0.0/16", "link-local"),
    ("fe80::/10", "link-local"),
    # Metadata services outside link-local.
    ("fd00:ec2::254/128", "a cloud metadata address (AWS, IPv6)"),
    ("fd00:ec2::23/128", "a cloud metadata address (AWS EKS Pod Identity, IPv6)"),
    ("fd20:ce::254/128", "a cloud metadata address (Google Cloud, IPv6)"),
    ("fd00:42::42/128", "a cloud metadata address (Scaleway, IPv6)"),
    ("100.100.100.200/32", "a cloud metadata address (Alibaba Cloud)"),
    ("192.0.0.192/32", "a cloud metadata address (Oracle Cloud)"),
    ("168.63.129.16/32", "a cloud platform address (Azure WireServer)"),
    # Linux connects 0.0.0.0 and :: to this machine; nothing else is a TCP destination.
    ("0.0.0.0/8", "unspecified (it reaches this machine; write 127.0.0.1)"),
    ("::/128", "unspecified (it reaches this machine; write ::1)"),
    ("224.0.0.0/4", "multicast"),
    ("ff00::/8", "multicast"),
    ("240.0.0.0/4", "reserved"),
)
"""Refused even when listed in `server.outbound.allow`."""

PRIVATE = _table(
    ("127.0.0.0/8", "loopback"),
    ("::1/128", "loopback"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("fc00::/7", "private (unique local)"),
    ("fec0::/10", "private (site-local)"),
    ("100.64.0.0/10", "shared address space (CGNAT, Tailscale)"),
    ("192.0.0.0/24", "special-purpose (IETF protocol assignments)"),
    ("198.18.0.0/15", "special-purpose (benchmarking)"),
    ("192.0.2.0/24", "special-purpose (documentation)"),
    ("198.51.100.0/24", "special-purpose (documentation)"),
    ("203.0.113.0/24", "special-purpose (documentation)"),
    ("2001:db8::/32", "special-purpose (documentation)"),
    ("100::/64", "special-purpose (discard)"),
    ("64:ff9b:1::/48", "special-purpose (local NAT64)"),
)
"""Refused when `server.outbound.private_networks: deny`, unless `server.outbound.allow`."""

_LOW_32_BITS = tuple(
    ipaddress.IPv6Network(cidr)
    for cidr in ("::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96", "::/96")
)
"""IPv4-mapped, IPv4-translated, NAT64 and IPv4-compatible: the last 32 bits are IPv4."""


def _carried_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches, if it embeds one (`::` and `::1` do not)."""
    if isinstance(address, ipaddress.IPv4Address) or int(address) <= 1:
        return None
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _LOW_32_BITS):
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


@dataclass(frozen=True)
class OutboundPolicy:
    """`server.outbound` parsed once: the lists as networks."""

    private_networks: bool = True
    """True: loopback and private ranges may be reached (`private_networks: allow`)."""
    allow: tuple[IPNetwork, ...] = ()
    deny: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, settings: OutboundSettings) -> OutboundPolicy:
        return cls(
            private_networks=settings.private_networks == "allow",
            allow=tuple(parse_network(entry) for entry in settings.allow),
            deny=tuple(parse_network(entry) for entry in settings.deny),
        )


def _first(address: IPAddress, table: Iterable[tuple[IPNetwork, str]]) -> str | None:
    return next((what for network, what in table if address in network), None)


def _narrowest(address: IPAddress, networks: Iterable[IPNetwork]) -> IPNetwork | None:
    matching = [network for network in networks if address in network]
    return max(matching, key=lambda network: network.prefixlen, default=None)


def refusal(address: IPAddress, policy: OutboundPolicy) -> str | None:
    """None when `address` may be connected to; else what it is and which rule refuses it,
    to follow "<address> is ", e.g. `link-local (cloud metadata)`."""
    carried = _carried_ipv4(address)
    if carried is not None and (reason := refusal(carried, policy)) is not None:
        return f"an IPv6 form of {carried}, which is {reason}"
    if always := _first(address, ALWAYS_REFUSED):
        return always
    denied, allowed = _narrowest(address, policy.deny), _narrowest(address, policy.allow)
    if denied is not None and (allowed is None or denied.prefixlen >= allowed.prefixlen):
        return f"in server.outbound.deny ({denied})"
    if allowed is not None or policy.private_networks:
        return None
    private = _first(address, PRIVATE)
    if private is None:
        return None
    return (
        f"{private} (server.outbound.private_networks: deny; "
        "list it in server.outbound.allow to let it through)"
    )


class OutboundRefused(TerminalError):
    """The outbound policy refused an address the request would connect to: a retry
    would be refused again, so the event goes to dead letters at once."""


Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Host and port -> the addresses to try, in order (a test may answer for any name)."""


async def resolve_host(host: str, port: int) -> list[str]:
    """The system resolver's addresses for `host`, in its order of preference."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks and connects to a checked address; TLS is the inner backend's."""

    def __init__(self, policy: OutboundPolicy, resolve: Resolver) -> None:
        self._policy = policy
        self._resolve = resolve
        self._inner = httpcore.AnyIOBackend()

    async def _addresses(self, host: str, port: int) -> list[str]:
        try:
            ipaddress.ip_address(host)
            return [host]  # a literal address: nothing to resolve
        except ValueError:
            pass
        try:
            found = await self._resolve(host, port)
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from None
        if not found:
            raise httpcore.ConnectError(f"cannot resolve {host}: no address")
        return found

    def _check(self, host: str, addresses: list[str]) -> None:
        """Refuse the host when any of its addresses is refused (not just skip that one)."""
        for text in addresses:
            reason = refusal(ipaddress.ip_address(text.partition("%")[0]), self._policy)
            if reason is not None:
                shown = text if text == host else f"{host} ({text})"
                raise OutboundRefused(f"refused by the outbound policy: {shown} is {reason}")

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._addresses(host, port)
                self._check(host, addresses)
                options = list(socket_options or ())
                for address in addresses[:-1]:  # in the resolver's order; the last one's
                    with contextlib.suppress(httpcore.ConnectError):  # error is the answer
                        return await self._inner.connect_tcp(
                            address, port, None, local_address, options
                        )
                return await self._inner.connect_tcp(
                    addresses[-1], port, None, local_address, options
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection to {host} within {timeout}s") from None

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class OutboundTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with a checking network backend under its connection pool.

    httpx 0.28 has no parameter for httpcore's `network_backend`, so the pool httpx made is
    replaced by the same pool with ours (our limits, httpx's TLS context).
    """

    def __init__(self, policy: OutboundPolicy, resolve: Resolver = resolve_host) -> None:
        # SSL_CERT_FILE / SSL_CERT_DIR are still honoured (a private CA for own services).
        tls = httpx.create_ssl_context(trust_env=True)
        # Every connection may stay open: a destination's limit goes up to 64 requests in
        # flight, and a connection closed after each request costs a connect and a check.
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        super().__init__(verify=tls, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_CheckedBackend(policy, resolve),
        )


def outbound_client(
    settings: OutboundSettings, resolve: Resolver = resolve_host
) -> httpx.AsyncClient:
    """The one HTTP client for destinations: checked addresses, no redirects followed, no
    proxies or credentials from the environment."""
    transport = OutboundTransport(OutboundPolicy.from_settings(settings), resolve)
    return httpx.AsyncClient(follow_redirects=False, trust_env=False, transport=transport)
