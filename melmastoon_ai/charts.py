"""Server-side SVG charts for the dashboards: bars, lines and a budget gauge.

Rendered here rather than by a JavaScript library: the pages work with scripts off, nothing is
fetched from a CDN (the machine and many hotels are offline), and the Content-Security-Policy
allows no inline style (melmastoon_ai/security.py), which rules out SVG emitters that embed a
<style> element (pygal's does). Colours come from classes in melmastoon/charts.css; each mark
carries its value (`data-value`) and a <title> that the browser shows on hover. Every element is
built with `format_html`, so a label (a capability, a model, a tenant's feature) is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 24, 34
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    css: str = "s1"


def number(value: float, unit: str = "") -> str:
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "USD":
        return f"${value:,.4f}" if abs(value) < 1 else f"${value:,.2f}"
    if unit == "ms":
        return f"{value:,.0f} ms"
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.2f}"


def _join(parts: Iterable[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _f(value: float) -> str:
    return f"{value:.1f}"


def _svg(css: str, height: int, title: str, parts: Iterable[SafeString]) -> SafeString:
    return format_html(
        '<svg class="chart {}" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
        '<text class="chart-title" x="8" y="14">{}</text>{}</svg>',
        css,
        WIDTH,
        height,
        title,
        title,
        title,
        _join(parts),
    )


def _axes(top: float, unit: str) -> list[SafeString]:
    base = TOP + PLOT_H
    parts = [
        format_html('<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>', LEFT, base, WIDTH - RIGHT, base),
        format_html('<text class="tick" x="{}" y="{}" text-anchor="end">0</text>', LEFT - 6, base + 4),
    ]
    for fraction in (0.5, 1.0):
        y = TOP + PLOT_H * (1 - fraction)
        parts.append(
            format_html('<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/>', LEFT, _f(y), WIDTH - RIGHT, _f(y))
        )
        parts.append(
            format_html(
                '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT - 6,
                _f(y + 4),
                number(top * fraction, unit),
            )
        )
    return parts


def _labels(labels: Sequence[str], xs: list[float]) -> list[SafeString]:
    """At most ~8 x labels, evenly spread, so dates do not overlap."""
    step = max(1, -(-len(labels) // 8))
    return [
        format_html(
            '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>', _f(x), HEIGHT - BOTTOM + 16, label
        )
        for index, (label, x) in enumerate(zip(labels, xs, strict=True))
        if index % step == 0
    ]


def _top(values: Iterable[float], target: float | None) -> float:
    high = max([*values, target or 0, 0])
    return high * 1.1 if high > 0 else 1.0


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    unit: str = "",
    target: float | None = None,
    target_label: str = "target",
) -> SafeString:
    """One bar per label; `target` draws a dashed line (a latency target) and bars above it turn red."""
    top = _top(values, target)
    slot = PLOT_W / max(1, len(values))
    parts, xs = _axes(top, unit), []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = PLOT_H * value / top
        x = LEFT + index * slot + slot * 0.15
        xs.append(x + slot * 0.35)
        over = "bar over" if target is not None and value > target else "bar"
        parts.append(
            format_html(
                '<rect class="{}" x="{}" y="{}" width="{}" height="{}" data-label="{}" '
                'data-value="{}"><title>{}: {}</title></rect>',
                over,
                _f(x),
                _f(TOP + PLOT_H - h),
                _f(slot * 0.7),
                _f(h),
                label,
                value,
                label,
                number(value, unit),
            )
        )
    if target is not None:
        y = TOP + PLOT_H * (1 - target / top)
        parts.append(
            format_html(
                '<line class="target" x1="{}" y1="{}" x2="{}" y2="{}" data-value="{}"><title>{}: {}</title></line>',
                LEFT,
                _f(y),
                WIDTH - RIGHT,
                _f(y),
                target,
                target_label,
                number(target, unit),
            )
        )
    return _svg("bars", HEIGHT, title, [*parts, *_labels(labels, xs)])


def line_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, unit: str = "") -> SafeString:
    """One polyline per series over shared x labels; a None value (no calls that day) is skipped."""
    top = _top((value for line in series for value in line.values if value is not None), None)
    step = PLOT_W / (len(labels) - 1) if len(labels) > 1 else 0
    xs = [LEFT + index * step if len(labels) > 1 else LEFT + PLOT_W / 2 for index in range(len(labels))]
    parts = _axes(top, unit)
    for index, line in enumerate(series):
        points = [
            (x, TOP + PLOT_H * (1 - value / top), label, value)
            for x, value, label in zip(xs, line.values, labels, strict=True)
            if value is not None
        ]
        parts.append(
            format_html(
                '<polyline class="line {}" points="{}" fill="none"/>',
                line.css,
                " ".join(f"{_f(x)},{_f(y)}" for x, y, _, _ in points),
            )
        )
        parts += [
            format_html(
                '<circle class="dot {}" cx="{}" cy="{}" r="3" data-label="{}" data-value="{}">'
                "<title>{} {}: {}</title></circle>",
                line.css,
                _f(x),
                _f(y),
                label,
                value,
                line.name,
                label,
                number(value, unit),
            )
            for x, y, label, value in points
        ]
        parts.append(
            format_html(
                '<text class="legend {}" x="{}" y="14">&#9632; {}</text>',
                line.css,
                WIDTH - RIGHT - 110 * (len(series) - index),
                line.name,
            )
        )
    return _svg("lines", HEIGHT, title, [*parts, *_labels(labels, xs)])


def budget_gauge(
    *, title: str, used: float, limit: float, soft_pct: int, hard_pct: int, forecast: float | None, unit: str = ""
) -> SafeString:
    """Spend so far as a bar against the period's limit, with the soft and hard caps and the
    forecast end-of-period spend (a triangle) marked."""
    left, span = 8, WIDTH - 16
    soft, hard = limit * soft_pct / 100, limit * hard_pct / 100
    scale = max(hard, used, forecast or 0, 1e-9) * 1.05

    def x(value: float) -> str:
        return _f(left + span * value / scale)

    state = "hard" if used >= hard else "soft" if used >= soft else "ok"
    caption = f"{number(used, unit)} of {number(limit, unit)}" + (
        f" · forecast {number(forecast, unit)}" if forecast is not None else ""
    )
    parts = [
        format_html('<text class="tick" x="{}" y="14" text-anchor="end">{}</text>', WIDTH - 8, caption),
        format_html('<rect class="gauge-track" x="{}" y="24" width="{}" height="20"/>', left, span),
        format_html(
            '<rect class="gauge-used {}" x="{}" y="24" width="{}" height="20" data-value="{}">'
            "<title>used: {}</title></rect>",
            state,
            left,
            _f(span * used / scale),
            used,
            number(used, unit),
        ),
    ]
    for css, name, pct, value in (("soft", "soft cap", soft_pct, soft), ("hard", "hard cap", hard_pct, hard)):
        parts.append(
            format_html(
                '<line class="cap {}" x1="{}" y1="18" x2="{}" y2="50" data-value="{}">'
                "<title>{} ({}%): {}</title></line>",
                css,
                x(value),
                x(value),
                value,
                name,
                pct,
                number(value, unit),
            )
        )
    if forecast is not None:
        parts.append(
            format_html(
                '<path class="forecast" d="M{},52 l-5,9 h10 z" data-value="{}">'
                "<title>forecast at the end of the period: {}</title></path>",
                x(forecast),
                forecast,
                number(forecast, unit),
            )
        )
    return _svg("gauge", 74, title, parts)
