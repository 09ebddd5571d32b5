"""Click IDs and ad cookies captured from realistic landing pages and site-sent values."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventyard.conversions.click_ids import capture, merge
from eventyard.testing import make_event

# 2026-01-01T12:00:00Z in milliseconds
_MS = 1767268800000


def _landing(url: str, **context: Any) -> dict[str, Any]:
    event = make_event(type="page", event=None)
    event["context"]["page"]["url"] = url
    event["context"].update(context)
    return event


def test_meta_fbclid_becomes_fbc_with_the_event_time_and_case_kept() -> None:
    event = _landing("https://shop.example/p/1?utm_source=fb&fbclid=IwAR2F4-xYz_AbC")
    assert capture(event) == {"fbc": f"fb.1.{_MS}.IwAR2F4-xYz_AbC"}


@pytest.mark.parametrize(
    ("query", "key", "value"),
    [
        ("gclid=Cj0KCQiA-abc_DEF", "gclid", "Cj0KCQiA-abc_DEF"),
        ("gbraid=0AAAAA-xyz", "gbraid", "0AAAAA-xyz"),
        ("wbraid=CkAKCQ-xyz", "wbraid", "CkAKCQ-xyz"),
        ("ttclid=E.C.P.Cs4BabC", "ttclid", "E.C.P.Cs4BabC"),
        ("ScCid=7d3e1f2a-4b5c", "sc_click_id", "7d3e1f2a-4b5c"),
        ("sccid=7d3e1f2a-4b5c", "sc_click_id", "7d3e1f2a-4b5c"),
        ("epik=dj0yJnU9abc", "epik", "dj0yJnU9abc"),
        ("rdt_cid=1234567890123456789", "rdt_cid", "1234567890123456789"),
    ],
)
def test_url_click_ids(query: str, key: str, value: str) -> None:
    assert capture(_landing(f"https://shop.example/?utm_medium=cpc&{query}#top")) == {key: value}


def test_page_search_and_properties_url_are_read_too() -> None:
    event = make_event(type="page", event=None, properties={"url": "https://x.example/?gclid=G1"})
    event["context"]["page"] = {"search": "?ttclid=T1"}
    assert capture(event) == {"gclid": "G1", "ttclid": "T1"}


def test_cookies_sent_by_the_site() -> None:
    event = make_event(
        event="Order Completed",
        properties={"_fbp": "fb.1.1596403881668.1116446470", "_ga": "GA1.1.123456.7654321"},
    )
    event["context"].update(
        {"_ttp": "2abcTTP", "_scid": "scid-1", "_epik": "epik-cookie", "_rdt_uuid": "1700.uuid"}
    )
    assert capture(event) == {
        "fbp": "fb.1.1596403881668.1116446470",
        "ga_client_id": "123456.7654321",
        "ttp": "2abcTTP",
        "sc_cookie1": "scid-1",
        "epik": "epik-cookie",
        "rdt_uuid": "1700.uuid",
    }


def test_fbc_cookie_wins_over_a_rebuilt_one_and_properties_win_over_context() -> None:
    event = _landing("https://shop.example/?fbclid=NEW&gclid=FROMURL", _fbc="fb.1.1.OLD")
    event["properties"] = {"gclid": "EXPLICIT", "_fbc": "fb.1.2.PROP"}
    assert capture(event) == {"fbc": "fb.1.2.PROP", "gclid": "EXPLICIT"}


def test_ga_cookie_prefix_is_stripped_only_when_present() -> None:
    assert capture(make_event(properties={"_ga": "GA1.2.99.88"})) == {"ga_client_id": "99.88"}
    assert capture(make_event(properties={"ga_client_id": "99.88"})) == {"ga_client_id": "99.88"}


def test_fbclid_without_a_usable_time_is_not_turned_into_fbc() -> None:
    event = _landing("https://shop.example/?fbclid=abc&gclid=g")
    for key in ("timestamp", "originalTimestamp", "receivedAt"):
        event[key] = "garbage"
    assert capture(event) == {"gclid": "g"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://[::1/?gclid=x", {"gclid": "x"}),  # a broken host does not hide the query
        ("not a url", {}),
        ("?" + "&".join(f"p{i}=v" for i in range(5000)) + "&gclid=late", {}),
        ("https://x.example/?gclid=" + "a" * 5000, {}),
        ("https://x.example/?gclid=has space", {}),
        ("https://x.example/?gclid=%00%01", {}),
        ("https://x.example/?gclid=", {}),
        ("https://x.example/?gclid", {}),
        ("https://x.example/?gclid=%C3%A9", {}),
    ],
)
def test_malformed_urls_and_values(url: str, expected: dict[str, str]) -> None:
    assert capture(_landing(url)) == expected


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"context": None, "properties": []},
        {"context": {"page": {"url": 42}}, "properties": {"_fbp": {"nested": 1}}},
        {"context": {"page": "https://x/?gclid=1"}},
        {"context": {"_ga": ["GA1.1.1.2"]}, "properties": {"_fbc": 12.5, "gclid": True}},
    ],
)
def test_hostile_events_yield_nothing(event: dict[str, Any]) -> None:
    assert capture(event) == {}


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(["context", "page", "url", "properties", "_fbc", "_ga", "search"]),
                children,
                max_size=4,
            )
        ),
        max_leaves=20,
    )
)
def test_capture_never_raises(garbage: object) -> None:
    event = {"context": garbage, "properties": garbage, "timestamp": "2026-01-01T00:00:00Z"}
    result = capture(event)
    assert all(isinstance(v, str) and v for v in result.values())


def test_merge_replaces_with_new_values_but_keeps_first_seen_fbc() -> None:
    remembered = {"fbc": "fb.1.1000.CLICK", "gclid": "OLD", "fbp": "fb.1.5.1"}
    again = {"fbc": "fb.1.9000.CLICK", "gclid": "NEW"}
    assert merge(remembered, again) == {"fbc": "fb.1.1000.CLICK", "gclid": "NEW", "fbp": "fb.1.5.1"}
    other_click = {"fbc": "fb.1.9000.OTHER"}
    assert merge(remembered, other_click)["fbc"] == "fb.1.9000.OTHER"
    assert merge({}, again) == again
    assert merge(remembered, {}) == remembered
    assert merge({"fbc": "garbage"}, {"fbc": "also garbage"}) == {"fbc": "also garbage"}
