"""The debugger's server search: everything still in the log, by messageId, userId,
anonymousId, event name or property value, a page at a time with "Load older", and a bound
on the records one request looks at."""

from __future__ import annotations

import re

import orjson
import pytest

from eventyard.log.base import Entry
from eventyard.ui import log_search
from eventyard.ui.log_search import Query, search
from ui.live_setup import Ui, ui

__all__ = ["ui"]


def _entry(n: int, source: str = "web", **fields: object) -> Entry:
    body = {
        "type": "track",
        "event": "Viewed",
        "userId": f"user-{n}",
        "anonymousId": f"anon-{n}",
        "messageId": f"m-{n:04d}",
        "properties": {"sku": f"SKU-{n}", "tags": ["x"]},
        **fields,
    }
    return Entry(source, f"user-{n}", body["messageId"], orjson.dumps(body))  # type: ignore[arg-type]


def _ids(html: str) -> list[str]:
    return re.findall(r'data-message-id="([^"]+)"', html)


def _older(html: str) -> str | None:
    found = re.search(r'data-older="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


async def _fill(ui: Ui) -> None:
    """300 events of `web` (one Order Completed among them, early) and 100 of `app`."""
    entries = [_entry(n) for n in range(300)]
    entries[20] = _entry(20, event="Order Completed", properties={"coupon": "SPRING-Sale"})
    await ui.append(*entries, *(_entry(n, "app", userId="needle") for n in range(300, 400)))


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("m-0007", "messageId", ["m-0007"]),
        ("user-299", "userId", ["m-0299"]),
        ("ANON-298", "", ["m-0298"]),
        ("user-29", "userId", [f"m-{n:04d}" for n in range(299, 289, -1)] + ["m-0029"]),
        ("order completed", "event", ["m-0020"]),
        ("spring-sale", "properties", ["m-0020"]),
        ("needle", "", []),  # another source's user
        ("SKU-5", "userId", []),  # a property value, not a userId
    ],
)
async def test_search_finds_old_events_by_each_field(
    ui: Ui, text: str, field: str, expected: list[str]
) -> None:
    await _fill(ui)
    found = await search(ui.log, "web", Query(text, field))
    assert sorted(r.message_id for r in found.records) == sorted(expected)


async def test_a_page_scans_a_bounded_number_of_records_then_pages_on(
    ui: Ui, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _fill(ui)
    monkeypatch.setattr(log_search, "MAX_SCAN", 40)
    monkeypatch.setattr(log_search, "_WINDOW", 10)
    found = await search(ui.log, "web", Query("Order Completed", "event"))
    assert found.records == [] and found.scanned <= 40 and found.cursor is not None
    pages = 1
    while not found.records and found.cursor is not None:
        before = [int(part) for part in found.cursor.split(".")]
        found = await search(ui.log, "web", Query("Order Completed", "event"), before)
        assert found.scanned <= 40
        pages += 1
    assert [r.message_id for r in found.records] == ["m-0020"] and pages > 3


async def test_debugger_page_searches_and_loads_older_through_the_server(ui: Ui) -> None:
    await _fill(ui)
    async with ui.client("viewer") as client:
        first = (await client.get("/debugger/web")).text
        assert len(_ids(first)) == 50 and "m-0020" not in _ids(first)
        assert "data-stream=" in first  # live, as before

        seen = set(_ids(first))
        older = _older(first)
        while older is not None:  # "Load older" until the start of the log
            page = (await client.get(older)).text
            assert not seen & set(_ids(page))
            seen |= set(_ids(page))
            older = _older(page)
        assert len(seen) == 300 and "Start of the log" in page

        found = (await client.get("/debugger/web", params={"q": "spring-sale"})).text
        assert _ids(found) == ["m-0020"]
        assert "data-stream=" not in found and "Events matching “spring-sale”" in found

        bad = await client.get("/debugger/web", params={"field": "context"})
        assert bad.status_code == 400
        stale = await client.get("/debugger/web/older", params={"before": "9.9"})
        assert stale.status_code == 400
        other = await client.get("/debugger/otherws-src", params={"q": "x"})
        assert other.status_code == 404
