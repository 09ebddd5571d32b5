"""The catalog and the "Set up" form generated from a destination type's settings."""

from __future__ import annotations

import re

import pytest

from eventyard.control import store
from eventyard.control.secrets import SECRET_MASK
from eventyard.destinations.registry import type_names
from ui.config_setup import Site, seeded, site, text_of

__all__ = ["seeded", "site"]


def webhook_form(site: Site, **fields: str | list[str]) -> dict[str, str | list[str]]:
    values: dict[str, str | list[str]] = {
        "name": "orders-hook",
        "sources": "web",
        "mode": "send",
        "settings.url": "https://hooks.example.com/in",
        "settings.shared_secret": "s3cret-signing-key",
        "settings.headers": "Authorization: Bearer abc\nX-Team: growth",
        "settings.batch_size": "",
        "settings.batch_wait_ms": "",
    }
    values.update(fields)
    return site.form("editor", **values)


async def test_the_catalog_lists_every_installed_type(site: Site) -> None:
    async with site.client("viewer") as client:
        page = await client.get("/catalog")
    for slug in type_names():
        assert f'href="/catalog/{slug}"' in page.text
    assert "Webhook" in page.text and "View" in page.text and "Set up" not in page.text


async def test_the_setup_form_is_generated_from_the_settings_struct(site: Site) -> None:
    async with site.client("editor") as client:
        page = (await client.get("/catalog/webhook")).text
    assert re.search(r'<input id="f-settings.url" name="settings.url"[^>]*type="text"', page, re.S)
    assert re.search(r'name="settings.shared_secret"[^>]*type="password"', page, re.S)
    assert re.search(
        r'name="settings.batch_size"[^>]*type="number" step="1" min="1" max="1000"', page, re.S
    )
    assert '<textarea id="f-settings.headers"' in page
    assert "Where to POST; http:// or https:// only." in page  # the field's docstring
    assert "Default: <code>1000</code>" in page
    assert 'name="sources" value="web" checked' in page  # the only source is preselected


async def test_creating_a_webhook_destination_stores_it_and_encrypts_the_secret(
    site: Site,
) -> None:
    async with site.client("editor") as client:
        answer = await client.post("/catalog/webhook", data=webhook_form(site))
        assert answer.status_code == 303, text_of(answer.text)
        assert answer.headers["location"] == "/destinations/orders-hook?done=created"
        page = await client.get(answer.headers["location"])
    assert "s3cret-signing-key" not in page.text
    doc = (await site.objects("destination"))["orders-hook"].doc
    assert doc == {
        "name": "orders-hook",
        "type": "webhook",
        "sources": ["web"],
        "settings": {
            "url": "https://hooks.example.com/in",
            "shared_secret": SECRET_MASK,
            "headers": {"Authorization": SECRET_MASK, "X-Team": SECRET_MASK},
        },
    }
    _, destinations = await site.ctx.state.run(
        lambda conn: store.runtime_objects(conn, site.ctx.plane.box)
    )
    (dest,) = destinations
    assert dest.settings["shared_secret"] == "s3cret-signing-key"
    assert dest.settings["headers"] == {"Authorization": "Bearer abc", "X-Team": "growth"}
    assert [d.name for d in site.ctx.config.destinations] == ["orders-hook"]  # live at once
    assert b"s3cret-signing-key" not in (site.ctx.data_dir / "state.db").read_bytes()


