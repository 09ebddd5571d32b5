"""The delivery chart: outcomes per hour as inline SVG, drawn on the server.

No chart library and no script: the SVG scales with its container, colours come from
live.css (`.series-<name>`), and each hour has an invisible column whose <title> gives its
exact counts on hover. Times are UTC, like every time the pages show.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup, escape

from eventyard.ui.stats import SERIES, Outcomes

__all__ = ["HEIGHT", "WIDTH", "line_chart", "nice_ceiling", "sparkline"]

WIDTH, HEIGHT = 760, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 12, 28


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
            labels.append((index, moment.strftime("%a %d" if week else "%H:%M")))
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


def _lines(frame: _Frame, buckets: Sequence[Outcomes]) -> list[str]:
    parts = []
    for series in SERIES:
        points = " ".join(
            f"{frame.x(i):.1f},{frame.y(b.get(series)):.1f}" for i, b in enumerate(buckets)
        )
        parts.append(f'<polyline class="line series-{series}" points="{points}"/>')
    for series in ("retried", "dead"):  # rare but important: a dot even when the line is flat
        parts += [
            f'<circle class="point series-{series}" cx="{frame.x(i):.1f}" '
            f'cy="{frame.y(b.get(series)):.1f}" r="3"/>'
            for i, b in enumerate(buckets)
            if b.get(series)
        ]
    return parts


def _hover(frame: _Frame, buckets: Sequence[Outcomes], start: float, bucket_s: float) -> list[str]:
    parts = []
    for index, bucket in enumerate(buckets):
        moment = datetime.fromtimestamp(start + index * bucket_s, UTC).strftime("%a %d %b %H:%M")
        counts = ", ".join(f"{s} {bucket.get(s):,}" for s in SERIES)
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


def line_chart(buckets: Sequence[Outcomes], start: float, bucket_s: float) -> Markup:
    """One line per series over the buckets (oldest first, `bucket_s` seconds each)."""
    highest = max((b.get(s) for b in buckets for s in SERIES), default=0)
    frame = _Frame(max(1, len(buckets)), nice_ceiling(highest))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Events per hour by outcome" preserveAspectRatio="xMidYMid meet">',
        *_axes(frame, start, bucket_s),
    ]
    if highest:
        parts += _lines(frame, buckets) + _hover(frame, buckets, start, bucket_s)
    else:
        parts.append(_empty(frame))
    parts.append("</svg>")
    return Markup("".join(parts))


def sparkline(values: Sequence[int], label: str) -> Markup:
    """A small trend line (e.g. events per hour), 100 x 24, scaled to its own maximum."""
    top = max(max(values, default=0), 1)
    step = 100 / max(1, len(values) - 1)
    points = " ".join(f"{i * step:.1f},{22 - 20 * v / top:.1f}" for i, v in enumerate(values))
    return Markup(
        f'<svg class="sparkline" viewBox="0 0 100 24" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(label)}"><polyline points="{points}"/></svg>'
    )
