"""Settings: API tokens (a new token is shown once) and the workspace's users. As in the API,
only owners see and manage them; other roles get a note saying so. An install admin creates
users and adds them directly; other owners invite a login, which its user accepts under
Settings > Workspaces. `settings_routes` also gathers the section's other pages (your
account, workspaces).
"""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control import accounts, invitations
from eventyard.control.accounts import ROLES, Role, TokenInfo, check_role
from eventyard.control.context import ServerContext
from eventyard.errors import ConfigError
from eventyard.ui.formdata import read_form
from eventyard.ui.pages_account import account_routes
from eventyard.ui.pages_workspaces import workspace_routes
from eventyard.ui.problems import PageError
from eventyard.ui.session import UiUser, require
from eventyard.ui.settings_tabs import TABS
from eventyard.ui.templating import render

__all__ = ["settings_routes"]


@require("viewer")
async def settings_home(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    landing = "/settings/tokens" if user.can_admin() else "/settings/account"
    return RedirectResponse(landing, status_code=303)


async def _tokens_page(
    request: Request, ctx: ServerContext, user: UiUser, extra: dict[str, Any], status: int = 200
) -> Response:
    tokens: list[TokenInfo] = []
    if user.can_admin():
        tokens = await ctx.state.run(partial(accounts.list_tokens, workspace=user.workspace))
    context = {
        "title": "Settings",
        "tabs": TABS,
        "tab": "tokens",
        "tokens": tokens,
        "roles": ROLES,
        "new_token": None,
        "name": "",
        "role": "viewer",
        "error": None,
        **extra,
    }
    return render(request, "settings_tokens.html", context, status)


@require("viewer")
async def tokens_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    return await _tokens_page(request, ctx, user, {})


def _role(text: str) -> Role:
    try:
        return check_role(text)
    except ConfigError:
        raise PageError(400, "Unknown role", f"Choose one of: {', '.join(ROLES)}.") from None


@require("owner")
async def create_token(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    form = await read_form(request)
    name, role = form.get("name").strip(), _role(form.get("role"))
    create = partial(
        accounts.create_token, workspace=user.workspace, role=role, name=name, actor=user.actor
    )
    try:
        token = await ctx.state.run(create)
    except ConfigError as error:
        typed = {"name": name, "role": role, "error": str(error)}
        return await _tokens_page(request, ctx, user, typed, 400)
    return await _tokens_page(request, ctx, user, {"new_token": token, "new_name": name})


@require("owner")
async def revoke_token(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    text = request.path_params["id"]
    token_id = int(text) if text.isdigit() and len(text) < 18 else -1
    revoke = partial(
        accounts.revoke_token, workspace=user.workspace, token_id=token_id, actor=user.actor
    )
    if not await ctx.state.run(revoke):
        raise PageError(404, "No such token", "This workspace has no token with that id.")
    return RedirectResponse("/settings/tokens?done=revoked", status_code=303)


async def _users_page(
    request: Request, ctx: ServerContext, user: UiUser, extra: dict[str, Any], status: int = 200
) -> Response:
    people: list[tuple[str, Role]] = []
    waiting: list[invitations.Invitation] = []
    if user.can_admin():
        people = await ctx.state.run(partial(accounts.list_members, workspace=user.workspace))
        waiting = await ctx.state.run(partial(invitations.pending, workspace=user.workspace))
    context = {
        "title": "Settings",
        "tabs": TABS,
        "tab": "users",
        "members": people,
        "invitations": waiting,
        "install_admin": invitations.install_admin(user.workspaces),
        "roles": ROLES,
        "email": "",
        "role": "viewer",
        "error": None,
        **extra,
    }
    return render(request, "settings_users.html", context, status)


@require("viewer")
async def users_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    return await _users_page(request, ctx, user, {})


def _add_user(email: str, password: str, role: Role, user: UiUser, conn: sqlite3.Connection) -> str:
    """An install admin's: a new user, or a new role here for an existing one (password
    unchanged). Any other owner's: an invitation, made alike whether or not the login
    exists. Returns the notice to show."""
    if not invitations.install_admin(user.workspaces):
        invitations.invite(conn, email, user.workspace, role, user.actor)
        return "invited"
    if accounts.user_exists(conn, email):
        accounts.set_membership(conn, email, user.workspace, role, user.actor)
    else:
        accounts.create_user(conn, email, password, user.workspace, role, user.actor)
    return "added"


@require("owner")
async def add_user(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    form = await read_form(request)
    email, password, role = form.get("email").strip(), form.get("password"), _role(form.get("role"))
    try:
        done = await ctx.state.run(partial(_add_user, email, password, role, user))
    except ConfigError as error:
        typed = {"email": email[:320], "role": role, "error": str(error)}
        return await _users_page(request, ctx, user, typed, 400)
    return RedirectResponse(f"/settings/users?done={done}", status_code=303)


@require("owner")
async def withdraw_invitation(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    withdraw = partial(
        invitations.withdraw,
        workspace=user.workspace,
        invitation_id=request.path_params["id"][:64],
        actor=user.actor,
    )
    if not await ctx.state.run(withdraw):
        raise PageError(404, "No such invitation", "It was answered, withdrawn or expired.")
    return RedirectResponse("/settings/users?done=withdrawn", status_code=303)


def settings_routes(ctx: ServerContext) -> list[BaseRoute]:
    return [
        Route("/settings", settings_home(ctx), methods=["GET"]),
        Route("/settings/tokens", tokens_page(ctx), methods=["GET"]),
        Route("/settings/tokens", create_token(ctx), methods=["POST"]),
        Route("/settings/tokens/{id}/revoke", revoke_token(ctx), methods=["POST"]),
        Route("/settings/users", users_page(ctx), methods=["GET"]),
        Route("/settings/users", add_user(ctx), methods=["POST"]),
        Route("/settings/invitations/{id}/withdraw", withdraw_invitation(ctx), methods=["POST"]),
        *account_routes(ctx),
        *workspace_routes(ctx),
    ]
