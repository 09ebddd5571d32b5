"""Access tokens from a refresh token: fetched once, reused, renewed when Google refuses them."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from destinations.ads.events import conversion_event
from destinations.harness import Harness
from eventyard.errors import TerminalError, TransientError
from fakes.google_ads import GoogleAdsFake
from fakes.webhook_receiver import Answer

ACTION = "upload_click_conversion"


def _event() -> dict[str, object]:
    return conversion_event(click_ids={"gclid": "Cj0-gclid"}, order_id=None)


def _paths(fake: GoogleAdsFake) -> list[str]:
    return [request.path.rsplit(":", 1)[-1] for request in fake.requests]


async def test_a_refresh_token_gets_an_access_token_once(
    fake: GoogleAdsFake, harness: Harness, oauth: dict[str, str | None]
) -> None:
    ads = harness(**oauth)
    await ads.perform(ACTION, _event())
    await ads.perform(ACTION, _event())
    assert _paths(fake) == ["/token", "uploadClickConversions", "uploadClickConversions"]
    form = {k: v[0] for k, v in parse_qs(fake.requests[0].body.decode()).items()}
    assert form == {
        "grant_type": "refresh_token",
        "client_id": "client-id.apps.googleusercontent.com",
        "client_secret": "client-secret",
        "refresh_token": "refresh-tok",
    }
    assert fake.requests[1].headers["authorization"] == "Bearer access-token-1"


async def test_a_refused_token_is_renewed_once(
    fake: GoogleAdsFake, harness: Harness, oauth: dict[str, str | None]
) -> None:
    ads = harness(**oauth)
    await ads.perform(ACTION, _event())
    fake.expire_tokens()
    await ads.perform(ACTION, conversion_event(click_ids={"gclid": "Cj0-other"}))
    assert _paths(fake) == [
        "/token",
        "uploadClickConversions",
        "uploadClickConversions",
        "/token",
        "uploadClickConversions",
    ]
    assert fake.requests[-1].headers["authorization"] == "Bearer access-token-2"
    assert len(fake.conversions) == 2


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"refresh_token": "revoked"}, "invalid_grant: Token has been expired or revoked"),
        ({"client_secret": "wrong-secret"}, "invalid_client"),
    ],
)
async def test_refused_renewals_are_terminal(
    fake: GoogleAdsFake,
    harness: Harness,
    oauth: dict[str, str | None],
    settings: dict[str, str],
    message: str,
) -> None:
    with pytest.raises(TerminalError, match=message) as caught:
        await harness(**{**oauth, **settings}).perform(ACTION, _event())
    assert "revoked" not in str(caught.value).replace("expired or revoked", "")
    assert "wrong-secret" not in str(caught.value)
    assert fake.conversions == []


async def test_a_token_endpoint_outage_is_transient(
    fake: GoogleAdsFake, harness: Harness, oauth: dict[str, str | None]
) -> None:
    fake.receiver.on_request = lambda request: Answer(503, {}, b"unavailable")
    with pytest.raises(TransientError, match="HTTP 503"):
        await harness(**oauth).perform(ACTION, _event())
