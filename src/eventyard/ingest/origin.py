"""How browsers and SDKs reach this server: the scheme they used and the public origin that
analytics.js, its settings and the install snippets point at.

Behind a proxy that terminates TLS every request arrives over http. `X-Forwarded-Proto`
says what the browser used, but anyone can send it, so `ForwardedProto` believes it only
from `server.trusted_proxies`; the request's scheme is then `https` for everything
downstream (the UI's cookies get `Secure`).

`server.public_url` fixes the origin. Without it the Host header is used, so that a local
install works with no setting; since such a copy depends on a header that a shared cache may
leave out of its key, it is served `private` (see analytics_js), and a hostile Host header
reaches no one but its sender.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from eventyard.ingest.client_ip import ClientIp

__all__ = ["ForwardedProto", "Origin", "PublicOrigin", "parse_public_url"]

_HOST = re.compile(
    r"(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::[0-9]{1,5})?"
)
"""A host name, IPv4 or bracketed IPv6 address, and an optional port: nothing that could
break out of a JSON or JavaScript string, as the host is written into both."""


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    """host[:port]"""

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"


def parse_public_url(value: str) -> Origin:
    """`https://cdp.example.com[:port][/]` as an Origin; ValueError saying what is wrong."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{value!r} must start with https:// (or http://)")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(
            f"{value!r} must be only a scheme and a host, e.g. https://cdp.example.com"
        )
    if not _HOST.fullmatch(parts.netloc):
        raise ValueError(f"{value!r} has no valid host[:port]")
    return Origin(parts.scheme, parts.netloc.lower())


class PublicOrigin:
    """The origin to write into what browsers load; built once from `server.public_url`."""

    def __init__(self, public_url: str | None) -> None:
        self._fixed = parse_public_url(public_url) if public_url else None

    @property
    def fixed(self) -> bool:
        """True when the origin does not depend on the request (public_url is set)."""
        return self._fixed is not None

    def of(self, request: Request) -> Origin | None:
        """public_url, else the request's scheme and Host; None when Host is not a plain
        host[:port]."""
        if self._fixed is not None:
            return self._fixed
        host = request.headers.get("host") or request.url.netloc
        return Origin(request.url.scheme, host) if _HOST.fullmatch(host) else None


class ForwardedProto:
    """ASGI middleware: the request's scheme from the `X-Forwarded-Proto` of a trusted
    proxy (its last value: the one the nearest proxy set); any other client's is ignored."""

    def __init__(self, app: ASGIApp, trusted_proxies: Sequence[str]) -> None:
        self._app = app
        self._proxies = ClientIp(trusted_proxies) if trusted_proxies else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        trusted = self._proxies is not None and client and self._proxies.is_trusted(client[0])
        if scope["type"] == "http" and trusted:
            scope = self._with_forwarded_scheme(scope)
        await self._app(scope, receive, send)

    @staticmethod
    def _with_forwarded_scheme(scope: Scope) -> Scope:
        for name, value in scope["headers"]:
            if name == b"x-forwarded-proto":
                scheme = value.rsplit(b",", 1)[-1].strip().lower()
                if scheme in (b"http", b"https"):
                    return {**scope, "scheme": scheme.decode()}
        return scope
