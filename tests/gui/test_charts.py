"""The chart adapter draws what it is given and redraws new numbers in place (a live refresh stays cheap)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from hybridcoder.gui.charts import ChartPanel, nice_top


def test_axis_tops_are_round_with_round_quarters() -> None:
    assert [nice_top(v) for v in (0, 0.3, 7, 33, 150, 186, 9_400)] == [1.0, 0.4, 8.0, 40.0, 200.0, 200.0, 10_000.0]


def test_bars_redraw_in_place_and_rebuild_on_new_axes(qtbot: QtBot) -> None:
    panel = ChartPanel("Requests per day")
    qtbot.addWidget(panel)
    panel.show_stacked_bars(["Mo", "Tu"], [("Local", [3, 4]), ("Cloud", [1, 0])], "requests")
    series = panel._series
    assert panel.shown == [("Local", [3.0, 4.0]), ("Cloud", [1.0, 0.0])]
    panel.show_stacked_bars(["Mo", "Tu"], [("Local", [3, 9]), ("Cloud", [1, 2])], "requests")
    assert panel._series is series and [s.at(1) for s in series.barSets()] == [9.0, 2.0]
    assert panel.shown == [("Local", [3.0, 9.0]), ("Cloud", [1.0, 2.0])]
    panel.show_stacked_bars(["Mo", "Tu", "We"], [("Local", [3, 9, 1]), ("Cloud", [1, 2, 0])], "requests")
    assert panel._series is not series and panel.categories == ["Mo", "Tu", "We"]
    panel.show_empty("No requests in this period yet.")
    assert panel.shown == [] and "No requests" in panel._empty.text()


def test_a_line_over_a_month_labels_only_a_few_days(qtbot: QtBot) -> None:
    panel = ChartPanel("Money saved, cumulative")
    qtbot.addWidget(panel)
    labels = [f"Nov {d:02d}" for d in range(1, 31)]
    panel.show_line("Saved", labels, [d * 0.5 for d in range(30)], "saved", "$")
    axis = panel._chart.axes()[0]
    assert 2 <= len(axis.categoriesLabels()) <= 5
    assert panel.shown[0][1][-1] == 14.5
