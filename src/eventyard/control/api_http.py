"""The REST API's plumbing: endpoint declarations, authentication, body reading, errors.

Every `/api/v1` route is declared once as an `Endpoint` (method, path, handler, the role it
needs, and the types of its body and answer). The same declarations build the Starlette
routes and the OpenAPI document, so the document cannot miss a route or disagree with it
about who may call it.

Handlers raise `ApiError` (or `ConfigError`, answered 400 with the message that names the
key) and read the authenticated caller with `caller(request)`. Errors have the shape every
eventyard API answers with: `{"success": false, "code": ..., "message": ...}`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from eventyard.control.accounts import Principal, Role
from eventyard.control.api_auth import authenticate, require
from eventyard.control.api_errors import ApiError
from eventyard.errors import ConfigError, IngestError, PayloadTooLarge
from eventyard.ingest.body import parse_object, read_body
from eventyard.ingest.responses import error_response

if TYPE_CHECKING:
    from eventyard.control.context import ServerContext

__all__ = [
    "MAX_BODY_BYTES",
    "Endpoint",
    "Handler",
    "Param",
    "build_routes",
    "caller",
    "encoded",
    "object_name",
    "read_object",
    "read_struct",
]

MAX_BODY_BYTES = 1_000_000
"""The largest request body the API reads; the same bound as an eventyard.yaml file."""

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_PRINCIPAL = "eventyard.principal"
_ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

T = TypeVar("T")

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Param:
    """A query parameter, for the OpenAPI document."""

    name: str
    kind: type
    description: str


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One operation of the REST API: how it is routed, guarded and documented."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    role: Role | None = "viewer"
    """The least role that may call it; None: no token needed (documents, metrics)."""
    body: Any = None
    """The request body's type (a msgspec Struct, or `dict[str, Any]`), if it takes one."""
    response: Any = None
    """The success body's type; None: no body (204) or not JSON."""
    status: int = 200
    params: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()
    """Error statuses beyond the ones every authenticated endpoint has (401, 403)."""
    media_type: str = "application/json"


def caller(request: Request) -> Principal:
    """Who made this request; only for handlers of endpoints with a role."""
    principal = request.scope.get(_PRINCIPAL)
    if not isinstance(principal, Principal):
        raise RuntimeError("caller() used in an endpoint declared without a role")
    return principal


def object_name(request: Request, what: str, key: str = "name") -> str:
    """A path's object name; names that no object can have are simply not found (nor `.`
    and `..`, which clients rewrite as path steps before sending them)."""
    name: str = request.path_params[key]
    if not _NAME.fullmatch(name) or not name.strip("."):
        raise ApiError(404, f"unknown_{what}", f"no {what} named {name[:80]!r} in this workspace")
    return name


async def read_object(request: Request) -> dict[str, Any]:
    """The JSON object body, at most MAX_BODY_BYTES (413 beyond)."""
    try:
        raw = await read_body(
            request.stream(), request.headers.get("content-length"), MAX_BODY_BYTES
        )
    except ClientDisconnect:
        raise ApiError(400, "invalid_request", "the client disconnected mid-body") from None
    return parse_object(raw)


async def read_struct(request: Request, kind: type[T]) -> T:
    """The body decoded as a request Struct; 400 naming the key that is wrong."""
    try:
        return msgspec.convert(await read_object(request), kind)
    except msgspec.ValidationError as error:
        raise ApiError(400, "invalid_json", str(error)) from None


def _plain_number(value: Any) -> Any:
    if isinstance(value, float):  # a subclass, like a `Duration` default in a catalog
        return float(value)
    raise NotImplementedError(type(value))


def encoded(value: Any, status: int = 200) -> Response:
    """A Struct (or plain data) as the JSON answer."""
    body = msgspec.json.encode(value, enc_hook=_plain_number)
    return Response(body, status_code=status, media_type="application/json")


def _guard(ctx: ServerContext, endpoint: Endpoint) -> Handler:
    async def handle(request: Request) -> Response:
        try:
            if endpoint.role is not None:
                principal = await authenticate(request, ctx)
                require(principal, endpoint.role)
                request.scope[_PRINCIPAL] = principal
            return await endpoint.handler(request)
        except ApiError as error:
            return error_response(error.status, error.code, str(error), error.headers)
        except PayloadTooLarge as error:
            return error_response(413, error.code, error.message)
        except IngestError as error:
            return error_response(400, "invalid_json", error.message)
        except ConfigError as error:
            return error_response(400, "invalid_config", str(error))

    return handle


def _fallback(routes: list[Route]) -> Handler:
    """Unknown paths and methods under /api answered in JSON, like every API error."""

    async def handle(request: Request) -> Response:
        allowed = sorted(
            method
            for route in routes
            if route.matches(request.scope)[0] is Match.PARTIAL
            for method in route.methods or ()
        )
        if allowed:
            message = f"{request.method} is not allowed here; use {', '.join(allowed)}"
            return error_response(405, "method_not_allowed", message, {"Allow": ", ".join(allowed)})
        return error_response(404, "not_found", "no such API endpoint; see /api/docs")

    return handle


def build_routes(ctx: ServerContext, endpoints: list[Endpoint]) -> list[BaseRoute]:
    """Starlette routes for the endpoints, each behind its role check and error mapping,
    then a JSON answer for any other path under /api."""
    routes = [Route(e.path, _guard(ctx, e), methods=[e.method]) for e in endpoints]
    return [*routes, Route("/api/{rest:path}", _fallback(routes), methods=_ANY_METHOD)]
