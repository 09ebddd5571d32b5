"""Overview, delivery and dead letters pages, over deliveries made by the real workers."""

from __future__ import annotations

import re
import sqlite3
import time

import httpx

from eventyard.control import store
from eventyard.conversions import match_quality
from eventyard.conversions import store as conversions_store
from eventyard.delivery import jobs
from eventyard.ui import deadletters, stats
from eventyard.ui.delivery_chart import bar_chart, nice_ceiling, sparkline
from fakes.webhook_receiver import Answer, Received
from ui.live_setup import AD_TYPE, Ui, event, ui

__all__ = ["ui"]

HOSTILE = b"<script>alert('dead')</script>"


async def fail_some(ui: Ui) -> None:
    """m-ok delivered, m-retry delivered after a 503, m-dead dead-lettered with a hostile
    error body, m-app to `ads`, and one event of the other workspace dead there too."""

    def answer(request: Received) -> Answer | None:
        mid = request.body.decode()
        if '"m-dead' in mid or '"m-foreign"' in mid:
            return Answer(400, body=HOSTILE)
        if '"m-retry"' in mid and not answer.failed:  # type: ignore[attr-defined]
            answer.failed = True  # type: ignore[attr-defined]
            return Answer(503, body=b"busy")
        return None

    answer.failed = False  # type: ignore[attr-defined]
    ui.receiver.on_request = answer
    await ui.append(event("m-ok"), event("m-retry"), event("m-app", source="app"))
    await ui.route_and_deliver()
    await ui.append(event("m-dead"), event("m-foreign", source="otherws-src"))
    await ui.route_and_deliver()  # last: the destination is failing now


async def csrf(client: httpx.AsyncClient) -> str:
    page = await client.get("/deadletters")
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


async def test_overview_sums_up_sources_destinations_and_dead_letters(ui: Ui) -> None:
    await fail_some(ui)
    async with ui.client("viewer") as client:
        page = await client.get("/")
    assert page.status_code == 200, page.text
    text = page.text
    assert 'href="/debugger/web"' in text and 'href="/delivery/hook"' in text
    assert 'href="/delivery/ads"' in text
    assert "otherws" not in text
    assert "Failing" in text
    assert "&lt;script&gt;alert(&#39;dead&#39;)&lt;/script&gt;" in text
    assert "<script>alert" not in text


