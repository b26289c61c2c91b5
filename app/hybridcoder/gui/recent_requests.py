"""The dashboard's "Recent requests" table: filter, CSV export, and "Ask the cloud instead".

Shows :class:`~hybridcoder.analytics.recent.RecentRow` values handed to it by the dashboard
(which reads them off the UI thread); it never reads the ledger itself. The CSV file is
written by a worker. "Ask the cloud instead" is only offered on a local answer the running
proxy still holds in memory; the panel emits ``ask_cloud_requested(request_id)`` and the
dashboard does the asking.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QRegularExpression, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hybridcoder.analytics.recent import RecentRow, write_csv
from hybridcoder.errors import HybridCoderError
from hybridcoder.gui.workers import submit

__all__ = ["COLUMNS", "RecentRequestsModel", "RecentRequestsPanel", "format_cost", "format_latency"]

COLUMNS = ("Time", "Client", "Kind", "Route", "Model", "Reason", "Latency", "Tokens", "Cost")
_RIGHT = {6, 7, 8}


def format_latency(ms: float | None) -> str:
    if ms is None:
        return "—"
    return f"{ms / 1000:.1f} s" if ms >= 10_000 else f"{ms:,.0f} ms"


def format_cost(row: RecentRow) -> str:
    if row.route != "cloud":
        return "local"
    if row.cost_usd is None:
        return "unknown"
    return f"${row.cost_usd:,.4f}" if row.cost_usd < 1 else f"${row.cost_usd:,.2f}"


def _time_text(moment: datetime, today: datetime) -> str:
    return f"{moment:%H:%M:%S}" if moment.date() == today.date() else f"{moment:%b %d %H:%M}"


#: Item data roles: the sort key of a cell, and the request id on a row's first cell.
SORT_ROLE = Qt.ItemDataRole.UserRole
ID_ROLE = Qt.ItemDataRole.UserRole + 1
_ASKABLE_TIP = " — the proxy still holds this answer: “Ask the cloud instead” compares it."


class RecentRequestsModel(QStandardItemModel):
    """The rows as a Qt table; ``askable`` holds the ids the proxy can still re-send to the cloud.

    A plain ``QStandardItemModel`` on purpose: the view, sorting and filtering then run entirely in
    C++. A Python ``data()`` would be called back thousands of times per repaint, and each call must
    take the GIL from the in-process proxy first, which is what makes a busy app's window stutter.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.rows: list[RecentRow] = []
        self.askable: set[str] = set()
        self._by_id: dict[str, RecentRow] = {}

    def set_rows(self, rows: list[RecentRow], askable: set[str]) -> None:
        """New rows; when they are the old ones with a few newer on top (a live refresh), only those
        are inserted and the oldest dropped, so the view keeps its selection and scroll position and
        the refresh costs the UI thread next to nothing."""
        rows = list(rows)
        if not self._grow(rows):
            self.removeRows(0, self.rowCount())
            for row in rows:
                self.appendRow(self._items(row, row.request_id in askable))
            self.rows = rows
        changed = askable ^ self.askable
        self.askable = set(askable)
        self._by_id = {row.request_id: row for row in self.rows}
        if changed:
            for index, row in enumerate(self.rows):
                if row.request_id in changed:
                    item = self.item(index, 0)
                    if item is not None:
                        item.setToolTip(self._tip(row, row.request_id in self.askable))

    def row_for(self, request_id: str) -> RecentRow | None:
        return self._by_id.get(request_id)

    def grows_into(self, rows: list[RecentRow]) -> bool:
        """True when ``rows`` are the rows shown with newer ones on top (a cheap, incremental update)."""
        return self._added(rows) is not None

    def extend(self, rows: list[RecentRow]) -> None:
        """Append older rows at the bottom (a long list is filled in a few slices)."""
        for row in rows:
            self.appendRow(self._items(row, row.request_id in self.askable))
            self._by_id[row.request_id] = row
        self.rows = self.rows + list(rows)

    def _added(self, rows: list[RecentRow]) -> int | None:
        old = self.rows
        if not old or not rows:
            return 0 if not old and not rows else None
        first = old[0].request_id
        added = next((i for i, row in enumerate(rows) if row.request_id == first), -1)
        if added < 0 or rows[added:] != old[:len(rows) - added]:
            return None
        return added

    def _grow(self, rows: list[RecentRow]) -> bool:
        added = self._added(rows)
        if added is None:
            return False
        keep = len(rows) - added
        if keep < len(self.rows):
            self.removeRows(keep, len(self.rows) - keep)
        for index, row in enumerate(rows[:added]):
            self.insertRow(index, self._items(row, row.request_id in self.askable))
        self.rows = rows
        return True

    def _items(self, row: RecentRow, askable: bool) -> list[QStandardItem]:
        keys = (row.time.timestamp(), row.client, row.kind, row.route, row.model, row.reason,
                row.latency_ms or 0.0, row.tokens, row.cost_usd or 0.0)
        items = []
        for column in range(len(COLUMNS)):
            item = QStandardItem(self.cell(row, column))
            item.setEditable(False)
            item.setData(keys[column], SORT_ROLE)
            if column in _RIGHT:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items.append(item)
        items[0].setData(row.request_id, ID_ROLE)
        items[0].setToolTip(self._tip(row, askable))
        return items

    @staticmethod
    def _tip(row: RecentRow, askable: bool) -> str:
        return f"Request {row.request_id}" + (_ASKABLE_TIP if askable else "")

    @staticmethod
    def cell(row: RecentRow, column: int) -> str:
        if column == 0:
            return _time_text(row.time, datetime.now())
        if column == 6:
            return format_latency(row.latency_ms)
        if column == 7:
            return f"{row.tokens:,}"
        if column == 8:
            return format_cost(row)
        return str((row.client, row.kind, row.route, row.model, row.reason)[column - 1])


