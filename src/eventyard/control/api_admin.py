"""Who may do what in a workspace: tokens, users and invitations (owners), and the audit log.

An owner invites a login (`/api/v1/invitations`), answered alike whether or not it exists;
only an install admin (an owner of workspace "default") creates logins and adds users
directly (`POST /api/v1/users`). Token and user changes are audited like configuration
changes. The audit log is readable
by every role: its documents are masked, and a viewer can read the configuration anyway.
"""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from eventyard.control import accounts, audit, invitations
from eventyard.control.api_errors import ApiError
from eventyard.control.api_http import Endpoint, Param, caller, encoded, read_struct
from eventyard.control.api_ops import iso
from eventyard.control.api_schemas import (
    AuditRecord,
    CreatedToken,
    InvitationOut,
    Member,
    MemberRole,
    NewInvitation,
    NewMember,
    NewToken,
    TokenOut,
)
from eventyard.errors import ConfigError

if TYPE_CHECKING:
    from eventyard.control.context import ServerContext

__all__ = ["admin_endpoints"]

_ID = re.compile(r"[0-9]{1,18}")


def _unknown_member(raw: str) -> ApiError:
    return ApiError(404, "unknown_user", f"no user {raw[:80]!r} in this workspace")


def _member_login(request: Request) -> str:
    """The path's login; one that no user can have is simply not found."""
    raw: str = request.path_params["email"]
    try:
        return accounts.check_login(raw)
    except ConfigError:
        raise _unknown_member(raw) from None


def _invitation_json(invitation: invitations.Invitation) -> InvitationOut:
    return InvitationOut(
        id=invitation.id,
        email=invitation.email,
        workspace=invitation.workspace,
        role=invitation.role,
        invited_by=invitation.invited_by,
        expires_at=iso(invitation.expires_at),
    )


def _number(request: Request, key: str, default: int | None, most: int) -> int | None:
    raw = request.query_params.get(key)
    if raw is None:
        return default
    if not _ID.fullmatch(raw) or not 1 <= int(raw) <= most:
        raise ApiError(400, f"invalid_{key}", f"{key} must be a whole number from 1 to {most}")
    return int(raw)


class _Admin:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    async def tokens(self, request: Request) -> Response:
        workspace = caller(request).workspace
        found = await self.ctx.plane.read(lambda conn: accounts.list_tokens(conn, workspace))
        return encoded(
            [
                TokenOut(
                    id=t.id,
                    name=t.name,
                    role=t.role,
                    created_at=iso(t.created_at),
                    last_used_at=None if t.last_used_at is None else iso(t.last_used_at),
                )
                for t in found
            ]
        )

    async def create_token(self, request: Request) -> Response:
        body = await read_struct(request, NewToken)
        who = caller(request)

        def create(conn: sqlite3.Connection) -> CreatedToken:
            if any(t.name == body.name for t in accounts.list_tokens(conn, who.workspace)):
                raise ApiError(409, "token_exists", f"a token named {body.name!r} exists")
            token = accounts.create_token(conn, who.workspace, body.role, body.name, who.actor)
            (made,) = [t for t in accounts.list_tokens(conn, who.workspace) if t.name == body.name]
            return CreatedToken(id=made.id, name=made.name, role=made.role, token=token)

        return encoded(await self.ctx.plane.change(create), status=201)

    async def revoke_token(self, request: Request) -> Response:
        raw: str = request.path_params["token_id"]
        who = caller(request)
        token_id = int(raw) if _ID.fullmatch(raw) else -1
        revoked = await self.ctx.plane.change(
            lambda conn: accounts.revoke_token(conn, who.workspace, token_id, who.actor)
        )
        if not revoked:
            raise ApiError(404, "unknown_token", f"no token with id {raw[:80]!r} in this workspace")
        return Response(status_code=204)

    async def users(self, request: Request) -> Response:
        workspace = caller(request).workspace
        found = await self.ctx.plane.read(lambda conn: accounts.list_members(conn, workspace))
        return encoded([Member(email=email, role=role) for email, role in found])

    async def set_role(self, request: Request) -> Response:
        """A member's role here; the last owner cannot be made less (400 saying so)."""
        login = _member_login(request)
        body = await read_struct(request, MemberRole)
        who = caller(request)

        def change(conn: sqlite3.Connection) -> Member:
            if who.workspace not in accounts.user_workspaces(conn, login):
                raise _unknown_member(login)
            accounts.set_membership(conn, login, who.workspace, body.role, who.actor)
            return Member(email=login, role=body.role)

        return encoded(await self.ctx.plane.change(change))

    async def remove_user(self, request: Request) -> Response:
        """Take a user out of this workspace (the user keeps their other workspaces)."""
        login = _member_login(request)
        who = caller(request)
        removed = await self.ctx.plane.change(
            lambda conn: accounts.remove_membership(conn, login, who.workspace, who.actor)
        )
        if not removed:
            raise _unknown_member(login)
        return Response(status_code=204)

    async def add_user(self, request: Request) -> Response:
        """An install admin's: a new user with a password, or an existing one (no password)
        joining this workspace; either way with the given role here. Other owners are
        refused before any look-up, so the answer tells them nothing about the login."""
        who = caller(request)
        if not invitations.install_admin({who.workspace: who.role}):
            raise ApiError(
                403,
                "install_admin_only",
                "only an install admin (an owner of workspace 'default') creates users or adds "
                "them directly; invite a login with POST /api/v1/invitations instead",
            )
        body = await read_struct(request, NewMember)

        def add(conn: sqlite3.Connection) -> Member:
            login = accounts.check_login(body.email)
            if not accounts.user_exists(conn, login):
                if body.password is None:
                    raise ApiError(
                        400, "password_required", f"{login!r} is a new user: send a password"
                    )
                accounts.create_user(
                    conn, login, body.password, who.workspace, body.role, who.actor
                )
            elif body.password is not None:
                raise ApiError(
                    409,
                    "user_exists",
                    f"user {login!r} exists; send no password to give them a role here "
                    "(users change their own passwords)",
                )
            else:
                accounts.set_membership(conn, login, who.workspace, body.role, who.actor)
            return Member(email=login, role=body.role)

        return encoded(await self.ctx.plane.change(add), status=201)

    async def invitations(self, request: Request) -> Response:
        workspace = caller(request).workspace
        found = await self.ctx.plane.read(lambda conn: invitations.pending(conn, workspace))
        return encoded([_invitation_json(invitation) for invitation in found])

    async def invite(self, request: Request) -> Response:
        """The same answer for every login that could exist: only its syntax is checked."""
        body = await read_struct(request, NewInvitation)
        who = caller(request)
        made = await self.ctx.plane.change(
            lambda conn: invitations.invite(conn, body.email, who.workspace, body.role, who.actor)
        )
        return encoded(_invitation_json(made), status=201)

    async def withdraw(self, request: Request) -> Response:
        raw: str = request.path_params["invitation_id"][:64]
        who = caller(request)
        withdrawn = await self.ctx.plane.change(
            lambda conn: invitations.withdraw(conn, who.workspace, raw, who.actor)
        )
        if not withdrawn:
            raise ApiError(404, "unknown_invitation", "no pending invitation with that id here")
        return Response(status_code=204)

    async def audit(self, request: Request) -> Response:
        workspace = caller(request).workspace
        limit = _number(request, "limit", 100, audit.MAX_ENTRIES) or 100
        before = _number(request, "before", None, 2**62)
        entries = await self.ctx.plane.read(
            lambda conn: audit.list_entries(conn, workspace, limit, before)
        )
        return encoded(
            [
                AuditRecord(
                    id=e.id,
                    at=iso(e.at),
                    workspace=e.workspace,
                    actor=e.actor,
                    action=e.action,
                    kind=e.kind,
                    name=e.name,
                    before=e.before,
                    after=e.after,
                )
                for e in entries
            ]
        )


