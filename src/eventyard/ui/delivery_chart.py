"""The delivery chart: outcomes per hour as stacked bars in inline SVG, drawn on the server.

Bars, not lines: a line between hours suggests a trend where there is none, and a single
busy hour beside empty ones reads as a bar at once. No chart library and no script: the
SVG scales with its container, colours come from live.css (`.series-<name>`), and each hour
has an invisible column whose <title> gives its exact counts on hover. Times are UTC, like
every time the pages show.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup, escape

from eventyard.ui.stats import SERIES, Outcomes, Series

__all__ = ["HEIGHT", "WIDTH", "bar_chart", "nice_ceiling", "sparkline"]

WIDTH, HEIGHT = 760, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 12, 28
_MIN_PART = 2.0


def _round_steps() -> Iterator[int]:
    """1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500...: steps people read at a glance."""
    power = 1
    while True:
        yield from (power, 2 * power, *((power * 5 // 2,) if power >= 10 else ()), 5 * power)
        power *= 10


def nice_ceiling(value: int) -> int:
    """The chart's top: four equal round steps (one per grid line) that reach `value`."""
    need = max(1, -(-value // 4))
    return 4 * next(step for step in _round_steps() if step >= need)


def _labels(start: float, bucket_s: float, count: int) -> list[tuple[int, str]]:
    """(bucket index, text) for the axis: every 3 hours over a day, every midnight over a
    week, on round times so that the labels do not drift with the current hour."""
    week = count * bucket_s > 2 * 86400
    every = 86400 if week else 3 * 3600
    labels = []
    for index in range(count):
        at = start + index * bucket_s
        if int(at) % every == 0:
            moment = datetime.fromtimestamp(at, UTC)
            labels.append(
                (index, f"{moment:%a} {moment.day} {moment:%b}" if week else f"{moment:%H:%M}")
            )
    return labels


@dataclass(frozen=True, slots=True)
class _Frame:
    """Where things go: bucket index and count -> SVG coordinates."""

    count: int
    top: int

    @property
    def width(self) -> float:
        return WIDTH - _LEFT - _RIGHT

    @property
    def height(self) -> float:
        return HEIGHT - _TOP - _BOTTOM

    @property
    def step(self) -> float:
        return self.width / self.count

    def x(self, index: int) -> float:
        return _LEFT + self.step * (index + 0.5)

    def y(self, value: int) -> float:
        return _TOP + self.height * (1 - value / self.top)


def _axes(frame: _Frame, start: float, bucket_s: float) -> list[str]:
    parts = []
    for tick in range(5):
        value = frame.top * tick // 4
        y = frame.y(value)
        parts.append(
            f'<line class="gridline" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}"/><text class="axis" x="{_LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{value:,}</text>'
        )
    for index, label in _labels(start, bucket_s, frame.count):
        parts.append(
            f'<text class="axis" x="{frame.x(index):.1f}" y="{HEIGHT - 8}" '
            f'text-anchor="middle">{label}</text>'
        )
    return parts


def _bars(frame: _Frame, buckets: Sequence[Outcomes], series: Sequence[Series]) -> list[str]:
    """A stacked bar per bucket, series bottom to top; a non-zero part is at least
    `_MIN_PART` high, so that one dead event under thousands delivered still shows."""
    parts = []
    width = max(1.0, min(frame.step * 0.7, frame.step - 1.0, 28.0))
    for index, bucket in enumerate(buckets):
        left = frame.x(index) - width / 2
        bottom = frame.y(0)
        for name in series:
            count = bucket.get(name)
            if not count:
                continue
            height = max(_MIN_PART, frame.y(0) - frame.y(count))
            bottom -= height
            parts.append(
                f'<rect class="bar series-{name}" x="{left:.1f}" y="{bottom:.1f}" '
                f'width="{width:.1f}" height="{height:.1f}"/>'
            )
    return parts


def _hover(
    frame: _Frame,
    buckets: Sequence[Outcomes],
    series: Sequence[Series],
    start: float,
    bucket_s: float,
) -> list[str]:
    parts = []
    for index, bucket in enumerate(buckets):
        moment = datetime.fromtimestamp(start + index * bucket_s, UTC).strftime("%a %d %b %H:%M")
        counts = ", ".join(f"{s} {bucket.get(s):,}" for s in series)
        parts.append(
            f'<rect class="hover" x="{_LEFT + frame.step * index:.1f}" y="{_TOP}" '
            f'width="{frame.step:.1f}" height="{frame.height}"><title>{escape(moment)} UTC: '
            f"{escape(counts)}</title></rect>"
        )
    return parts


def _empty(frame: _Frame) -> str:
    middle_x, middle_y = _LEFT + frame.width / 2, _TOP + frame.height / 2
    return (
        f'<rect class="chart-empty-bg" x="{middle_x - 110:.1f}" y="{middle_y - 18:.1f}" '
        f'width="220" height="32" rx="8"/><text class="chart-empty" x="{middle_x:.1f}" '
        f'y="{middle_y + 3:.1f}" text-anchor="middle">No events in this range</text>'
    )


def bar_chart(
    buckets: Sequence[Outcomes],
    start: float,
    bucket_s: float,
    series: Sequence[Series] = SERIES,
    label: str = "Events per hour by outcome",
) -> Markup:
    """Stacked bars of `series` per bucket (oldest first, `bucket_s` seconds each); `label`
    names the picture for screen readers (the page lists the numbers in a table)."""
    highest = max((sum(b.get(s) for s in series) for b in buckets), default=0)
    frame = _Frame(max(1, len(buckets)), nice_ceiling(highest))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet">',
        *_axes(frame, start, bucket_s),
    ]
    if highest:
        parts += _bars(frame, buckets, series) + _hover(frame, buckets, series, start, bucket_s)
    else:
        parts.append(_empty(frame))
    parts.append("</svg>")
    return Markup("".join(parts))


def sparkline(values: Sequence[int], label: str) -> Markup:
    """Small bars (e.g. events per hour) on a baseline, 100 x 24, scaled to their own
    maximum; a non-zero value is always visible."""
    top = max(max(values, default=0), 1)
    step = 100 / max(1, len(values))
    bars = []
    for index, value in enumerate(values):
        if value:
            high = max(1.5, 22 * value / top)
            bars.append(
                f'<rect x="{(index + 0.15) * step:.2f}" y="{23 - high:.2f}" '
                f'width="{step * 0.7:.2f}" height="{high:.2f}"/>'
            )
    return Markup(
        f'<svg class="sparkline" viewBox="0 0 100 24" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(label)}"><line x1="0" x2="100" y1="23.5" y2="23.5"/>'
        + "".join(bars)
        + "</svg>"
    )
