"""`eventyard typegen`: the Python module passes mypy --strict and its calls follow the plan;
the TypeScript module compiles with tsc --strict."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from eventyard.control.protocols_config import TrackingPlanConfig
from eventyard.protocols.compile import compile_plan
from eventyard.protocols.typegen import generate
from protocols.ecommerce import ecommerce_plan

PLAN = ecommerce_plan(
    group_traits={
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}},
    },
    events={
        **ecommerce_plan()["events"],
        "Page Seen": {},
        "2nd Visit!": {
            "type": "object",
            "properties": {"class": {"type": "string"}, "order id": {"type": "integer"}},
        },
        "delete": {"type": "object", "properties": {"user_id": {"type": "string"}}},
        "Tree": {
            "$ref": "#/definitions/node",
            "definitions": {
                "node": {
                    "type": "object",
                    "properties": {"child": {"$ref": "#/definitions/node"}, "v": {"const": 1}},
                }
            },
        },
    },
)

USAGE = """
from typing import Any
import tracking

class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
    def track(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("track", kwargs))
    def identify(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("identify", kwargs))
    def group(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("group", kwargs))

def send_all(analytics: tracking.Analytics) -> None:
    product: tracking.Product = {"product_id": "p-1", "price": 20.0, "quantity": 2}
    tracking.order_completed(
        analytics, user_id="u1", order_id="o-1", revenue=55.0, currency="USD",
        products=[product, {"product_id": "p-2", "price": 3}], tax=5.0,
    )
    tracking.checkout_started(analytics, anonymous_id="a1", order_id="o-1", currency="EUR")
    tracking.products_searched(analytics, user_id="u1", query="mugs")
    tracking.product_viewed(analytics, user_id="u1", product_id="p", price=1.5, currency="GBP")
    tracking.product_added(analytics, user_id="u1", product_id="p", price=2, cart_id="c")
    tracking.cart_viewed(analytics, user_id="u1", products=[product])
    tracking.order_refunded(analytics, user_id="u1", order_id="o-1", total=55.0)
    tracking.page_seen(analytics, user_id="u1", properties={"anything": True})
    tracking.track_2nd_visit(analytics, user_id="u1", class_="x", order_id=3)
    tracking.delete(analytics, user_id="u1", user_id_="x")
    tracking.tree(analytics, user_id="u1", child={"v": 1}, v=1)
    tracking.identify(analytics, user_id="u1", email="ada@example.com", plan="pro")
    tracking.group(analytics, user_id="u1", group_id="g-1", name="Acme")
"""

WRONG = """
import tracking

def wrong(analytics: tracking.Analytics) -> None:
    tracking.order_completed(analytics, order_id="o", revenue="55", currency="USD", products=[])
    tracking.order_refunded(analytics, user_id="u1")
    tracking.identify(analytics, plan="gold")
"""


def mypy(folder: Path, *files: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *files]
    return subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("typegen")
    (folder / "tracking.py").write_text(generate(PLAN, "python"))
    (folder / "usage.py").write_text(USAGE)
    (folder / "wrong.py").write_text(WRONG)
    return folder


def test_the_python_module_and_its_use_pass_mypy_strict(module_dir: Path) -> None:
    done = mypy(module_dir, "tracking.py", "usage.py")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_catches_wrong_types_missing_properties_and_unknown_enum_values(
    module_dir: Path,
) -> None:
    done = mypy(module_dir, "wrong.py")
    assert done.returncode == 1
    assert 'Argument "revenue" to "order_completed" has incompatible type "str"' in done.stdout
    assert 'Missing named argument "order_id" for "order_refunded"' in done.stdout
    assert 'Argument "plan" to "identify" has incompatible type' in done.stdout


def _load(module_dir: Path, name: str) -> Any:
    sys.path.insert(0, str(module_dir))
    try:
        spec = importlib.util.spec_from_file_location(name, module_dir / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(module_dir))


def test_every_generated_call_follows_the_plan(module_dir: Path) -> None:
    _load(module_dir, "tracking")
    usage = _load(module_dir, "usage")
    recorder = usage.Recorder()
    usage.send_all(recorder)
    plan = compile_plan(msgspec.convert(PLAN, TrackingPlanConfig))
    assert len(recorder.calls) == 13
    for method, kwargs in recorder.calls:
        if method == "track":
            event = {"type": "track", "event": kwargs["event"], "properties": kwargs["properties"]}
        else:
            event = {"type": method, "traits": kwargs["traits"]}
        verdict = plan.check(event)
        assert verdict.violations == [], (event, verdict.violations)
    order = recorder.calls[0][1]
    assert order["event"] == "Order Completed" and order["user_id"] == "u1"
    assert "coupon" not in order["properties"]  # optional and not given: not sent
    assert recorder.calls[9][1]["properties"] == {"user_id": "x"}
    assert recorder.calls[8][1]["properties"] == {"class": "x", "order id": 3}


def test_the_typescript_module_compiles_with_strict_checks(tmp_path: Path, tsc: Path) -> None:
    (tmp_path / "tracking.ts").write_text(generate(PLAN, "typescript"))
    (tmp_path / "use.ts").write_text(
        """
import * as tracking from "./tracking";
const calls: unknown[] = [];
const analytics: tracking.Analytics = {
  track(event, properties, options) { calls.push([event, properties, options]); },
  identify(userId, traits) { calls.push([userId, traits]); },
  group(groupId, traits) { calls.push([groupId, traits]); },
};
tracking.orderCompleted(
  analytics,
  { order_id: "o", revenue: 1, currency: "USD", products: [{ product_id: "p", price: 1 }] },
);
tracking.trackDelete(analytics, { user_id: "x" });
tracking.track2ndVisit(analytics, { "class": "x", "order id": 2 });
tracking.identify(analytics, "u1", { email: "ada@example.com", plan: "pro" });
tracking.group(analytics, "g1", { name: "Acme" });
"""
    )
    (tmp_path / "wrong.ts").write_text(
        """
import * as tracking from "./tracking";
declare const analytics: tracking.Analytics;
tracking.orderCompleted(analytics, { order_id: "o", revenue: "1", currency: "USD", products: [] });
"""
    )
    strict = ["--noEmit", "--strict", "--target", "es2020", "--module", "commonjs"]
    good = subprocess.run(
        [str(tsc), *strict, "tracking.ts", "use.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    bad = subprocess.run(
        [str(tsc), *strict, "wrong.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode != 0 and "wrong.ts(4,53): error TS2322" in bad.stdout


EVIL = 'x"""\nimport os\nos.system("echo pwned")\n"""*/ alert(1); /*'
EVIL_PLAN = {
    "name": "p",
    "events": {
        EVIL: {"type": "object", "description": EVIL, "properties": {EVIL: {"enum": [EVIL]}}}
    },
}


def test_hostile_names_cannot_inject_python() -> None:
    tree = ast.parse(generate(EVIL_PLAN, "python"))
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert {getattr(node, "module", None) for node in imports} == {"__future__", "typing"}
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert calls == {"track"}


def test_hostile_names_cannot_inject_typescript(tmp_path: Path, tsc: Path) -> None:
    (tmp_path / "evil.ts").write_text(generate(EVIL_PLAN, "typescript"))
    done = subprocess.run(
        [str(tsc), "--noEmit", "--strict", "evil.ts"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout
    assert "alert(1);" not in (tmp_path / "evil.ts").read_text().replace('"', "").split("*/")[0]
