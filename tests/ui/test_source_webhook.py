"""A source's signed Segment webhook on its page: the URL, and the shared secret set, replaced
and removed (never shown), working at once for requests signed as Segment signs them."""

from __future__ import annotations

import re

import httpx
import orjson
import pytest
from starlette.applications import Starlette

from eventyard.control import store
from eventyard.control.secrets import SECRET_MASK
from eventyard.ingest.segment_webhook import SegmentWebhook, signature
from eventyard.ui.app import ui_routes
from ui.config_setup import Site, seeded, site, text_of

__all__ = ["seeded", "site"]

SECRET = "the-shared-secret-0123456789"


async def runtime_secret(site: Site) -> str | None:
    sources, _ = await site.ctx.state.run(
        lambda conn: store.runtime_objects(conn, site.ctx.plane.box)
    )
    return {s.name: s for s in sources}["web"].webhook_secret


def with_webhook(site: Site) -> httpx.AsyncClient:
    """The pages and the webhook endpoint in one app, as `eventyard serve` mounts them."""
    webhook = SegmentWebhook(site.ctx.config, site.ctx.log)
    site.ctx.plane.live.subscribe(webhook.reconfigure)
    app = Starlette(routes=[*webhook.routes(), *ui_routes(site.ctx)])
    cookies = {"eventyard_session": site.sessions["editor"]}
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="https://cdp.test", cookies=cookies)


async def signed_post(client: httpx.AsyncClient, url: str, secret: str) -> httpx.Response:
    body = orjson.dumps({"type": "track", "event": "Signed Up", "userId": "u1", "messageId": "m1"})
    headers = {"X-Signature": signature(secret, body), "Content-Type": "application/json"}
    return await client.post(url, content=body, headers=headers)


async def test_the_page_shows_the_url_and_how_to_set_up_segment(site: Site) -> None:
    async with site.client("viewer", host="cdp.example.com") as client:
        page = (await client.get("/sources/web")).text
    assert '<code id="webhook-url">http://cdp.example.com/v1/segment-webhook/web</code>' in page
    text = text_of(page)
    assert "Answers 403 until a shared secret is saved" in text
    assert "Webhooks (Actions)" in text and "Shared Secret" in text
    assert 'name="webhook_secret"' not in page  # viewers read, editors set it
    assert "No shared secret yet. Editors set it." in text


async def test_set_replace_and_remove_the_secret_and_the_endpoint_follows(site: Site) -> None:
    async with with_webhook(site) as client:
        page = (await client.get("/sources/web")).text
        url = re.search(r'<code id="webhook-url">([^<]+)</code>', page)
        assert url and url.group(1) == "https://cdp.test/v1/segment-webhook/web"
        assert (await signed_post(client, url.group(1), SECRET)).status_code == 403

        form = site.form("editor", webhook_secret=SECRET)
        saved = await client.post("/sources/web/webhook-secret", data=form)
        assert saved.status_code == 303
        assert saved.headers["location"] == "/sources/web?done=saved#segment-webhook"
        assert (await signed_post(client, url.group(1), SECRET)).status_code == 200
        assert (await signed_post(client, url.group(1), "guessed")).status_code == 401
        page = (await client.get("/sources/web")).text
        assert SECRET not in page and SECRET_MASK not in page
        assert 'Shared secret <span class="badge success">saved</span>' in page
        assert re.search(r'<input id="webhook-secret" name="webhook_secret" type="password"', page)
        assert "Replace secret" in page

        replace = site.form("editor", webhook_secret="a-newer-secret")
        assert (await client.post("/sources/web/webhook-secret", data=replace)).status_code == 303
        assert (await signed_post(client, url.group(1), SECRET)).status_code == 401
        assert (await signed_post(client, url.group(1), "a-newer-secret")).status_code == 200

        clear = site.form("editor", clear="on", webhook_secret="ignored")
        removed = await client.post("/sources/web/webhook-secret", data=clear)
        assert removed.headers["location"] == "/sources/web?done=deleted#segment-webhook"
        assert (await signed_post(client, url.group(1), "a-newer-secret")).status_code == 403
    assert await runtime_secret(site) is None
    doc = (await site.objects("source"))["web"].doc
    assert "webhook_secret" not in doc and doc["write_key"]  # the write key stays


async def test_the_stored_secret_is_encrypted_and_masked(site: Site) -> None:
    async with site.client("editor") as client:
        form = site.form("editor", webhook_secret=SECRET)
        assert (await client.post("/sources/web/webhook-secret", data=form)).status_code == 303
    assert (await site.objects("source"))["web"].doc["webhook_secret"] == SECRET_MASK
    assert await runtime_secret(site) == SECRET
    for path in site.ctx.data_dir.glob("state.db*"):
        assert SECRET.encode() not in path.read_bytes()


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("", "Type the shared secret"),
        ("   ", "Type the shared secret"),
        (SECRET_MASK, "type the secret itself"),
        ("x" * 256_500, "at most 256000"),
    ],
)
async def test_bad_secrets_are_refused_and_never_echoed(
    site: Site, secret: str, message: str
) -> None:
    async with site.client("editor") as client:
        answer = await client.post(
            "/sources/web/webhook-secret", data=site.form("editor", webhook_secret=secret)
        )
    assert answer.status_code == 400
    assert message in text_of(answer.text)
    if len(secret) > 8:
        assert secret[:200] not in answer.text  # typed, never shown back
    assert "webhook_secret" not in (await site.objects("source"))["web"].doc


async def test_viewers_cannot_set_it(site: Site) -> None:
    async with site.client("viewer") as client:
        answer = await client.post(
            "/sources/web/webhook-secret", data=site.form("viewer", webhook_secret=SECRET)
        )
    assert answer.status_code == 403 and "needs the editor role" in answer.text
    assert await runtime_secret(site) is None


async def test_another_workspaces_source_is_not_found(site: Site) -> None:
    async with site.client("editor") as client:
        answer = await client.post(
            "/sources/elsewhere/webhook-secret", data=site.form("editor", webhook_secret=SECRET)
        )
    assert answer.status_code == 404
