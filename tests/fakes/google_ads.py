"""A local Google Ads API (REST) for conversion uploads, checking requests the way
developers.google.com/google-ads/api documents them, plus Google's OAuth token endpoint.

- `POST /{version}/customers/{id}:uploadClickConversions` and `:uploadConversionAdjustments`,
  `POST /{version}/customers/{id}/googleAds:search` (conversion actions by id).
- Headers: `Authorization: Bearer <access token>` (else 401 UNAUTHENTICATED), `developer-token`
  (else 401), and `login-customer-id` equal to the manager id when one is set (else 403
  USER_PERMISSION_DENIED).
- Body: `partialFailure: true` (required) and at most 2000 rows (else the whole request fails
  with TOO_MANY_CONVERSIONS_IN_REQUEST); `validateOnly: true` checks and stores nothing.
- Each row: a known `conversionAction` resource name, `yyyy-mm-dd hh:mm:ss+hh:mm` date-times,
  at most one of gclid/gbraid/wbraid (or else `userIdentifiers`), <= 5 `userIdentifiers` each
  holding one 64-hex hash, a 3-letter `currencyCode`, consent GRANTED/DENIED. Rows failing a
  check come back as `{}` in `results` with a GoogleAdsFailure in `partialFailureError` naming
  their index.
- Conversions are unique per (action, orderId), else per (action, click, date-time); adjustments
  need a conversion with that orderId (uploaded, or `tag_orders` for enhancements);
  RETRACTION carries no `restatementValue`, RESTATEMENT needs one.
- `POST /token` (grant_type=refresh_token) issues access tokens; `expire_tokens()` revokes all.
- Switches: `unknown_clicks` and `leads_match = False` (CLICK_NOT_FOUND), `recent_clicks`
  (TOO_RECENT_EVENT),
  `row_errors[orderId or gclid]` (one-shot error code for that row), `fail_next(...)`.
"""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.common import EventsApi, json_answer, json_body, media_type
from fakes.webhook_receiver import Answer, Received

__all__ = ["GoogleAdsFake", "ads_error"]

MAX_ROWS = 2000
_PATH = re.compile(
    r"/(v\d+)/customers/(\d+)(:uploadClickConversions|:uploadConversionAdjustments|/googleAds:search)"
)
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d")
_HASH = re.compile(r"[a-f0-9]{64}")
_CLICK_KEYS = ("gclid", "gbraid", "wbraid")
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}
ErrorCode = dict[str, str]


def _failure(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.ads.googleads.v22.errors.GoogleAdsFailure",
        "errors": errors,
        "requestId": "fake-request-id",
    }


def ads_error(status: int, code: ErrorCode, message: str) -> Answer:
    """A whole-request Google Ads error, as the REST interface returns it."""
    error = {"errorCode": code, "message": message}
    body = {"code": status, "message": message, "status": _STATUS.get(status, "INTERNAL")}
    return json_answer(status, {"error": {**body, "details": [_failure([error])]}})


_UNAUTHENTICATED = ads_error(
    401,
    {"authenticationError": "OAUTH_TOKEN_INVALID"},
    "Request had invalid authentication credentials. Expected OAuth 2 access token.",
)


def _hash_problem(identifier: Any, allowed: tuple[str, ...]) -> str | None:
    if not isinstance(identifier, dict):
        return "a user identifier must be an object"
    keys = [key for key in identifier if key != "userIdentifierSource"]
    if len(keys) != 1 or keys[0] not in allowed:
        return f"a user identifier holds exactly one of {', '.join(allowed)}"
    value = identifier[keys[0]]
    if keys[0] == "addressInfo":
        return _address_problem(value)
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        return f"{keys[0]} must be a SHA-256 hex digest"
    return None


def _address_problem(address: Any) -> str | None:
    if not isinstance(address, dict):
        return "addressInfo must be an object"
    for key, value in address.items():
        hashed = key.startswith("hashed")
        if hashed != bool(isinstance(value, str) and _HASH.fullmatch(value)):
            return f"addressInfo.{key} must be {'hashed' if hashed else 'plain text'}"
    return None


