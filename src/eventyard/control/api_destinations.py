"""`POST /api/v1/destinations/{name}/test`: run a destination's connection test.

It checks the configured settings against the platform (e.g. that an API key is valid)
without sending an event, through the same shared HTTP client delivery uses. Editors only:
it calls the platform with the stored credentials.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx
from starlette.requests import Request
from starlette.responses import Response

from eventyard.control.api_errors import ApiError
from eventyard.control.api_http import Endpoint, caller, encoded, object_name
from eventyard.control.api_schemas import ConnectionTest
from eventyard.control.api_scope import workspace_config
from eventyard.control.config import resolve_settings
from eventyard.control.documents import redact
from eventyard.delivery.exchanges import secrets_of
from eventyard.delivery.http import from_http_error
from eventyard.destinations.registry import get_definition
from eventyard.errors import DeliveryError

if TYPE_CHECKING:
    from eventyard.control.context import ServerContext

__all__ = ["destination_test_endpoints"]


def destination_test_endpoints(ctx: ServerContext) -> list[Endpoint]:
    async def test(request: Request) -> Response:
        name = object_name(request, "destination")
        config = await workspace_config(ctx, caller(request).workspace)
        dest = next((d for d in config.destinations if d.name == name), None)
        if dest is None:
            known = ", ".join(sorted(d.name for d in config.destinations)) or "none"
            raise ApiError(404, "unknown_destination", f"no destination {name!r} (known: {known})")
        definition = get_definition(dest.type)
        if definition.test_connection is None:
            raise ApiError(
                400, "not_supported", f"destination type {dest.type!r} has no connection test"
            )
        timeout = float(dest.delivery.timeout)
        settings = resolve_settings(dest)
        # an editor must not read a secret a platform echoes back ("invalid key sk_...")
        secrets = secrets_of(definition, settings)
        try:
            async with asyncio.timeout(timeout):
                await definition.test_connection(ctx.delivery.client, settings)
        except DeliveryError as error:
            return encoded(ConnectionTest(ok=False, error=redact(str(error), secrets)))
        except httpx.HTTPError as error:
            shown = redact(str(from_http_error(error)), secrets)
            return encoded(ConnectionTest(ok=False, error=shown))
        except TimeoutError:
            message = f"no answer within {timeout:g}s (delivery.timeout)"
            return encoded(ConnectionTest(ok=False, error=message))
        return encoded(ConnectionTest(ok=True))

    return [
        Endpoint(
            "POST",
            "/api/v1/destinations/{name}/test",
            test,
            "Check a destination's settings against its platform",
            "destinations",
            role="editor",
            response=ConnectionTest,
            errors=(400, 404),
        )
    ]
