"""Words and dates on the admin pages: counts in the right form, dates nobody can misread,
people by name, dead letters by the event they were for."""

from __future__ import annotations

import orjson
from markupsafe import Markup

from eventyard.delivery.jobs import DeadLetter
from eventyard.ui.jsonview import EventRow, letter_view
from eventyard.ui.profiles import person
from eventyard.ui.templating import plural


def test_plural_puts_the_word_in_the_form_its_count_needs() -> None:
    assert plural(1, "schema") == "1 schema"
    assert plural(0, "schema") == "0 schemas"
    assert plural(1200, "attempt") == "1,200 attempts"
    assert plural(2, "person", "people") == "2 people"


def test_debugger_times_name_the_month() -> None:
    def row(received_at: str) -> EventRow:
        return EventRow("m", "track", "x", "u", False, received_at, 1, Markup(""))

    assert row("2026-12-08T14:03:01.123Z").received_short == "8 Dec 14:03:01"
    assert row("2026-05-01T00:00:00Z").received_short == "1 May 00:00:00"
    assert row("yesterday").received_short == ""
    assert row("2026-13-45T00:00:00Z").received_short == ""


def test_a_person_is_called_by_name_then_email() -> None:
    ids = [("user_id", "u1"), ("email", "ada@example.com")]
    assert person({"name": "Ada Lovelace", "email": "a@b.c"}, ids) == "Ada Lovelace"
    assert person({"firstName": "Ada", "lastName": " Lovelace "}, ids) == "Ada Lovelace"
    assert person({"email": "trait@example.com"}, ids) == "trait@example.com"
    assert person({"name": 42}, ids) == "ada@example.com"
    assert person({}, [("anonymous_id", "a1")]) is None


def test_a_dead_letter_is_named_by_its_original_event() -> None:
    renamed = orjson.dumps({"method": "POST", "data": {"what": "Order Completed"}})
    letter = DeadLetter(1, "hook", "m1", renamed, 3, "HTTP 400", 0.0, "send")
    assert letter_view(letter, "webhook").summary is None  # the payload does not say
    named = letter_view(letter, "webhook", ("track", "Order Completed")).summary
    assert named is not None and str(named) == "track \u00b7 Order Completed"
    segment = orjson.dumps({"type": "identify", "traits": {"email": "ada@example.com"}})
    kept = letter_view(
        DeadLetter(2, "hook", "m2", segment, 1, "x", 0.0), "webhook", ("identify", "")
    )
    assert kept.summary is not None and kept.summary.name == "ada@example.com"
