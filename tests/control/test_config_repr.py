"""Printing a configuration never prints its secrets: repr, str, f-strings, rich (tracebacks
with locals, the REPL) show `********` for a destination type's `Secret` settings and a
source's webhook_secret. Everything else still shows, so the output stays useful."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import msgspec
import pytest
from rich.console import Console

from eventyard.control import store
from eventyard.control.config import Config, DestinationConfig, SourceConfig, parse_config
from eventyard.control.documents import to_doc
from eventyard.control.secrets import SECRET_MASK, SecretBox
from eventyard.sqlite_writer import connect

SECRET = "s3cr3t-shared-value"
WEBHOOK_SECRET = "whsec-signing-value"

YAML = f"""
sources:
  - name: web
    write_key: wk-web
    webhook_secret: {WEBHOOK_SECRET}
destinations:
  - name: hook
    type: webhook
    sources: [web]
    settings:
      url: http://127.0.0.1:9/in
      shared_secret: {SECRET}
  - name: gads
    type: google-ads
    sources: [web]
    settings:
      customer_id: 123-456-7890
      developer_token: {SECRET}-dev
      access_token: {SECRET}-access
      conversion_actions: {{purchase: "111"}}
"""


def printed(value: object) -> list[str]:
    console = Console(file=io.StringIO(), width=200)
    console.print(value)
    rich = console.file.getvalue()  # type: ignore[attr-defined]
    return [repr(value), str(value), f"{value}", f"{value!r}", rich]


@pytest.fixture
def config() -> Config:
    return parse_config(YAML)


def test_a_loaded_config_prints_without_its_secrets(config: Config) -> None:
    for text in printed(config):
        assert SECRET not in text and WEBHOOK_SECRET not in text
        assert SECRET_MASK in text
        assert "http://127.0.0.1:9/in" in text and "wk-web" in text
        assert "123-456-7890" in text and "'111'" in text


def test_each_secret_setting_is_masked_and_the_rest_shown(config: Config) -> None:
    hook, gads = config.destinations
    assert "settings={'url': 'http://127.0.0.1:9/in', 'shared_secret': '********'}" in repr(hook)
    shown = repr(gads)
    assert "'developer_token': '********'" in shown and "'access_token': '********'" in shown
    assert "conversion_actions': {'purchase': '111'}" in shown
    source = repr(config.sources[0])
    assert source.startswith("SourceConfig(name='web', write_key='wk-web', ")
    assert "webhook_secret='********'" in source and SECRET not in source
    assert hook.settings["shared_secret"] == SECRET  # only the printed form is masked


def test_unset_secrets_print_as_they_are() -> None:
    assert "webhook_secret=None" in repr(SourceConfig(name="web", write_key="k"))
    hook = DestinationConfig(name="h", type="webhook", sources=["web"], settings={"url": "u"})
    assert "settings={'url': 'u'}" in repr(hook)


def test_a_destination_of_an_unknown_type_masks_every_setting() -> None:
    dest = DestinationConfig(
        name="x", type="not-installed", sources=["web"], settings={"api_key": SECRET}
    )
    assert SECRET not in repr(dest) and "'api_key': '********'" in repr(dest)


def test_the_runtime_config_from_the_store_prints_without_secrets(
    config: Config, tmp_path: Path
) -> None:
    """What the server runs with: decrypted out of state.db."""
    box = SecretBox.load(tmp_path)
    conn: sqlite3.Connection = connect(tmp_path / "state.db")
    try:
        store.ensure_schema(conn)
        for kind, items in (("source", config.sources), ("destination", config.destinations)):
            for item in items:
                store.put_object(conn, box, kind, "default", to_doc(item), "t")
        sources, destinations = store.runtime_objects(conn, box)
    finally:
        conn.close()
    assert sources[0].webhook_secret == WEBHOOK_SECRET
    assert destinations[0].settings["shared_secret"] == SECRET
    for text in printed(Config(sources=sources, destinations=destinations)):
        assert SECRET not in text and WEBHOOK_SECRET not in text


def test_a_slack_webhook_url_prints_masked_and_the_rest_of_the_mapping_shown() -> None:
    """Slack's `url` mapping is the credential (a `password` action field)."""
    hook = "https://hooks.slack.com/services/T0/B0/s3cr3t-hook-path"
    dest = msgspec.convert(
        {
            "name": "chat",
            "type": "slack",
            "sources": ["web"],
            "actions": {"postToChannel": {"mapping": {"url": hook, "channel": "alerts"}}},
        },
        DestinationConfig,
    )
    for text in printed(dest):
        assert "s3cr3t-hook-path" not in text
        assert "'url': '********'" in text and "'channel': 'alerts'" in text
    assert dest.actions["postToChannel"].mapping == {"url": hook, "channel": "alerts"}
