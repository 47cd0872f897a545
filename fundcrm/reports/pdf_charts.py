"""The report's charts (fundcrm.reports.model.Chart) as reportlab drawings, each drawn from
`chart.series()` alone, so its figures are its table's: money in 万元, shares in percent.

Every string is set in the embedded CJK font; every drawing is as wide as the page's text.
`figures` says what a chart draws, and tests compare it, and the drawn data, with the table.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.attrmap import AttrMap, AttrMapValue
from reportlab.lib.units import mm
from reportlab.lib.validators import isBoolean
from reportlab.pdfbase.pdfmetrics import stringWidth

from fundcrm.domain.money import WAN
from fundcrm.i18n import format_number, format_wan
from fundcrm.pdf import FONT, INK, MUTED, PAGE_WIDTH, RULE, fit
from fundcrm.reports.model import Chart

PALETTE = [colors.HexColor(c) for c in (
    "#2f6fb5", "#e08a2c", "#3a9d6a", "#c4455a", "#7d5fb2", "#2aa3b8", "#b8a038", "#8a6d5a",
    "#5d7a99", "#d97aa6",
)]  # fmt: skip
SIZE = 8  # points, every label
BAR = 10  # points, one series' bar
MAX_PLOT = 150 * mm  # the tallest a chart's plot grows (it stays on one page)


class Figure(Drawing):
    """A drawing in the embedded font that may keep with the flowable after it (its note)."""

    _attrMap = AttrMap(BASE=Drawing, keepWithNext=AttrMapValue(isBoolean))

    def __init__(self, width: float, height: float):
        super().__init__(width, height, initialFontName=FONT, initialFontSize=SIZE)


def kind_of(chart: Chart, key: str) -> str:
    return chart.table.columns[chart.table.column(key)].kind


def drawn(value, kind: str) -> float:
    """A cell as a drawn length: 万元 for money, percent for a share (geometry only; the
    figure itself is the table's exact value)."""
    if value is None:
        return 0.0
    if kind == "money":
        return float(Decimal(value) / WAN)
    if kind == "share":
        return float(Decimal(value) * 100)
    return float(value)


def figures(chart: Chart) -> tuple[list, list[list[float]]]:
    """What the chart draws: its categories and each series in the drawn unit."""
    categories, series = chart.series()
    drawn_series = [
        [drawn(v, kind_of(chart, key)) for v in values]
        for key, values in zip(chart.values, series, strict=True)
    ]
    return categories, drawn_series


def unit(kind: str) -> str:
    return {"money": _("万元"), "share": "%", "pct": "%"}.get(kind, "")


def _rounded(value, places: str) -> Decimal:
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def value_text(value, kind: str) -> str:
    """A figure as the report prints it, in tables and on bars: money in 万元 to two places,
    a share "12.3%", a percent "12.50%", a multiple "1.23×" ("—" for no value)."""
    if value is None:
        return "—"
    if kind == "money":
        return format_wan(value)
    if kind == "share":
        return f"{_rounded(value * 100, '0.1')}%"
    if kind == "pct":
        return f"{_rounded(value, '0.01')}%"
    if kind == "multiple":
        return f"{_rounded(value, '0.01')}×"
    if kind == "int":
        return format_number(value)
    return str(value)


def axis_text(value: float, kind: str) -> str:
    """A tick on a value axis: grouped, no trailing zeros."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}%" if kind in ("share", "pct") else text


def category_text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def drawing(chart: Chart) -> Figure | None:
    """The chart as a drawing (its plot as `.plot`), None when it has nothing to draw."""
    categories, series = figures(chart)
    if not categories or not any(any(v for v in s) for s in series):
        return None
    make = {"pie": _pie, "bar": _bar, "funnel": _funnel, "line": _line}[chart.kind]
    made = make(chart, categories, series)
    made.hAlign = "CENTER"  # margin to margin, as the tables
    return made


def _legend(pairs: list, x: float, y: float, columns: int = 1, room: float = PAGE_WIDTH):
    legend = Legend()
    legend.fontName, legend.fontSize, legend.fillColor = FONT, SIZE, INK
    legend.x, legend.y, legend.dx, legend.dy = x, y, 7, 7
    legend.deltay, legend.boxAnchor, legend.alignment = SIZE + 5, "nw", "right"
    legend.columnMaximum = max(1, -(-len(pairs) // columns))
    per = room / columns - 20
    names = [fit(name, per, SIZE) for _colour, name in pairs]
    legend.deltax = min(room / columns, max(stringWidth(n, FONT, SIZE) for n in names) + 30)
    legend.colorNamePairs = [(colour, n) for (colour, _n), n in zip(pairs, names, strict=True)]
    legend.strokeColor = None
    return legend


def _pie(chart: Chart, categories: list, series: list) -> Figure:
    values = [max(v, 0.0) for v in series[0]]
    exact = [max(Decimal(v or 0), Decimal(0)) for v in chart.series()[1][0]]
    whole = sum(exact) or Decimal(1)
    kind = kind_of(chart, chart.values[0])
    rows = len(categories)
    diameter = 48 * mm
    height = max(diameter + 8 * mm, rows * (SIZE + 5) + 8 * mm)
    figure = Figure(PAGE_WIDTH, height)
    pie = Pie()
    pie.x, pie.y = 4 * mm, (height - diameter) / 2
    pie.width = pie.height = diameter
    pie.data = values
    pie.labels = None
    pie.slices.strokeColor, pie.slices.strokeWidth = colors.white, 0.8
    for i in range(rows):
        pie.slices[i].fillColor = PALETTE[i % len(PALETTE)]
    figure.add(pie, name="plot")
    pairs = [
        (PALETTE[i % len(PALETTE)],
         f"{category_text(c)}  {value_text(exact[i], kind)} {unit(kind)}  "
         f"{value_text(exact[i] / whole, 'share')}")
        for i, c in enumerate(categories)
    ]  # fmt: skip
    left = diameter + 14 * mm
    figure.add(_legend(pairs, left, height - 4 * mm, room=PAGE_WIDTH - left), name="legend")
    return figure


def _bars(chart: Chart, categories: list, series: list, reach: float) -> Figure:
    """Horizontal bars, the first row on top, a category per row; `reach` the legend's room."""
    kind = kind_of(chart, chart.values[0])
    group = min(len(series) * BAR + 8, MAX_PLOT / len(categories))  # many rows: thinner bars
    size = max(5.0, min(SIZE, group - 2))
    names = [fit(category_text(c), PAGE_WIDTH * 0.3, size) for c in categories]
    label_room = max(stringWidth(n, FONT, size) for n in names) + 6
    plot_height = len(categories) * group
    height = plot_height + 12 * mm + reach
    figure = Figure(PAGE_WIDTH, height)
    bars = HorizontalBarChart()
    bars.x, bars.y = label_room, reach + 8 * mm
    bars.width, bars.height = PAGE_WIDTH - label_room - 16 * mm, plot_height
    bars.data = series
    bars.categoryAxis.categoryNames = names
    bars.categoryAxis.reverseDirection = 1
    bars.categoryAxis.labels.fontName = bars.valueAxis.labels.fontName = FONT
    bars.categoryAxis.labels.fontSize, bars.valueAxis.labels.fontSize = size, SIZE
    bars.categoryAxis.labels.boxAnchor, bars.categoryAxis.labels.dx = "e", -3
    bars.categoryAxis.strokeColor = bars.valueAxis.strokeColor = RULE
    bars.valueAxis.valueMin = min(0.0, *(v for s in series for v in s))
    bars.valueAxis.labelTextFormat = lambda v: axis_text(v, kind)
    bars.valueAxis.visibleGrid, bars.valueAxis.gridStrokeColor = 1, RULE
    bars.barWidth, bars.groupSpacing, bars.barSpacing = (group * 0.75) / len(series), group / 4, 0
    bars.barLabelFormat = "values"
    exact = chart.series()[1][: len(series)]
    bars.barLabelArray = [[value_text(v, kind) for v in values] for values in exact]
    bars.barLabels.fontName = FONT
    bars.barLabels.fontSize = max(4.5, min(SIZE - 1, bars.barWidth))
    bars.barLabels.boxAnchor, bars.barLabels.dx = "w", 2
    bars.barLabels.fillColor = INK
    bars.bars.strokeColor = None
    for i in range(len(series)):
        bars.bars[i].fillColor = PALETTE[i % len(PALETTE)]
    figure.add(bars, name="plot")
    figure.add(String(PAGE_WIDTH, reach + 1.5 * mm, unit(kind), fontName=FONT, fontSize=SIZE,
                      fillColor=MUTED, textAnchor="end"))  # fmt: skip
    return figure


def _series_names(chart: Chart) -> list[str]:
    return [chart.table.columns[chart.table.column(k)].label for k in chart.values]


def _bar(chart: Chart, categories: list, series: list) -> Figure:
    several = len(series) > 1
    figure = _bars(chart, categories, series, 7 * mm if several else 0)
    if several:
        pairs = [(PALETTE[i % len(PALETTE)], n) for i, n in enumerate(_series_names(chart))]
        figure.add(_legend(pairs, 0, 5 * mm, columns=min(len(pairs), 4)), name="legend")
    return figure


def _funnel(chart: Chart, categories: list, series: list) -> Figure:
    """The stages' bars in the rows' order, widest first, shaded darker down the funnel."""
    figure = _bars(chart, categories, series[:1], 0)
    bars = figure.plot
    for i in range(len(categories)):
        bars.bars[(0, i)].fillColor = PALETTE[0].clone(alpha=1 - 0.5 * i / len(categories))
    return figure


def _line(chart: Chart, categories: list, series: list) -> Figure:
    """A line per series over the dates of the label column."""
    kind = kind_of(chart, chart.values[0])
    points = [(c.toordinal(), i) for i, c in enumerate(categories) if c is not None]
    days = [d for d, _i in points]
    reach, plot_height = 7 * mm, 55 * mm
    figure = Figure(PAGE_WIDTH, plot_height + 14 * mm + reach)
    plot = LinePlot()
    left = 16 * mm
    plot.x, plot.y = left, reach + 9 * mm
    plot.width, plot.height = PAGE_WIDTH - left - 12 * mm, plot_height
    plot.data = [[(d, s[i]) for d, i in points] for s in series]
    first, last = min(days), max(days)
    if first == last:
        first, last = first - 15, last + 15
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = first, last
    steps = sorted(set(days))
    every = -(-len(steps) // 6)  # at most about six dates along the axis, the last one included
    plot.xValueAxis.valueSteps = steps[::-1][::every][::-1]
    plot.xValueAxis.labelTextFormat = lambda d: date.fromordinal(int(d)).isoformat()
    plot.yValueAxis.valueMin = min(0.0, *(v for s in series for v in s))
    plot.yValueAxis.labelTextFormat = lambda v: axis_text(v, kind)
    plot.yValueAxis.visibleGrid, plot.yValueAxis.gridStrokeColor = 1, RULE
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName, axis.labels.fontSize, axis.strokeColor = FONT, SIZE, RULE
    for i in range(len(series)):
        plot.lines[i].strokeColor = PALETTE[i % len(PALETTE)]
        plot.lines[i].strokeWidth = 1.5
        plot.lines[i].symbol = makeMarker("FilledCircle", size=4,
                                          fillColor=PALETTE[i % len(PALETTE)])  # fmt: skip
    figure.add(plot, name="plot")
    figure.add(String(0, plot.y + plot_height + 3 * mm, unit(kind), fontName=FONT,
                      fontSize=SIZE, fillColor=MUTED))  # fmt: skip
    pairs = [(PALETTE[i % len(PALETTE)], n) for i, n in enumerate(_series_names(chart))]
    figure.add(_legend(pairs, left, reach - 1 * mm, columns=min(len(pairs), 4)), name="legend")
    return figure
