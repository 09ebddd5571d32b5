"""The release check: the wheel builds, installs into a clean virtualenv outside the clone,
and the installed `eventyard` works from a folder that knows nothing of the clone: init,
doctor, serve, an event in, the admin pages with htmx, analytics.js and its chunks.

Runs in every `make test` (CI included) and never skips: a wheel that cannot be built or
installed is a failure. It needs PyPI (the wheel's dependencies) and takes about a minute.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from e2e.server_process import free_port
from eventyard import __version__

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "vendor" / "node_modules"
WHEEL = f"eventyard-{__version__}-py3-none-any.whl"

pytestmark = pytest.mark.timeout(420)

_LIBRARY = "@segment/analytics-next/dist/umd/standalone.js"
_SERVED = re.compile(
    r"htmx\.org/(LICENSE|package\.json|dist/htmx\.min\.js)"
    r"|@segment/analytics-next/(LICENSE\.MD|package\.json"
    r"|dist/umd/(standalone\.js|[\w-]+\.bundle\.[0-9a-f]+\.js(\.map)?))"
)
"""What may ship: each package's licence and package.json, and the files the server serves."""


def run(command: list[str | Path], cwd: Path, env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """(the venv's bin folder, the environment to run it in) with the freshly built wheel."""
    base = tmp_path_factory.mktemp("wheel")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "EVENTYARD_VENDOR_DIR", "PYTHONHOME")
    }
    run([sys.executable, "-m", "build", "--outdir", base / "dist", ROOT], base, env, 300)
    assert (base / "dist" / WHEEL).is_file(), sorted((base / "dist").iterdir())
    run([sys.executable, "-m", "venv", base / "venv"], base, env, 120)
    pip = [base / "venv" / "bin" / "pip", "install", "--quiet", "--no-compile"]
    run([*pip, base / "dist" / WHEEL], base, env, 300)
    yield base / "venv" / "bin", env | {"PATH": f"{base / 'venv' / 'bin'}:{env['PATH']}"}


def test_the_wheel_carries_only_the_served_browser_files(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    bin_dir, env = installed
    where = run(
        [bin_dir / "python", "-c", "import eventyard; print(eventyard.__file__)"], tmp_path, env, 60
    )
    package = Path(where.strip()).parent
    assert package.is_relative_to(bin_dir.parent), package
    shipped = sorted(
        p.relative_to(package / "_vendor").as_posix()
        for p in (package / "_vendor").rglob("*")
        if p.is_file()
    )
    assert "htmx.org/LICENSE" in shipped and "@segment/analytics-next/LICENSE.MD" in shipped
    assert [name for name in shipped if not _SERVED.fullmatch(name)] == []
    assert len(shipped) == 6 + 2 * len(chunk_names((package / "_vendor" / _LIBRARY).read_text()))
    assert (package / "ops" / "node" / "package-lock.json").is_file()
    assert (package / "destinations" / "actions" / "runner.cjs").is_file()
    everything = (p.relative_to(package).parts for p in package.rglob("*"))
    assert not any("node_modules" in parts for parts in everything)  # `eventyard setup` installs


def test_the_installed_wheel_serves_events_pages_and_analytics_js(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    bin_dir, env = installed
    eventyard = bin_dir / "eventyard"
    assert run([eventyard, "--version"], tmp_path, env, 60).strip() == f"eventyard {__version__}"
    run([eventyard, "init"], tmp_path, env, 60)
    key = re.search(r"write_key: (\w+)", (tmp_path / "eventyard.yaml").read_text())
    assert key is not None
    write_key = key.group(1)
    doctor = run(
        [eventyard, "doctor", "--config", "eventyard.yaml", "--data-dir", "data"], tmp_path, env, 60
    )
    assert f"browser files: htmx and analytics.js in {bin_dir.parent}" in doctor

    serve = [eventyard, "serve", "--config", "eventyard.yaml", "--data-dir", "data"]
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*serve, "--port", str(port)], cwd=tmp_path, env=env, stdout=output, stderr=output
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            wait_for_health(http, server, log)
            check_serving(http, tmp_path, write_key)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            stopped = server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            stopped = server.wait(10)
    assert stopped == 0, log.read_text()


def wait_for_health(http: httpx.Client, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            if http.get("/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the installed server did not answer /health:\n{log.read_text()}")


def check_serving(http: httpx.Client, cwd: Path, write_key: str) -> None:
    sent = http.post("/v1/track", auth=(write_key, ""), json={"userId": "u1", "event": "Smoke"})
    assert sent.status_code == 200, sent.text
    token = (cwd / "data" / "admin-token").read_text().strip()
    status = http.get("/api/v1/status", headers={"Authorization": f"Bearer {token}"}).json()
    assert [(s["name"], s["received"]) for s in status["sources"]] == [("web", 1)]

    htmx = http.get("/ui/static/vendor/htmx.min.js")
    assert htmx.status_code == 200
    assert htmx.content == (NODE_MODULES / "htmx.org/dist/htmx.min.js").read_bytes()
    page = http.get("/login")
    assert page.status_code == 200 and "/ui/static/vendor/htmx.min.js" in page.text
    form = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert form is not None
    password = (cwd / "data" / "admin-password").read_text().strip()
    signed_in = http.post(
        "/login",
        data={"email": "admin", "password": password, "next": "/", "login_token": form.group(1)},
        follow_redirects=True,
    )
    assert signed_in.status_code == 200 and "Sources" in signed_in.text

    library = http.get(f"/analytics.js/v1/{write_key}/analytics.min.js")
    assert library.status_code == 200, library.text
    assert str(http.base_url).rstrip("/") in library.text
    chunks = chunk_names(library.text)
    assert len(chunks) >= 5, chunks
    for chunk in chunks:
        assert http.get(f"/analytics-next/bundles/{chunk}").status_code == 200, chunk
    assert http.get(f"/analytics-next/bundles/{chunks[0]}.map").status_code == 200


_CHUNK_MAPS = re.compile(r'\{([^{}]*)\}\[\w+\]\|\|\w+\)\+"\.bundle\."\+\{([^{}]*)\}')
"""How webpack names chunk files in the library:
`({id: name}[id] || id) + ".bundle." + {id: hash}[id]`."""


def chunk_names(library: str) -> list[str]:
    """The chunk files the library will load, as a browser computes their names."""
    maps = _CHUNK_MAPS.search(library)
    assert maps is not None, "the library no longer names its chunks the way webpack 5 does"
    names = dict(re.findall(r'(\d+):"([^"]+)"', maps.group(1)))
    hashes = dict(re.findall(r'(\d+):"([0-9a-f]+)"', maps.group(2)))
    return [f"{names.get(chunk, chunk)}.bundle.{digest}.js" for chunk, digest in hashes.items()]
