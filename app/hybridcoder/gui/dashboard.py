"""The live dashboard: how much stayed local, how fast, what the cloud cost, what was saved.

Every number comes from :func:`~hybridcoder.analytics.compute_figures` (the same call
``hybridcoder stats`` makes), the recent requests from the ledger and from the running proxy's
memory (``ProxyControl.recent_requests()``); this module only lays them out and formats them.
All reading happens in a worker (``workers.submit``) every few seconds while the view is
visible; results come back as signals. "Ask the cloud instead" calls
``ProxyControl.ask_cloud_instead`` in a worker and shows both answers in a
:class:`~hybridcoder.gui.compare_dialog.CompareDialog`.

Never computes a figure and never blocks the event loop.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from hybridcoder.analytics import Figures, compute_figures
from hybridcoder.analytics.recent import RecentRow, recent_rows
from hybridcoder.analytics.report import SeriesPoint
from hybridcoder.gui.charts import ChartPanel
from hybridcoder.gui.compare_dialog import CompareDialog
from hybridcoder.gui.recent_requests import RecentRequestsPanel
from hybridcoder.gui.workers import submit
from hybridcoder.settings import Settings

__all__ = ["PERIODS", "REFRESH_MS", "DashboardData", "DashboardView", "load_dashboard"]

log = logging.getLogger(__name__)

#: (word for compute_figures, label) — the same words as ``hybridcoder stats --since``.
PERIODS = (("today", "Today"), ("7d", "Last 7 days"), ("30d", "Last 30 days"))
#: How often a visible dashboard re-reads the ledger.
REFRESH_MS = 3000
RECENT_LIMIT = 200
#: A whole new table is filled this many rows per event-loop turn.
ROWS_PER_STEP = 40
#: Today's hourly chart starts here unless requests came earlier (a 24-bar chart is mostly empty night).
WORKDAY_START_HOUR = 8
EMPTY_TEXT = ("No requests in this period yet. Once Continue, Cline or Aider send requests through "
              "Hybrid Coder, they show up here within a few seconds.")


#: One piece of a refresh, run on the UI thread between other events; may return more pieces.
Step = Callable[[], "list[Step] | None"]


class DashboardControl(Protocol):
    """The part of ``hybridcoder.proxy.control.ProxyControl`` the dashboard uses."""

    def recent_requests(self, limit: int = 50) -> list[Any]: ...

    def ask_cloud_instead(self, request_id: str, timeout: float = 120.0) -> Any: ...


@dataclass(frozen=True)
class DashboardData:
    """One refresh's worth of numbers, read in a worker."""

    period: str
    figures: Figures
    rows: list[RecentRow]
    askable: set[str] = field(default_factory=set)


def load_dashboard(ledger_path: Path, period: str, settings: Settings | None = None,
                   control: DashboardControl | None = None) -> DashboardData:
    """Read figures and recent rows (blocking: disk and SQLite; runs in a worker)."""
    settings = settings or Settings.load()
    figures = compute_figures(ledger_path, settings, period)
    rows = recent_rows(ledger_path, settings, limit=RECENT_LIMIT, since=figures.period.since)
    askable: set[str] = set()
    if control is not None:
        try:
            in_memory = control.recent_requests(limit=50)
        except Exception:  # a stopping proxy must not blank the figures
            log.warning("recent requests from the running proxy unavailable", exc_info=True)
            in_memory = []
        known = {row.request_id for row in rows}
        for item in in_memory:
            if item.can_ask_cloud and item.route == "local":
                askable.add(str(item.request_id))
            moment = datetime.fromtimestamp(float(item.time))
            if str(item.request_id) not in known and moment >= figures.period.since:
                # Answered, but the ledger writer has not stored it yet.
                rows.append(RecentRow(
                    request_id=str(item.request_id), time=moment, client=item.client, kind=item.kind,
                    route=item.route, model=item.model, reason=item.reason, latency_ms=item.latency_ms,
                    tokens=int(item.tokens),
                    cost_usd=item.cost_usd if item.route == "cloud" else (item.cost_usd or 0.0)))
        rows.sort(key=lambda row: row.time, reverse=True)
        del rows[RECENT_LIMIT:]
    return DashboardData(period=period, figures=figures, rows=rows, askable=askable)


