"""Configuration through the API: workspaces, sources, destinations.

Objects travel as their eventyard.yaml entries. Every change runs through
`ControlPlane.change`, so it is validated exactly like the file (400 naming the key),
written to the audit log and applied to the running server before the answer is sent.

Names are unique per kind across all workspaces: creating a name that another workspace
uses is 409; reading, changing or deleting it from here is 404, as for any unknown name.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, Literal

from starlette.requests import Request
from starlette.responses import Response

from eventyard.control import accounts, store, workspaces
from eventyard.control.api_errors import ApiError
from eventyard.control.api_http import (
    Endpoint,
    caller,
    encoded,
    object_name,
    read_object,
    read_struct,
)
from eventyard.control.api_schemas import CreatedWorkspace, NewWorkspace, Workspace, WriteKey
from eventyard.control.config import DestinationConfig, SourceConfig
from eventyard.control.store import StoredObject
from eventyard.ingest.responses import json_response

if TYPE_CHECKING:
    from eventyard.control.context import ServerContext

__all__ = ["config_endpoints"]

_Mode = Literal["create", "replace", "upsert"]


def _taken(conn: sqlite3.Connection, kind: str, name: str) -> bool:
    """Whether any workspace has a `kind` object with this name."""
    return any(store.get_object(conn, kind, ws, name) for ws in store.list_workspaces(conn))


class _Objects:
    """The REST resource of one object kind, in the caller's workspace."""

    def __init__(self, ctx: ServerContext, kind: str) -> None:
        self.ctx = ctx
        self.kind = kind

    def _unknown(self, name: str) -> ApiError:
        return ApiError(
            404, f"unknown_{self.kind}", f"no {self.kind} named {name!r} in this workspace"
        )

    async def _stored(self, request: Request) -> StoredObject:
        name = object_name(request, self.kind)
        workspace = caller(request).workspace
        found = await self.ctx.plane.read(
            lambda conn: store.get_object(conn, self.kind, workspace, name)
        )
        if found is None:
            raise self._unknown(name)
        return found

    async def _body(self, request: Request, name: str | None) -> dict[str, Any]:
        doc = await read_object(request)
        if name is not None:
            given = doc.setdefault("name", name)
            if given != name:
                raise ApiError(
                    400,
                    "name_mismatch",
                    f"the body names {given!r} but the path {name!r}; objects cannot be "
                    "renamed: create the new name, then delete the old one",
                )
        return doc

    async def _put(self, request: Request, doc: dict[str, Any], mode: _Mode) -> StoredObject:
        """Save doc as the caller's object doc["name"]: only a new one (`create`), only an
        existing one (`replace`), or either (`upsert`)."""
        who = caller(request)
        name = doc.get("name")

        def put(conn: sqlite3.Connection) -> StoredObject:
            if isinstance(name, str):  # otherwise put_object says what is wrong with it
                mine = store.get_object(conn, self.kind, who.workspace, name) is not None
                if not mine and mode == "replace":
                    raise self._unknown(name)
                if mine and mode == "create":
                    raise ApiError(
                        409,
                        f"{self.kind}_exists",
                        f"a {self.kind} named {name!r} exists; change it with PUT",
                    )
                if not mine and _taken(conn, self.kind, name):
                    raise ApiError(
                        409,
                        f"{self.kind}_exists",
                        f"the {self.kind} name {name!r} is taken "
                        "(names are unique across workspaces)",
                    )
            box = self.ctx.plane.box
            return store.put_object(conn, box, self.kind, who.workspace, doc, who.actor)

        return await self.ctx.plane.change(put)

    async def list(self, request: Request) -> Response:
        workspace = caller(request).workspace
        found = await self.ctx.plane.read(lambda c: store.list_objects(c, self.kind, workspace))
        return json_response([o.doc for o in found])

    async def get(self, request: Request) -> Response:
        return json_response((await self._stored(request)).doc)

    async def create(self, request: Request) -> Response:
        saved = await self._put(request, await self._body(request, None), "create")
        return json_response(saved.doc, status=201)

    async def replace(self, request: Request) -> Response:
        """PUT: the whole object; creates it when this workspace does not have it yet."""
        doc = await self._body(request, object_name(request, self.kind))
        return json_response((await self._put(request, doc, "upsert")).doc)

    async def patch(self, request: Request) -> Response:
        """PATCH: top-level keys replace the stored ones (`{"enabled": false}`)."""
        current = await self._stored(request)
        changes = await self._body(request, current.name)
        saved = await self._put(request, current.doc | changes, "replace")
        return json_response(saved.doc)

    async def delete(self, request: Request) -> Response:
        name = object_name(request, self.kind)
        who = caller(request)
        deleted = await self.ctx.plane.change(
            lambda conn: store.delete_object(conn, self.kind, who.workspace, name, who.actor)
        )
        if not deleted:
            raise self._unknown(name)
        return Response(status_code=204)

    async def rotate_key(self, request: Request) -> Response:
        """A new write key for a source; the old one stops working at once."""
        name = (await self._stored(request)).name
        who = caller(request)
        key = await self.ctx.plane.change(
            lambda conn: store.rotate_write_key(conn, who.workspace, name, who.actor)
        )
        return encoded(WriteKey(write_key=key))


