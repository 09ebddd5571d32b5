"""upload_click_conversion against the local Google Ads API: the documented rows, Google's
hashing, consent, per-row partial failures, whole-request errors and batching."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from destinations.ads.events import conversion_event, sha
from destinations.harness import Harness
from eventyard.destinations.google_ads.rows import google_time
from eventyard.errors import TerminalError, TransientError
from eventyard.testing import NotSent
from fakes.google_ads import GoogleAdsFake, ads_error
from fakes.webhook_receiver import Answer

ACTION = "upload_click_conversion"
GCLID = "Cj0KCQiA-test-gclid"


def clicked(**overrides: Any) -> dict[str, Any]:
    return conversion_event(**{"click_ids": {"gclid": GCLID}, **overrides})


def _rows(fake: GoogleAdsFake, index: int = -1) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = orjson.loads(fake.requests[index].body)["conversions"]
    return rows


def test_hashing_vectors_follow_googles_rules() -> None:
    # Enhanced conversions: trim and lowercase (gmail dots dropped); phones E.164 with "+".
    assert sha("john_smith@gmail.com") == (
        "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
    )
    assert sha("+16505551212") == (
        "1e231c66011e7a2d867a9cfae267a6aff103cf4913640b6e71a99850fc0ffbc8"
    )


async def test_purchase_becomes_the_documented_click_conversion(
    fake: GoogleAdsFake, harness: Harness
) -> None:
    event = clicked(consent={"ad_user_data": True})
    when = event["context"]["eventyard"]["conversion"]["timestamp"]
    await harness().perform(ACTION, event)

    (request,) = fake.requests
    assert request.path == "/v26/customers/1234567890:uploadClickConversions"
    assert request.headers["authorization"] == "Bearer access-token-0"
    assert request.headers["developer-token"] == "dev-token-abc"
    assert "login-customer-id" not in request.headers
    assert orjson.loads(request.body) == {
        "conversions": [
            {
                "conversionAction": "customers/1234567890/conversionActions/111",
                "conversionDateTime": google_time(when),
                "gclid": GCLID,
                "userIdentifiers": [
                    {"hashedEmail": sha("john_smith@gmail.com")},
                    {"hashedPhoneNumber": sha("+16505551212")},
                ],
                "conversionValue": 129.9,
                "currencyCode": "USD",
                "orderId": "1001",
                "userIpAddress": "203.0.113.7",
                "consent": {"adUserData": "GRANTED"},
            }
        ],
        "partialFailure": True,
    }
    assert len(fake.conversions) == 1


def test_date_times_are_google_formatted() -> None:
    assert google_time(1767268800.7) == "2026-01-01 12:00:00+00:00"


async def test_a_lead_without_a_click_is_an_enhanced_conversion_for_leads(
    fake: GoogleAdsFake, harness: Harness
) -> None:
    event = conversion_event(name="lead", order_id=None, value=None, user={"email": "A@B.co"})
    await harness().perform(ACTION, event)
    (row,) = _rows(fake)
    assert row["conversionAction"].endswith("/222")
    assert row["userIdentifiers"] == [{"hashedEmail": sha("a@b.co")}]
    assert not any(key in row for key in ("gclid", "gbraid", "wbraid", "orderId"))


@pytest.mark.parametrize(
    ("click_ids", "sent"),
    [
        ({"gbraid": "gb-1"}, {"gbraid": "gb-1"}),
        ({"wbraid": "wb-1"}, {"wbraid": "wb-1"}),
        ({"gclid": GCLID, "gbraid": "gb-1", "wbraid": "wb-1"}, {"gclid": GCLID}),
    ],
)
async def test_one_click_id_at_most(
    fake: GoogleAdsFake, harness: Harness, click_ids: dict[str, str], sent: dict[str, str]
) -> None:
    await harness().perform(ACTION, conversion_event(click_ids=click_ids))
    (row,) = _rows(fake)
    assert {k: row[k] for k in ("gclid", "gbraid", "wbraid") if k in row} == sent


@pytest.mark.parametrize(
    "consent",
    [{"ad_user_data": False}, {"categories": {"Advertising": False}, "ad_user_data": True}],
)
async def test_denied_ad_user_data_sends_no_identifiers(
    fake: GoogleAdsFake, harness: Harness, consent: dict[str, Any]
) -> None:
    await harness().perform(ACTION, clicked(consent=consent))
    (row,) = _rows(fake)
    assert row["consent"] == {"adUserData": "DENIED"}
    assert "userIdentifiers" not in row and "userIpAddress" not in row and row["gclid"] == GCLID


async def test_limited_mode_denies_ad_user_data(fake: GoogleAdsFake, harness: Harness) -> None:
    await harness().perform(ACTION, clicked(limited_data_use=True))
    (row,) = _rows(fake)
    assert row["consent"] == {"adUserData": "DENIED"} and "userIdentifiers" not in row


async def test_nothing_to_attribute_is_terminal(fake: GoogleAdsFake, harness: Harness) -> None:
    with pytest.raises(TerminalError, match="needs a click id"):
        await harness().perform(ACTION, conversion_event(consent={"ad_user_data": False}))
    assert fake.requests == []


async def test_hashes_pass_through_and_five_identifiers_at_most(
    fake: GoogleAdsFake, harness: Harness
) -> None:
    digest = sha("x@y.z").upper()
    emails = [digest, "b@x.io", "c@x.io", "d@x.io"]
    user = {"email": emails, "phone": ["+14155550100", "+14155550101"]}
    await harness().perform(ACTION, clicked(user=user))
    identifiers = _rows(fake)[0]["userIdentifiers"]
    assert len(identifiers) == 5 and identifiers[0] == {"hashedEmail": digest.lower()}


async def test_an_event_without_an_action_says_how_to_add_one(
    fake: GoogleAdsFake, harness: Harness
) -> None:
    with pytest.raises(TerminalError, match="conversion_actions in the settings"):
        await harness().perform(ACTION, clicked(name="sign_up"))
    assert fake.requests == []


async def test_mapped_conversion_action(fake: GoogleAdsFake, harness: Harness) -> None:
    await harness().perform(ACTION, clicked(name="sign_up"), {"conversion_action": "222"})
    assert _rows(fake)[0]["conversionAction"].endswith("/222")
    with pytest.raises(TerminalError, match="numeric conversion action id"):
        await harness().perform(ACTION, clicked(), {"conversion_action": "1/../../x"})


async def test_validate_only_records_nothing(fake: GoogleAdsFake, harness: Harness) -> None:
    await harness(validate_only=True).perform(ACTION, clicked())
    assert orjson.loads(fake.requests[0].body)["validateOnly"] is True
    assert fake.conversions == []


async def test_login_customer_id_header(fake: GoogleAdsFake, harness: Harness) -> None:
    await harness(login_customer_id="9998887777").perform(ACTION, clicked())
    assert fake.requests[0].headers["login-customer-id"] == "9998887777"


async def test_clicks_older_than_90_days_are_terminal(
    fake: GoogleAdsFake, harness: Harness
) -> None:
    with pytest.raises(TerminalError, match="older than 90 days"):
        await harness().perform(ACTION, clicked(timestamp=time.time() - 91 * 86400))
    assert fake.requests == []


def test_refunds_go_to_the_adjustment_action(harness: Harness) -> None:
    with pytest.raises(NotSent, match="not subscribed"):
        harness().payload(ACTION, clicked(name="refund"))


async def test_partial_failures_map_to_their_rows(fake: GoogleAdsFake, harness: Harness) -> None:
    fake.unknown_clicks.add("unknown-click")
    fake.recent_clicks.add("fresh-click")
    events = [
        clicked(order_id="o-1"),
        clicked(order_id="o-2", click_ids={"gclid": "unknown-click"}),
        clicked(order_id="o-3", click_ids={"gclid": "fresh-click"}),
    ]
    _, result = await harness().perform_batch(ACTION, events)
    assert result is not None and result[0] is None
    assert isinstance(result[1], TerminalError) and "CLICK_NOT_FOUND" in str(result[1])
    assert isinstance(result[2], TransientError) and "TOO_RECENT_EVENT" in str(result[2])
    assert result[2].retry_after == 6 * 3600
    assert [row["orderId"] for row in fake.conversions] == ["o-1"]


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ({"conversionUploadError": "TOO_RECENT_CONVERSION_ACTION"}, TransientError),
        ({"databaseError": "CONCURRENT_MODIFICATION"}, TransientError),
        ({"conversionUploadError": "UNPARSEABLE_GCLID"}, TerminalError),
        ({"conversionUploadError": "EXPIRED_EVENT"}, TerminalError),
        ({"conversionUploadError": "CLICK_CONVERSION_ALREADY_EXISTS"}, None),
    ],
)
async def test_row_error_codes(
    fake: GoogleAdsFake, harness: Harness, code: dict[str, str], outcome: type | None
) -> None:
    fake.row_errors["1001"] = code
    _, result = await harness().perform_batch(ACTION, [clicked()])
    if outcome is None:
        assert result is None
    else:
        assert result is not None and isinstance(result[0], outcome)


async def test_a_resent_order_counts_as_delivered(fake: GoogleAdsFake, harness: Harness) -> None:
    await harness().perform(ACTION, clicked())
    await harness().perform(ACTION, clicked(message_id="retry"))  # ORDER_ID_ALREADY_IN_USE
    assert len(fake.requests) == 2 and len(fake.conversions) == 1


async def test_an_unmatched_lead_is_not_an_error(fake: GoogleAdsFake, harness: Harness) -> None:
    fake.leads_match = False
    await harness().perform(ACTION, conversion_event(name="lead", order_id=None))
    assert len(fake.requests) == 1 and fake.conversions == []  # CLICK_NOT_FOUND, ignored


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (
            ads_error(400, {"requestError": "INVALID_INPUT"}, "bad input"),
            TerminalError,
            "INVALID_INPUT: bad input",
        ),
        (
            ads_error(400, {"databaseError": "CONCURRENT_MODIFICATION"}, "try again"),
            TransientError,
            "CONCURRENT_MODIFICATION",
        ),
        (
            ads_error(429, {"quotaError": "RESOURCE_EXHAUSTED"}, "Too many requests"),
            TransientError,
            "RESOURCE_EXHAUSTED",
        ),
        (Answer(503, {}, b"unavailable"), TransientError, "HTTP 503"),
        (
            ads_error(403, {"authorizationError": "USER_PERMISSION_DENIED"}, "denied"),
            TerminalError,
            "login_customer_id",
        ),
    ],
)
async def test_whole_request_errors(
    fake: GoogleAdsFake, harness: Harness, answer: Answer, error: type, message: str
) -> None:
    fake.fail_next(answer)
    _, result = await harness().perform_batch(ACTION, [clicked(), clicked(order_id="2")])
    assert result is not None and all(isinstance(r, error) for r in result)
    assert message in str(result[0]) and "access-token-0" not in str(result[0])
    assert fake.conversions == []


async def test_quota_errors_carry_the_retry_delay(fake: GoogleAdsFake, harness: Harness) -> None:
    body = {
        "error": {
            "code": 429,
            "status": "RESOURCE_EXHAUSTED",
            "message": "quota",
            "details": [
                {
                    "errors": [
                        {
                            "errorCode": {"quotaError": "RESOURCE_EXHAUSTED"},
                            "message": "Too many requests.",
                            "details": {"quotaErrorDetails": {"retryDelay": "30s"}},
                        }
                    ]
                }
            ],
        }
    }
    fake.fail_next(Answer(429, {"Content-Type": "application/json"}, orjson.dumps(body)))
    with pytest.raises(TransientError) as caught:
        await harness().perform(ACTION, clicked())
    assert caught.value.retry_after == 30.0


async def test_credentials_errors_are_terminal(fake: GoogleAdsFake, harness: Harness) -> None:
    with pytest.raises(TerminalError, match="refused the credentials") as caught:
        await harness(developer_token="wrong-token").perform(ACTION, clicked())
    assert "wrong-token" not in str(caught.value)


async def test_an_unreachable_api_is_transient(fake: GoogleAdsFake, harness: Harness) -> None:
    await fake.receiver.down()
    with pytest.raises(TransientError, match="connection failed"):
        await harness().perform(ACTION, clicked())


async def test_batches_split_at_2000_rows(fake: GoogleAdsFake, harness: Harness) -> None:
    events = [clicked(order_id=f"o-{i}") for i in range(2001)]
    _, result = await harness().perform_batch(ACTION, events)
    assert result is None
    assert [len(_rows(fake, i)) for i in range(2)] == [2000, 1]
    assert len(fake.conversions) == 2001


async def test_a_malformed_payload_fails_alone(fake: GoogleAdsFake, harness: Harness) -> None:
    events = [clicked(), clicked(order_id="2", timestamp="noon")]
    _, result = await harness().perform_batch(ACTION, events)
    assert result is not None and result[0] is None
    assert isinstance(result[1], TerminalError) and "timestamp" in str(result[1])


async def test_hostile_values_are_left_out(fake: GoogleAdsFake, harness: Harness) -> None:
    event = clicked(
        value="a lot",
        currency="usd!",
        ip="999.1.1.1; DROP",
        user={"email": ["no-at", 7, {"x": 1}], "phone": "call me", "country": "Narnia"},
    )
    await harness().perform(ACTION, event)
    (row,) = _rows(fake)
    assert set(row) == {"conversionAction", "conversionDateTime", "gclid", "orderId"}
    assert len(fake.conversions) == 1


def test_a_click_id_must_be_a_string(harness: Harness) -> None:
    with pytest.raises(NotSent, match="'gclid' must be a string"):
        harness().payload(ACTION, clicked(click_ids={"gclid": ["a", "b"]}))