async def test_overview_of_an_empty_workspace_shows_first_steps(ui: Ui) -> None:
    def leave(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM objects WHERE workspace = 'default'")

    await ui.ctx.plane.change(leave)
    async with ui.client("viewer") as client:
        page = await client.get("/")
    assert page.status_code == 200, page.text
    assert "Create a source" in page.text and "Add a destination" in page.text


async def test_delivery_lists_the_workspace_destinations_with_counts(ui: Ui) -> None:
    await fail_some(ui)
    async with ui.client("viewer") as client:
        page = await client.get("/delivery")
    assert page.status_code == 200, page.text
    assert 'href="/delivery/hook"' in page.text and 'href="/delivery/ads"' in page.text
    assert "otherws" not in page.text
    row = page.text[page.text.index('href="/delivery/hook"') :]
    row = row[: row.index("</tr>")]
    cells = [c.split("<")[0] for c in row.split('<td class="num">')[1:]]
    assert cells[:3] == ["2", "1", "0"]  # delivered, retried, filtered
    assert '/deadletters?destination=hook">1</a>' in row


async def test_destination_page_has_a_chart_errors_queue_and_match_panel(ui: Ui) -> None:
    await fail_some(ui)
    async with ui.client("viewer") as client:
        day = await client.get("/delivery/hook")
        week = await client.get("/delivery/hook?range=7d")
        ads = await client.get("/delivery/ads")
    assert day.status_code == 200, day.text
    events, attempts = re.findall(r'<svg class="chart".*?</svg>', day.text, re.S)
    assert events.count('<rect class="hover"') == 24
    assert (
        re.findall(r'<svg class="chart".*?</svg>', week.text, re.S)[0].count('<rect class="hover"')
        == 168
    )
    # all in the hour in progress: three events (one retried first), and one failed attempt
    assert [b["series"] for b in bars(events)] == ["delivered", "dead"]
    assert [b["series"] for b in bars(attempts)] == ["retried"]
    assert 'aria-label="Failed attempts per hour"' in attempts
    hour = day.text[day.text.index("Numbers per hour") :]
    cells = re.findall(r'<td class="num">([^<]*)</td>', hour[: hour.index("</table>")])
    assert cells == ["2", "1", "0", "1"]  # delivered, failed attempts, filtered, dead
    title = day.text[day.text.index('<p class="subtitle">') :]
    assert "Failing" in title[: title.index("</p>")] and "Sending" not in day.text
    assert 'class="bar series-filtered"' not in day.text  # none filtered: no empty bar part
    assert "series-observed" not in day.text  # a sending destination observes nothing
    assert "HTTP 400 from" in day.text and "HTTP 503 from" in day.text
    assert "<script>alert" not in day.text
    assert "Match quality" not in day.text  # a webhook has no conversions API
    assert "Match quality" in ads.text and "No conversions scored" in ads.text
    assert "Observed payloads" not in day.text
    in_flight = re.search(r"<dt>In flight</dt><dd[^>]*>(\d+) of (\d+), (\d+) ms each", day.text)
    assert in_flight is not None and int(in_flight[2]) >= 1  # the adaptive limit, live


async def test_match_quality_shows_scores_and_what_is_missing(ui: Ui) -> None:
    spec = AD_TYPE.conversion
    assert spec is not None
    full = match_quality.score(frozenset({"email", "phone"}), spec)
    thin = match_quality.score(frozenset({"phone"}), spec)
    purchases, leads = match_quality.Aggregate(), match_quality.Aggregate()
    for result in (full, thin, thin):
        purchases.add(result)
    leads.add(full)
    day = conversions_store.day_of(time.time())

    def seed(conn: sqlite3.Connection) -> None:
        conversions_store.add_match_quality(conn, "ads", day, "purchase", purchases)
        conversions_store.add_match_quality(conn, "ads", day, "lead", leads)
        conversions_store.add_match_quality(conn, "otherws-dest", day, "purchase", leads)

    await ui.state.run(seed)
    async with ui.client("viewer") as client:
        page = await client.get("/delivery/ads")
    assert page.status_code == 200, page.text
    assert "4 conversions" in page.text
    assert f"{(full.score * 2 + thin.score * 2) / 4:.1f}" in page.text.replace("<", " <")
    assert 'Email</span><span class="muted">50% of conversions' in page.text
    assert '<td>purchase</td><td class="num">3</td>' in page.text


async def test_observe_mode_destinations_show_the_payloads_they_kept(ui: Ui) -> None:
    def observe(conn: sqlite3.Connection) -> None:
        doc = store.get_object(conn, "destination", "default", "hook")
        assert doc is not None
        store.put_object(
            conn, ui.ctx.plane.box, "destination", "default", {**doc.doc, "mode": "observe"}, "t"
        )
        payload = b'{"data": {"note": "<script>x</script>"}}'
        conversions_store.keep_observed(conn, "hook", [("send", "m-seen", payload)], time.time())

    await ui.ctx.plane.change(observe)
    async with ui.client("viewer") as client:
        page = await client.get("/delivery/hook")
    assert "Observed payloads" in page.text and "m-seen" in page.text
    assert "<script>x" not in page.text and "&lt;script&gt;x" in page.text


async def test_destination_pages_refuse_foreign_unknown_and_odd_input(ui: Ui) -> None:
    async with ui.client("owner") as client:
        assert (await client.get("/delivery/otherws-dest")).status_code == 404
        assert (await client.get("/delivery/nope")).status_code == 404
        assert (await client.get("/delivery/hook?range=1y")).status_code == 400
        assert (await client.get("/delivery/hook?range=" + "x" * 10000)).status_code == 400
        assert (await client.get("/deadletters?destination=otherws-dest")).status_code == 404
    async with ui.client("stranger") as client:
        assert (await client.get("/delivery/hook")).status_code == 404
        page = await client.get("/delivery")
        assert "otherws-dest" in page.text and "/delivery/hook" not in page.text


async def test_dead_letters_are_listed_escaped_and_read_only_for_viewers(ui: Ui) -> None:
    await fail_some(ui)
    async with ui.client("viewer") as client:
        page = await client.get("/deadletters")
        token = await csrf(client)
        refused = await client.post(
            "/deadletters/retry", data={"csrf_token": token, "destination": "hook"}
        )
    assert page.status_code == 200, page.text
    assert "m-dead" in page.text and "m-foreign" not in page.text
    summary = '<div class="letter-summary" title="track · Paid">'
    assert summary + '<span class="type type-track">track</span> Paid</div>' in page.text
    assert "&lt;script&gt;alert" in page.text and "<script>alert" not in page.text
    assert "/deadletters/retry" not in page.text and "needs the editor role" in page.text
    assert refused.status_code == 403
    assert await ui.state.run(lambda conn: jobs.status(conn, "hook", 0).dead) == 1


async def test_editors_retry_one_letter_or_all_of_a_destination(ui: Ui) -> None:
    await fail_some(ui)
    await ui.append(event("m-dead-2"))
    await ui.route_and_deliver()
    letters = await ui.state.run(lambda conn: jobs.dead_letters(conn, "hook", 10))
    foreign = await ui.state.run(lambda conn: jobs.dead_letters(conn, "otherws-dest", 10))
    assert len(letters) == 2 and len(foreign) == 1
    ui.receiver.on_request = None  # the receiver takes everything now
    async with ui.client("editor") as client:
        token = await csrf(client)
        one = await client.post(
            "/deadletters/retry",
            data={"csrf_token": token, "destination": "hook", "id": str(letters[0].id)},
        )
        stolen = await client.post(
            "/deadletters/retry",
            data={"csrf_token": token, "destination": "hook", "id": str(foreign[0].id)},
        )
        notice = await client.get(one.headers["location"])
        rest = await client.post(
            "/deadletters/retry",
            data={"csrf_token": token, "destination": "hook", "back": "destination"},
        )
    assert (one.status_code, one.headers["location"]) == (303, "/deadletters?requeued=1")
    assert stolen.headers["location"] == "/deadletters?requeued=0"
    assert "1 dead letter queued again." in notice.text
    assert rest.headers["location"] == "/deadletters?requeued=1&destination=hook"
    await ui.route_and_deliver()
    assert await ui.state.run(lambda conn: jobs.status(conn, "hook", 0).dead) == 0
    assert await ui.state.run(lambda conn: jobs.status(conn, "otherws-dest", 0).dead) == 1


async def test_retry_refuses_missing_csrf_odd_ids_and_foreign_destinations(ui: Ui) -> None:
    await fail_some(ui)
    async with ui.client("owner") as client:
        token = await csrf(client)
        no_token = await client.post("/deadletters/retry", data={"destination": "hook"})
        bad_id = await client.post(
            "/deadletters/retry", data={"csrf_token": token, "id": "1; DROP TABLE jobs"}
        )
        many = await client.post(
            "/deadletters/retry",
            data={"csrf_token": token, "id": [str(n) for n in range(deadletters.MAX_IDS + 1)]},
        )
        foreign = await client.post(
            "/deadletters/retry", data={"csrf_token": token, "destination": "otherws-dest"}
        )
        everything = await client.post("/deadletters/retry", data={"csrf_token": token})
    assert no_token.status_code == 403
    assert bad_id.status_code == 400 and many.status_code == 400
    assert foreign.status_code == 404
    assert everything.headers["location"] == "/deadletters?requeued=1"
    assert await ui.state.run(lambda conn: jobs.status(conn, "otherws-dest", 0).dead) == 1


def bars(chart: str) -> list[dict[str, float | str]]:
    """The chart's bar parts: series, x, y, height."""
    found = re.findall(r'<rect class="bar series-(\w+)" x="([\d.]+)" y="([\d.]+)" '
                       r'width="[\d.]+" height="([\d.]+)"/>', chart)  # fmt: skip
    return [{"series": s, "x": float(x), "y": float(y), "h": float(h)} for s, x, y, h in found]


def test_chart_scales_labels_round_hours_and_says_when_empty() -> None:
    values = (0, 4, 5, 10, 11, 99, 101, 250, 1000, 1001)
    assert [nice_ceiling(n) for n in values] == [4, 4, 8, 20, 20, 100, 200, 400, 1000, 2000]
    start = 1_714_564_800.0 - 3600  # 11:00 UTC
    buckets = [stats.Outcomes() for _ in range(24)]
    buckets[5].dead = 1
    chart = bar_chart(buckets, start, 3600)
    assert ">12:00<" in chart and ">15:00<" in chart and ">11:00<" not in chart
    assert [b["series"] for b in bars(chart)] == ["dead"]
    assert "No events in this range" in bar_chart([stats.Outcomes()] * 24, start, 3600)
    week = bar_chart([stats.Outcomes(delivered=1)] * 168, start - 6 * 86400, 3600)
    assert week.count('text-anchor="middle">') == 7  # one label per midnight
    assert len(bars(week)) == 168


def test_sparse_hours_are_single_stacked_bars_that_stay_visible() -> None:
    start = 1_714_564_800.0
    buckets = [stats.Outcomes() for _ in range(24)]
    buckets[3] = stats.Outcomes(delivered=1000, retried=3, dead=1)
    buckets[23] = stats.Outcomes(delivered=4)
    drawn = bars(bar_chart(buckets, start, 3600))
    assert [b["series"] for b in drawn] == ["delivered", "retried", "dead", "delivered"]
    first, retried, dead, last = drawn
    assert first["x"] == retried["x"] == dead["x"] < last["x"]  # one column per hour
    assert retried["y"] + retried["h"] == first["y"]  # stacked on top of each other
    assert dead["y"] + dead["h"] == retried["y"]
    assert dead["h"] >= 2  # 1 of 1000 is still a visible sliver
    assert last["h"] < first["h"]
    observe = bar_chart(buckets, start, 3600, ("observed", "dead"))
    assert [b["series"] for b in bars(observe)] == ["dead"]
    assert "delivered 1,000" not in observe and "observed 0, dead 1" in observe


def test_sparkline_draws_one_bar_per_busy_hour() -> None:
    line = sparkline([0] * 22 + [5, 0], "Events <of> web")
    assert line.count("<rect") == 1 and "Events &lt;of&gt; web" in line
    assert sparkline([0] * 24, "none").count("<rect") == 0
    tiny = sparkline([1000] + [1] + [0] * 22, "x")
    heights = [float(h) for h in re.findall(r'height="([\d.]+)"', tiny)]
    assert heights[0] == 22 and heights[1] >= 1.5


async def test_observe_mode_counts_observed_not_delivered_on_every_page(ui: Ui) -> None:
    def observe(conn: sqlite3.Connection) -> None:
        doc = store.get_object(conn, "destination", "default", "hook")
        assert doc is not None
        store.put_object(
            conn, ui.ctx.plane.box, "destination", "default", {**doc.doc, "mode": "observe"}, "t"
        )

    await ui.ctx.plane.change(observe)
    ui.delivery.reconfigure(ui.ctx.config)
    ui.router.reconfigure(ui.ctx.config)
    await ui.append(event("m-1"), event("m-2"), event("m-3"))
    await ui.route_and_deliver()
    assert ui.receiver.requests == []  # observed: nothing was sent
    status = await ui.state.run(lambda conn: jobs.status(conn, "hook", time.time()))
    assert (status.delivered, status.observed) == (0, 3)
    async with ui.client("viewer") as client:
        overview = await client.get("/")
        table = await client.get("/delivery")
        page = await client.get("/delivery/hook")
    health = overview.text[overview.text.index('href="/delivery/hook"') :]
    health = health[: health.index("</li>")]
    assert "3 observed" in health and "delivered" not in health
    row = table.text[table.text.index('href="/delivery/hook"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">3<div class="muted small">observed</div></td>' in row
    assert "Healthy" in row
    text = page.text
    assert "swatch series-observed" in text and "swatch series-delivered" not in text
    assert text.count('class="bar series-observed"') == 1
    assert "Observed, all time" in text and "Delivered, all time" not in text