class _Workspaces:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    async def list(self, request: Request) -> Response:
        who = caller(request)
        return encoded([Workspace(name=who.workspace, role=who.role)])

    async def create(self, request: Request) -> Response:
        """A new workspace and an owner token for it (tokens belong to one workspace)."""
        body = await read_struct(request, NewWorkspace)
        who = caller(request)

        def create(conn: sqlite3.Connection) -> str:
            if body.name in store.list_workspaces(conn):
                raise ApiError(409, "workspace_exists", f"workspace {body.name!r} exists")
            store.create_workspace(conn, body.name, who.actor)
            return accounts.create_token(conn, body.name, "owner", "owner", who.actor)

        token = await self.ctx.plane.change(create)
        return encoded(CreatedWorkspace(name=body.name, token=token), status=201)

    async def delete(self, request: Request) -> Response:
        """The token's own workspace, once empty; its tokens (this one too) stop working."""
        name: str = request.path_params["name"]
        who = caller(request)
        if name != who.workspace:
            raise ApiError(
                403,
                "forbidden",
                f"a token acts on its own workspace ({who.workspace!r}) only; delete "
                f"{name[:80]!r} with an owner token of that workspace",
            )
        deleted = await self.ctx.plane.change(
            lambda conn: workspaces.delete_workspace(conn, name, who.actor)
        )
        if not deleted:  # deleted meanwhile, by another request with another token
            raise ApiError(404, "unknown_workspace", f"no workspace named {name!r}")
        return Response(status_code=204)


def config_endpoints(ctx: ServerContext) -> list[Endpoint]:
    spaces = _Workspaces(ctx)
    src = _Objects(ctx, "source")
    dst = _Objects(ctx, "destination")
    one_src, one_dst = "/api/v1/sources/{name}", "/api/v1/destinations/{name}"
    return [
        Endpoint("GET", "/api/v1/workspaces", spaces.list, "The token's workspace",
                 "workspaces", response=list[Workspace]),
        Endpoint("POST", "/api/v1/workspaces", spaces.create,
                 "Create a workspace; answers an owner token for it", "workspaces",
                 role="owner", body=NewWorkspace, response=CreatedWorkspace, status=201,
                 errors=(409,)),
        Endpoint("DELETE", "/api/v1/workspaces/{name}", spaces.delete,
                 "Delete the token's workspace once it is empty", "workspaces",
                 role="owner", status=204, errors=(400, 404)),
        Endpoint("GET", "/api/v1/sources", src.list, "List sources", "sources",
                 response=list[SourceConfig]),
        Endpoint("POST", "/api/v1/sources", src.create, "Create a source", "sources",
                 role="editor", body=SourceConfig, response=SourceConfig, status=201,
                 errors=(409,)),
        Endpoint("GET", one_src, src.get, "A source", "sources", response=SourceConfig,
                 errors=(404,)),
        Endpoint("PUT", one_src, src.replace, "Create or replace a source", "sources",
                 role="editor", body=SourceConfig, response=SourceConfig, errors=(404, 409)),
        Endpoint("DELETE", one_src, src.delete, "Delete a source", "sources", role="editor",
                 status=204, errors=(400, 404)),
        Endpoint("POST", one_src + "/rotate-key", src.rotate_key,
                 "A new write key; the old one stops working at once", "sources",
                 role="editor", response=WriteKey, errors=(404,)),
        Endpoint("GET", "/api/v1/destinations", dst.list, "List destinations",
                 "destinations", response=list[DestinationConfig]),
        Endpoint("POST", "/api/v1/destinations", dst.create, "Create a destination",
                 "destinations", role="editor", body=DestinationConfig,
                 response=DestinationConfig, status=201, errors=(409,)),
        Endpoint("GET", one_dst, dst.get, "A destination (secrets masked)", "destinations",
                 response=DestinationConfig, errors=(404,)),
        Endpoint("PUT", one_dst, dst.replace, "Create or replace a destination",
                 "destinations", role="editor", body=DestinationConfig,
                 response=DestinationConfig, errors=(404, 409)),
        Endpoint("PATCH", one_dst, dst.patch, "Change some top-level keys of a destination",
                 "destinations", role="editor", body=dict[str, Any],
                 response=DestinationConfig, errors=(404,)),
        Endpoint("DELETE", one_dst, dst.delete, "Delete a destination", "destinations",
                 role="editor", status=204, errors=(404,)),
    ]  # fmt: skip
