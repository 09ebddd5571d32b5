"""A destination's Requests tab: the requests eventyard sent and the responses it got for
the destination's last attempts (`delivery.exchanges`), and "Send test event"
(`ui.event_tester`), which needs the editor role since it reaches the destination.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eventyard.control.context import ServerContext
from eventyard.control.store import StoredObject
from eventyard.delivery import exchanges
from eventyard.errors import ConfigError
from eventyard.ui.delivery import workspace_destination
from eventyard.ui.event_tester import TesterResult, sample_event, send_test
from eventyard.ui.formdata import parse_object, read_form
from eventyard.ui.lookups import object_or_404
from eventyard.ui.pages_destinations import destination_page_context
from eventyard.ui.recent import recent_events
from eventyard.ui.session import UiUser, require
from eventyard.ui.templating import pretty_json, render

__all__ = ["request_routes"]


async def _page(
    request: Request,
    ctx: ServerContext,
    dest: StoredObject,
    text: str,
    result: TesterResult | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    attempts = await ctx.state.run(lambda conn: exchanges.recent(conn, [dest.name]))
    context = {
        **destination_page_context(dest, "requests"),
        "attempts": attempts,
        "keep": exchanges.KEEP,
        "text": text,
        "result": result,
        "error": error,
    }
    return render(request, "destination_requests.html", context, status)


@require("viewer")
async def requests_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    recent = await recent_events(ctx.log, set(dest.doc["sources"]), limit=1)
    return await _page(request, ctx, dest, pretty_json(sample_event(recent)))


@require("editor")
async def send_test_event(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    text = (await read_form(request)).get("event")
    try:
        event = parse_object(text)
    except ConfigError as error:
        return await _page(request, ctx, dest, text, error=str(error), status=400)
    config = await workspace_destination(ctx, user, dest.name)
    result = await send_test(ctx.config, config, event, ctx.delivery.client)
    return await _page(request, ctx, dest, text, result=result)


def request_routes(ctx: ServerContext) -> list[BaseRoute]:
    base = "/destinations/{name}/requests"
    return [
        Route(base, requests_page(ctx), methods=["GET"]),
        Route(base + "/test", send_test_event(ctx), methods=["POST"]),
    ]
