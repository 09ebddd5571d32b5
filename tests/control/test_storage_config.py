"""The `archive:` and `warehouses:` keys: defaults, a full good config, and hostile ones."""

from __future__ import annotations

import pytest

from eventyard.control.config import parse_config
from eventyard.errors import ConfigError

SOURCES = "sources:\n  - {name: web, write_key: k1}\n  - {name: app, write_key: k2}\n"


def test_defaults_archive_on_and_one_embedded_duckdb() -> None:
    config = parse_config(SOURCES)
    assert config.archive.enabled and config.archive.url is None
    assert config.archive.flush_every == 60 and config.archive.max_rows == 100_000
    assert config.archive.compact_after == 7200 and config.archive.storage_options == {}
    [warehouse] = config.warehouses
    assert (warehouse.name, warehouse.type, warehouse.url, warehouse.interval) == (
        "duckdb", "duckdb", None, 30
    )  # fmt: skip
    assert warehouse.sources is None


def test_a_full_storage_config() -> None:
    config = parse_config(
        SOURCES
        + """
archive:
  enabled: true
  url: s3://events/raw
  flush_every: 5s
  max_rows: 1000
  compact_after: 1h
  storage_options: {endpoint_url: "http://127.0.0.1:9000", key: k, secret: s}
warehouses:
  - name: local
    type: duckdb
    url: /var/lib/eventyard/wh.duckdb
    interval: 10s
    sources: [web]
  - name: pg
    type: postgres
    url: postgresql://eventyard@db/warehouse
"""
    )
    assert config.archive.url == "s3://events/raw" and config.archive.flush_every == 5
    assert config.archive.storage_options["endpoint_url"] == "http://127.0.0.1:9000"
    assert [(w.name, w.type, w.interval, w.sources) for w in config.warehouses] == [
        ("local", "duckdb", 10, ["web"]),
        ("pg", "postgres", 30, None),
    ]


def test_an_explicit_empty_list_turns_the_default_warehouse_off() -> None:
    assert parse_config(SOURCES + "warehouses: []\n").warehouses == []
    assert not parse_config(SOURCES + "archive: {enabled: false}\n").archive.enabled


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("archive:\n  flush_evry: 5s\n", ":5: archive.flush_evry: unknown key"),
        (
            "warehouses:\n  - {name: a, type: duckdb, intervall: 5s}\n",
            ":5: warehouses[0].intervall: unknown key",
        ),
        (
            "warehouses:\n  - {name: a, type: mysql}\n",
            ":5: warehouses[0].type: unknown warehouse type 'mysql'; use one of duckdb, postgres",
        ),
        (
            "warehouses:\n  - {type: duckdb}\n",
            "warehouses[0]: Object missing required field `name`",
        ),
        ("archive:\n  url: s3://\n", ":5: archive.url: 's3://' names no bucket"),
        ("archive:\n  url: s3:///prefix\n", "archive.url: 's3:///prefix' names no bucket"),
        ("archive:\n  url: ftp://host/x\n", ":5: archive.url: unsupported scheme 'ftp'"),
        ("archive:\n  flush_every: 0s\n", ":5: archive.flush_every: must be more than 0s"),
        ("archive:\n  flush_every: soon\n", "archive.flush_every: invalid duration 'soon'"),
        ("archive:\n  max_rows: 0\n", "archive.max_rows: Expected `int` >= 1"),
        ("archive:\n  storage_options: [a]\n", "archive.storage_options: Expected `object`"),
        (
            "warehouses:\n  - {name: p, type: postgres}\n",
            ":5: warehouses[0].url: a postgres warehouse needs url: postgresql://",
        ),
        (
            "warehouses:\n  - {name: p, type: postgres, url: mysql://x/y}\n",
            "warehouses[0].url: a postgres warehouse needs url",
        ),
        (
            "warehouses:\n  - {name: d, type: duckdb, url: 's3://b/x.duckdb'}\n",
            "warehouses[0].url: a duckdb warehouse's url is a file path",
        ),
        (
            "warehouses:\n  - {name: a, type: duckdb}\n  - {name: a, type: duckdb, url: b.db}\n",
            ":6: warehouses[1].name: duplicate warehouse 'a'",
        ),
        (
            "warehouses:\n  - name: a\n    type: duckdb\n    sources: [web, nope]\n",
            ":7: warehouses[0].sources[1]: no source named 'nope'; known sources: web, app",
        ),
        (
            "warehouses:\n  - {name: a, type: duckdb, interval: 0}\n",
            "warehouses[0].interval: must be more than 0s",
        ),
        ("warehouses: {name: a}\n", "warehouses: Expected `array`, got `object`"),
    ],
)
def test_bad_storage_keys_name_the_key_and_line(tail: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(SOURCES + tail)
    assert expected in str(caught.value)
