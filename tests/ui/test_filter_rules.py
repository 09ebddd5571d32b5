"""The Filter tab, the one place for a destination's filters: "only send" (`filter`) and the
rules that drop, sample, drop or allow properties (`filters`), saved together, checked at
their row, and counted together over real events appended to the log."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ui.config_setup import Site, seeded, site, text_of, track
from ui.test_destination_advanced import FULL, HOOK, stored

__all__ = ["seeded", "site"]

FILTER = "/destinations/hook/filter"


def rules_form(site: Site, filter: str = "", **fields: Any) -> dict[str, Any]:
    """The Filter tab's form as the page sends it."""
    return site.form("editor", filter=filter, **fields)


async def test_both_keys_are_shown_saved_together_and_live(site: Site) -> None:
    await site.put("destination", HOOK)
    form = rules_form(
        site,
        filter='type = "track"',
        **{
            "filters.row": ["a", "b"],
            "filters.a.if": 'event = "Debug"',
            "filters.a.then": "drop",
            "filters.b.then": "drop_properties",
            "filters.b.properties": "properties.email\n\ncontext.ip\nuserId\nproperties.email",
            "filters.b.name": "privacy",
        },
    )
    async with site.client("editor") as client:
        answer = await client.post(FILTER, data=form)
        assert answer.status_code == 303, text_of(answer.text)
        page = (await client.get(FILTER)).text
    doc = await stored(site)
    assert doc["filter"] == 'type = "track"'
    assert doc["filters"] == [
        {"if": 'event = "Debug"', "drop": True},
        {
            "name": "privacy",
            "drop_properties": {"properties": ["email"], "context": ["ip"], "": ["userId"]},
        },
    ]
    (dest,) = site.ctx.config.destinations  # applied to the running configuration at once
    assert dest.filter == 'type = "track"' and dest.filters[1].name == "privacy"
    assert "type = &#34;track&#34;</textarea>" in page and "Rule 2" in page
    assert 'value="privacy"' in page


async def test_the_count_runs_the_whole_set_on_recent_events(site: Site) -> None:
    await site.put("destination", HOOK)
    await site.append(
        track("m1", properties={"revenue": 150, "email": "a@example.com"}),
        track("m2", event="Debug"),
        track("m3", type="identify", event=None),
        track("m4", properties={"revenue": 5}),
    )
    fields = {
        "filters.row": ["0", "1"],
        "filters.0.if": 'event = "Debug"',
        "filters.0.then": "drop",
        "filters.0.name": "no debug",
        "filters.1.then": "drop_properties",
        "filters.1.properties": "properties.email",
    }
    async with site.client("viewer") as client:
        answer = await client.post(
            f"{FILTER}/preview",
            data=site.form("viewer", filter='type = "track"', **fields),
            headers={"HX-Request": "true"},
        )
    text = text_of(answer.text)
    assert "Keeps 2 of the last 4 events (50%), 1 of them with properties dropped" in text
    assert "1 dropped · filters[0] (no debug) drop: if event" in text
    assert "1 dropped · filter: type" in text


async def test_an_empty_form_removes_both_keys(site: Site) -> None:
    await site.put("destination", {**HOOK, "filter": 'type = "track"', "filters": [{"drop": True}]})
    async with site.client("editor") as client:
        answer = await client.post(FILTER, data=rules_form(site))
        assert answer.status_code == 303
    doc = await stored(site)
    assert "filter" not in doc and "filters" not in doc


RULES: dict[str, Any] = {
    "filters.row": ["0", "1", "2", "3"],
    "filters.0.then": "drop",
    "filters.0.if": 'event = "Fine"',
    "filters.1.then": "drop",
    "filters.1.if": 'event = = "<script>x</script>"',
    "filters.2.then": "sample",
    "filters.2.sample": "2",
    "filters.3.then": "allow_properties",
    "filters.3.properties": "  \n",
}


