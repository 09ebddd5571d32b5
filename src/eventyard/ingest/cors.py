"""CORS for the tracking API, as a plain ASGI middleware.

Browsers post cross-origin from the customer's site; recent analytics.js builds add
`Authorization` and `X-Retry-Count`, which makes them preflight. Only the tracking paths
(`/v1/...`, `/health`) get CORS; routes added by other parts of the app do not, nor does the
Profile API, which shares the `/v1/` prefix but is for servers: a browser page must not read
profiles with a token it got hold of.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["NOT_TRACKING", "TrackingCors"]

NOT_TRACKING = "/v1/spaces/"
"""The Profile API's paths (`eventyard.profiles.api`): no CORS."""

_PREFLIGHT = [
    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
    (
        b"access-control-allow-headers",
        b"Content-Type, Authorization, X-Retry-Count, Content-Encoding",
    ),
    (b"access-control-max-age", b"86400"),
]
_EXPOSE = (b"access-control-expose-headers", b"Retry-After, X-RateLimit-Reset")


class TrackingCors:
    """Answers OPTIONS preflights and adds CORS headers to tracking responses."""

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.app = app
        self._any = "*" in origins
        self._origins = frozenset(origins)

    def _allowed_origin(self, scope: Scope) -> bytes | None:
        for name, value in scope["headers"]:
            if name == b"origin":
                if self._any or value.decode("latin-1") in self._origins:
                    return bytes(value)
                return None
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        tracking = path.startswith("/v1/") and not path.startswith(NOT_TRACKING)
        if scope["type"] != "http" or not (tracking or path == "/health"):
            await self.app(scope, receive, send)
            return
        origin = self._allowed_origin(scope)
        cors = [(b"access-control-allow-origin", origin), (b"vary", b"Origin"), _EXPOSE]
        if scope["method"] == "OPTIONS":
            headers = [*cors, *_PREFLIGHT] if origin else [(b"vary", b"Origin"), *_PREFLIGHT]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if origin is None:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *cors]
            await send(message)

        await self.app(scope, receive, send_with_cors)
