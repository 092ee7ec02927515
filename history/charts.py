"""Usage charts as server-rendered SVG: no script, no inline style (the CSP forbids both).

Colours come from classes in history/static/history/history.css, which uses the panel's light and
dark palette; the lines also differ by dash pattern, so they read without colour. Each chart is an
`role="img"` with a title and a text summary (averages, extremes, latest, gaps) for screen readers,
repeated as visible text under the chart.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.html import escape

from history.series import METRIC_NAMES, METRICS, Series

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 42, 12, 10, 26
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def _x(series: Series, at: datetime) -> float:
    total = (series.end - series.start).total_seconds() or 1
    fraction = (at - series.start).total_seconds() / total
    return round(LEFT + min(max(fraction, 0.0), 1.0) * PLOT_W, 1)


def _y(value: float) -> float:
    return round(TOP + (1 - min(max(value, 0.0), 100.0) / 100) * PLOT_H, 1)


def _pct(value: float) -> str:
    return f"{value:.0f} %"


def summary(series: Series) -> list[str]:
    """One sentence per metric, and one about gaps; what a screen reader hears."""
    points = series.points
    if not points:
        return [f"No readings in the last {series.span.label}."]
    sentences = []
    for metric in METRICS:
        values = [point.values[metric] for point in points]
        lows = [point.bands[metric][0] if point.bands else point.values[metric] for point in points]
        highs = [
            point.bands[metric][1] if point.bands else point.values[metric] for point in points
        ]
        sentences.append(
            f"{METRIC_NAMES[metric]} averaged {_pct(sum(values) / len(values))} "
            f"(lowest {_pct(min(lows))}, highest {_pct(max(highs))}), latest {_pct(values[-1])}."
        )
    first = timezone.localtime(points[0].at)
    sentences.append(
        f"{len(points)} reading{'s' if len(points) != 1 else ''} since {first:%b %-d %H:%M}"
        + (
            f"; no readings in {series.gaps} stretch{'es' if series.gaps != 1 else ''}, "
            "shown as breaks in the lines."
            if series.gaps
            else "."
        )
    )
    return sentences


def _ticks(series: Series) -> list[tuple[datetime, str]]:
    local_end = timezone.localtime(series.end)
    if series.span.hours <= 24:
        step, fmt = timedelta(hours=6), "%H:%M"
        first = local_end.replace(minute=0, second=0, microsecond=0)
        first -= timedelta(hours=first.hour % 6)
    else:
        step = timedelta(days=1 if series.span.hours <= 24 * 7 else 7)
        fmt = "%a %-d" if series.span.hours <= 24 * 7 else "%b %-d"
        first = local_end.replace(hour=0, minute=0, second=0, microsecond=0)
    ticks, moment = [], first
    while moment >= series.start:
        ticks.append((moment, moment.strftime(fmt)))
        moment -= step
    return list(reversed(ticks))


def _line(series: Series, metric: str) -> str:
    parts, dots = [], []
    for run in series.runs:
        coords = [f"{_x(series, p.at)},{_y(p.values[metric])}" for p in run]
        parts.append("M" + " L".join(coords))
        if len(run) == 1:
            x, y = coords[0].split(",")
            dots.append(f'<circle class="dot dot-{metric}" cx="{x}" cy="{y}" r="2.5"/>')
    path = (
        f'<path class="line line-{metric}" d="{" ".join(parts)}" fill="none" '
        f'stroke="currentColor" stroke-width="1.6" stroke-linejoin="round"/>'
    )
    return path + "".join(dots)


def _band(series: Series, metric: str) -> str:
    parts = []
    for run in series.runs:
        if len(run) < 2 or run[0].bands is None:
            continue
        upper = [f"{_x(series, p.at)},{_y(p.bands[metric][1])}" for p in run]
        lower = [f"{_x(series, p.at)},{_y(p.bands[metric][0])}" for p in reversed(run)]
        parts.append("M" + " L".join(upper + lower) + " Z")
    if not parts:
        return ""
    return f'<path class="band band-{metric}" d="{" ".join(parts)}" stroke="none"/>'


def chart_svg(series: Series, *, chart_id: str, title: str) -> str:
    """The chart's <svg>; `title` is plain text (escaped here)."""
    text = " ".join(summary(series))
    out = [
        f'<svg class="usage-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" data-testid="usage-svg" '
        f'data-runs="{len(series.runs)}" data-points="{len(series.points)}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(text)}</desc>',
    ]
    for value in (0, 25, 50, 75, 100):
        y = _y(value)
        out.append(
            f'<line class="grid" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" '
            f'stroke="currentColor" stroke-width="0.5"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4}" text-anchor="end" '
            f'font-size="11" fill="currentColor">{value}%</text>'
        )
    for moment, label in _ticks(series):
        x = _x(series, moment)
        out.append(
            f'<line class="tick" x1="{x}" y1="{TOP + PLOT_H}" x2="{x}" y2="{TOP + PLOT_H + 4}" '
            f'stroke="currentColor"/><text class="axis" x="{x}" y="{HEIGHT - 8}" '
            f'text-anchor="middle" font-size="11" fill="currentColor">{escape(label)}</text>'
        )
    if series.runs:
        out.extend(_band(series, metric) for metric in METRICS)
        out.extend(_line(series, metric) for metric in METRICS)
    else:
        out.append(
            f'<text class="axis empty" x="{LEFT + PLOT_W / 2}" y="{TOP + PLOT_H / 2}" '
            f'text-anchor="middle" font-size="13" fill="currentColor">No readings yet</text>'
        )
    out.append("</svg>")
    return "".join(out)


SPARK_W, SPARK_H, SPARK_SLOTS = 96, 24, 48


def sparkline_svg(points: list[tuple[int, float]], first_slot: int, gap_slots: float) -> str:
    """A 24-hour CPU line for a servers-list row; '' when nothing was recorded."""
    if not points:
        return ""
    runs: list[list[tuple[int, float]]] = []
    previous = None
    for slot, value in points:
        if previous is None or slot - previous > gap_slots:
            runs.append([])
        runs[-1].append((slot, value))
        previous = slot

    def x(slot):
        return round(min(max(slot - first_slot, 0), SPARK_SLOTS) / SPARK_SLOTS * SPARK_W, 1)

    def y(value):
        return round(1 + (1 - min(max(value, 0), 100) / 100) * (SPARK_H - 2), 1)

    d = " ".join(
        "M"
        + " L".join(f"{x(slot)},{y(value)}" for slot, value in run)
        + ("" if len(run) > 1 else f" L{x(run[0][0]) + 1},{y(run[0][1])}")
        for run in runs
    )
    values = [value for _, value in points]
    label = (
        f"CPU over the last 24 hours: average {_pct(sum(values) / len(values))}, "
        f"highest {_pct(max(values))}, latest {_pct(values[-1])}"
        + (f"; {len(runs) - 1} gap{'s' if len(runs) != 2 else ''}" if len(runs) > 1 else "")
    )
    return (
        f'<svg class="sparkline" viewBox="0 0 {SPARK_W} {SPARK_H}" width="{SPARK_W}" '
        f'height="{SPARK_H}" role="img" aria-label="{escape(label)}" data-testid="sparkline" '
        f'data-runs="{len(runs)}"><title>{escape(label)}</title>'
        f'<path class="spark-line" d="{d}" fill="none" stroke="currentColor" '
        f'stroke-width="1.5" stroke-linejoin="round"/></svg>'
    )
