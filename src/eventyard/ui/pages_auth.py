"""Sign in, sign out, and switching workspace.

The sign-in form is protected against cross-site posting by a double-submit token (a cookie
and a hidden field that must match), since there is no session yet to derive a token from.
"""

from __future__ import annotations

import hmac
import secrets
import sqlite3
from functools import partial

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control.accounts import (
    create_session,
    delete_session,
    stored_password,
    user_workspaces,
)
from eventyard.control.context import ServerContext
from eventyard.control.logins import Throttled
from eventyard.control.passwords import matches_in_pool
from eventyard.ingest.client_ip import ClientIp
from eventyard.ui.formdata import read_form
from eventyard.ui.problems import PageError
from eventyard.ui.session import (
    SESSION_COOKIE,
    WORKSPACE_COOKIE,
    UiUser,
    current_user,
    require,
    safe_next,
)
from eventyard.ui.templating import render, render_error

__all__ = ["SESSION_DAYS", "auth_routes", "set_cookie"]

LOGIN_COOKIE = "eventyard_login"
SESSION_DAYS = 14
_MAX_EMAIL = 320
_MAX_PASSWORD = 1024


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """An HttpOnly, SameSite=Lax cookie (Secure over https), as every UI cookie is."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def _login_page(
    request: Request, next_path: str, email: str = "", error: str = "", status: int = 200
) -> Response:
    token = secrets.token_urlsafe(24)
    context = {"login_token": token, "next": next_path, "email": email, "error": error}
    response = render(request, "login.html", context, status)
    set_cookie(request, response, LOGIN_COOKIE, token, 3600)
    return response


async def login_form(request: Request, ctx: ServerContext) -> Response:
    next_path = safe_next(request.query_params.get("next"))
    if await current_user(request, ctx) is not None:
        return RedirectResponse(next_path, status_code=303)
    return _login_page(request, next_path)


def _open_session(email: str, conn: sqlite3.Connection) -> str | None:
    """A new session for a member of at least one workspace, else None."""
    return create_session(conn, email) if user_workspaces(conn, email) else None


async def _sign_in(ctx: ServerContext, email: str, password: str) -> str | None:
    """A session when the password matches; the hash is computed in the password pool,
    never on the state thread (which every API call and delivery waits on)."""
    stored = await ctx.state.run(partial(stored_password, email=email))
    if not await matches_in_pool(password, stored):
        return None
    return await ctx.state.run(partial(_open_session, email))


def _throttled(request: Request, next_path: str, email: str, refused: Throttled) -> Response:
    minutes = -(-refused.retry_after // 60)
    wait = f"{minutes} minute{'s' if minutes > 1 else ''}"
    message = (
        "Too many failed sign-ins from this address or for this account. Wait "
        f"{wait} and try again (every attempt until then is refused, even a right password)."
    )
    if refused.limit == "busy":
        message = "The server is checking many sign-ins at once. Try again in a moment."
    response = _login_page(request, next_path, email, message, 429)
    response.headers["Retry-After"] = str(refused.retry_after)
    return response


async def login(request: Request, ctx: ServerContext, proxies: ClientIp) -> Response:
    try:
        form = await read_form(request)
    except PageError as error:
        return render_error(request, error)
    next_path = safe_next(form.get("next"))
    email, password = form.get("email").strip(), form.get("password")
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, form.get("login_token")):
        message = "The sign-in form had expired. Please sign in again."
        return _login_page(request, next_path, email[:_MAX_EMAIL], message, 403)
    session = None
    if email and password and len(email) <= _MAX_EMAIL and len(password) <= _MAX_PASSWORD:
        peer = request.client.host if request.client else None
        client = proxies.resolve(peer, request.headers.get("x-forwarded-for"))
        try:
            with ctx.logins.attempt(client, email) as attempt:
                session = await _sign_in(ctx, email, password)
                if session is not None:
                    attempt.succeeded()
        except Throttled as refused:
            return _throttled(request, next_path, email[:_MAX_EMAIL], refused)
    if session is None:
        message = "Wrong email or password, or the account has no workspace yet."
        return _login_page(request, next_path, email[:_MAX_EMAIL], message, 401)
    response = RedirectResponse(next_path, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, session, SESSION_DAYS * 86400)
    response.delete_cookie(LOGIN_COOKIE)
    return response


@require("viewer")
async def logout_form(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    return render(request, "logout.html", {})


@require("viewer")
async def logout(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    session = request.cookies.get(SESSION_COOKIE, "")
    await ctx.state.run(lambda conn: delete_session(conn, session))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(WORKSPACE_COOKIE)
    return response


@require("viewer")
async def switch_workspace(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    form = await read_form(request)
    workspace = form.get("workspace")
    if workspace not in user.workspaces:
        raise PageError(400, "Unknown workspace", "You are not a member of that workspace.")
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    set_cookie(request, response, WORKSPACE_COOKIE, workspace, SESSION_DAYS * 86400)
    return response


def auth_routes(ctx: ServerContext) -> list[BaseRoute]:
    proxies = ClientIp(ctx.config.server.trusted_proxies)  # as the tracking API believes
    return [
        Route("/login", partial(login_form, ctx=ctx), methods=["GET"]),
        Route("/login", partial(login, ctx=ctx, proxies=proxies), methods=["POST"]),
        Route("/logout", logout_form(ctx), methods=["GET"]),
        Route("/logout", logout(ctx), methods=["POST"]),
        Route("/workspace", switch_workspace(ctx), methods=["POST"]),
    ]
