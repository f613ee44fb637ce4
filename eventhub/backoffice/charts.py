"""Charts drawn by the server as inline SVG: no script, nothing fetched, readable without colour.

Each chart is an image for assistive technology (role="img" with a <title> and a <desc> that
states every number), keeps its text as real text, and stretches with the page: horizontal
positions are percentages of the chart's width and vertical ones pixels, so the lettering stays
the same size on a phone and on a laptop. The pages show the same numbers in a table beside it.
"""
import math
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

INK = "#1b1f24"
MUTED = "#505a66"
TRACK = "#e3e8ef"
FILL = "#1d4e89"
OVER = "#b42318"
GRID = "#d5dbe2"

# A label longer than this is shortened on the chart (the whole of it is in the table and tooltip); on a
# narrow screen the stylesheet shows the narrow version instead (without the stylesheet: the wide one).
WIDE_LABEL = 90
NARROW_LABEL = 38


@dataclass(frozen=True)
class Bar:
    """One row of a horizontal bar chart: `value` out of `of`, with the words written under it."""

    label: str
    value: int
    of: int
    words: str


def _svg(chart_id: str, title: str, description: str, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" width="100%" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        + "".join(body) + "</svg>"
    )


def _shorten(label: str, most: int) -> str:
    return label if len(label) <= most else label[:most - 1].rstrip() + "…"


def _pct(value: float) -> str:
    return f"{value:.2f}%"


def bar_chart(bars: list[Bar], *, chart_id: str, title: str) -> Markup:
    """Horizontal bars, one a row: the label above, the bar filled to value/of, the words below.

    A bar over its limit is drawn full, in red, and says so; a limit of 0 draws an empty track.
    """
    row = 62
    body = []
    for n, bar in enumerate(bars):
        top = n * row
        over = bar.value > bar.of
        share = 1 if over else bar.value / bar.of if bar.of > 0 else 0
        wide, narrow = _shorten(bar.label, WIDE_LABEL), _shorten(bar.label, NARROW_LABEL)
        tooltip = f"<title>{escape(bar.label)}</title>" if narrow != bar.label else ""
        label = f'<text x="0" y="{top + 16}" font-size="15" font-weight="600" fill="{INK}"'
        body.append(
            f'<g class="bar{" bar-over" if over else ""}">'
            f'{label} class="chart-label-wide">{tooltip}{escape(wide)}</text>'
            f'{label} class="chart-label-narrow" display="none">{tooltip}{escape(narrow)}</text>'
            f'<rect x="0" y="{top + 23}" width="100%" height="14" rx="3" fill="{TRACK}"/>'
            + (f'<rect x="0" y="{top + 23}" width="{_pct(share * 100)}" height="14" rx="3" '
               f'fill="{OVER if over else FILL}"/>' if share > 0 else "")
            + f'<text x="0" y="{top + 54}" font-size="13" fill="{MUTED}">{escape(bar.words)}</text></g>'
        )
    description = "; ".join(f"{bar.label}: {bar.words}" for bar in bars) + "." if bars else "Nothing to show."
    return _svg(chart_id, title, description, max(len(bars) * row, row), body)


def _step(top: int) -> int:
    """A round step (1, 2 or 5 times a power of ten) giving at most five gridlines up to `top`."""
    magnitude = 10 ** max(int(math.log10(max(top, 1))) - 1, 0)
    for factor in (1, 2, 5, 10, 20, 50, 100):
        step = factor * magnitude
        if top / step <= 5:
            return step
    return 100 * magnitude


def day_label(day: date) -> str:
    """"Apr 6": a short date for an axis."""
    return f"{day:%b} {day.day}"


def line_chart(points: list[tuple[date, int]], *, chart_id: str, title: str, what: str) -> Markup:
    """A line over days (one point a day, oldest first), with round gridlines and a few dates below.

    `what` names the value in the description ("registrations so far").
    """
    height, plot_top, plot_bottom = 230, 14, 190
    left, right = 9.0, 98.0  # percent of the width; the numbers of the gridlines sit left of `left`
    top_value = max((value for _, value in points), default=0)
    step = _step(top_value)
    ceiling = max(math.ceil(top_value / step) * step, step)

    def y(value: int) -> float:
        return plot_bottom - (plot_bottom - plot_top) * value / ceiling

    def x(index: int) -> float:
        return (left + right) / 2 if len(points) == 1 else left + (right - left) * index / (len(points) - 1)

    body = []
    for tick in range(0, ceiling + 1, step):
        body.append(f'<line x1="{_pct(left)}" x2="{_pct(right)}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                    f'stroke="{GRID}" stroke-width="1"/>'
                    f'<text x="{_pct(left - 1)}" y="{y(tick) + 4:.1f}" font-size="12" text-anchor="end" '
                    f'fill="{MUTED}">{tick}</text>')
    for (_, a), (_, b), n in zip(points, points[1:], range(len(points))):
        body.append(f'<line x1="{_pct(x(n))}" y1="{y(a):.1f}" x2="{_pct(x(n + 1))}" y2="{y(b):.1f}" '
                    f'stroke="{FILL}" stroke-width="3" stroke-linecap="round"/>')
    if len(points) <= 45:  # a dot a day while the dots stay apart
        body.extend(f'<circle cx="{_pct(x(n))}" cy="{y(value):.1f}" r="3.5" fill="{FILL}"/>'
                    for n, (_, value) in enumerate(points))
    if points:
        last = len(points) - 1
        anchor = "end" if len(points) > 1 else "middle"
        body.append(f'<text x="{_pct(x(last))}" y="{max(y(points[-1][1]) - 9, 11):.1f}" font-size="13" '
                    f'font-weight="600" text-anchor="{anchor}" fill="{INK}">{points[-1][1]}</text>')
    for n in _date_ticks(len(points)):
        anchor = "start" if n == 0 and len(points) > 1 else "end" if n == len(points) - 1 and n else "middle"
        body.append(f'<text x="{_pct(x(n))}" y="{plot_bottom + 22}" font-size="12" text-anchor="{anchor}" '
                    f'fill="{MUTED}">{day_label(points[n][0])}</text>')
    if points:
        description = (f"{what.capitalize()}: {points[0][1]} on {day_label(points[0][0])}"
                       + (f", {points[-1][1]} on {day_label(points[-1][0])}" if len(points) > 1 else "")
                       + f"; highest {top_value}.")
    else:
        description = "Nothing to show."
    return _svg(chart_id, title, description, height, body)


def _date_ticks(count: int, most: int = 5) -> list[int]:
    """Indexes of the days named under the axis: the first, the last and a few evenly between."""
    if count <= most:
        return list(range(count))
    return sorted({round(i * (count - 1) / (most - 1)) for i in range(most)})
