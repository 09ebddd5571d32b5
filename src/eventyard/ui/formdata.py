"""Submitted forms, read without python-multipart: urlencoded only (what browsers and htmx send
for our forms), bounded in bytes and fields before anything is parsed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request

from eventyard.errors import ConfigError
from eventyard.ui.problems import PageError

__all__ = ["MAX_FIELDS", "MAX_FORM_BYTES", "Submitted", "parse_object", "read_form"]

MAX_FORM_BYTES = 256 * 1024
"""Far above any real form (a mapping is a few KB), far below what could hurt the server."""
MAX_FIELDS = 1000

_URLENCODED = "application/x-www-form-urlencoded"
_TOO_LARGE = PageError(
    413, "Form too large", f"The form is larger than {MAX_FORM_BYTES // 1024} KB; shorten it."
)


class Submitted:
    """A submitted form: every value a string; repeated names (checkboxes) keep their order."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value)

    def get(self, name: str, default: str = "") -> str:
        values = self._values.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self._values.get(name, ()))

    def __contains__(self, name: object) -> bool:
        return name in self._values


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise _TOO_LARGE
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise _TOO_LARGE
    return bytes(body)


async def read_form(request: Request) -> Submitted:
    """The request's form (empty for GET); read once, then cached on the request."""
    cached = getattr(request.state, "submitted", None)
    if isinstance(cached, Submitted):
        return cached
    pairs: list[tuple[str, str]] = []
    if request.method not in ("GET", "HEAD"):
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await _body(request)
        if body and kind != _URLENCODED:
            raise PageError(415, "Unsupported form", "Send the form URL-encoded.")
        try:
            text = body.decode("utf-8")
            pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except UnicodeDecodeError:
            raise PageError(400, "Unreadable form", "The form is not valid UTF-8.") from None
        except ValueError:
            raise PageError(
                413, "Form too large", f"The form has more than {MAX_FIELDS} fields."
            ) from None
    submitted = Submitted(pairs)
    request.state.submitted = submitted
    return submitted


def parse_object(text: str) -> dict[str, Any]:
    """A JSON object typed in a form; ConfigError saying what is wrong otherwise."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise ConfigError(f"not valid JSON: {error}") from None
    if not isinstance(doc, dict):
        raise ConfigError("write a JSON object ({...})")
    return doc