def _common_problem(row: dict[str, Any]) -> tuple[ErrorCode, str] | None:
    identifiers = row.get("userIdentifiers", [])
    if not isinstance(identifiers, list) or len(identifiers) > 5:
        return {"collectionSizeError": "TOO_MANY"}, "at most 5 user identifiers"
    allowed = ("hashedEmail", "hashedPhoneNumber", "addressInfo")
    for identifier in identifiers:
        if problem := _hash_problem(identifier, allowed):
            return {"conversionUploadError": "INVALID_USER_IDENTIFIER"}, problem
    consent = row.get("consent", {})
    if not isinstance(consent, dict) or any(
        v not in ("GRANTED", "DENIED") for v in consent.values()
    ):
        return {"fieldError": "INVALID_VALUE"}, "consent values are GRANTED or DENIED"
    return None


def _click_problem(row: dict[str, Any]) -> tuple[ErrorCode, str] | None:
    if not _DATE_TIME.fullmatch(str(row.get("conversionDateTime", ""))):
        return {"dateError": "INVALID_FIELD_VALUES_IN_DATE_TIME"}, "bad conversionDateTime"
    clicks = [key for key in _CLICK_KEYS if row.get(key)]
    if len(clicks) > 1:
        return {"conversionUploadError": "GBRAID_WBRAID_BOTH_SET"}, "one click id at most"
    if not clicks and not row.get("userIdentifiers"):
        return {"fieldError": "REQUIRED"}, "a click id or user identifiers are required"
    if any("addressInfo" in identifier for identifier in row.get("userIdentifiers", [])):
        return {"conversionUploadError": "INVALID_USER_IDENTIFIER"}, "no addressInfo here"
    if "currencyCode" in row and not re.fullmatch(r"[A-Z]{3}", str(row["currencyCode"])):
        return {"fieldError": "INVALID_VALUE"}, "currencyCode is an ISO 4217 code"
    return _common_problem(row)


def _adjustment_problem(row: dict[str, Any]) -> tuple[ErrorCode, str] | None:
    kind = row.get("adjustmentType")
    if kind not in ("RETRACTION", "RESTATEMENT", "ENHANCEMENT"):
        return {"fieldError": "INVALID_VALUE"}, f"unknown adjustmentType {kind!r}"
    if row.get("orderId") and row.get("gclidDateTimePair"):
        code = "GCLID_DATE_TIME_PAIR_AND_ORDER_ID_BOTH_SET"
        return {"conversionAdjustmentUploadError": code}, "orderId or gclidDateTimePair"
    if kind != "ENHANCEMENT" and not _DATE_TIME.fullmatch(str(row.get("adjustmentDateTime"))):
        return {"dateError": "INVALID_FIELD_VALUES_IN_DATE_TIME"}, "bad adjustmentDateTime"
    restated = row.get("restatementValue")
    if (kind == "RESTATEMENT") != isinstance(restated, dict):
        return {"fieldError": "INVALID_VALUE"}, "restatementValue only with RESTATEMENT"
    if kind == "ENHANCEMENT" and not row.get("userIdentifiers"):
        return {"fieldError": "REQUIRED"}, "an enhancement needs user identifiers"
    return _common_problem(row)


