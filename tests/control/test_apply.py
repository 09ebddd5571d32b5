"""`eventyard apply`'s core: a plan says exactly what would change (never a secret), applying
it makes the workspace match the file, and applying again changes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventyard.control import audit, store
from eventyard.control.apply import Change, apply_changes, plan_changes
from eventyard.control.config import Config, DestinationConfig, SourceConfig, parse_config
from eventyard.control.secrets import KEY_ENV, SecretBox
from eventyard.errors import ConfigError
from eventyard.sqlite_writer import connect

SECRET = "shh-very-secret-1"
FILE = f"""\
sources:
  - name: web
    write_key: wk_web
  - name: app
    write_key: wk_app
destinations:
  - name: hook
    type: webhook
    sources: [web, app]
    settings:
      url: https://example.com/in
      shared_secret: {SECRET}
    filter: 'type = "track"'
    delivery: {{timeout: 2s}}
"""


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretBox:
    monkeypatch.delenv(KEY_ENV, raising=False)
    return SecretBox.load(tmp_path)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(tmp_path / "state.db")
    store.ensure_schema(conn)
    yield conn
    conn.close()


def apply(
    conn: sqlite3.Connection, box: SecretBox, text: str, workspace: str = "default"
) -> list[str]:
    changes = plan_changes(conn, box, workspace, parse_config(text))
    apply_changes(conn, box, workspace, changes, "cli:test")
    return [change.describe() for change in changes]


def test_a_file_is_applied_then_applying_it_again_is_a_no_op(
    conn: sqlite3.Connection, box: SecretBox
) -> None:
    assert apply(conn, box, FILE) == ["+ source web", "+ source app", "+ destination hook"]
    assert apply(conn, box, FILE) == []
    sources, (dest,) = store.runtime_objects(conn, box)
    assert [s.name for s in sources] == ["web", "app"]
    assert dest.settings["shared_secret"] == SECRET
    assert dest.delivery.timeout == 2
    actors = {entry.actor for entry in audit.list_entries(conn, "default")}
    assert actors == {"cli:test"}


def test_the_plan_names_each_changed_field(conn: sqlite3.Connection, box: SecretBox) -> None:
    apply(conn, box, FILE)
    edited = FILE.replace("example.com/in", "example.com/v2").replace("timeout: 2s", "timeout: 3s")
    edited = edited.replace("filter: 'type = \"track\"'", "enabled: false")
    (line,) = apply(conn, box, edited)
    assert line == (
        '~ destination hook: settings.url "https://example.com/in" -> "https://example.com/v2",'
        ' delivery.timeout "2s" -> "3s", filter "type = \\"track\\"" -> (unset),'
        " enabled (unset) -> false"
    )
    _, (dest,) = store.runtime_objects(conn, box)
    assert (dest.settings["url"], dest.enabled, dest.filter) == (
        "https://example.com/v2",
        False,
        None,
    )


def test_a_changed_secret_is_planned_without_showing_it(
    conn: sqlite3.Connection, box: SecretBox
) -> None:
    apply(conn, box, FILE)
    changes = plan_changes(conn, box, "default", parse_config(FILE.replace(SECRET, "new-secret-2")))
    (change,) = changes
    assert change.describe() == "~ destination hook: settings.shared_secret (secret changed)"
    assert SECRET not in repr(changes) and "new-secret-2" not in repr(changes)
    apply_changes(conn, box, "default", changes, "t")
    _, (dest,) = store.runtime_objects(conn, box)
    assert dest.settings["shared_secret"] == "new-secret-2"


def test_objects_missing_from_the_file_are_deleted_destinations_first(
    conn: sqlite3.Connection, box: SecretBox
) -> None:
    apply(conn, box, FILE)
    assert apply(conn, box, "sources: []\ndestinations: []\n") == [
        "- destination hook",
        "- source web",
        "- source app",
    ]
    assert store.runtime_objects(conn, box) == ([], [])


def test_a_write_key_can_move_to_a_renamed_source_in_one_apply(
    conn: sqlite3.Connection, box: SecretBox
) -> None:
    apply(conn, box, FILE)
    renamed = FILE.replace("name: web", "name: site").replace("[web, app]", "[site, app]")
    assert apply(conn, box, renamed) == [
        "+ source site",
        '~ destination hook: sources ["web","app"] -> ["site","app"]',
        "- source web",
    ]
    sources, _ = store.runtime_objects(conn, box)
    assert {s.name: s.write_key for s in sources} == {"app": "wk_app", "site": "wk_web"}


def test_a_failing_apply_changes_nothing(conn: sqlite3.Connection, box: SecretBox) -> None:
    desired = Config(
        sources=[SourceConfig(name="web", write_key="k")],
        destinations=[
            DestinationConfig(
                name="hook", type="webhook", sources=["ghost"], settings={"url": "https://e.com"}
            )
        ],
    )
    conn.execute("BEGIN IMMEDIATE")
    changes = plan_changes(conn, box, "default", desired)
    with pytest.raises(ConfigError, match=r"destinations.hook.sources\[0\]: no source named"):
        apply_changes(conn, box, "default", changes, "t")
    conn.execute("ROLLBACK")
    assert store.runtime_objects(conn, box) == ([], [])
    assert store.config_version(conn) == 0


def test_a_masked_secret_for_a_new_object_asks_for_the_value(
    conn: sqlite3.Connection, box: SecretBox
) -> None:
    with pytest.raises(ConfigError) as caught:
        plan_changes(conn, box, "default", parse_config(FILE.replace(SECRET, "'********'")))
    assert str(caught.value) == (
        "destinations.hook.settings.shared_secret: the value is masked (********) and none is "
        "stored; give the value (in a file, write it or ${ENV_NAME})"
    )


def test_another_workspaces_names_cannot_be_taken(conn: sqlite3.Connection, box: SecretBox) -> None:
    apply(conn, box, FILE, workspace="acme")
    with pytest.raises(ConfigError, match=r"sources\.web: a source named 'web' exists in another"):
        plan_changes(conn, box, "default", parse_config(FILE))


def test_a_new_workspace_is_created_by_the_plan(conn: sqlite3.Connection, box: SecretBox) -> None:
    assert apply(conn, box, FILE, workspace="acme")[0] == "+ workspace acme"
    assert store.list_workspaces(conn) == ["acme", "default"]
    assert apply(conn, box, FILE, workspace="acme") == []
    with pytest.raises(ConfigError, match="workspace: 'a b' is not a valid name"):
        plan_changes(conn, box, "a b", parse_config(FILE))


def test_workspaces_are_applied_independently(conn: sqlite3.Connection, box: SecretBox) -> None:
    apply(conn, box, FILE)
    other = "sources:\n  - {name: shop, write_key: wk_shop}\n"
    assert apply(conn, box, other, workspace="acme") == ["+ workspace acme", "+ source shop"]
    assert apply(conn, box, FILE) == []
    assert [o.name for o in store.list_objects(conn, "source", "acme")] == ["shop"]


def test_change_lines() -> None:
    assert Change("create", "source", "web").describe() == "+ source web"
    assert Change("delete", "destination", "old").describe() == "- destination old"


def test_files_take_values_from_the_environment(
    conn: sqlite3.Connection, box: SecretBox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "from-the-env-7")
    text = FILE.replace(SECRET, "${HOOK_SECRET}").replace("/in", "/$${literal}")
    apply(conn, box, text)
    _, (dest,) = store.runtime_objects(conn, box)
    assert dest.settings["shared_secret"] == "from-the-env-7"
    assert dest.settings["url"] == "https://example.com/${literal}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${NOT_SET_ANYWHERE}", "environment variable NOT_SET_ANYWHERE is not set"),
        ("${not a name}", "${not a name} is not a variable name"),
        ("${UNCLOSED", "`${` is not closed"),
        ("${}", "${} is not a variable name"),
    ],
)
def test_bad_environment_references_name_key_and_line(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(ConfigError) as caught:
        parse_config(FILE.replace(SECRET, f"'{value}'"))
    message = str(caught.value)
    assert message.startswith("eventyard.yaml:12: destinations[0].settings.shared_secret: ")
    assert expected in message
