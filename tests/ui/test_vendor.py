"""htmx from vendor/node_modules, served at /ui/static/vendor/, with a clear hint when missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventyard.ui.vendor import VendorMissing, vendor_dir, vendor_file
from ui.config_setup import Site, seeded, site

__all__ = ["seeded", "site"]


def test_htmx_is_found_in_the_repositorys_vendor_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENTYARD_VENDOR_DIR", raising=False)
    assert vendor_dir() == Path(__file__).resolve().parents[2] / "vendor" / "node_modules"
    assert vendor_file("htmx.org/dist/htmx.min.js").read_bytes().startswith(b"var htmx")


def test_a_missing_file_says_to_run_make_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EVENTYARD_VENDOR_DIR", str(tmp_path))
    with pytest.raises(VendorMissing, match=r"run `make install`"):
        vendor_file("htmx.org/dist/htmx.min.js")


def test_paths_outside_the_vendor_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(VendorMissing, match="outside the vendor folder"):
        vendor_file("../../pyproject.toml")


async def test_the_page_loads_htmx_from_this_server(site: Site) -> None:
    async with site.client("viewer") as client:
        page = await client.get("/sources")
        assert '<script src="/ui/static/vendor/htmx.min.js" defer></script>' in page.text
        js = await client.get("/ui/static/vendor/htmx.min.js")
        assert js.status_code == 200
        assert js.headers["content-type"].startswith("text/javascript")
        assert (await client.get("/ui/static/vendor/../../app.py")).status_code == 404
        assert (await client.get("/ui/static/vendor/other.js")).status_code == 404
        assert (await client.get("/ui/static/eventyard.css")).status_code == 200


async def test_without_vendor_files_pages_still_work_and_the_console_says_why(
    site: Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EVENTYARD_VENDOR_DIR", str(tmp_path / "missing"))
    async with site.client("viewer") as client:
        assert (await client.get("/sources")).status_code == 200
        js = await client.get("/ui/static/vendor/htmx.min.js")
    assert js.status_code == 503
    assert "console.error(" in js.text and "make install" in js.text


def test_a_wheels_packaged_files_come_before_the_clones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    packaged = tmp_path / "_vendor"
    (packaged / "htmx.org" / "dist").mkdir(parents=True)
    (packaged / "htmx.org" / "dist" / "htmx.min.js").write_text("var htmx='packaged'")
    monkeypatch.delenv("EVENTYARD_VENDOR_DIR", raising=False)
    monkeypatch.setattr("eventyard.ui.vendor.PACKAGED", packaged)
    assert vendor_file("htmx.org/dist/htmx.min.js").read_text() == "var htmx='packaged'"
    monkeypatch.setenv("EVENTYARD_VENDOR_DIR", str(tmp_path / "mine"))
    assert vendor_dir() == tmp_path / "mine"
