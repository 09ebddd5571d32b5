"""analytics.js served by eventyard at the paths of Segment's CDN (segment.md §2.3).

Segment's snippet loads `<cdn>/analytics.js/v1/<writeKey>/analytics.min.js`, the standalone
build of the npm package @segment/analytics-next (installed by `make` under vendor/, never
committed). That build fetches its settings and its lazily loaded chunks
(`<cdn>/analytics-next/bundles/<name>.bundle.<hash>.js`) from the origin of its own script
src when that is https, and otherwise from the hard-coded `https://cdn.segment.com`. The copy
served here has that default replaced by this server's public origin (`server.public_url`,
else the Host header: ingest.origin), so that the standard snippet with only the host
changed works over plain http too and nothing is ever fetched from Segment. Chunks are
content-addressed: served as they are and cacheable forever.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eventyard.control.config import Config
from eventyard.ingest.origin import PublicOrigin
from eventyard.ingest.responses import error_response
from eventyard.ui.vendor import VendorMissing, vendor_file

__all__ = ["BUNDLES_PATH", "LIBRARY_PATH", "analytics_js_routes"]

LIBRARY_PATH = "/analytics.js/v1/{write_key}/analytics.min.js"
BUNDLES_PATH = "/analytics-next/bundles/{name}"
_PACKAGE = "@segment/analytics-next/dist/umd"
_LIBRARY = f"{_PACKAGE}/standalone.js"
_SEGMENT_CDN = b"https://cdn.segment.com"
_JAVASCRIPT = "application/javascript; charset=utf-8"
_CHUNK = re.compile(r"[A-Za-z0-9_-]{1,64}\.bundle\.[0-9a-f]{8,64}\.js(?:\.map)?")
_LIBRARY_CACHE = "public, max-age=300"
"""Short: the URL stays the same when the installed version changes (ETag revalidates)."""
_HOST_LIBRARY_CACHE = "private, max-age=300"
"""Without `server.public_url` the copy depends on the Host header, which a shared cache may
leave out of its key: only the browser that asked may keep it."""
_CHUNK_CACHE = "public, max-age=31536000, immutable"
_MAX_CACHED = 64
"""Bound on cached copies: without `server.public_url` each Host header gets its own copy."""


class _HasConfig(Protocol):
    """All these routes need of a ServerContext: the running configuration, read per request
    so that a source created in the UI can load the library at once."""

    @property
    def config(self) -> Config: ...


@dataclass(frozen=True, slots=True)
class _Asset:
    body: bytes
    gzipped: bytes
    etag: str
    media_type: str
    cache_control: str


def _asset(body: bytes, media_type: str, cache_control: str) -> _Asset:
    digest = hashlib.sha256(body).hexdigest()[:32]
    return _Asset(body, gzip.compress(body, 6, mtime=0), digest, media_type, cache_control)


def _accepts_gzip(header: str | None) -> bool:
    for part in (header or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _serve(request: Request, asset: _Asset) -> Response:
    """The asset, gzipped when the client takes it, or 304 when its ETag still matches."""
    zipped = _accepts_gzip(request.headers.get("accept-encoding"))
    etag = f'"{asset.etag}-gz"' if zipped else f'"{asset.etag}"'
    headers = {
        "ETag": etag,
        "Cache-Control": asset.cache_control,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        # public files: lets a page load them with `crossorigin` (script error details, SRI)
        "Access-Control-Allow-Origin": "*",
    }
    known = request.headers.get("if-none-match", "")
    if known.strip() == "*" or etag in (tag.strip().removeprefix("W/") for tag in known.split(",")):
        return Response(status_code=304, headers=headers)
    if zipped:
        headers["Content-Encoding"] = "gzip"
    body = asset.gzipped if zipped else asset.body
    return Response(body, media_type=asset.media_type, headers=headers)


def _not_installed(error: VendorMissing) -> Response:
    return error_response(503, "not_installed", f"analytics.js is not available: {error}")


class _Files:
    """Installed files read once and kept while their modification time and size stay the
    same (`make install` may upgrade them under a running server)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int, int, str | None, bool], _Asset] = {}

    def get(self, relative: str, origin: str | None = None, shared: bool = True) -> _Asset:
        """The file (raises VendorMissing); with `origin`, the library with Segment's CDN
        replaced by it (cacheable by shared caches only when `shared`), else a chunk or
        source map as installed."""
        path: Path = vendor_file(relative)
        stat = path.stat()
        key = (relative, stat.st_mtime_ns, stat.st_size, origin, shared)
        asset = self._cache.get(key)
        if asset is None:
            body = path.read_bytes()
            if origin is not None:
                body = body.replace(_SEGMENT_CDN, origin.encode("ascii"))
                asset = _asset(body, _JAVASCRIPT, _LIBRARY_CACHE if shared else _HOST_LIBRARY_CACHE)
            elif relative.endswith(".map"):
                asset = _asset(body, "application/json", _CHUNK_CACHE)
            else:
                asset = _asset(body, _JAVASCRIPT, _CHUNK_CACHE)
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[key] = asset
        return asset


def analytics_js_routes(ctx: _HasConfig) -> list[BaseRoute]:
    """The library for a known write key (404 otherwise, like Segment) and its chunks."""
    files = _Files()
    public = PublicOrigin(ctx.config.server.public_url)

    async def library(request: Request) -> Response:
        write_key = request.path_params["write_key"]
        if write_key not in ctx.config.source_by_key():
            return error_response(404, "not_found", "unknown write key")
        origin = public.of(request)
        if origin is None:
            return error_response(400, "invalid_request", "the Host header is not host[:port]")
        try:
            return _serve(request, files.get(_LIBRARY, origin.url, public.fixed))
        except VendorMissing as error:
            return _not_installed(error)

    async def bundle(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            vendor_file(_LIBRARY)
        except VendorMissing as error:
            return _not_installed(error)
        try:
            if _CHUNK.fullmatch(name):
                return _serve(request, files.get(f"{_PACKAGE}/{name}"))
        except VendorMissing:
            pass
        return error_response(404, "not_found", "no such analytics.js bundle")

    return [
        Route(LIBRARY_PATH, library, methods=["GET"]),
        Route(BUNDLES_PATH, bundle, methods=["GET"]),
    ]