class GoogleAdsFake(EventsApi):
    """Records stored `conversions` (also in `events`) and `adjustments`."""

    def __init__(
        self,
        customer_id: str = "1234567890",
        conversion_actions: dict[str, str] | None = None,
        developer_token: str = "dev-token-abc",
        manager_id: str | None = None,
    ) -> None:
        super().__init__()
        self.customer_id, self.developer_token, self.manager_id = (
            customer_id,
            developer_token,
            manager_id,
        )
        self.conversion_actions = conversion_actions or {"111": "Purchase", "222": "Lead"}
        self.client = ("client-id.apps.googleusercontent.com", "client-secret", "refresh-tok")
        self.access_tokens: set[str] = {"access-token-0"}
        self.adjustments: list[dict[str, Any]] = []
        self.tag_orders: set[str] = set()
        self.unknown_clicks: set[str] = set()
        self.recent_clicks: set[str] = set()
        self.leads_match = True
        """Whether rows without a click id (enhanced conversions for leads) find a click."""
        self.row_errors: dict[str, ErrorCode] = {}
        self._seen: set[tuple[str, ...]] = set()
        self._retracted: set[tuple[str, str]] = set()
        self._tokens = itertools.count(1)

    def expire_tokens(self) -> None:
        """Every access token issued so far stops working (as after their hour)."""
        self.access_tokens.clear()

    def _answer(self, request: Received) -> Answer:
        parts = urlsplit(request.path)
        if request.method != "POST":
            return json_answer(405, {"error": {"code": 405, "message": "method not allowed"}})
        if parts.path == "/token":
            return self._token(request)
        matched = _PATH.fullmatch(parts.path)
        if matched is None:
            return json_answer(404, {"error": {"code": 404, "message": "not found"}})
        refused = self._auth(request, matched.group(2))
        if refused is not None:
            return refused
        body = json_body(request)
        if media_type(request) != "application/json" or not isinstance(body, dict):
            return ads_error(400, {"requestError": "INVALID_INPUT"}, "the body must be JSON")
        method = matched.group(3)
        if method == "/googleAds:search":
            return self._search(str(body.get("query", "")))
        return self._upload(body, method == ":uploadClickConversions")

    def _token(self, request: Received) -> Answer:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "refresh_token":
            return json_answer(400, {"error": "unsupported_grant_type"})
        if (form.get("client_id"), form.get("client_secret")) != self.client[:2]:
            return json_answer(
                401, {"error": "invalid_client", "error_description": "Unauthorized"}
            )
        if form.get("refresh_token") != self.client[2]:
            description = "Token has been expired or revoked."
            return json_answer(400, {"error": "invalid_grant", "error_description": description})
        token = f"access-token-{next(self._tokens)}"
        self.access_tokens.add(token)
        answer = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        return json_answer(200, {**answer, "scope": "https://www.googleapis.com/auth/adwords"})

    def _auth(self, request: Received, customer: str) -> Answer | None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.access_tokens:
            return _UNAUTHENTICATED
        if request.headers.get("developer-token") != self.developer_token:
            code = {"authenticationError": "DEVELOPER_TOKEN_INVALID"}
            return ads_error(401, code, "The developer token is not valid.")
        login = request.headers.get("login-customer-id")
        if customer != self.customer_id or (self.manager_id and login != self.manager_id):
            message = (
                "User doesn't have permission to access customer. Note: If you're accessing "
                "a client customer, the manager's customer id must be set in the "
                "'login-customer-id' header."
            )
            return ads_error(403, {"authorizationError": "USER_PERMISSION_DENIED"}, message)
        return None

    def _search(self, query: str) -> Answer:
        found = re.search(r"conversion_action\.id IN \(([\d, ]*)\)", query)
        if not query.startswith("SELECT") or found is None:
            return ads_error(400, {"queryError": "UNEXPECTED_END_OF_QUERY"}, "bad query")
        ids = [i.strip() for i in found.group(1).split(",") if i.strip()]
        results = [
            {
                "conversionAction": {
                    "resourceName": f"customers/{self.customer_id}/conversionActions/{i}",
                    "id": i,
                    "name": self.conversion_actions[i],
                    "status": "ENABLED",
                }
            }
            for i in ids
            if i in self.conversion_actions
        ]
        return json_answer(200, {"results": results, "fieldMask": "conversionAction.id"})

    def _upload(self, body: dict[str, Any], clicks: bool) -> Answer:
        key = "conversions" if clicks else "conversionAdjustments"
        rows = body.get(key)
        if body.get("partialFailure") is not True:
            return ads_error(400, {"fieldError": "REQUIRED"}, "partial_failure must be true")
        if not isinstance(rows, list) or not rows:
            return ads_error(400, {"fieldError": "REQUIRED"}, f"{key} is required")
        if len(rows) > MAX_ROWS:
            kind = "conversionUploadError" if clicks else "conversionAdjustmentUploadError"
            which = "CONVERSIONS" if clicks else "ADJUSTMENTS"
            code = {kind: f"TOO_MANY_{which}_IN_REQUEST"}
            return ads_error(400, code, "Upload fewer than 2001 events in a single request.")
        if (failure := self._failure()) is not None:
            return failure
        store = body.get("validateOnly") is not True
        outcomes = [self._row(row, clicks, store) for row in rows]
        field = "conversions" if clicks else "conversion_adjustments"
        errors = [
            {
                "errorCode": code,
                "message": message,
                "location": {"fieldPathElements": [{"fieldName": field, "index": i}]},
            }
            for i, (_, (code, message)) in enumerate(outcomes)
            if code
        ]
        answer: dict[str, Any] = {"results": [result for result, _ in outcomes]}
        if errors:
            index = errors[0]["location"]["fieldPathElements"][0]["index"]
            first = f"{errors[0]['message']}, at {field}[{index}]"
            failure = {"code": 3, "message": first, "details": [_failure(errors)]}
            answer["partialFailureError"] = failure
        if not store:  # validateOnly: "only errors are returned, not results"
            del answer["results"]
        return json_answer(200, answer)

    def _row(
        self, row: Any, clicks: bool, store: bool
    ) -> tuple[dict[str, Any], tuple[ErrorCode, str]]:
        if not isinstance(row, dict):
            return {}, ({"requestError": "INVALID_INPUT"}, "a row must be an object")
        action = str(row.get("conversionAction", "")).rpartition("/")
        prefix = f"customers/{self.customer_id}/conversionActions"
        if action[0] != prefix or action[2] not in self.conversion_actions:
            kind = "conversionUploadError" if clicks else "conversionAdjustmentUploadError"
            return {}, ({kind: "INVALID_CONVERSION_ACTION"}, "unknown conversion action")
        problem = _click_problem(row) if clicks else _adjustment_problem(row)
        if problem is None:
            problem = self._scripted(row) or (
                self._click(row, store) if clicks else self._adjust(row, store)
            )
        if problem is not None:
            return {}, problem
        kept = ("conversionAction", "conversionDateTime", "orderId", *_CLICK_KEYS)
        return {k: row[k] for k in kept if k in row}, ({}, "")

    def _scripted(self, row: dict[str, Any]) -> tuple[ErrorCode, str] | None:
        for key in (row.get("orderId"), *(row.get(k) for k in _CLICK_KEYS)):
            if key and key in self.row_errors:
                code = self.row_errors.pop(key)
                return code, f"scripted {next(iter(code.values()))}"
        return None

    def _click(self, row: dict[str, Any], store: bool) -> tuple[ErrorCode, str] | None:
        action = row["conversionAction"]
        click = next((row[k] for k in _CLICK_KEYS if row.get(k)), "")
        if click in self.unknown_clicks or (not click and not self.leads_match):
            return {"conversionUploadError": "CLICK_NOT_FOUND"}, "no click matches"
        if click in self.recent_clicks:
            return {"conversionUploadError": "TOO_RECENT_EVENT"}, "click under 6 hours old"
        order = ("order", action, row["orderId"]) if row.get("orderId") else None
        # "use a unique conversion_date_time or order ID for each unique event"
        when = ("click", action, click, row["conversionDateTime"]) if click and not order else None
        if order in self._seen:
            return {"conversionUploadError": "ORDER_ID_ALREADY_IN_USE"}, "order id already used"
        if when in self._seen:
            code = "CLICK_CONVERSION_ALREADY_EXISTS"
            return {"conversionUploadError": code}, "same click and conversion_date_time"
        if store:
            self._seen.update(k for k in (order, when) if k)
            self.events.append(row)
            self._grown()
        return None

    def _adjust(self, row: dict[str, Any], store: bool) -> tuple[ErrorCode, str] | None:
        action, order = row["conversionAction"], str(row.get("orderId", ""))
        if ("order", action, order) not in self._seen and order not in self.tag_orders:
            code = {"conversionAdjustmentUploadError": "CONVERSION_NOT_FOUND"}
            return code, "no conversion with this order id"
        if (action, order) in self._retracted:
            code = {"conversionAdjustmentUploadError": "CONVERSION_ALREADY_RETRACTED"}
            return code, "the conversion was already retracted"
        if store:
            if row["adjustmentType"] == "RETRACTION":
                self._retracted.add((action, order))
            self.adjustments.append(row)
            self._grown()
        return None

    @property
    def conversions(self) -> list[dict[str, Any]]:
        return self.events
