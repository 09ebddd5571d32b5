"""What the Google Ads destination declares, its settings validation and connection test."""

from __future__ import annotations

from typing import Any

import pytest

from destinations.ads import checks
from destinations.ads.events import conversion_event
from destinations.harness import Harness
from eventyard.control.config import decode_settings
from eventyard.conversions.canonical import LEAD_EVENTS, REVENUE_EVENTS
from eventyard.destinations.google_ads import definition
from eventyard.errors import TerminalError
from eventyard.pipeline.actions import compile_action
from eventyard.testing import make_event
from fakes.google_ads import GoogleAdsFake

BASE = {
    "customer_id": "1234567890",
    "developer_token": "d",
    "access_token": "t",
    "conversion_actions": {"purchase": "111"},
}


def test_declared() -> None:
    spec = checks.declared(
        definition,
        "google-ads",
        "google_ads",
        {"developer_token", "access_token", "client_secret", "refresh_token"},
    )
    assert set(definition.actions) == {"upload_click_conversion", "upload_conversion_adjustment"}
    assert spec.default_events == REVENUE_EVENTS | LEAD_EVENTS
    assert spec.limited_mode is True and spec.max_age == 90 * 86400
    assert frozenset({"gclid"}) in spec.minimum and frozenset({"email"}) in spec.minimum


@pytest.mark.parametrize(
    ("key", "purchase", "refund"),
    [("upload_click_conversion", True, False), ("upload_conversion_adjustment", False, True)],
)
def test_purchases_upload_and_refunds_adjust(key: str, purchase: bool, refund: bool) -> None:
    compiled = compile_action(key, definition.actions[key], where=f"google-ads.{key}")
    for name, expected in (("purchase", purchase), ("refund", refund)):
        event = conversion_event(name=name)
        assert compiled.subscribed(event) is expected
    assert compiled.subscribed(make_event(type="identify")) is False


def test_batches_hold_2000_rows() -> None:
    settings = decode_settings(definition, BASE)
    for action in definition.actions.values():
        limits = action.batch(settings) if action.batch is not None else None
        assert limits is not None and limits.max_events == 2000


def test_customer_ids_lose_their_dashes() -> None:
    settings = decode_settings(
        definition, {**BASE, "customer_id": "123-456-7890", "login_customer_id": "999-888-7777"}
    )
    assert (settings.customer_id, settings.login_customer_id) == ("1234567890", "9998887777")
    assert settings.customer_url == "https://googleads.googleapis.com/v26/customers/1234567890"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({**BASE, "customer_id": "12345"}, "10-digit"),
        ({**BASE, "customer_id": "123456789/../1"}, "10-digit"),
        ({**BASE, "login_customer_id": "manager"}, "10-digit"),
        ({**BASE, "developer_token": " "}, "developer_token"),
        ({**BASE, "conversion_actions": {}}, "at least one"),
        ({**BASE, "conversion_actions": {"Order Completed": "1"}}, "no conversion name"),
        ({**BASE, "conversion_actions": {"purchase": "abc"}}, "numeric"),
        ({**BASE, "conversion_actions": {"purchase": "1" * 5000}}, "numeric"),
        ({**BASE, "access_token": None}, "either access_token"),
        ({**BASE, "client_id": "c", "client_secret": "s", "refresh_token": "r"}, "either"),
        ({**BASE, "access_token": None, "client_id": "c"}, "go together"),
        ({**BASE, "api_version": "26"}, "api_version"),
        ({**BASE, "api_version": "v26/../v1"}, "api_version"),
        ({**BASE, "api_base_url": "googleads.googleapis.com"}, "api_base_url"),
        ({**BASE, "token_url": "ftp://x"}, "token_url"),
        ({**BASE, "customerId": "1"}, "customerId"),
        ({k: v for k, v in BASE.items() if k != "conversion_actions"}, "conversion_actions"),
    ],
)
def test_invalid_settings_are_rejected(raw: dict[str, Any], message: str) -> None:
    checks.refused_settings(definition, {k: v for k, v in raw.items() if v is not None}, message)


async def test_connection_looks_up_the_conversion_actions(
    fake: GoogleAdsFake, harness: Harness
) -> None:
    await harness().test_connection()
    (request,) = fake.requests
    assert request.path == "/v26/customers/1234567890/googleAds:search"
    assert "conversion_action.id IN (111, 222)" in request.body.decode()


async def test_connection_names_missing_actions(harness: Harness) -> None:
    actions = {"purchase": "111", "sign_up": "999"}
    with pytest.raises(TerminalError, match=r"sign_up -> 999 \(not found\)"):
        await harness(conversion_actions=actions).test_connection()


async def test_connection_with_a_bad_token_says_so(harness: Harness) -> None:
    with pytest.raises(TerminalError, match="refused the credentials") as caught:
        await harness(access_token="expired").test_connection()
    assert "expired" not in str(caught.value)


async def test_connection_through_a_manager_needs_login_customer_id(harness: Harness) -> None:
    async with GoogleAdsFake(manager_id="9998887777") as managed:
        settings = {"api_base_url": managed.url}
        with pytest.raises(TerminalError, match="login_customer_id"):
            await harness(**settings).test_connection()
        await harness(**settings, login_customer_id="999-888-7777").test_connection()
        assert managed.requests[-1].headers["login-customer-id"] == "9998887777"
