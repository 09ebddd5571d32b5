"""The dlt warehouse: what is dlt's own (its local state, its config, its client libraries).

The rows, names and column types are ours (flatten.py, types.py); dlt only writes them. So
the same promises as the SQL targets hold, and test_warehouse.py's contract suite checks
them against dlt's duckdb and postgres destinations too.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from eventyard.control.config import parse_config
from eventyard.errors import ConfigError
from eventyard.log.sqlite import SQLiteLog
from eventyard.storage.service import StorageService
from eventyard.storage.warehouse.dlt_target import DltTarget
from storage.wh_helpers import DLT_KINDS, Warehouse, evolution_and_a_type_conflict, open_warehouse


@pytest.fixture(params=DLT_KINDS)
def dlt_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    return open_warehouse(request.param, request, tmp_path)


async def test_evolution_and_a_conflict_cast_and_recorded_after_a_lost_pipeline_dir(
    event_log: SQLiteLog, dlt_warehouse: Warehouse
) -> None:
    target = dlt_warehouse.target
    assert isinstance(target, DltTarget)
    # the types are read back from the destination when dlt's local state is gone
    await evolution_and_a_type_conflict(
        event_log, dlt_warehouse, between_loads=lambda: shutil.rmtree(target.pipelines_dir)
    )


SOURCES = "sources:\n  - {name: web, write_key: k1}\n"


def test_config_and_service_build_a_dlt_target(event_log: SQLiteLog, tmp_path: Path) -> None:
    config = parse_config(
        SOURCES
        + """warehouses:
  - name: lake
    type: dlt
    destination: duckdb
    credentials: {database: /tmp/x.duckdb}
    dataset_prefix: prod_
    interval: 1m
"""
    )
    [warehouse] = config.warehouses
    assert (warehouse.destination, warehouse.credentials, warehouse.dataset_prefix) == (
        "duckdb", {"database": "/tmp/x.duckdb"}, "prod_"
    )  # fmt: skip
    [loader] = StorageService(config, event_log, tmp_path).loaders
    target = loader.target
    assert isinstance(target, DltTarget)
    assert target.pipelines_dir == tmp_path / "dlt" / "lake"  # never the home directory
    assert target.dataset_prefix == "prod_" and loader.interval == 60


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("  - {name: w, type: dlt}\n", 4, "needs destination:"),
        ("  - {name: w, type: dlt, destination: bigqery}\n", 4, "did you mean 'bigquery'?"),
        ("  - name: w\n    type: dlt\n    destination: nope\n", 6, "dlt knows"),
        ("  - {name: w, type: dlt, destination: duckdb, url: /x}\n", 4, "credentials"),
        ("  - {name: w, type: duckdb, destination: duckdb}\n", 4, "only a `type: dlt`"),
        ("  - {name: w, type: dlt, destination: duckdb, dataset_prefix: a-b}\n", 4, "letters"),
        ("  - {name: ../w, type: dlt, destination: duckdb}\n", 4, "letters"),
    ],
)
def test_bad_dlt_warehouses_are_line_numbered(body: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(SOURCES + "warehouses:\n" + body)
    assert f"eventyard.yaml:{line}:" in str(raised.value)
    assert message in str(raised.value)


def test_a_missing_client_library_or_dlt_is_a_config_error(
    event_log: SQLiteLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = SOURCES + "warehouses:\n  - {name: w, type: dlt, destination: clickhouse}\n"
    config = parse_config(text)  # the config may be meant for a host that has the library
    try:
        import clickhouse_connect  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r'pip install "dlt\[clickhouse\]"'):
            StorageService(config, event_log, tmp_path)
    monkeypatch.setitem(sys.modules, "dlt", None)
    monkeypatch.delitem(sys.modules, "eventyard.storage.warehouse.dlt_target")
    with pytest.raises(ConfigError, match=r'pip install "eventyard\[dlt\]"') as raised:
        parse_config(text)
    assert "eventyard.yaml:4:" in str(raised.value)
    with pytest.raises(ConfigError, match=r'pip install "eventyard\[dlt\]"'):
        StorageService(config, event_log, tmp_path)
