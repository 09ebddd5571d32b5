"""A live JSON receiver per test, and a harness for the http_request destination."""

from __future__ import annotations

from fakes.common import fake_fixture
from fakes.http_request import JsonEndpoint

TOKEN = "t0k3n"


api = fake_fixture("api", lambda: JsonEndpoint(token=TOKEN))