# -- formatting (words and units only; the numbers are compute_figures') -----------------------
def percent(share: float) -> str:
    return f"{share:.1%}"


def usd(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.2f}" if abs(value) >= 0.01 or value == 0 else f"${value:.4f}"


def count(value: int) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:,}"


def duration(ms: float | None) -> str:
    if ms is None:
        return "—"
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms"


class Tile(QFrame):
    """A caption, one big number and a line of detail; the number shrinks to fit a narrow tile."""

    VALUE_SCALE = 1.8

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("dashboardTile")
        self.caption = QLabel(caption)
        self.value = QLabel("—")
        self.detail = QLabel("")
        base = QFont(self.value.font())
        self._value_points = max(base.pointSizeF(), 9.0) * self.VALUE_SCALE
        self.detail.setWordWrap(True)
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)
        layout.addStretch(1)
        self.setMinimumWidth(130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._fit()

    def show_value(self, value: str, detail: str) -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        self.setAccessibleName(f"{self.caption.text()}: {value}. {detail}")
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """The largest bold font up to VALUE_SCALE× the normal size at which the value fits the tile."""
        room = max(40, self.contentsRect().width() - 26)
        font = QFont(self.value.font())
        font.setBold(True)
        points = self._value_points
        while points > 9.0:
            font.setPointSizeF(points)
            if QFontMetrics(font).horizontalAdvance(self.value.text()) <= room:
                break
            points -= 0.5
        font.setPointSizeF(points)
        if font != self.value.font():
            self.value.setFont(font)


class DashboardView(QWidget):
    """Tiles, three charts and the recent requests for today, 7 or 30 days; refreshes itself while shown."""

    #: Emitted on the UI thread after new data is on screen.
    refreshed = Signal()
    #: Emitted with the comparison once both answers are shown.
    comparison_shown = Signal(object)

    def __init__(self, ledger_path: Path, control: DashboardControl | None = None, parent: QWidget | None = None,
                 *, settings: Settings | None = None) -> None:
        super().__init__(parent)
        self.ledger_path = Path(ledger_path)
        self.control = control
        self.settings = settings
        self.figures: Figures | None = None
        self.data: DashboardData | None = None
        self.compare_dialogs: list[CompareDialog] = []
        self._loading = False
        self._again = False
        self._asking: str | None = None
        self._shown = 0  # which refresh is on screen (a newer one makes older steps stop)

        self.period_box = QComboBox()
        for word, label in PERIODS:
            self.period_box.addItem(label, word)
        self.period_box.setCurrentIndex(1)
        self.period_box.setAccessibleName("Period")
        self.period_box.currentIndexChanged.connect(lambda _i: self.refresh())
        heading = QLabel("Dashboard")
        heading_font = QFont(heading.font())
        heading_font.setPointSizeF(max(heading_font.pointSizeF(), 9.0) * 1.4)
        heading_font.setBold(True)
        heading.setFont(heading_font)
        self.updated_label = QLabel("Loading…")
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.updated_label)
        period_label = QLabel("&Period:")
        period_label.setBuddy(self.period_box)
        top.addWidget(period_label)
        top.addWidget(self.period_box)

        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        self.banner.setObjectName("dashboardBanner")
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setVisible(False)

        self.tiles = {
            "local_requests": Tile("Requests answered locally"),
            "local_tokens": Tile("Tokens handled locally"),
            "latency": Tile("Median latency"),
            "spend": Tile("Cloud spend"),
            "saved": Tile("Money saved"),
        }
        tiles = QGridLayout()
        tiles.setSpacing(8)
        self._tiles_grid = tiles

        self.requests_chart = ChartPanel("Requests per day")
        self.latency_chart = ChartPanel("Latency per route (whole answer)")
        self.savings_chart = ChartPanel("Money saved, cumulative")
        charts = QGridLayout()
        charts.setSpacing(8)
        self._charts_grid = charts
        for chart in (self.requests_chart, self.latency_chart, self.savings_chart):
            chart.setMinimumWidth(240)
        self._columns = (0, 0)
        self._reflow(1200)

        self.recent = RecentRequestsPanel()
        self.recent.ask_cloud_requested.connect(self.ask_cloud_instead)

        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(12, 12, 12, 12)
        body.setSpacing(10)
        body.addLayout(top)
        body.addWidget(self.banner)
        body.addLayout(tiles)
        body.addLayout(charts, 3)
        body.addWidget(self.recent, 4)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self._show_empty_charts(EMPTY_TEXT)

    # -- public --------------------------------------------------------------------------
    @property
    def period(self) -> str:
        return str(self.period_box.currentData())

    def set_period(self, word: str) -> None:
        """Choose "today", "7d" or "30d" (what the selector does)."""
        words = [w for w, _ in PERIODS]
        if word not in words:
            raise ValueError(f"unknown period {word!r}; use one of {', '.join(words)}")
        self.period_box.setCurrentIndex(words.index(word))

    def set_control(self, control: DashboardControl | None) -> None:
        """The running proxy's control (None while it is stopped); used from the next refresh on."""
        self.control = control
        self.refresh()

    def refresh(self) -> None:
        """Read the ledger again in a worker; a refresh asked for while one runs follows it."""
        if self._loading:
            self._again = True
            return
        self._loading = True
        self._again = False
        path, period, settings, control = self.ledger_path, self.period, self.settings, self.control
        submit(lambda: load_dashboard(path, period, settings, control), self._loaded, self._failed)

    # -- showing data --------------------------------------------------------------------
    def _loaded(self, data: DashboardData) -> None:
        self._loading = False
        if data.period != self.period or self._again:
            self.refresh()
            if data.period != self.period:
                return
        self.data = data
        self.figures = data.figures
        self._shown += 1
        shown = self._shown
        # The screen is updated in three short steps with the event loop running in between, so a
        # refresh never holds the UI thread for long (scripts/heartbeat_ui.py measures it).
        self._show_tiles(data.figures)
        messages = list(data.figures.warnings)
        if data.figures.requests == 0:
            messages.insert(0, EMPTY_TEXT)
        self._show_banner(messages)
        self.updated_label.setText(f"Updated {data.figures.generated_at:%H:%M:%S}")
        def rows() -> list[Step]:
            """The table: new rows on top in one go; a whole new list in slices (the first fill, a new period)."""
            if self.recent.model.grows_into(data.rows) or len(data.rows) <= ROWS_PER_STEP:
                self.recent.set_rows(data.rows, data.askable)
                return []
            self.recent.set_rows(data.rows[:ROWS_PER_STEP], data.askable)
            return [functools.partial(self.recent.extend_rows, data.rows[i:i + ROWS_PER_STEP])
                    for i in range(ROWS_PER_STEP, len(data.rows), ROWS_PER_STEP)]

        steps: list[Step] = [*self._chart_steps(data.figures), rows, self.refreshed.emit]
        QTimer.singleShot(0, self, lambda: self._next_step(shown, steps))

    def _next_step(self, shown: int, steps: list[Step]) -> None:
        """One piece of a refresh per event-loop turn; a newer refresh makes the rest of an older one stop.

        A step may return more steps, which run next.
        """
        if shown != self._shown or not steps:
            return
        more = steps[0]()
        rest = [*(more if isinstance(more, list) else []), *steps[1:]]
        if rest:
            QTimer.singleShot(0, self, lambda: self._next_step(shown, rest))

    def _failed(self, message: str) -> None:
        self._loading = False
        self._show_banner([message], error=True)
        if self._again:
            self.refresh()

    def _show_banner(self, messages: list[str], *, error: bool = False) -> None:
        self.banner.setText("\n".join(messages))
        self.banner.setVisible(bool(messages))
        self.banner.setProperty("error", error)

    def _show_tiles(self, f: Figures) -> None:
        local = f.route("local")
        empty = f.requests == 0
        if empty:
            for tile in self.tiles.values():
                tile.show_value("—", "No requests yet")
            return
        self.tiles["local_requests"].show_value(
            percent(local.request_share), f"{local.requests:,} of {f.requests:,} requests")
        self.tiles["local_tokens"].show_value(
            percent(local.token_share), f"{count(local.tokens)} of {count(f.tokens)} tokens")
        latency = {item.route: item for item in f.latency if item.kind == "all"}
        lo, cl = latency.get("local"), latency.get("cloud")
        self.tiles["latency"].show_value(
            f"{duration(lo.total_p50_ms if lo else None)} · {duration(cl.total_p50_ms if cl else None)}",
            f"local · cloud; first token {duration(lo.ttft_p50_ms if lo else None)} · "
            f"{duration(cl.ttft_p50_ms if cl else None)}")
        s = f.spend
        spend_detail = f"{s.priced_requests:,} priced cloud requests"
        if s.unpriced_requests:
            spend_detail += f"; {s.unpriced_requests:,} with unknown price not counted"
        if s.plan_requests:
            spend_detail += f"; {s.plan_requests:,} on a flat plan"
        self.tiles["spend"].show_value(usd(s.usd), spend_detail)
        sv = f.savings
        if sv.list_price_usd is None:
            self.tiles["saved"].show_value("—", sv.note)
        else:
            self.tiles["saved"].show_value(
                usd(sv.list_price_usd),
                f"cache-adjusted {usd(sv.cache_adjusted_usd)}; list price of {sv.reference_model}")
        self.tiles["saved"].setToolTip(f"{sv.list_label}: {usd(sv.list_price_usd)}. {sv.assumption}")

    def _show_empty_charts(self, message: str) -> None:
        for chart in (self.requests_chart, self.latency_chart, self.savings_chart):
            chart.show_empty(message)

    def _show_charts(self, f: Figures) -> None:
        """All three charts at once (the refresh itself draws them one per event-loop turn)."""
        for step in self._chart_steps(f):
            step()

    def _chart_steps(self, f: Figures) -> list[Step]:
        if f.requests == 0:
            return [lambda: self._show_empty_charts("No requests in this period yet.")]
        hourly = f.period.label == "today"
        slots = _slots(f, hourly)
        labels = [_slot_label(moment, hourly, len(slots)) for moment, _ in slots]

        def requests() -> None:
            self.requests_chart.set_title("Requests per hour" if hourly else "Requests per day")
            self.requests_chart.show_stacked_bars(labels, [
                ("Local", [p.local_requests if p else 0 for _, p in slots]),
                ("Cloud", [p.cloud_requests if p else 0 for _, p in slots]),
            ], "requests")

        def latency() -> None:
            items = sorted((item for item in f.latency if item.kind == "all"), key=lambda i: i.route != "local")
            if not items:
                self.latency_chart.show_empty("No latency recorded in this period.")
                return
            # Seconds once answers take several seconds, so the axis labels stay short.
            scale, unit = (1000.0, "seconds") if max(i.total_p95_ms or 0.0 for i in items) >= 5000 else (1.0, "ms")
            self.latency_chart.show_grouped_bars([item.route.capitalize() for item in items], [
                ("p50", [(item.total_p50_ms or 0.0) / scale for item in items]),
                ("p95", [(item.total_p95_ms or 0.0) / scale for item in items]),
            ], unit)

        def savings() -> None:
            if f.savings.list_price_usd is None:
                self.savings_chart.show_empty(f.savings.note)
                return
            saved = list(accumulate(p.saved_list_usd if p else 0.0 for _, p in slots))
            self.savings_chart.show_line("Saved (list price)", labels, saved, "saved at list price", "$")

        return [requests, latency, savings]

    # -- ask the cloud instead -----------------------------------------------------------
    def ask_cloud_instead(self, request_id: str) -> None:
        """Re-send a local request to the cloud in a worker and show both answers side by side."""
        control = self.control
        if control is None:
            self._show_banner(["The proxy is not running, so the request cannot be re-sent; start it and try again."],
                              error=True)
            return
        if self._asking is not None:
            return
        self._asking = request_id
        self.recent.ask_button.setEnabled(False)
        self.recent.status.setText("Asking the cloud… (this can take a little while)")
        submit(lambda: control.ask_cloud_instead(request_id), self._compared, self._compare_failed)

    def _compared(self, comparison: Any) -> None:
        request_id, self._asking = self._asking, None
        row = next((r for r in (self.data.rows if self.data else []) if r.request_id == request_id), None)
        dialog = CompareDialog(comparison, row, self)
        self.compare_dialogs.append(dialog)
        dialog.finished.connect(lambda _code: self._forget_dialog(dialog))
        dialog.show()
        self.recent.status.setText("")
        self.recent.set_rows(self.recent.model.rows, self.recent.model.askable)
        self.comparison_shown.emit(comparison)
        self.refresh()

    def _compare_failed(self, message: str) -> None:
        self._asking = None
        self.recent.status.setText(message)
        self.recent.set_rows(self.recent.model.rows, self.recent.model.askable)

    def _forget_dialog(self, dialog: CompareDialog) -> None:
        if dialog in self.compare_dialogs:
            self.compare_dialogs.remove(dialog)
        dialog.deleteLater()

    # -- layout ----------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._reflow(event.size().width())

    def _reflow(self, width: int) -> None:
        """Five tiles and three charts in a row on a wide window; fewer per row on a narrow one,
        so nothing is cut off or needs sideways scrolling at the main window's minimum size."""
        columns = (5 if width >= 900 else 3 if width >= 540 else 2, 3 if width >= 900 else 2 if width >= 540 else 1)
        if columns == self._columns:
            return
        self._columns = columns
        _place(self._tiles_grid, list(self.tiles.values()), columns[0])
        _place(self._charts_grid, [self.requests_chart, self.latency_chart, self.savings_chart], columns[1])

    # -- live refresh while visible -------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.timer.start()
        self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.timer.stop()


