"""`Authorization: Bearer ey_...` to a Principal, and role checks (RFC 6750 answers).

A missing or unusable token is 401 with `WWW-Authenticate`, so that clients know to send
one; a valid token whose role is too low is 403. Tokens longer than any eventyard issues
are refused before they reach the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

from eventyard.control import accounts
from eventyard.control.accounts import Principal, Role
from eventyard.control.api_errors import ApiError

if TYPE_CHECKING:
    from eventyard.control.context import ServerContext

__all__ = ["MAX_TOKEN_CHARS", "ROLE_RANK", "authenticate", "require"]

MAX_TOKEN_CHARS = 200
"""Issued tokens are `ey_` and 43 characters; anything this long is not one."""

ROLE_RANK: dict[Role, int] = {"viewer": 0, "editor": 1, "owner": 2}

_HOW = (
    "send `Authorization: Bearer <token>`; the server wrote an owner token to "
    "<data-dir>/admin-token on first start, and `eventyard tokens create` makes more"
)


def _refuse(code: str, message: str, error: str | None) -> ApiError:
    challenge = 'Bearer realm="eventyard"'
    if error is not None:
        challenge += f', error="{error}"'
    return ApiError(401, code, message, {"WWW-Authenticate": challenge})


async def authenticate(request: Request, ctx: ServerContext) -> Principal:
    """The token's principal, or a 401 ApiError saying what to send."""
    header = request.headers.get("authorization", "")
    if not header:
        raise _refuse("unauthorized", f"no token: {_HOW}", None)
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _refuse("unauthorized", f"not a Bearer token: {_HOW}", "invalid_request")
    if len(token) > MAX_TOKEN_CHARS or not token.isascii() or not token.isprintable():
        raise _refuse("invalid_token", "that is not an eventyard token", "invalid_token")
    principal = await ctx.state.run(lambda conn: accounts.authenticate_token(conn, token))
    if principal is None:
        raise _refuse(
            "invalid_token",
            "unknown or revoked token; ask an owner of the workspace for a new one",
            "invalid_token",
        )
    return principal


def require(principal: Principal, role: Role) -> None:
    """403 unless the principal's role is at least `role` (viewer < editor < owner)."""
    if ROLE_RANK[principal.role] < ROLE_RANK[role]:
        raise ApiError(
            403,
            "forbidden",
            f"this needs the {role} role in workspace {principal.workspace!r}; "
            f"this token is a {principal.role}",
        )