class RecentRequestsPanel(QWidget):
    """The table with its filter, export and ask-the-cloud controls."""

    ask_cloud_requested = Signal(str)
    #: (path, rows written) once a CSV export is on disk; ``export_failed(message)`` otherwise.
    exported = Signal(str, int)
    export_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RecentRequestsModel(self)
        # Plain proxies (no Python overrides), so filtering and sorting stay in C++: route, then text.
        self._by_route = QSortFilterProxyModel(self)
        self._by_route.setSourceModel(self.model)
        self._by_route.setFilterKeyColumn(COLUMNS.index("Route"))
        self.filtered = QSortFilterProxyModel(self)
        self.filtered.setSourceModel(self._by_route)
        self.filtered.setFilterKeyColumn(-1)
        self.filtered.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filtered.setSortRole(SORT_ROLE)

        title = QLabel("<b>Recent requests</b>")
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: client, model, reason…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter recent requests")
        self.route_box = QComboBox()
        for label, value in (("All routes", ""), ("Local", "local"), ("Cloud", "cloud")):
            self.route_box.addItem(label, value)
        self.route_box.setAccessibleName("Show route")
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save the rows shown (after the filter) as a CSV file.")
        self.ask_button = QPushButton("Ask the cloud instead")
        self.ask_button.setToolTip("Send the selected local request to the cloud and show both answers side by side.")
        self.ask_button.setEnabled(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.export_button)
        top.addWidget(self.ask_button)
        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(self.route_box)

        self.table = QTableView()
        self.table.setModel(self.filtered)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setMinimumHeight(160)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((86, 90, 96, 62, 170, 160, 84, 72, 80)):
            self.table.setColumnWidth(column, width)
        self.empty = QLabel("No requests yet. Requests your editor sends through Hybrid Coder are listed here.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.status)

        self.filter_edit.textChanged.connect(self._refilter)
        self.route_box.currentIndexChanged.connect(self._refilter)
        self.export_button.clicked.connect(self._choose_export_file)
        self.ask_button.clicked.connect(self._ask)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.activated.connect(lambda _index: self._ask())  # Enter or double-click
        self._show_empty_state()

    # -- data ----------------------------------------------------------------------------
    def set_rows(self, rows: list[RecentRow], askable: set[str]) -> None:
        """Replace the rows, keeping the selected request selected."""
        selected = self.selected_row()
        self.model.set_rows(rows, askable)
        if selected is not None and self.selected_row() != selected:
            self.select_request(selected.request_id)
        self._show_empty_state()
        self._selection_changed()

    def extend_rows(self, rows: list[RecentRow]) -> None:
        self.model.extend(rows)
        self._show_empty_state()

    def visible_rows(self) -> list[RecentRow]:
        """The rows after the filter, in the order shown."""
        rows = (self._row_at(i) for i in range(self.filtered.rowCount()))
        return [row for row in rows if row is not None]

    def selected_row(self) -> RecentRow | None:
        selection = self.table.selectionModel().selectedRows()
        return self._row_at(selection[0].row()) if selection else None

    def select_request(self, request_id: str) -> bool:
        for i in range(self.filtered.rowCount()):
            row = self._row_at(i)
            if row is not None and row.request_id == request_id:
                self.table.selectRow(i)
                return True
        return False

    def _row_at(self, view_row: int) -> RecentRow | None:
        request_id = self.filtered.index(view_row, 0).data(ID_ROLE)
        return self.model.row_for(str(request_id)) if request_id is not None else None

    # -- export --------------------------------------------------------------------------
    def export_csv(self, path: Path) -> None:
        """Write the rows shown to ``path`` in a worker; ``exported`` or ``export_failed`` reports back."""
        rows = self.visible_rows()
        target = Path(path)

        def write() -> tuple[str, int]:
            try:
                with target.open("w", encoding="utf-8", newline="") as out:
                    return str(target), write_csv(rows, out)
            except OSError as exc:
                raise HybridCoderError(f"Could not save {target.name} ({exc.strerror or exc}); "
                                       "choose another folder.") from None

        self.export_button.setEnabled(False)
        submit(write, self._exported, self._export_failed)

    def _choose_export_file(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export recent requests", "hybridcoder-requests.csv",
                                              "CSV files (*.csv)")
        if name:
            self.export_csv(Path(name))

    def _exported(self, result: tuple[str, int]) -> None:
        self.export_button.setEnabled(True)
        self.status.setText(f"Saved {result[1]:,} rows to {result[0]}.")
        self.exported.emit(result[0], result[1])

    def _export_failed(self, message: str) -> None:
        self.export_button.setEnabled(True)
        self.status.setText(message)
        self.export_failed.emit(message)

    # -- asking the cloud ----------------------------------------------------------------
    def _ask(self) -> None:
        row = self.selected_row()
        if row is not None and self._can_ask(row):
            self.ask_cloud_requested.emit(row.request_id)

    def _can_ask(self, row: RecentRow) -> bool:
        return row.route == "local" and row.request_id in self.model.askable

    def _selection_changed(self, *_args: object) -> None:
        row = self.selected_row()
        self.ask_button.setEnabled(row is not None and self._can_ask(row))
        if row is not None and row.route == "local" and not self._can_ask(row):
            self.ask_button.setToolTip("Only answers the running proxy still holds in memory can be compared.")
        else:
            self.ask_button.setToolTip(
                "Send the selected local request to the cloud and show both answers side by side.")

    def _refilter(self, *_args: object) -> None:
        route = str(self.route_box.currentData() or "")
        self._by_route.setFilterRegularExpression(QRegularExpression(f"^{route}$") if route else QRegularExpression())
        self.filtered.setFilterFixedString(self.filter_edit.text().strip())
        self._show_empty_state()

    def _show_empty_state(self) -> None:
        has_rows = bool(self.model.rows)
        self.empty.setVisible(not has_rows)
        self.table.setVisible(has_rows)
