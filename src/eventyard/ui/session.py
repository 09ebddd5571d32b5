"""Who is signed in, in which workspace, and what they may do.

The session cookie (`eventyard_session`, HttpOnly, SameSite=Lax) names a session row in
state.db (`control.accounts`); the chosen workspace is a second cookie, trusted only when the
user is a member of it. Every page handler is wrapped by `require(role)`:

    @require("editor")
    async def save(request: Request, ctx: ServerContext, user: UiUser) -> Response: ...

    Route("/things", save(ctx), methods=["POST"])

It sends anonymous visitors to /login (htmx requests get `HX-Redirect`), answers 403 below the
role, and refuses any POST/PUT/PATCH/DELETE without the session's CSRF token (form field
`csrf_token`, or header `X-CSRF-Token`, which htmx sends from `hx-headers` on <body>). A
`PageError` becomes its error page; a `ConfigError` (a change the store refused) a 400 page.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from eventyard.control.accounts import Role, session_user, user_workspaces
from eventyard.control.context import ServerContext
from eventyard.errors import ConfigError
from eventyard.ui.formdata import read_form
from eventyard.ui.problems import PageError
from eventyard.ui.templating import render_error

__all__ = [
    "SESSION_COOKIE",
    "WORKSPACE_COOKIE",
    "PageHandler",
    "UiUser",
    "csrf_token",
    "current_user",
    "login_redirect",
    "require",
    "safe_next",
]

SESSION_COOKIE = "eventyard_session"
WORKSPACE_COOKIE = "eventyard_workspace"
_RANK: dict[str, int] = {"viewer": 0, "editor": 1, "owner": 2}
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_COOKIE = 256

PageHandler = Callable[[Request, ServerContext, "UiUser"], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class UiUser:
    email: str
    workspace: str
    role: Role
    workspaces: Mapping[str, Role]
    """Every workspace the user belongs to, with their role there (for the switcher)."""
    csrf_token: str

    @property
    def actor(self) -> str:
        """How the audit log names this user."""
        return f"user:{self.email}"

    def has(self, role: Role) -> bool:
        return _RANK[self.role] >= _RANK[role]

    def can_write(self) -> bool:
        return self.has("editor")

    def can_admin(self) -> bool:
        return self.has("owner")


def csrf_token(session: str) -> str:
    """Derived from the session secret: no storage, and unguessable without the cookie."""
    return hmac.new(session.encode(), b"eventyard ui csrf", hashlib.sha256).hexdigest()


def _pick_workspace(workspaces: Mapping[str, Role], wanted: str | None) -> str:
    if wanted is not None and wanted in workspaces:
        return wanted
    return "default" if "default" in workspaces else min(workspaces)


async def current_user(request: Request, ctx: ServerContext) -> UiUser | None:
    """The signed-in user, or None (no cookie, an expired session, or no workspace left)."""
    if hasattr(request.state, "ui_user"):
        cached: UiUser | None = request.state.ui_user
        return cached
    request.state.ui_user = None
    session = request.cookies.get(SESSION_COOKIE, "")
    if not session or len(session) > _MAX_COOKIE:
        return None

    def load(conn: sqlite3.Connection) -> tuple[str, dict[str, Role]] | None:
        email = session_user(conn, session)
        return None if email is None else (email, user_workspaces(conn, email))

    found = await ctx.state.run(load)
    if found is None or not found[1]:
        return None
    email, workspaces = found
    workspace = _pick_workspace(workspaces, request.cookies.get(WORKSPACE_COOKIE))
    user = UiUser(email, workspace, workspaces[workspace], workspaces, csrf_token(session))
    request.state.ui_user = user
    return user


def safe_next(value: str | None) -> str:
    """`value` when it is a path on this site, else "/": never redirect to another origin."""
    if not value or len(value) > 2000 or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "/"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/"


def login_redirect(request: Request) -> Response:
    """To /login, coming back here afterwards (GET only: a form post cannot be replayed)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    back = here if request.method == "GET" else "/"
    target = "/login" if back == "/" else f"/login?next={quote(back, safe='/')}"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _check_csrf(request: Request, user: UiUser) -> None:
    sent = request.headers.get("x-csrf-token") or (await read_form(request)).get("csrf_token")
    if not hmac.compare_digest(sent.encode(), user.csrf_token.encode()):
        raise PageError(
            403,
            "Form expired",
            "This form was not sent from an open eventyard page (or your session changed). "
            "Reload the page and try again.",
        )


def require(role: Role) -> Callable[[PageHandler], Callable[[ServerContext], Endpoint]]:
    """Wrap a page handler: sign-in, role, CSRF and PageError handling in one place."""

    def decorate(handler: PageHandler) -> Callable[[ServerContext], Endpoint]:
        def bind(ctx: ServerContext) -> Endpoint:
            async def endpoint(request: Request) -> Response:
                try:
                    user = await current_user(request, ctx)
                    if user is None:
                        return login_redirect(request)
                    if request.method not in _SAFE_METHODS:
                        await _check_csrf(request, user)
                    if not user.has(role):
                        raise PageError(
                            403,
                            "Not allowed",
                            f"This needs the {role} role in workspace {user.workspace!r}; "
                            f"you are {user.role}. Ask an owner of the workspace.",
                        )
                    return await handler(request, ctx, user)
                except PageError as error:
                    return render_error(request, error)
                except ConfigError as error:  # e.g. a change refused by the store
                    return render_error(request, PageError(400, "Not saved", str(error)))

            endpoint.__name__ = handler.__name__
            return endpoint

        return bind

    return decorate
