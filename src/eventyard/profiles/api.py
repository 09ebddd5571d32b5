"""The Profile API, at Segment's paths, with Segment's answers (segment.md §5.3):

    GET /v1/spaces/<space_id>/collections/users/profiles/<id_type>:<id>/traits
        .../external_ids | /events | /metadata | /links     (and collections/accounts)

`<id_type>:<id>` is any identifier (`user_id:`, `anonymous_id:`, `email:`, custom types;
URL-encoded, `+` as `%2B`), or a profile id: bare `use_...` as in Segment's cursor URLs,
or `profile_id:use_...`. A merged profile's old id answers for the profile it joined.
Accounts are `group_id:<id>`.

Auth is HTTP Basic with the space's access token, `profiles.access_token`, as the username
and an empty password. Profiles span every source of every workspace, so no workspace's
API token reads them (a viewer of one workspace would see another's events); without
`profiles.access_token` the Profile API answers 401. Every answer carries `Request-Id`;
errors are `{"error": {"code", "message"}}`; there is no CORS (`ingest.cors`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import uuid
from datetime import UTC
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eventyard.control.context import ServerContext
from eventyard.profiles import queries
from eventyard.profiles.api_views import Page, Params, account_view, user_view
from eventyard.profiles.identifiers import Extractor
from eventyard.profiles.sql import Sql
from eventyard.profiles.store import ProfilesNotReady, open_store
from eventyard.spec.timestamps import parse_iso

__all__ = ["MAX_ID_CHARS", "MAX_PARAM_CHARS", "RESOURCES", "profile_api_routes"]

RESOURCES = frozenset({"traits", "external_ids", "events", "metadata", "links"})
MAX_ID_CHARS = 1024
MAX_PARAM_CHARS = 4096
_LIMITS = {"traits": (10, 200), "links": (20, 20)}
"""Per resource: (default, max) `limit`; the others take 10 and 1-100."""
_NOT_FOUND = "Profile was not found."


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _answer(body: dict[str, Any], status: int = 200, **headers: str) -> Response:
    headers["Request-Id"] = uuid.uuid4().hex
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def _error(refused: _Refused) -> Response:
    body = {"error": {"code": refused.code, "message": refused.message}}
    headers = {}
    if refused.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="profiles"'
    return _answer(body, refused.status, **headers)


def _token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > 1000:
        raise _Refused(
            401,
            "authentication_error",
            "send the access token as the HTTP Basic username with an empty password "
            "(curl -u TOKEN: ...)",
        )
    try:
        token = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        token = ""
    if not token:
        raise _Refused(401, "authentication_error", "the Basic credentials hold no token")
    return token


def _authorize(request: Request, ctx: ServerContext) -> None:
    token = _token(request)
    configured = ctx.config.profiles.access_token
    if configured and hmac.compare_digest(token.encode(), configured.encode()):
        return
    raise _Refused(
        401,
        "authentication_error",
        "unknown access token; the Profile API takes only the space's profiles.access_token",
    )


def _int(text: str, name: str, low: int, high: int) -> int:
    if not text.isdigit() or len(text) > 6 or not low <= int(text) <= high:
        raise _Refused(400, "validation_error", f"`{name}` must be a number from {low} to {high}")
    return int(text)


def _time(text: str, name: str) -> float | None:
    if not text:
        return None
    moment = parse_iso(text)
    if moment is None:
        raise _Refused(400, "validation_error", f"`{name}` must be an ISO 8601 date or time")
    return moment.replace(tzinfo=UTC).timestamp()


def _params(request: Request, what: str) -> Params:
    query = request.query_params
    if any(len(v) > MAX_PARAM_CHARS for v in query.values()):
        raise _Refused(400, "validation_error", "a query parameter is too long")
    default, most = _LIMITS.get(what, (10, 100))
    limit = _int(query["limit"], "limit", 1, most) if "limit" in query else default
    trait_class = query.get("class") or None
    if trait_class not in (None, "audience", "computed_trait"):
        raise _Refused(400, "validation_error", "`class` must be audience or computed_trait")
    sort = query.get("sort", "desc")
    if sort not in ("asc", "desc"):
        raise _Refused(400, "validation_error", "`sort` must be asc or desc")

    def listed(name: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in query.get(name, "").split(",") if part.strip())

    return Params(
        limit=limit,
        next=query.get("next", ""),
        include=listed("include"),
        exclude=listed("exclude"),
        verbose=query.get("verbose", "false").lower() == "true",
        trait_class=trait_class,
        start=_time(query.get("start", ""), "start"),
        end=_time(query.get("end", ""), "end"),
        descending=sort == "desc",
    )


def _reference(text: str) -> tuple[str, str]:
    """`type:value` (or a bare `use_...` profile id) -> (type, value)."""
    if len(text) > MAX_ID_CHARS:
        raise _Refused(400, "validation_error", f"the id is longer than {MAX_ID_CHARS} characters")
    if "\x00" in text:  # no stored identifier has one
        raise _Refused(404, "not_found", _NOT_FOUND)
    if text.startswith("use_") and ":" not in text:
        return "profile_id", text
    kind, colon, value = text.partition(":")
    if not colon or not kind or not value:
        raise _Refused(
            400, "validation_error", "address a profile as <id_type>:<id>, e.g. user_id:u123"
        )
    return kind, value


def _find(sql: Sql, collection: str, kind: str, value: str) -> str | None:
    if collection == "accounts":
        return value if kind == "group_id" and queries.account_exists(sql, value) else None
    return queries.resolve(sql, kind, value)


def profile_api_routes(ctx: ServerContext) -> list[BaseRoute]:
    """The Profile API; mount beside the tracking API (its paths start /v1/spaces/)."""

    async def profiles(request: Request) -> Response:
        try:
            return await _handle(request, ctx)
        except _Refused as refused:
            return _error(refused)

    path = "/v1/spaces/{space_id}/collections/{collection}/profiles/{rest:path}"
    return [Route(path, profiles, methods=["GET"])]


async def _handle(request: Request, ctx: ServerContext) -> Response:
    _authorize(request, ctx)
    settings = ctx.config.profiles
    space, collection = request.path_params["space_id"], request.path_params["collection"]
    if not hmac.compare_digest(space.encode(), settings.space_id.encode()):
        raise _Refused(404, "not_found", "Space was not found.")
    if collection not in ("users", "accounts"):
        raise _Refused(400, "validation_error", "`collection` must be users or accounts")
    reference, _, what = request.path_params["rest"].rpartition("/")
    if what not in RESOURCES or not reference:
        raise _Refused(404, "not_found", f"use one of /{', /'.join(sorted(RESOURCES))}")
    kind, value = _reference(reference)
    params = _params(request, what)
    extractor = Extractor(settings)
    store = open_store(settings, ctx.data_dir)

    def read(sql: Sql) -> Page | None:
        found = _find(sql, collection, kind, value)
        if found is None:
            return None
        view = account_view if collection == "accounts" else user_view
        return view(sql, what, found, params, extractor)

    try:
        page = await asyncio.to_thread(store.read, read)
    except ProfilesNotReady:
        page = None
    if page is None:
        raise _Refused(404, "not_found", _NOT_FOUND)
    body = dict(page.body)
    if what != "metadata":
        body["cursor"] = {
            "url": request.url.path,
            "has_more": page.has_more,
            "next": page.next,
            "limit": params.limit,
        }
    return _answer(body)
