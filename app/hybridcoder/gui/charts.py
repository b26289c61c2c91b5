"""The dashboard's charts, behind one small adapter: the ONLY module that imports QtCharts.

Qt Charts is deprecated since Qt 6.10 (Qt Graphs replaces it, but only through QML in a widget
app), so everything chart-specific lives here: callers hand plain Python numbers to a
:class:`ChartPanel` (``show_stacked_bars``, ``show_grouped_bars``, ``show_line``,
``show_empty``) and never see a QtCharts type. Swapping the chart library touches this file only.

Never computes a figure: it draws what it is given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QEvent, QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QStackedLayout, QWidget

__all__ = ["ROUTE_COLORS", "ChartPanel"]

#: One colour per route everywhere in the app: local work green, cloud work blue.
ROUTE_COLORS = {"local": "#2e9e5b", "cloud": "#3b6fd4", "p50": "#5b8def", "p95": "#e0883a", "saved": "#2e9e5b"}


def _is_dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128


TICKS = 5
#: At most this many labels under a crowded axis.
MAX_LABELS = 5


def _label_format(high: float) -> str:
    """Whole numbers when the ticks are whole, else one or two decimals."""
    step = high / (TICKS - 1)
    if step >= 1 and step == int(step):
        return "%.0f"
    return "%.1f" if step * 10 == int(step * 10) else "%.2f"


def _sparse_axis(labels: Sequence[str], low: float, high: float) -> QCategoryAxis:
    """An x axis over positions 0..n-1 that writes every k-th label at its position."""
    axis = QCategoryAxis()
    axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    axis.setRange(low, high)
    every = max(1, -(-len(labels) // MAX_LABELS))
    for x in range(0, len(labels), every):
        axis.append(labels[x], float(x))
    axis.setGridLineVisible(False)
    return axis


def nice_top(value: float) -> float:
    """A round axis maximum a little above ``value`` whose quarters are round too (0, 50, 100, 150, 200)."""
    if value <= 0:
        return 1.0
    wanted = value * 1.05 / (TICKS - 1)
    magnitude = 10 ** math.floor(math.log10(wanted))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= wanted:
            return float(step * magnitude * (TICKS - 1))
    return float(10 * magnitude * (TICKS - 1))


class ChartPanel(QWidget):
    """One titled chart that can be redrawn with new numbers, or show a sentence instead."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self._chart = QChart()
        self._chart.setTitle(title)
        self._chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        # Room on the right for the last label of a line chart, which sits on the plot's edge.
        self._chart.setMargins(QMargins(4, 4, 14, 4))
        self._chart.setBackgroundRoundness(4)
        self._view = QChartView(self._chart)
        self._view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._view.setMinimumHeight(190)
        self._empty = QLabel()
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._empty.setMinimumHeight(190)
        self._empty.setObjectName("chartEmpty")
        self._stack = QStackedLayout(self)
        self._stack.setContentsMargins(0, 0, 0, 0)
        self._stack.addWidget(self._view)
        self._stack.addWidget(self._empty)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._series: QBarSeries | QStackedBarSeries | QLineSeries | None = None
        self._y_axis: QValueAxis | None = None
        self._shape: tuple[object, ...] = ()
        self._y_prefix = ""
        #: What is drawn now, for tests and screen readers: (series name, values) pairs.
        self.shown: list[tuple[str, list[float]]] = []
        self.categories: list[str] = []

    # -- drawing -------------------------------------------------------------------------
    def set_title(self, title: str) -> None:
        self.title = title
        self._chart.setTitle(title)

    def show_empty(self, message: str) -> None:
        self._clear()
        self._empty.setText(f"<b>{self.title}</b><br>{message}")
        self._stack.setCurrentWidget(self._empty)

    def show_stacked_bars(self, categories: Sequence[str], stacks: Sequence[tuple[str, Sequence[float]]],
                          y_title: str = "") -> None:
        top = max((sum(v) for v in zip(*(s for _, s in stacks), strict=True)), default=0.0)
        if not self._update_in_place("stacked", categories, stacks, y_title, top):
            self._bars("stacked", QStackedBarSeries(), categories, stacks, y_title, top)

    def show_grouped_bars(self, categories: Sequence[str], groups: Sequence[tuple[str, Sequence[float]]],
                          y_title: str = "") -> None:
        """Side-by-side bars, each with its value written above it (a short bar next to a tall one stays readable)."""
        top = max((max(values, default=0.0) for _, values in groups), default=0.0) * 1.12
        if self._update_in_place("grouped", categories, groups, y_title, top):
            return
        series = QBarSeries()
        series.setLabelsVisible(True)
        series.setLabelsPosition(QBarSeries.LabelsPosition.LabelsOutsideEnd)
        series.setLabelsPrecision(2)
        self._bars("grouped", series, categories, groups, y_title, top)

    def show_line(self, name: str, labels: Sequence[str], values: Sequence[float], y_title: str = "",
                  y_prefix: str = "") -> None:
        """One line over evenly spaced points; only a few of the labels are written under it."""
        if self._update_in_place("line", labels, [(name, values)], y_title + y_prefix, max(values, default=0.0)):
            return
        self._clear()
        series = QLineSeries()
        series.setName(name)
        for x, value in enumerate(values):
            series.append(float(x), float(value))
        self._chart.addSeries(series)
        x_axis = _sparse_axis(labels, 0.0, float(max(1, len(values) - 1)))
        y_axis = self._value_axis(max(values, default=0.0), y_title)
        y_axis.setLabelFormat(y_prefix + y_axis.labelFormat())
        self._y_prefix = y_prefix
        self._attach(series, x_axis, y_axis)
        self.shown = [(name, [float(v) for v in values])]
        self.categories = list(labels)
        self._chart.legend().setVisible(False)
        self._stack.setCurrentWidget(self._view)
        self._series, self._y_axis = series, y_axis
        self._shape = ("line", tuple(labels), (name,), y_title + y_prefix)

    def _update_in_place(self, kind: str, categories: Sequence[str], sets: Sequence[tuple[str, Sequence[float]]],
                         y_title: str, top: float) -> bool:
        """New numbers on the same axes: change the values only (a live refresh then costs almost nothing)."""
        shape = (kind, tuple(categories), tuple(name for name, _ in sets), y_title)
        if shape != self._shape or self._series is None or self._y_axis is None:
            return False
        new = [(name, [float(v) for v in values]) for name, values in sets]
        if new == self.shown:
            return True
        if isinstance(self._series, QLineSeries):
            self._series.replace([QPointF(float(x), v) for x, v in enumerate(new[0][1])])
        else:
            for bar_set, (_name, values) in zip(self._series.barSets(), new, strict=True):
                for i, value in enumerate(values):
                    if bar_set.at(i) != value:
                        bar_set.replace(i, value)
        high = nice_top(top)
        if self._y_axis.max() != high:
            self._y_axis.setRange(0.0, high)
            self._y_axis.setLabelFormat(self._y_prefix + _label_format(high))
        self.shown = new
        return True

    # -- helpers -------------------------------------------------------------------------
    def _bars(self, kind: str, series: QBarSeries | QStackedBarSeries, categories: Sequence[str],
              sets: Sequence[tuple[str, Sequence[float]]], y_title: str, top: float) -> None:
        self._clear()
        for name, values in sets:
            bar_set = QBarSet(name)
            bar_set.setColor(QColor(ROUTE_COLORS.get(name.split()[0].lower(), "#888888")))
            bar_set.setBorderColor(bar_set.color())
            for value in values:
                bar_set.append(float(value))
            series.append(bar_set)
        self._chart.addSeries(series)
        x_axis: QBarCategoryAxis | QCategoryAxis
        if len(categories) <= MAX_LABELS + 2:
            x_axis = QBarCategoryAxis()
            x_axis.append(list(categories))
        else:  # a month of days: label every few bars (every label would be cut to "…")
            x_axis = _sparse_axis(categories, -0.5, len(categories) - 0.5)
        self._attach(series, x_axis, self._value_axis(top, y_title))
        self.shown = [(name, [float(v) for v in values]) for name, values in sets]
        self.categories = list(categories)
        self._chart.legend().setVisible(True)
        self._stack.setCurrentWidget(self._view)
        self._series = series
        self._y_axis = next(a for a in self._chart.axes(Qt.Orientation.Vertical) if isinstance(a, QValueAxis))
        self._shape = (kind, tuple(categories), tuple(name for name, _ in sets), y_title)

    def _value_axis(self, top: float, title: str) -> QValueAxis:
        axis = QValueAxis()
        high = nice_top(top)
        axis.setRange(0.0, high)
        axis.setTickCount(TICKS)
        axis.setLabelFormat(_label_format(high))
        if title:
            axis.setTitleText(title)
        return axis

    def _attach(self, series: QBarSeries | QStackedBarSeries | QLineSeries, x_axis: QBarCategoryAxis | QCategoryAxis,
                y_axis: QValueAxis) -> None:
        self._chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        self._chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x_axis)
        series.attachAxis(y_axis)
        self._apply_theme()
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        for axis in (x_axis, y_axis):
            axis.setLabelsFont(small)
            axis.setTitleFont(small)
        # The theme resets colours: apply the route colours again.
        if isinstance(series, QLineSeries):
            pen = series.pen()
            pen.setWidth(3)
            pen.setColor(QColor(ROUTE_COLORS["saved"]))
            series.setPen(pen)
        else:
            for bar_set in series.barSets():
                color = QColor(ROUTE_COLORS.get(bar_set.label().split()[0].lower(), "#888888"))
                bar_set.setColor(color)
                bar_set.setBorderColor(color)
                bar_set.setLabelColor(self.palette().color(QPalette.ColorRole.WindowText))

    def _apply_theme(self) -> None:
        """Light or dark like the window; only when that changes (a theme change restyles the whole chart)."""
        theme = QChart.ChartTheme.ChartThemeDark if _is_dark(self) else QChart.ChartTheme.ChartThemeLight
        if self._chart.theme() != theme:
            self._chart.setTheme(theme)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._series is not None:
            self._shape = ()  # the next numbers rebuild the chart in the new colours
            self._apply_theme()

    def _clear(self) -> None:
        self._series = None
        self._y_axis = None
        self._shape = ()
        self._y_prefix = ""
        self._chart.removeAllSeries()
        for axis in self._chart.axes():
            self._chart.removeAxis(axis)
        self.shown = []
        self.categories = []
