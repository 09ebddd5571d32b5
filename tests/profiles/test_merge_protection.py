"""Merge protection: limits, priority (Segment's worked example), caps, configured rules."""

from __future__ import annotations

from pathlib import Path

from eventyard.control.profiles_config import ProfilesSettings
from eventyard.profiles.merge_protection import MAX_MERGES
from profiles.world import World, event


def test_segments_worked_example_creates_a_new_profile(tmp_path: Path) -> None:
    """A profile has user_id u-123 and jane@example1.com; an event with user_id u-456 and
    the same email would give the profile two user_ids: email is dropped, u-456 gets a
    profile of its own, the email stays where it was."""
    world = World(tmp_path)
    world.apply(
        [
            event("m1", "2024-01-01T00:00:00Z", type="identify", userId="u-123",
                  traits={"email": "jane@example1.com"}),
            event("m2", "2024-01-02T00:00:00Z", type="identify", userId="u-456",
                  traits={"email": "jane@example1.com"}),
        ]
    )  # fmt: skip
    assert world.partition() == {
        frozenset({("user_id", "u-123"), ("email", "jane@example1.com")}),
        frozenset({("user_id", "u-456")}),
    }
    reasons = world.read(lambda sql: sql.all("SELECT dropped_type, reason FROM blocks"))
    assert reasons == [("email", "user_id limit 1: the profile would have 2")]


def test_configured_limits_and_priority_change_the_outcome(tmp_path: Path) -> None:
    """With two user_ids allowed but one email, and email ranked first, the same events
    merge on the email instead."""
    world = World(tmp_path, ProfilesSettings(limits={"user_id": 2, "email": 1}, priority=["email"]))
    world.apply(
        [
            event("m1", "2024-01-01T00:00:00Z", type="identify", userId="shopify-1",
                  traits={"email": "jane@example.com"}),
            event("m2", "2024-01-02T00:00:00Z", type="identify", userId="uuid-1",
                  traits={"email": "jane@example.com"}),
            event("m3", "2024-01-03T00:00:00Z", type="identify", userId="uuid-2",
                  traits={"email": "other@example.com"}),
        ]
    )  # fmt: skip
    assert world.partition() == {
        frozenset({("user_id", "shopify-1"), ("user_id", "uuid-1"), ("email", "jane@example.com")}),
        frozenset({("user_id", "uuid-2"), ("email", "other@example.com")}),
    }


def test_an_identifier_new_to_the_graph_still_joins_when_others_are_dropped(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.apply(
        [
            event("m1", "2024-01-01T00:00:00Z", type="identify", userId="a", anonymousId="shared"),
            event("m2", "2024-01-02T00:00:00Z", type="identify", userId="b", anonymousId="shared",
                  traits={"email": "b@example.com"}),
        ]
    )  # fmt: skip
    assert world.partition() == {
        frozenset({("user_id", "a"), ("anonymous_id", "shared")}),
        frozenset({("user_id", "b"), ("email", "b@example.com")}),
    }


def test_a_profile_stops_merging_after_the_cap(tmp_path: Path) -> None:
    world = World(tmp_path, ProfilesSettings(limits={"crm": 1000}))

    def crm(*numbers: int) -> dict[str, object]:
        ids = [
            {"id": f"c{n}", "type": "crm", "collection": "users", "encoding": "none"}
            for n in numbers
        ]
        return {"externalIds": ids}

    world.apply(
        event(f"s{i:03d}", "2024-01-01T00:00:00Z", context=crm(i)) for i in range(MAX_MERGES + 2)
    )
    world.apply(
        event(f"j{i:03d}", "2024-01-02T00:00:00Z", context=crm(0, i))
        for i in range(1, MAX_MERGES + 2)
    )
    sizes = sorted(len(ids) for ids in world.profiles().values())
    assert sizes == [1, MAX_MERGES + 1]
    reasons = world.read(lambda sql: sql.all("SELECT DISTINCT reason FROM blocks"))
    assert reasons == [(f"at most {MAX_MERGES} merges per profile",)]
