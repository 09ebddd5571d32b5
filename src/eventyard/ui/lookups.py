"""Finding what a URL names, in the signed-in user's workspace, or a 404 page."""

from __future__ import annotations

from functools import partial

from eventyard.control import store
from eventyard.control.context import ServerContext
from eventyard.control.store import StoredObject
from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.registry import get_definition
from eventyard.errors import ConfigError
from eventyard.ui.problems import PageError

__all__ = ["definition_or_404", "object_or_404", "objects"]


async def objects(ctx: ServerContext, workspace: str, kind: str) -> list[StoredObject]:
    return await ctx.plane.read(partial(store.list_objects, kind=kind, workspace=workspace))


async def object_or_404(ctx: ServerContext, workspace: str, kind: str, name: str) -> StoredObject:
    found = await ctx.plane.read(
        partial(store.get_object, kind=kind, workspace=workspace, name=name)
    )
    if found is None:
        raise PageError(
            404, f"No such {kind}", f"Workspace {workspace!r} has no {kind} named {name!r}."
        )
    return found


def definition_or_404(slug: str) -> DestinationDefinition:
    try:
        return get_definition(slug)
    except ConfigError as error:
        raise PageError(404, "Unknown destination type", str(error)) from None