def _place(grid: QGridLayout, widgets: list[QWidget], columns: int) -> None:
    """Lay ``widgets`` out left to right in ``columns`` equal columns; a last row's single widget spans it."""
    for widget in widgets:
        grid.removeWidget(widget)
    for column in range(grid.columnCount()):
        grid.setColumnStretch(column, 0)
    for index, widget in enumerate(widgets):
        row, column = divmod(index, columns)
        last_alone = index == len(widgets) - 1 and column == 0 and index > 0
        grid.addWidget(widget, row, column, 1, columns if last_alone else 1)
    for column in range(columns):
        grid.setColumnStretch(column, 1)


def _slot_label(moment: datetime, hourly: bool, slots: int) -> str:
    if hourly:
        return f"{moment:%H}:00"
    # Two-letter weekdays fit under a bar even in a narrow window; a month is labelled sparsely by date.
    return f"{moment:%a}"[:2] if slots <= 7 else f"{moment:%b %d}"


def _slots(f: Figures, hourly: bool) -> list[tuple[datetime, SeriesPoint | None]]:
    """Every day of the period, or every hour of today from the working day's start (or the first
    request, when earlier), with the series point for it when there is one."""
    points = f.hourly if hourly else f.daily
    step = timedelta(hours=1) if hourly else timedelta(days=1)
    by_start = {p.start.replace(minute=0, second=0, microsecond=0) if hourly
                else p.start.replace(hour=0, minute=0, second=0, microsecond=0): p for p in points}
    out: list[tuple[datetime, SeriesPoint | None]] = []
    moment = f.period.since
    if hourly:
        first = min((k for k, p in by_start.items() if p.local_requests or p.cloud_requests), default=moment)
        moment = max(moment, min(first, moment + timedelta(hours=WORKDAY_START_HOUR)))
    end = min(f.period.until, f.generated_at) if hourly else f.period.until
    while moment < end and len(out) < 24 * 32:
        out.append((moment, by_start.get(moment)))
        moment += step
    return out
