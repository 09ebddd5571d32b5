"""Workspaces: the ones you belong to (switch between them), the invitations waiting for
you (accept or decline), and a new one for owners.

Like `POST /api/v1/workspaces`, creating a workspace needs the owner role where you are now.
The creator becomes the new workspace's owner (a workspace nobody owns could never get users
or tokens) and is switched into it.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control import accounts, invitations, workspaces
from eventyard.control.context import ServerContext
from eventyard.errors import ConfigError
from eventyard.ui.formdata import read_form
from eventyard.ui.pages_auth import SESSION_DAYS, set_cookie
from eventyard.ui.problems import PageError
from eventyard.ui.session import WORKSPACE_COOKIE, UiUser, require
from eventyard.ui.settings_tabs import TABS
from eventyard.ui.templating import render

__all__ = ["workspace_routes"]


async def _page(
    request: Request,
    ctx: ServerContext,
    user: UiUser,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    waiting = await ctx.state.run(partial(invitations.invitations_for, email=user.email))
    context: dict[str, Any] = {
        "title": "Settings",
        "tabs": TABS,
        "tab": "workspaces",
        "memberships": sorted(user.workspaces.items()),
        "invitations": waiting,
        "name": "",
        "error": None,
        **(extra or {}),
    }
    return render(request, "settings_workspaces.html", context, status)


@require("viewer")
async def workspaces_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    return await _page(request, ctx, user)


def _create(name: str, user: UiUser, conn: sqlite3.Connection) -> None:
    workspaces.create_workspace(conn, name, user.actor)
    accounts.set_membership(conn, user.email, name, "owner", user.actor)


@require("owner")
async def create_workspace(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    name = (await read_form(request)).get("name").strip()
    try:
        await ctx.plane.change(partial(_create, name, user))
    except ConfigError as error:
        message = str(error).removeprefix("workspace: ")
        return await _page(request, ctx, user, {"name": name[:64], "error": message}, 400)
    response = RedirectResponse("/settings/workspaces?done=created", status_code=303)
    set_cookie(request, response, WORKSPACE_COOKIE, name, SESSION_DAYS * 86400)
    return response


async def _answer(request: Request, ctx: ServerContext, user: UiUser, accept: bool) -> Response:
    """Only an invitation addressed to the signed-in user is found (a 404 page otherwise)."""
    invitation_id = request.path_params["id"][:64]
    try:
        await ctx.state.run(
            partial(
                invitations.answer, email=user.email, invitation_id=invitation_id, accept=accept
            )
        )
    except ConfigError as error:
        raise PageError(404, "No such invitation", str(error)) from None
    done = "joined" if accept else "declined"
    return RedirectResponse(f"/settings/workspaces?done={done}", status_code=303)


@require("viewer")
async def accept_invitation(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    return await _answer(request, ctx, user, accept=True)


@require("viewer")
async def decline_invitation(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    return await _answer(request, ctx, user, accept=False)


def workspace_routes(ctx: ServerContext) -> list[BaseRoute]:
    return [
        Route("/settings/workspaces", workspaces_page(ctx), methods=["GET"]),
        Route("/settings/workspaces", create_workspace(ctx), methods=["POST"]),
        Route("/settings/invitations/{id}/accept", accept_invitation(ctx), methods=["POST"]),
        Route("/settings/invitations/{id}/decline", decline_invitation(ctx), methods=["POST"]),
    ]