def admin_endpoints(ctx: ServerContext) -> list[Endpoint]:
    admin = _Admin(ctx)
    limit = Param("limit", int, f"How many entries, newest first (1 to {audit.MAX_ENTRIES}).")
    before = Param("before", int, "Only entries older than this id (the last one seen).")
    return [
        Endpoint("GET", "/api/v1/tokens", admin.tokens, "List the workspace's tokens",
                 "tokens", role="owner", response=list[TokenOut]),
        Endpoint("POST", "/api/v1/tokens", admin.create_token,
                 "Create a token; it is shown this once", "tokens", role="owner",
                 body=NewToken, response=CreatedToken, status=201, errors=(409,)),
        Endpoint("DELETE", "/api/v1/tokens/{token_id}", admin.revoke_token,
                 "Revoke a token; it stops working at once", "tokens", role="owner",
                 status=204, errors=(404,)),
        Endpoint("GET", "/api/v1/users", admin.users, "The workspace's users and roles",
                 "users", role="owner", response=list[Member]),
        Endpoint("POST", "/api/v1/users", admin.add_user,
                 "Create a user, or add one directly (install admins only)", "users",
                 role="owner", body=NewMember, response=Member, status=201, errors=(400, 409)),
        Endpoint("PUT", "/api/v1/users/{email}", admin.set_role,
                 "Change a user's role in the workspace", "users", role="owner",
                 body=MemberRole, response=Member, errors=(404,)),
        Endpoint("DELETE", "/api/v1/users/{email}", admin.remove_user,
                 "Take a user out of the workspace (not the last owner)", "users",
                 role="owner", status=204, errors=(400, 404)),
        Endpoint("GET", "/api/v1/invitations", admin.invitations,
                 "The workspace's pending invitations", "users", role="owner",
                 response=list[InvitationOut]),
        Endpoint("POST", "/api/v1/invitations", admin.invite,
                 "Invite a login to the workspace; they accept when signed in", "users",
                 role="owner", body=NewInvitation, response=InvitationOut, status=201,
                 errors=(400,)),
        Endpoint("DELETE", "/api/v1/invitations/{invitation_id}", admin.withdraw,
                 "Withdraw a pending invitation", "users", role="owner", status=204,
                 errors=(404,)),
        Endpoint("GET", "/api/v1/audit", admin.audit, "Who changed what, newest first",
                 "audit", response=list[AuditRecord], params=(limit, before), errors=(400,)),
    ]  # fmt: skip
