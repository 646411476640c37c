"""A service's activity as chart geometry: numbers for the SVG templates, no markup.

``studio/services/_chart.html`` draws the axes and legend, and the ``service_charts``
template tags its ``<rect>``, ``<polyline>`` and ``<circle>`` marks, so the charts come
with the page (and with each live refresh) and need no script.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from studio.executions.rows import STATUS_LABELS
from studio.services.selectors import Activity, bucket_start

WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 44, 22, 10, 22
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
# Stacked bottom-up in this order.
STATUS_ORDER = ("success", "failed", "terminated", "in-progress", "created")
STATUS_COLORS = {
    "success": "#1a7f37",
    "failed": "#cf222e",
    "terminated": "#9a6700",
    "in-progress": "#0969da",
    "created": "#8c959f",
}
SERIES_COLORS = {"p50": "#0969da", "p95": "#bc4c00"}
X_LABEL_EVERY = {"hour": 10, "day": 8}  # buckets between time labels


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    status: str
    color: str
    count: int
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    segments: list[list[tuple[float, float]]]  # a break where a bucket has no finished run
    dots: list[tuple[float, float, str]]  # (x, y, title) of every point


@dataclass(frozen=True)
class LegendEntry:
    label: str
    color: str
    total: str


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_width: int = PLOT_W
    plot_height: int = PLOT_H
    bottom: int = TOP + PLOT_H
    right: int = LEFT + PLOT_W
    center_x: int = LEFT + PLOT_W // 2
    center_y: int = TOP + PLOT_H // 2
    rects: list[Rect] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    legend: list[LegendEntry] = field(default_factory=list)
    summary: str = ""
    empty: bool = True


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at least ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value - 1e-12:
            return float(candidate)
    return float(10 ** (exponent + 1))


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.2g}"


def _seconds(value: float) -> str:
    if value == 0:
        return "0 s"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.1f} s"
    return f"{value / 60:.1f} min"


def _x_ticks(activity: Activity, slot: float) -> list[Tick]:
    every = X_LABEL_EVERY[activity.window.key]
    ticks = []
    for index in range(0, activity.window.buckets + 1, every):
        at = bucket_start(activity, index)
        ticks.append(Tick(round(LEFT + index * slot, 1), f"{at:%H:%M}"))
    return ticks


def _y_ticks(top: float, label) -> list[Tick]:
    return [Tick(round(TOP + PLOT_H - PLOT_H * f, 1), label(top * f)) for f in (0, 0.5, 1)]


def executions_chart(activity: Activity) -> Chart:
    """Executions per minute by status, stacked per bucket (a bucket of the day is 30 min)."""
    window = activity.window
    minutes = window.bucket_seconds / 60
    slot = PLOT_W / window.buckets
    rates = {i: sum(by.values()) / minutes for i, by in activity.counts.items()}
    top = nice_ceiling(max(rates.values(), default=0))
    chart = Chart(x_ticks=_x_ticks(activity, slot), y_ticks=_y_ticks(top, _number))
    totals = dict.fromkeys(STATUS_ORDER, 0)
    for index, by_status in sorted(activity.counts.items()):
        base = TOP + PLOT_H
        at = bucket_start(activity, index)
        for status in STATUS_ORDER:
            count = by_status.get(status, 0)
            if not count or not 0 <= index < window.buckets:
                continue
            totals[status] += count
            height = PLOT_H * (count / minutes) / top
            base -= height
            chart.rects.append(
                Rect(
                    x=round(LEFT + index * slot + 0.5, 2),
                    y=round(base, 2),
                    width=round(max(slot - 1, 0.5), 2),
                    height=round(height, 2),
                    status=status,
                    color=STATUS_COLORS[status],
                    count=count,
                    title=f"{at:%H:%M} UTC: {count} {STATUS_LABELS[status].lower()}",
                )
            )
    chart.legend = [
        LegendEntry(STATUS_LABELS[status], STATUS_COLORS[status], str(totals[status])) for status in STATUS_ORDER
    ]
    total = sum(totals.values())
    chart.empty = total == 0
    chart.summary = f"{total} execution{'s' if total != 1 else ''} created in the {window.label.lower()}: " + ", ".join(
        f"{totals[s]} {STATUS_LABELS[s].lower()}" for s in STATUS_ORDER if totals[s]
    )
    return chart


def durations_chart(activity: Activity) -> Chart:
    """Median (p50) and p95 duration of the finished runs of each bucket."""
    window = activity.window
    slot = PLOT_W / window.buckets
    top = nice_ceiling(max((p95 for _, p95 in activity.durations.values()), default=0))
    chart = Chart(x_ticks=_x_ticks(activity, slot), y_ticks=_y_ticks(top, _seconds))
    for position, name in ((0, "p50"), (1, "p95")):
        segments: list[list[tuple[float, float]]] = []
        dots = []
        previous = None
        for index in range(window.buckets):
            value = activity.durations.get(index)
            if value is None:
                previous = None
                continue
            point = (round(LEFT + (index + 0.5) * slot, 2), round(TOP + PLOT_H - PLOT_H * value[position] / top, 2))
            if previous is None:
                segments.append([])
            segments[-1].append(point)
            dots.append((*point, f"{bucket_start(activity, index):%H:%M} UTC: {name} {_seconds(value[position])}"))
            previous = point
        chart.series.append(Series(name=name, color=SERIES_COLORS[name], segments=segments, dots=dots))
    all_p50 = [p50 for p50, _ in activity.durations.values()]
    all_p95 = [p95 for _, p95 in activity.durations.values()]
    chart.empty = not all_p50
    chart.legend = [
        LegendEntry("p50 (median)", SERIES_COLORS["p50"], _seconds(max(all_p50)) + " max" if all_p50 else "—"),
        LegendEntry("p95", SERIES_COLORS["p95"], _seconds(max(all_p95)) + " max" if all_p95 else "—"),
    ]
    chart.summary = (
        f"Durations of runs created in the {window.label.lower()}, per "
        f"{'minute' if window.bucket_seconds == 60 else f'{window.bucket_seconds // 60} minutes'}."
    )
    return chart
