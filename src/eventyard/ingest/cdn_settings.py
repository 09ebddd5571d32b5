"""What analytics.js fetches from "the CDN": its settings (`GET /v1/projects/<writeKey>/settings`,
segment.md §2.3) and the origin it should use for everything else.

Only the `Segment.io` integration is listed: any other key would make analytics.js load
"legacy destination" scripts from the CDN. `metrics.sampleRate: 0` stops the `/v1/m`
beacon.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

__all__ = ["public_origin", "settings_document"]

_HOST = re.compile(
    r"(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::[0-9]{1,5})?"
)
"""A host name, IPv4 or bracketed IPv6 address, and an optional port: nothing that could
break out of a JSON or JavaScript string, as the Host header is written into both."""


def public_origin(request: Request, proxy_trusted: bool) -> tuple[str, str] | None:
    """(scheme, host) by which browsers reach this server, from the Host header and, behind a
    trusted proxy, X-Forwarded-Proto; None when the header is not a plain host[:port]."""
    scheme = request.url.scheme
    forwarded_proto = request.headers.get("x-forwarded-proto")
    if proxy_trusted and forwarded_proto:
        scheme = forwarded_proto.split(",")[0].strip().lower()
    host = request.headers.get("host") or request.url.netloc
    if scheme not in ("http", "https") or not _HOST.fullmatch(host):
        return None
    return scheme, host


def settings_document(write_key: str, host: str, scheme: str) -> dict[str, Any]:
    """Points analytics.js back at this server: `apiHost` is `<Host header>/v1`."""
    return {
        "integrations": {
            "Segment.io": {
                "apiKey": write_key,
                "apiHost": f"{host}/v1",
                "protocol": "https" if scheme == "https" else "http",
            }
        },
        "plan": {},
        "metrics": {"sampleRate": 0},
        "remotePlugins": [],
    }
