"""`POST /api/v1/destinations/{name}/test`: run a destination's connection test.

It checks the configured settings against the platform (e.g. that an API key is valid)
without sending an event, through the same shared HTTP client delivery uses.
"""

from __future__ import annotations

import asyncio

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eventyard.control.config import Config, resolve_settings
from eventyard.delivery.http import from_http_error
from eventyard.destinations.registry import get_definition
from eventyard.errors import DeliveryError
from eventyard.ingest.responses import error_response, json_response

__all__ = ["destination_routes"]


def destination_routes(config: Config, client: httpx.AsyncClient) -> list[BaseRoute]:
    by_name = {dest.name: dest for dest in config.destinations}

    async def test(request: Request) -> Response:
        name = request.path_params["name"]
        dest = by_name.get(name)
        if dest is None:
            known = ", ".join(sorted(by_name)) or "none"
            return error_response(
                404, "unknown_destination", f"no destination {name!r} (known: {known})"
            )
        definition = get_definition(dest.type)
        if definition.test_connection is None:
            return error_response(
                400, "not_supported", f"destination type {dest.type!r} has no connection test"
            )
        timeout = float(dest.delivery.timeout)
        try:
            async with asyncio.timeout(timeout):
                await definition.test_connection(client, resolve_settings(dest))
        except DeliveryError as error:
            return json_response({"ok": False, "error": str(error)})
        except httpx.HTTPError as error:
            return json_response({"ok": False, "error": str(from_http_error(error))})
        except TimeoutError:
            return json_response(
                {"ok": False, "error": f"no answer within {timeout:g}s (delivery.timeout)"}
            )
        return json_response({"ok": True})

    return [Route("/api/v1/destinations/{name}/test", test, methods=["POST"])]
