"""Your account: who you are signed in as, your workspaces, and changing your own password.

A new password ends every session of the account (a stolen cookie stops working) except the
one that changed it, which gets a fresh session in the same transaction.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control import accounts
from eventyard.control.context import ServerContext
from eventyard.control.passwords import MAX_PASSWORD, MIN_PASSWORD, matches_in_pool
from eventyard.errors import ConfigError
from eventyard.ui.formdata import read_form
from eventyard.ui.pages_auth import SESSION_DAYS, set_cookie
from eventyard.ui.session import SESSION_COOKIE, UiUser, require
from eventyard.ui.settings_tabs import TABS
from eventyard.ui.templating import render

__all__ = ["account_routes"]


async def _page(
    request: Request,
    user: UiUser,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "title": "Settings",
        "tabs": TABS,
        "tab": "account",
        "memberships": sorted(user.workspaces.items()),
        "errors": errors or {},
        "changed": request.query_params.get("done") == "password",
        "min_password": MIN_PASSWORD,
    }
    return render(request, "settings_account.html", context, status)


@require("viewer")
async def account_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    return await _page(request, user)


def _change(email: str, new: str, conn: sqlite3.Connection) -> str:
    """Set the new password (ending every session), and open a new session for the person
    who changed it."""
    accounts.set_password(conn, email, new, f"user:{email}")
    return accounts.create_session(conn, email)


def _check(current: str, new: str, confirm: str) -> dict[str, str]:
    errors = {}
    if not current:
        errors["current"] = "Type your current password."
    if not MIN_PASSWORD <= len(new) <= MAX_PASSWORD:
        errors["new"] = f"Use {MIN_PASSWORD} to {MAX_PASSWORD} characters."
    elif new != confirm:
        errors["confirm"] = "The two new passwords differ."
    return errors


@require("viewer")
async def change_password(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    form = await read_form(request)
    current, new = form.get("current")[:MAX_PASSWORD], form.get("new")
    errors = _check(current, new, form.get("confirm"))
    if errors:
        return await _page(request, user, errors, 400)
    stored = await ctx.state.run(partial(accounts.stored_password, email=user.email))
    if not await matches_in_pool(current, stored):  # off the state thread, like sign-in
        return await _page(request, user, {"current": "That is not your current password."}, 400)
    try:
        session = await ctx.state.run(partial(_change, user.email, new))
    except ConfigError as error:  # a rule of accounts.set_password
        return await _page(request, user, {"new": str(error)}, 400)
    response = RedirectResponse("/settings/account?done=password", status_code=303)
    set_cookie(request, response, SESSION_COOKIE, session, SESSION_DAYS * 86400)
    return response


def account_routes(ctx: ServerContext) -> list[BaseRoute]:
    return [
        Route("/settings/account", account_page(ctx), methods=["GET"]),
        Route("/settings/account/password", change_password(ctx), methods=["POST"]),
    ]