async def test_each_bad_rule_is_shown_at_its_row(site: Site) -> None:
    await site.put("destination", HOOK)
    async with site.client("editor") as client:
        answer = await client.post(FILTER, data=rules_form(site, **RULES))
    assert answer.status_code == 400
    page = answer.text
    assert "<script>x</script>" not in page
    assert 'id="f-filters-0-if-error"' not in page
    assert re.search(r'id="f-filters-1-if-error">[^<]*column', page)
    assert re.search(r'id="f-filters-2-sample-error">Enter a fraction from 0 to 1', page)
    assert re.search(r'id="f-filters-3-properties-error">List at least one property', page)
    assert page.count('class="rule-row invalid"') == 3
    assert 'value="event = = &#34;&lt;script&gt;x&lt;/script&gt;&#34;"' in page  # kept as typed
    assert "filters" not in await stored(site)


@pytest.mark.parametrize(
    ("rule", "part", "message"),
    [
        ({"then": "sample", "sample": "nan"}, "sample", "Enter a fraction"),
        ({"then": "sample", "sample": "-0.1"}, "sample", "Enter a fraction"),
        ({"then": "explode"}, "then", "Choose what the rule does"),
        ({"then": "drop_properties", "properties": "properties."}, "properties", "Line 1:"),
        ({"then": "drop_properties", "properties": ".email"}, "properties", "Line 1:"),
    ],
)
async def test_hostile_rule_parts(
    site: Site, rule: dict[str, str], part: str, message: str
) -> None:
    await site.put("destination", HOOK)
    fields = {"filters.row": "x"} | {f"filters.x.{key}": value for key, value in rule.items()}
    async with site.client("editor") as client:
        answer = await client.post(FILTER, data=rules_form(site, **fields))
    assert answer.status_code == 400
    assert re.search(rf'id="f-filters-0-{part}-error">{re.escape(message)}', answer.text)


async def test_add_and_remove_rows_show_the_form_again_without_saving(site: Site) -> None:
    await site.put("destination", HOOK)
    typed = rules_form(
        site,
        filter='type = "track"',
        **{
            "filters.row": ["p", "q"],
            "filters.p.if": 'event = "First"',
            "filters.q.if": 'event = "Second"',
            "filters.q.then": "sample",
            "filters.q.sample": "0.5",
        },
    )
    async with site.client("editor") as client:
        added = await client.post(FILTER, data={**typed, "filters.add": "1"})
        removed = await client.post(FILTER, data={**typed, "filters.remove": "p"})
    assert added.status_code == 200 and removed.status_code == 200
    assert added.text.count('name="filters.row"') == 3
    assert 'name="filters.2.then"' in added.text and "Rule 3" in added.text
    assert "type = &#34;track&#34;</textarea>" in added.text  # what was typed stays
    assert "Enter a fraction" not in added.text  # no validation before Save
    assert removed.text.count('name="filters.row"') == 1
    assert 'name="filters.0.if" class="mono" value="event = &#34;Second&#34;"' in removed.text
    assert "First&#34;" not in removed.text
    assert await stored(site) == HOOK


async def test_viewers_see_the_rules_but_cannot_change_them(site: Site) -> None:
    await site.put("destination", FULL)
    async with site.client("viewer") as client:
        page = (await client.get("/destinations/meta/filter")).text
        add = await client.post(
            "/destinations/meta/filter", data=site.form("viewer", **{"filters.add": "1"})
        )
    assert "Rule 4" in page and '<fieldset class="plain" disabled>' in page
    assert 'name="filters.add"' not in page and 'name="filters.remove"' not in page
    assert add.status_code == 403


async def test_deeply_nested_and_oversized_rules(site: Site) -> None:
    await site.put("destination", HOOK)
    nested = "(" * 500 + 'type = "track"' + ")" * 500
    fields = {"filters.row": "0", "filters.0.if": nested}
    huge = {"filters.row": [str(i) for i in range(30)]}
    huge |= {f"filters.{i}.if": 'event = "' + "x" * 9000 + '"' for i in range(30)}
    async with site.client("editor") as client:
        deep = await client.post(FILTER, data=rules_form(site, **fields))
        too_big = await client.post(FILTER, data=rules_form(site, **huge))
    assert deep.status_code == 400
    assert re.search(r'id="f-filters-0-if-error">[^<]*nested more than 64 levels', deep.text)
    assert too_big.status_code == 413
    assert await stored(site) == HOOK
