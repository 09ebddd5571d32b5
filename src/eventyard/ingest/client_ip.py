"""The client address for `context.ip`.

X-Forwarded-For is believed only when the direct peer is a configured trusted proxy;
then the right-most address that is not itself a trusted proxy is the client (the
left-most entries can be forged by anyone).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

__all__ = ["ClientIp"]

_CACHE_SIZE = 4096


class ClientIp:
    """Resolves the client address of a request; built once per app."""

    def __init__(self, trusted_proxies: Sequence[str]) -> None:
        self._networks = [ipaddress.ip_network(cidr, strict=False) for cidr in trusted_proxies]
        self._trusted: dict[str, bool] = {}

    def is_trusted(self, address: str) -> bool:
        known = self._trusted.get(address)
        if known is not None:
            return known
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return False
        trusted = any(parsed in network for network in self._networks)
        if len(self._trusted) >= _CACHE_SIZE:
            self._trusted.clear()
        self._trusted[address] = trusted
        return trusted

    def resolve(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The client address given the TCP peer and the X-Forwarded-For header."""
        if not self._networks or peer is None or not forwarded_for or not self.is_trusted(peer):
            return peer
        client = peer
        for hop in reversed(forwarded_for.split(",")):
            address = hop.strip()
            try:
                ipaddress.ip_address(address)
            except ValueError:
                break
            client = address
            if not self.is_trusted(address):
                break
        return client
