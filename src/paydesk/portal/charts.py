"""The balance chart of the Payments page, drawn on the server as a small accessible SVG.

Written by hand: a step line over at most a few hundred points needs no charting library, and
the page must work without a front-end build or any script. Everything interpolated into the SVG
is escaped here; colours and fonts come from the stylesheet (CSS classes), never inline styles.
The High and Low labels sit at the left, on the axis side, just above the highest balance and just
under the lowest, each on a faint guide line at its level; the period's dates are under the plot.
The chart is as wide as its box and of a fixed height: only the lines stretch with the width (an
inner SVG), the text is drawn at the stylesheet's size in pixels, so a phone's narrow chart does
not shrink it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from paydesk.ledger.selectors import Statement
from paydesk.money import format_money

WIDTH, HEIGHT = 480, 206
LEFT, RIGHT, TOP, BOTTOM = 10, 470, 30, 158
# The labels' left and right edges, as shares of the chart's width (the lines' LEFT and RIGHT).
LEFT_EDGE, RIGHT_EDGE = (
    f"{Decimal(LEFT * 100) / WIDTH:.2f}%",
    f"{Decimal(RIGHT * 100) / WIDTH:.2f}%",
)


def _day(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


def balance_chart_svg(*, statement: Statement, currency: str, chart_id: str) -> SafeString:
    """A step chart of the balance from the period's opening to its closing balance."""
    points = list(statement.points)
    now = timezone.now()
    start = statement.start or (points[0][0] if points else None)
    # A period still running (or with no end) is drawn up to now, or its last payment if later.
    end = min(statement.end or now, max(now, points[-1][0] if points else now))
    opening, closing = statement.opening, statement.closing
    title = _("Balance over the period")
    # The period's last day: its end is exclusive (midnight after the last day chosen).
    last_day = _day(end - timedelta(microseconds=1) if statement.end is not None else end)
    series: list[tuple[datetime, Decimal]] = []
    if start is not None:
        series.append((start, opening))
    series.extend(points)
    series.append((end, closing))
    values = [balance for _moment, balance in series]
    # The lowest and highest running balance of the period, exact even when the chart samples.
    low = min(values) if statement.low is None else min(statement.low, *values)
    high = max(values) if statement.high is None else max(statement.high, *values)
    description = _(
        "Opening balance %(opening)s, closing balance %(closing)s, lowest %(low)s, highest "
        "%(high)s."
    ) % {
        "opening": format_money(opening, currency),
        "closing": format_money(closing, currency),
        "low": format_money(low, currency),
        "high": format_money(high, currency),
    }
    if start is not None:
        description = (
            _("From %(start)s to %(end)s: ")
            % {
                "start": _day(start),
                "end": last_day,
            }
            + description
        )

    t0, t1 = series[0][0], series[-1][0]
    span = (t1 - t0).total_seconds() or 1.0
    # The vertical axis fits the data (not forced from zero), with a little room around it.
    margin = (high - low) / 20 or max(abs(high) / 20, Decimal(1))
    bottom, top = low - margin, high + margin
    spread = top - bottom

    def x(moment: datetime) -> str:
        share = (moment - t0).total_seconds() / span
        return f"{LEFT + (RIGHT - LEFT) * min(max(share, 0.0), 1.0):.1f}"

    def y(balance: Decimal) -> str:
        # The one place money meets a pixel: the exact ratio is taken, then made a coordinate.
        share = (balance - bottom) / spread
        return f"{BOTTOM - (BOTTOM - TOP) * share:.1f}"

    path = [f"M{x(series[0][0])},{y(series[0][1])}"]
    for moment, balance in series[1:]:
        path.append(f"H{x(moment)}V{y(balance)}")
    parts = [
        format_html(
            '<svg class="chart" width="100%" height="{}" role="img"'
            ' aria-labelledby="{}-title {}-desc" xmlns="http://www.w3.org/2000/svg">',
            HEIGHT,
            chart_id,
            chart_id,
        ),
        format_html('<title id="{}-title">{}</title>', chart_id, title),
        format_html('<desc id="{}-desc">{}</desc>', chart_id, description),
        # The lines, stretched to the chart's width (their strokes are not: the stylesheet).
        format_html(
            '<svg width="100%" height="{}" viewBox="0 0 {} {}" preserveAspectRatio="none">',
            HEIGHT,
            WIDTH,
            HEIGHT,
        ),
        # The zero line, only where zero is within the axis.
        format_html(
            '<line class="chart-axis" x1="{}" x2="{}" y1="{}" y2="{}"/>',
            LEFT,
            RIGHT,
            y(Decimal(0)),
            y(Decimal(0)),
        )
        if bottom <= 0 <= top
        else "",
        format_html(
            '<line class="chart-guide" x1="{}" x2="{}" y1="{}" y2="{}"/>',
            LEFT,
            RIGHT,
            y(high),
            y(high),
        ),
        format_html(
            '<line class="chart-guide" x1="{}" x2="{}" y1="{}" y2="{}"/>',
            LEFT,
            RIGHT,
            y(low),
            y(low),
        ),
        format_html('<path class="chart-line" d="{}"/>', "".join(path)),
        "</svg>",
        format_html(
            '<text class="chart-label chart-high" x="{}" y="{}">{}</text>',
            LEFT_EDGE,
            f"{Decimal(y(high)) - 6:.1f}",
            _("High %(amount)s") % {"amount": format_money(high, currency)},
        ),
        format_html(
            '<text class="chart-label chart-low" x="{}" y="{}">{}</text>',
            LEFT_EDGE,
            f"{Decimal(y(low)) + 18:.1f}",
            _("Low %(amount)s") % {"amount": format_money(low, currency)},
        ),
        format_html(
            '<text class="chart-label" x="{}" y="{}">{}</text>', LEFT_EDGE, HEIGHT - 8, _day(t0)
        ),
        format_html(
            '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>',
            RIGHT_EDGE,
            HEIGHT - 8,
            last_day,
        ),
        "</svg>",
    ]
    return mark_safe("".join(parts))  # every part above is a format_html result or a literal
