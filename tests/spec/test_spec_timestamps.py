from datetime import UTC, datetime, timedelta

from eventyard.spec.timestamps import format_iso, is_canonical, parse_iso, skew_corrected


def naive(*parts: int) -> datetime:
    """A naive UTC datetime, the form the spec modules work with."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)  # type: ignore[arg-type, misc]


def test_parse_accepts_z_offsets_and_naive_utc() -> None:
    expected = naive(2024, 5, 1, 12, 0, 0, 123000)
    assert parse_iso("2024-05-01T12:00:00.123Z") == expected
    assert parse_iso("2024-05-01T14:00:00.123+02:00") == expected
    assert parse_iso("2024-05-01T12:00:00.123456789Z") == expected.replace(microsecond=123456)
    assert parse_iso("2024-05-01T12:00:00.123") == expected


def test_parse_rejects_non_iso_values() -> None:
    for value in ["yesterday", "", "2024-13-01T00:00:00Z", 1714564800, None, ["2024"]]:
        assert parse_iso(value) is None


def test_format_is_utc_with_milliseconds_and_z() -> None:
    assert format_iso(naive(2024, 5, 1, 14, 0, 0, 123999)) == "2024-05-01T14:00:00.123Z"
    assert format_iso(naive(2024, 5, 1, 14)) == "2024-05-01T14:00:00.000Z"
    aware = datetime(2024, 5, 1, 14, tzinfo=UTC).astimezone()
    assert format_iso(aware) == "2024-05-01T14:00:00.000Z"
    assert is_canonical("2024-05-01T14:00:00.000Z")
    assert not is_canonical("2024-05-01T14:00:00.000+00:00")


def test_skew_correction_moves_by_the_offset() -> None:
    original = naive(2024, 1, 1)
    assert skew_corrected(original, timedelta(seconds=-5)) == naive(2023, 12, 31, 23, 59, 55)
    assert skew_corrected(original, None) == original
    huge = naive(9999, 12, 31)
    assert skew_corrected(huge, timedelta(days=2)) == huge
