"""A bounded fuzz run against the real server: every REST API operation with cases
schemathesis generates from `/api/openapi.json` (valid and invalid ones), and every tracking
API path with arbitrary JSON from Hypothesis. Nothing may answer 5xx or crash the server;
REST answers must also match the document (status codes, content types, bodies).

Bounded: a few examples per operation, so the whole run takes well under a minute. The
cases come from schemathesis' Hypothesis strategies, driven here by `given`: its pytest
plugin (`from_fixture`) reads a node attribute that pytest 9 no longer has.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from e2e.server_process import ServerProcess

WRITE_KEY = "wk_fuzz_0123456789"
CONFIG = f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
destinations:
  - name: hook
    type: webhook
    sources: [web]
    settings:
      url: http://127.0.0.1:9/hook
      shared_secret: fuzz-secret
"""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
BOUNDS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
    "database": None,
}
"""With `max_examples`: a fixed number of cases, no time limit per case (CPU is shared)."""
TRACKING_PATHS = [
    "/v1/track",
    "/v1/identify",
    "/v1/page",
    "/v1/screen",
    "/v1/group",
    "/v1/alias",
    "/v1/batch",
    "/v1/import",
    "/v1/t",
    "/v1/b",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    (folder / "eventyard.yaml").write_text(CONFIG)
    process = ServerProcess(config=folder / "eventyard.yaml", data_dir=folder / "data").start()
    yield process
    assert process.process is not None and process.process.poll() is None, "the server died"
    assert process.stop() == 0


def test_the_rest_api_never_fails_on_any_input(server: ServerProcess) -> None:
    """Each operation of the document with valid and invalid cases. Operations that would
    cut the fuzzer's own access (revoking its token, deleting its workspace) are left out."""
    loaded = schemathesis.openapi.from_url(f"{server.url}/api/openapi.json")
    schema = loaded.exclude(method="DELETE", path_regex=r"^/api/v1/(tokens|workspaces)/")
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the document has an invalid operation: {result.err()}"
        operation = result.ok()
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @settings(**BOUNDS, max_examples=8)
        @given(case=cases)
        def check(case: Any) -> None:
            case.call_and_validate(
                base_url=server.url, headers=server.headers, checks=CHECKS, timeout=10
            )

        try:
            check()
        except (Exception, BaseExceptionGroup) as error:  # every operation; all findings
            failures[operation.label] = str(error)[:2000]
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())


_JSON_TYPE = {"Content-Type": "application/json"}
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
_EVENTISH = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["track", "identify", "page", "screen", "group", "alias", "x"]),
        "event": _JSON,
        "userId": _JSON,
        "anonymousId": _JSON,
        "messageId": _JSON,
        "timestamp": _JSON | st.sampled_from(["2024-05-01T12:00:00Z", "not a date"]),
        "properties": _JSON,
        "traits": _JSON,
        "context": _JSON,
        "integrations": _JSON,
        "batch": st.lists(_JSON, max_size=3),
        "writeKey": st.sampled_from([WRITE_KEY, "unknown"]) | _JSON,
    },
)


@pytest.mark.parametrize("path", TRACKING_PATHS)
def test_the_tracking_api_never_fails_on_any_json(server: ServerProcess, path: str) -> None:
    with httpx.Client(base_url=server.url, auth=(WRITE_KEY, ""), timeout=10) as client:

        @settings(**BOUNDS, max_examples=25)
        @given(body=_JSON | _EVENTISH)
        def post(body: Any) -> None:
            # NaN and Infinity too: not JSON, which the server must refuse cleanly
            content = json.dumps(body, allow_nan=True)
            answer = client.post(path, content=content, headers=_JSON_TYPE)
            assert answer.status_code < 500, (body, answer.status_code, answer.text)

        post()
