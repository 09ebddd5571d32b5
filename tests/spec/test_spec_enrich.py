from datetime import UTC, datetime
from typing import Any

from eventyard.spec.enrich import enrich, request_info

NOW = datetime(2024, 5, 1, 12, 0, 0, 500999, tzinfo=UTC)


def enriched(message: dict[str, Any], **info: Any) -> dict[str, Any]:
    enrich(message, request_info(info.pop("ip", None), now=NOW, **info))
    return message


def test_skew_correction_uses_received_minus_sent() -> None:
    # Client clock is 1 hour fast: sent 13:00:00.000, event at 12:59:58.000.
    message = enriched(
        {"timestamp": "2024-05-01T12:59:58.000Z"}, sent_at="2024-05-01T13:00:00.000Z"
    )
    assert message["receivedAt"] == "2024-05-01T12:00:00.500Z"
    assert message["originalTimestamp"] == "2024-05-01T12:59:58.000Z"
    assert message["timestamp"] == "2024-05-01T11:59:58.500Z"
    assert message["sentAt"] == "2024-05-01T13:00:00.000Z"


def test_per_message_sent_at_and_offsets_normalised() -> None:
    message = enriched(
        {"timestamp": "2024-05-01T14:00:00+02:00", "sentAt": "2024-05-01T14:00:01+02:00"}
    )
    assert message["originalTimestamp"] == "2024-05-01T12:00:00.000Z"
    assert message["timestamp"] == "2024-05-01T11:59:59.500Z"


def test_without_sent_at_the_client_time_is_kept() -> None:
    message = enriched({"originalTimestamp": "2020-01-01T00:00:00Z"})
    assert message["timestamp"] == message["originalTimestamp"] == "2020-01-01T00:00:00.000Z"


def test_without_client_time_received_at_is_used() -> None:
    message = enriched({}, sent_at="2024-05-01T13:00:00Z")
    assert message["timestamp"] == message["originalTimestamp"] == "2024-05-01T12:00:00.500Z"


def test_unparseable_timestamp_counts_as_absent_and_is_kept() -> None:
    message = enriched({"timestamp": "last tuesday"}, sent_at="2024-05-01T13:00:00Z")
    assert message["timestamp"] == "2024-05-01T12:00:00.500Z"
    assert message["context"]["invalidTimestamp"] == "last tuesday"


def test_message_id_ip_and_stripped_fields() -> None:
    message = enriched({"writeKey": "k", "_metadata": {"x": 1}}, ip="198.51.100.1")
    assert "writeKey" not in message and "_metadata" not in message
    assert len(message["messageId"]) == 36
    assert "context" not in message  # a backend's event: no connection address
    browser = enriched({}, ip="198.51.100.1", browser=True)
    assert browser["context"] == {"ip": "198.51.100.1"}
    kept = enriched({"messageId": "m1", "context": {"ip": "10.0.0.1"}}, ip="198.51.100.1")
    assert kept["messageId"] == "m1" and kept["context"]["ip"] == "10.0.0.1"


def test_batch_context_and_integrations_merge_with_item_keys_winning() -> None:
    message = enriched(
        {"context": {"locale": "fr"}, "integrations": {"All": False}},
        context={"locale": "en", "library": {"name": "x"}},
        integrations={"All": True, "Mixpanel": True},
    )
    assert message["context"] == {"locale": "fr", "library": {"name": "x"}}
    assert message["integrations"] == {"All": False, "Mixpanel": True}
