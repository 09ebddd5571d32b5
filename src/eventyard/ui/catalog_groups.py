"""Categories, search and twin notes for the catalog page's 230 cards.

Segment's package carries no category for its destinations (its catalog's categories live in
Segment's app, not in `@segment/action-destinations`), so the page groups types by a small
table of words of their slug (`actions/` left out, `_` read as `-`): the first category with a
word of the slug wins, and a type no word names is "Other". Documented in docs/admin-ui.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["CATEGORIES", "Twin", "category", "matches", "twin_note"]

ACTIONS = "actions/"
CATEGORIES = ("Analytics", "Advertising", "Email & messaging", "CRM", "Data & storage", "Other")
_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Looked at in this order: `salesforce-marketing-cloud` is email before `salesforce` is CRM.
    (
        "Email & messaging",
        (
            "salesforce-marketing-cloud", "engage-messaging", "acoustic", "airship", "attentive",
            "batch", "braze", "clevertap", "cordial", "courier", "customerio", "dotdigital",
            "drip", "emarsys", "encharge", "gleap", "insider", "intercom", "iterable",
            "klaviyo", "lark", "listrak", "loops", "moengage", "movable-ink", "ortto",
            "postscript", "pushwoosh", "responsys", "sendgrid", "slack", "taguchi", "twilio",
            "xtremepush", "yonoma",
        ),
    ),
    (
        "Advertising",
        (
            "audiences", "conversions", "conversions-api", "capi", "events-api", "ads",
            "amazon-amc", "criteo", "display-video-360", "dv360", "campaign-manager-360",
            "enhanced-conversions", "google-data-manager", "epsilon", "facebook", "iqm",
            "kevel", "linkedin", "magellan-ai", "moloco-rmp", "pinterest", "podscribe", "reddit",
            "revx", "rokt", "snap", "stackadapt", "taboola", "the-trade-desk-crm", "tiktok",
            "topsort", "dub", "friendbuy", "adjust", "attribution",
        ),
    ),
    (
        "CRM",
        (
            "hubspot", "salesforce", "actions-pardot", "pipedrive", "close", "attio", "clay",
            "apolloio", "collab-travel-crm", "devrev", "marketo", "blackbaud", "outfunnel",
            "qualified", "saleswings", "hyperengage", "gainsight", "voucherify", "talon-one",
            "antavo", "gameball", "yotpo", "chartmogul", "m3ter", "metronome", "schematic",
            "mantle", "ironclad", "canny", "inleads-ai", "rehook", "zapier",
        ),
    ),
    (
        "Data & storage",
        (
            "s3", "aws", "kafka", "eventbridge", "sftp", "sheets", "singlestore", "webhook",
            "http-request", "segment", "aggregations-io", "equals", "avo", "avo-v2", "noop",
            "contentstack", "1plusx",
        ),
    ),
    (
        "Analytics",
        (
            "amplitude", "mixpanel", "posthog", "heap", "june", "google-analytics-4",
            "fullstory", "app-fit", "accoil-analytics", "usermaven", "usermotion", "userpilot",
            "appcues", "pendo", "sprig", "survicate", "surveysparrow", "qualtrics",
            "optimizely", "launchdarkly", "vwo", "kameleoon", "absmartly", "adobe-target",
            "dynamic-yield", "algolia-insights", "recombee", "toplyne", "trubrics", "canvas",
            "calliper", "koala", "jimo-cloud", "playerzero-cloud", "nudge", "altertable",
            "hilo", "trackey", "roadwayai", "prodeology", "angler-ai", "blend-ai", "ambee",
        ),
    ),
)  # fmt: skip


def category(slug: str) -> str:
    """The category a type's card is listed under."""
    framed = f"-{slug.removeprefix(ACTIONS).replace('_', '-')}-"
    for name, words in _WORDS:
        if any(f"-{word}-" in framed for word in words):
            return name
    return "Other"


def matches(query: str, texts: Iterable[str]) -> bool:
    """Every word of `query` is in one of `texts` (ignoring case): how the search box filters."""
    haystack = " ".join(texts).casefold()
    return all(word in haystack for word in query.casefold().split())


@dataclass(frozen=True, slots=True)
class Twin:
    """A native type and its Segment twin, and what the native one adds (None: nothing but
    running without Node.js)."""

    native: str
    segment: str
    extras: str | None = None


_AD_EXTRAS = "deduplication with the pixel, consent and match quality"
_TWINS = (
    Twin("webhook", "actions/webhook", "headers kept encrypted as secrets"),
    Twin("amplitude", "actions/amplitude"),
    Twin("mixpanel", "actions/mixpanel"),
    Twin("posthog", "actions/posthog"),
    Twin("segment", "actions/segment"),
    Twin("slack", "actions/slack"),
    Twin("google-analytics-4", "actions/google-analytics-4", _AD_EXTRAS),
    Twin("meta-conversions-api", "actions/facebook-conversions-api", _AD_EXTRAS),
    Twin("pinterest-conversions-api", "actions/pinterest-conversions", _AD_EXTRAS),
    Twin("reddit-conversions-api", "actions/reddit-conversions-api", _AD_EXTRAS),
    Twin("snapchat-conversions-api", "actions/snap-conversions-api", _AD_EXTRAS),
    Twin("tiktok-events-api", "actions/tiktok-conversions", _AD_EXTRAS),
    Twin("google-ads", "actions/google-enhanced-conversions", _AD_EXTRAS),
)
_BY_SLUG: Mapping[str, Twin] = {
    **{twin.native: twin for twin in _TWINS},
    **{twin.segment: twin for twin in _TWINS},
}


def twin_note(slug: str, installed: Iterable[str]) -> str | None:
    """The one line on a card whose type has a twin installed: which of the two does what."""
    twin = _BY_SLUG.get(slug)
    if twin is None or not {twin.native, twin.segment} <= set(installed):
        return None
    if slug == twin.native:
        adds = f", with {twin.extras}" if twin.extras else ", no Node.js needed"
        return f"eventyard's own code{adds}; `{twin.segment}` sends what Segment sends."
    adds = f"adds {twin.extras}" if twin.extras else "is eventyard's own code"
    return f"Segment's own code, sending what Segment sends; `{twin.native}` {adds}."
