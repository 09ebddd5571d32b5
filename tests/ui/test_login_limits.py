"""A sign-in lockout ends with its window (the app with a clock the test moves), and the form
says why it refuses; the server-wide limits are in e2e/test_login_limits.py."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest
from starlette.applications import Starlette

from eventyard.control import logins
from eventyard.control.logins import WINDOW, LoginGuard
from eventyard.ui.app import ui_routes
from ui.config_setup import PASSWORD, Site, seeded, site, text_of
from ui.test_login import sign_in

__all__ = ["seeded", "site"]


async def test_a_locked_account_signs_in_again_once_the_window_has_passed(site: Site) -> None:
    now = [1000.0]
    ctx = dataclasses.replace(site.ctx, logins=LoginGuard(clock=lambda: now[0]))
    app = Starlette(routes=ui_routes(ctx))
    transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as client:
        for _ in range(10):
            assert (await sign_in(client, "viewer@example.com", "wrong!!!")).status_code == 401
        now[0] += 60
        locked = await sign_in(client, "viewer@example.com", PASSWORD)
        assert locked.status_code == 429
        assert locked.headers["retry-after"] == str(int(WINDOW) - 60)
        assert "Too many failed sign-ins" in text_of(locked.text)
        assert "Wait 4 minutes" in text_of(locked.text)
        assert 'value="viewer@example.com"' in locked.text  # the form is there to try again
        now[0] += WINDOW - 60
        answer = await sign_in(client, "viewer@example.com", PASSWORD)
        assert answer.status_code == 303 and answer.headers["location"] == "/"


async def test_too_many_checks_at_once_are_refused_for_a_moment(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logins, "MAX_IN_FLIGHT", 0)  # as if 32 checks were under way
    async with site.client(role=None) as client:
        busy = await sign_in(client, "viewer@example.com", PASSWORD)
    assert busy.status_code == 429 and busy.headers["retry-after"] == "1"
    assert "checking many sign-ins at once" in text_of(busy.text)
    assert site.ctx.logins.throttled_total["busy"] == 1
    assert site.ctx.logins.failures_total == 0  # nothing was checked


async def test_a_burst_of_parallel_guesses_gets_no_more_than_the_limit(site: Site) -> None:
    """Attempts still being checked count already: 12 at once, 10 are checked."""

    async def guess(n: int) -> int:
        async with site.client(role=None) as client:
            return (await sign_in(client, f"u{n}@example.com", "a wrong guess")).status_code

    answers = await asyncio.gather(*(guess(n) for n in range(12)))
    assert sorted(answers) == [401] * 10 + [429] * 2
    assert site.ctx.logins.failures_total == 10
