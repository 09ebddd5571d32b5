"""Sources: create, rotate the write key, delete, and the install snippets of a source."""

from __future__ import annotations

import ast
import shlex
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import orjson
import pytest
import segment.analytics as analytics

from eventyard.ui.snippets import install_snippets
from ui.config_setup import Site, seeded, site, text_of

__all__ = ["seeded", "site"]


async def test_creating_a_source_stores_it_with_a_write_key_shown_on_its_page(
    site: Site,
) -> None:
    async with site.client("editor") as client:
        answer = await client.post("/sources", data=site.form("editor", name="ios-app"))
        assert answer.status_code == 303
        assert answer.headers["location"] == "/sources/ios-app?done=created"
        stored = (await site.objects("source"))["ios-app"]
        key = stored.doc["write_key"]
        assert len(key) >= 24
        page = await client.get(answer.headers["location"])
        assert "Created." in page.text
        assert f'<code id="write-key">{key}</code>' in page.text
        assert key in (await client.get("/sources")).text
    assert key in {s.write_key for s in site.ctx.config.sources}  # live at once


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the source a name."),
        ("   ", "Give the source a name."),
        ("web", "a source named 'web' already exists"),
        ("has space", "is not a valid name"),
        ("x" * 65, "is not a valid name"),
        ('<img src=x onerror="alert(1)">', "is not a valid name"),
    ],
)
async def test_bad_names_are_refused_beside_the_field(site: Site, name: str, message: str) -> None:
    async with site.client("editor") as client:
        answer = await client.post("/sources", data=site.form("editor", name=name))
        assert answer.status_code == 400
        assert message in text_of(answer.text).replace("&#39;", "'")
        assert "<img src=x" not in answer.text
        assert 'aria-invalid="true"' in answer.text
    assert set(await site.objects("source")) == {"web"}


async def test_rotating_the_key_replaces_it_everywhere(site: Site) -> None:
    old = (await site.objects("source"))["web"].doc["write_key"]
    async with site.client("editor") as client:
        answer = await client.post("/sources/web/rotate", data=site.form("editor"))
        assert answer.status_code == 303
        page = await client.get(answer.headers["location"])
        assert "The old key no longer works" in page.text
    new = (await site.objects("source"))["web"].doc["write_key"]
    assert new != old and new in page.text and old not in page.text
    assert {s.write_key for s in site.ctx.config.sources} >= {new}
    assert old not in {s.write_key for s in site.ctx.config.sources}


async def test_deleting_a_source(site: Site) -> None:
    await site.put("source", {"name": "old"})
    async with site.client("editor") as client:
        answer = await client.post("/sources/old/delete", data=site.form("editor"))
        assert answer.status_code == 303 and answer.headers["location"] == "/sources?done=deleted"
        assert (await client.get("/sources/old")).status_code == 404
    assert "old" not in await site.objects("source")


async def test_a_source_in_use_is_not_deleted_and_the_page_says_why(site: Site) -> None:
    hook = {
        "name": "hook",
        "type": "webhook",
        "sources": ["web"],
        "settings": {"url": "https://h/"},
    }
    await site.put("destination", hook)
    async with site.client("editor") as client:
        answer = await client.post("/sources/web/delete", data=site.form("editor"))
        assert answer.status_code == 409
        assert "destinations hook send from this source" in answer.text
    assert "web" in await site.objects("source")


async def test_the_source_page_has_install_code_pointing_at_this_server(site: Site) -> None:
    key = (await site.objects("source"))["web"].doc["write_key"]
    async with site.client("viewer", host="cdp.example.com:8443") as client:
        page = (await client.get("/sources/web")).text
    origin = "http://cdp.example.com:8443"
    for wanted in (
        "+ &#34;/analytics.js/v1/&#34; + writeKey + &#34;/analytics.min.js&#34;",  # Segment's path
        f"analytics._cdn = &#34;{origin}&#34;",
        f"analytics.load(&#34;{key}&#34;)",
        f"analytics.host = &#34;{origin}&#34;",
        f"host: &#34;{origin}&#34;",
        f"curl {origin}/v1/track",
    ):
        assert wanted in page, wanted
    assert "Open in debugger" in page
    assert "setAttribute(&#34;data-global-segment-analytics-key&#34;, globalKey)" in page
    for form in ("readable", "minified"):  # a switch between both forms of the snippet
        assert f'aria-controls="install-browser-{form}"' in page
        assert f'id="install-browser-{form}"' in page
    minified = page[page.index('id="snippet-browser-minified"') :]
    minified = minified[: minified.index("</pre>")]
    assert "\n" not in minified and f"analytics._cdn=&#34;{origin}&#34;" in minified


def test_the_minified_snippet_is_the_readable_one_on_one_line() -> None:
    browser = install_snippets("https://cdp.example.com", "wk 1")[0]
    assert browser.minified is not None and "\n" not in browser.minified
    assert browser.minified.startswith("<script>!function(){var globalKey=")
    assert 'analytics.load("wk 1");' in browser.minified  # strings keep their spaces
    assert 'setAttribute("data-global-segment-analytics-key",globalKey)' in browser.minified
    assert "return loaded[method]" in browser.minified  # words stay apart
    squeezed = "".join(browser.code.split())
    assert "".join(browser.minified.split()) == squeezed  # nothing but whitespace changed
    assert all(s.minified is None for s in install_snippets("https://h", "k")[1:])


def test_snippets_keep_a_hostile_host_inside_their_strings() -> None:
    origin = 'http://evil"</script><script>alert(1)//'
    key = "k'; rm -rf /"
    browser, python, node, curl = install_snippets(origin, key)
    assert browser.minified is not None
    for code in (browser.code, browser.minified):
        assert "</script><script>" not in code.removesuffix("</script>")
        assert '"http://evil\\"<\\/script><script>alert(1)//"' in code
    assert '"k\'; rm -rf /"' in browser.minified  # the space inside the string is kept
    assigned = {
        node.targets[0].attr: ast.literal_eval(node.value)
        for node in ast.walk(ast.parse(python.code))
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute)
    }
    assert assigned == {"write_key": key, "host": origin}
    words = shlex.split(curl.code.replace("\\\n", " "))
    assert words[1] == origin + "/v1/track" and words[3] == key + ":"
    assert f'writeKey: "{key}"' in node.code


class _Collector(BaseHTTPRequestHandler):
    """Records what the real Segment library posts (stands in for this server's /v1/batch)."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        size = int(self.headers["Content-Length"])
        self.bodies.append({"path": self.path, **orjson.loads(self.rfile.read(size))})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def test_the_python_snippet_runs_with_segments_library() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        exec(install_snippets(origin, "wk-1")[1].code, {})
    finally:
        analytics.shutdown()
        analytics.write_key = analytics.host = analytics.default_client = None
        server.shutdown()
        server.server_close()
    (body,) = _Collector.bodies
    assert body["path"] == "/v1/batch" and body["writeKey"] == "wk-1"
    identify, track = body["batch"]
    assert identify["type"] == "identify" and identify["traits"]["plan"] == "pro"
    assert track["event"] == "Order Completed" and track["properties"]["revenue"] == 42.5
