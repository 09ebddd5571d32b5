"""`eventyard users add|passwd` and `eventyard tokens create|list|revoke`, on the data dir
directly.

They work without a running server (and beside one), so that the first owner, or one
locked out, can always get in.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from eventyard.cli_common import DEFAULT_DATA_DIR, DataDirOption, JsonOption, err, out
from eventyard.cli_config import WorkspaceOption, actor, fail, state_db
from eventyard.control import accounts
from eventyard.control.roles import ROLES, check_role
from eventyard.control.workspaces import DEFAULT_WORKSPACE
from eventyard.errors import ConfigError, EventyardError

__all__ = ["tokens_app", "users_app"]

users_app = typer.Typer(name="users", help="People who log in to the admin pages.")
tokens_app = typer.Typer(name="tokens", help="API tokens for the admin API and the CLI.")

RoleOption = Annotated[str, typer.Option("--role", "-r", help=f"One of: {', '.join(ROLES)}.")]


def _when(at: float | None) -> str:
    return "-" if at is None else datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def add_user(
    email: Annotated[str, typer.Argument(help="The login: an email address.")],
    role: RoleOption,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Add a user with a role in a workspace; an existing user gets the role there."""
    try:
        checked = check_role(role)
        login = accounts.check_login(email)
        with state_db(data_dir) as (conn, _):
            exists = accounts.user_exists(conn, login)
        # Asked outside the transaction: a running server must not wait for the typing.
        password = None if exists else _password(password_stdin)
        with state_db(data_dir) as (conn, _):
            if password is None:
                accounts.set_membership(conn, login, workspace, checked, actor())
            else:
                accounts.create_user(conn, login, password, workspace, checked, actor())
    except EventyardError as error:
        raise fail(error) from None
    what = "gave" if exists else "created user"
    out.print(f"{what} {login} the role {checked} in workspace {workspace}", highlight=False)


@users_app.command("passwd")
def set_password(
    email: Annotated[str, typer.Argument(help="The user's login.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from stdin.")
    ] = False,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Set a user's password (for one locked out); every session of theirs ends."""
    try:
        login = accounts.check_login(email)
        with state_db(data_dir, create=False) as (conn, _):
            if not accounts.user_exists(conn, login):
                raise ConfigError(f"no user {login!r}; add one with `eventyard users add`")
        # Asked outside the transaction: a running server must not wait for the typing.
        password = _password(password_stdin)
        with state_db(data_dir, create=False) as (conn, _):
            accounts.set_password(conn, login, password, actor())
    except EventyardError as error:
        raise fail(error) from None
    out.print(f"set the password of {login}; their sessions are signed out", highlight=False)


@tokens_app.command("create")
def create_token(
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. ci.")],
    role: RoleOption,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Create a token; it is printed once, on stdout (only its hash is stored)."""
    try:
        checked = check_role(role)
        with state_db(data_dir) as (conn, _):
            token = accounts.create_token(conn, workspace, checked, name, actor())
    except EventyardError as error:
        raise fail(error) from None
    typer.echo(token)
    err.print(f"token {name!r} ({checked} in {workspace}): store it now, it is not shown again")


@tokens_app.command("list")
def list_tokens(
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    as_json: JsonOption = False,
) -> None:
    """A workspace's tokens (never their values)."""
    try:
        with state_db(data_dir, create=False) as (conn, _):
            tokens = accounts.list_tokens(conn, workspace)
    except EventyardError as error:
        raise fail(error) from None
    if as_json:
        typer.echo(json.dumps([asdict(token) for token in tokens]))
        return
    table = Table(title=f"Tokens of workspace {workspace}", title_justify="left")
    for column in ("id", "name", "role", "created", "last used"):
        table.add_column(column)
    for token in tokens:
        created, used = _when(token.created_at), _when(token.last_used_at)
        table.add_row(str(token.id), token.name, token.role, created, used)
    out.print(table, highlight=False)


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[int, typer.Argument(help="The id `eventyard tokens list` shows.")],
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Revoke a token: requests with it are refused from now on."""
    try:
        with state_db(data_dir, create=False) as (conn, _):
            revoked = accounts.revoke_token(conn, workspace, token_id, actor())
    except EventyardError as error:
        raise fail(error) from None
    if not revoked:
        err.print(Text(f"no token with id {token_id} in workspace {workspace}", style="red"))
        raise typer.Exit(2)
    out.print(f"revoked token {token_id}", highlight=False)
