"""The `server.outbound:` section of `eventyard.yaml`: where destinations may connect.

The policy itself (which addresses are always refused, which follow `private_networks`)
is in `delivery/outbound.py`; this module only declares and checks the keys, so that a bad
CIDR fails at load time with its key path and line like every other key.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

import msgspec

__all__ = ["IPNetwork", "OutboundSettings", "parse_network"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_MAX_ENTRIES = 1000


def parse_network(text: str) -> IPNetwork:
    """`10.0.0.0/8`, `fd00::/8` or a bare address (one host); ValueError says how to fix it.

    Host bits must be zero: `10.1.2.3/8` would silently mean all of 10.0.0.0/8, which is
    too much to guess in a security setting.
    """
    try:
        return ipaddress.ip_network(text)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address or CIDR like 10.0.0.0/8") from None
    host = text.partition("/")[0]
    width = loose.max_prefixlen
    raise ValueError(f"{text!r} has host bits set; write {loose} or {host}/{width}")


Networks = Annotated[list[str], msgspec.Meta(max_length=_MAX_ENTRIES)]


class OutboundSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Which addresses a destination's requests may connect to (checked after DNS)."""

    private_networks: Literal["allow", "deny"] = "allow"
    """Loopback, RFC 1918, unique-local, CGNAT and other non-internet ranges: `allow`
    (default, self-hosted teams deliver to their own services) or `deny` (multi-team)."""
    allow: Networks = []
    """CIDRs let through although `private_networks: deny` (or a wider `deny` entry)
    would refuse them; never link-local or cloud metadata addresses."""
    deny: Networks = []
    """CIDRs always refused; of two entries that both match, the narrower one decides,
    and `deny` wins a tie."""

    def __post_init__(self) -> None:
        for key, entries in (("allow", self.allow), ("deny", self.deny)):
            for i, entry in enumerate(entries):
                try:
                    parse_network(entry)
                except ValueError as error:
                    raise ValueError(f"{key}[{i}]: {error}") from None