async def test_observe_mode_and_numbers_are_stored(site: Site) -> None:
    form = webhook_form(site, mode="observe", **{"settings.batch_size": "50"})
    async with site.client("editor") as client:
        assert (await client.post("/catalog/webhook", data=form)).status_code == 303
    doc = (await site.objects("destination"))["orders-hook"].doc
    assert doc["mode"] == "observe" and doc["settings"]["batch_size"] == 50


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        (
            {"settings.url": "ftp://nope"},
            "f-settings.url",
            "must be an absolute http:// or https://",
        ),
        ({"settings.url": ""}, "f-settings.url", "Required."),
        ({"settings.batch_size": "many"}, "f-settings.batch_size", "Enter a whole number."),
        ({"settings.batch_size": "5000"}, "f-settings.batch_size", "Must be at most 1000."),
        ({"settings.headers": "no colon here"}, "f-settings.headers", "Line 1: write it as"),
        ({"settings.headers": "Host: x"}, "f-settings.headers", "is set by eventyard"),
        ({"sources": []}, "f-sources", "Choose at least one source."),
        ({"sources": "ghost"}, "f-sources", "no source named 'ghost'"),
        ({"name": ""}, "f-name", "Give the destination a name."),
        ({"name": "two words"}, "f-name", "is not a valid name"),
    ],
)
async def test_validation_errors_are_shown_beside_their_field(
    site: Site, fields: dict[str, str | list[str]], field_id: str, message: str
) -> None:
    async with site.client("editor") as client:
        answer = await client.post("/catalog/webhook", data=webhook_form(site, **fields))
    assert answer.status_code == 400
    error = re.search(
        rf'<p class="field-error" id="{re.escape(field_id)}-error">([^<]*)</p>', answer.text
    )
    assert error, answer.text
    assert message in error.group(1).replace("&#39;", "'")
    assert 'value="s3cret-signing-key"' in answer.text  # what was typed stays, secret too
    assert 'value="https://hooks.example.com/in"' in answer.text or "settings.url" in fields
    assert await site.objects("destination") == {}


async def test_every_error_shows_at_once_and_the_typed_values_stay(site: Site) -> None:
    """Problems found while reading the form (name, batch size) and by the config check
    (the URL's scheme, the delivery timeout) are all shown after one post."""
    form = webhook_form(
        site,
        **{
            "name": "",
            "settings.url": "ftp://nope",
            "settings.batch_size": "5000",
            "settings.headers": "Host: x",
        },
    )
    async with site.client("editor") as client:
        answer = await client.post("/catalog/webhook", data=form)
    assert answer.status_code == 400
    errors = dict(
        re.findall(r'<p class="field-error" id="f-([^"]+)-error">([^<]*)</p>', answer.text)
    )
    assert set(errors) == {"name", "settings.url", "settings.batch_size", "settings.headers"}
    assert "http:// or https://" in errors["settings.url"]
    assert "is set by eventyard" in errors["settings.headers"]
    assert 'value="s3cret-signing-key"' in answer.text and 'value="ftp://nope"' in answer.text
    assert await site.objects("destination") == {}


async def test_a_taken_name_is_refused(site: Site) -> None:
    async with site.client("editor") as client:
        assert (await client.post("/catalog/webhook", data=webhook_form(site))).status_code == 303
        again = await client.post("/catalog/webhook", data=webhook_form(site))
    assert again.status_code == 400 and "already exists" in again.text


async def test_unknown_destination_types_are_404(site: Site) -> None:
    async with site.client("editor") as client:
        for answer in (
            await client.get("/catalog/nope"),
            await client.post("/catalog/nope", data=webhook_form(site)),
            await client.get("/catalog/%3Cscript%3E"),
        ):
            assert answer.status_code == 404
            assert "unknown destination type" in answer.text
            assert "<script>" not in answer.text


async def test_hostile_values_are_escaped_when_shown_again(site: Site) -> None:
    hostile = '"><script>alert(1)</script>'
    form = webhook_form(site, **{"settings.url": hostile, "settings.headers": f"X-A: {hostile}"})
    async with site.client("editor") as client:
        answer = await client.post("/catalog/webhook", data=form)
    assert answer.status_code == 400
    assert "<script>alert(1)" not in answer.text
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text


async def test_huge_forms_are_refused_before_parsing(site: Site) -> None:
    big = webhook_form(site, **{"settings.url": "https://x.test/" + "a" * 400_000})
    many = {f"f{i}": "x" for i in range(1500)} | site.form("editor")
    async with site.client("editor") as client:
        assert (await client.post("/catalog/webhook", data=big)).status_code == 413
        assert (await client.post("/catalog/webhook", data=many)).status_code == 413
        multipart = await client.post(
            "/catalog/webhook", data=site.form("editor"), files={"f": ("a.txt", b"x")}
        )
        assert multipart.status_code in (403, 415)
    assert await site.objects("destination") == {}
