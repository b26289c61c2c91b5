"""Hardware: GPU, VRAM, RAM and free disk; the recommended chat and autocomplete models with a memory
bar (weights, context cache, runtime, headroom); alternatives that fit; models that don't fit greyed
with the reason. Next runs the flow's hardware step with the models ticked here.

Every number comes from :func:`hybridcoder.machine_overview.machine_overview`.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QListWidget, QListWidgetItem, QWidget

from hybridcoder.gui.wizard.common import WizardContext, WizardPage, label
from hybridcoder.gui.wizard.runner import FlowRunner
from hybridcoder.gui.workers import submit
from hybridcoder.machine_overview import MachineOverview, MemoryBar, ModelOption, machine_overview
from hybridcoder.recommend import format_gb
from hybridcoder.setup_flow import ChooseModels, SetupOptions, SetupResult

COLOURS = ("#1e88e5", "#8e24aa", "#fb8c00", "#c8e6c9")
ROLE = 0x0100  # Qt.ItemDataRole.UserRole: (tag, role, paired_with)


class MemoryBarWidget(QWidget):
    """A stacked bar of the usable memory with a legend underneath; a dashed line marks the limit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar: MemoryBar | None = None
        self.setMinimumHeight(44)

    def sizeHint(self) -> QSize:  # Qt's method name
        return QSize(400, 44)

    def set_bar(self, bar: MemoryBar | None) -> None:
        self.bar = bar
        self.setToolTip(bar.describe() if bar else "")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt's method name
        if self.bar is None or self.bar.usable_bytes <= 0:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width, height = self.width() - 2, 18
        x = 1.0
        for (_name, size), colour in zip(self.bar.parts(), COLOURS, strict=True):
            part = width * size / self.bar.usable_bytes
            painter.fillRect(QRectF(x, 1, part, height), QColor(colour))
            x += part
        painter.setPen(self.palette().text().color())
        painter.drawRect(QRectF(1, 1, width, height))
        limit = 1 + width * self.bar.limit_bytes / self.bar.usable_bytes
        pen = painter.pen()
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(int(limit), 0, int(limit), height + 2)
        x = 1.0
        metrics = painter.fontMetrics()
        for (name, size), colour in zip(self.bar.parts(), COLOURS, strict=True):
            painter.fillRect(QRectF(x, height + 9, 10, 10), QColor(colour))
            text = f"{name} {format_gb(size)}"
            painter.setPen(self.palette().text().color())
            painter.drawText(int(x + 14), height + 9 + metrics.ascent() - 1, text)
            x += 14 + metrics.horizontalAdvance(text) + 16
        painter.end()


class HardwarePage(WizardPage):
    name = "hardware"
    grows = True
    title = "Your computer and its models"
    subtitle = "The models are chosen so that both stay loaded with room to spare."

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.overview: MachineOverview | None = None
        facts = QFormLayout()
        self.gpu, self.vram, self.ram, self.disk = label(), label(), label(), label()
        for name, widget in (("GPU", self.gpu), ("VRAM", self.vram), ("RAM", self.ram), ("Free disk", self.disk)):
            facts.addRow(name + ":", widget)
        self.body.addLayout(facts)
        self.pair = label(bold=True)
        self.body.addWidget(self.pair)
        self.memory = MemoryBarWidget()
        self.body.addWidget(self.memory)
        self.warnings = label()
        self.warnings.setStyleSheet("color: #e65100;")
        self.body.addWidget(self.warnings)
        row = QHBoxLayout()
        self.models = QListWidget()
        self.models.setSpacing(3)  # two-line entries need air between them to read as separate choices
        self.models.setWordWrap(True)
        self.models.itemChanged.connect(self._ticked)
        row.addWidget(self.models)
        self.body.addLayout(row, 1)
        self.status = label()
        self.body.addWidget(self.status)
        self.runner = FlowRunner(parent=self)
        self.runner.finished.connect(self._step_done)

    def next_text(self) -> str:
        return "Use these models"

    def enter(self) -> None:
        if self.overview is None and isinstance(self.context.overview, MachineOverview):
            self.show_overview(self.context.overview)  # the welcome page already scanned
        elif self.overview is None:
            self.status.setText("Looking at the GPU, memory and disk…")
            submit(machine_overview, self.show_overview, self.error.show_error)

    def show_overview(self, overview: MachineOverview) -> None:
        self.overview = self.context.overview = overview
        self.status.setText("")
        facts = overview.facts
        self.gpu.setText(facts.gpu)
        self.vram.setText(facts.vram)
        self.ram.setText(facts.ram)
        self.disk.setText(facts.disk_free)
        rec = overview.recommendation
        self.pair.setText(f"Recommended: {rec.summary()}")
        self.memory.set_bar(overview.bar)
        self.warnings.setText("\n".join(rec.warnings))
        self.warnings.setVisible(bool(rec.warnings))
        self.models.blockSignals(True)
        self.models.clear()
        for heading, options in (("Recommended", overview.recommended), ("Also fits", overview.alternatives),
                                 ("Does not fit", overview.too_big)):
            if not options:
                continue
            title = QListWidgetItem(heading)
            title.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = title.font()
            font.setBold(True)
            title.setFont(font)
            self.models.addItem(title)
            for option in options:
                self.models.addItem(self._item(option))
        self.models.blockSignals(False)

    def _item(self, option: ModelOption) -> QListWidgetItem:
        role = "autocomplete" if option.role == "autocomplete" else "chat"
        item = QListWidgetItem(f"{option.tag} — {role}, {format_gb(option.memory_bytes)}\n{option.reason}")
        item.setData(ROLE, (option.tag, role, option.paired_with))
        item.setToolTip(option.reason)
        if option.fits:
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if option.recommended else Qt.CheckState.Unchecked)
        else:
            item.setFlags(Qt.ItemFlag.NoItemFlags)  # greyed: it cannot be chosen
        return item

    def _ticked(self, changed: QListWidgetItem) -> None:
        """One model per role: ticking a chat model unticks the other chat models (and ticks the
        autocomplete model it was measured with); the bar then shows the ticked pair."""
        data = changed.data(ROLE)
        if data and changed.checkState() == Qt.CheckState.Checked:
            self.models.blockSignals(True)
            for index in range(self.models.count()):
                item = self.models.item(index)
                other = item.data(ROLE)
                if item is changed or not other:
                    continue
                if other[1] == data[1]:
                    item.setCheckState(Qt.CheckState.Unchecked)
                elif data[1] == "chat" and data[2] and other[1] == "autocomplete":
                    item.setCheckState(Qt.CheckState.Checked if other[0] == data[2] else Qt.CheckState.Unchecked)
            self.models.blockSignals(False)
        if self.overview is not None:
            chat, auto = self.chosen()
            self.memory.set_bar(self.overview.bar_for(chat, auto))
            self.pair.setText(f"Chosen: chat {chat or '(none)'}" + (f" + autocomplete {auto}" if auto else ""))

    def chosen(self) -> tuple[str | None, str | None]:
        picked: dict[str, str] = {}
        for index in range(self.models.count()):
            item = self.models.item(index)
            data = item.data(ROLE)
            if data and item.checkState() == Qt.CheckState.Checked:
                picked[data[1]] = data[0]
        return picked.get("chat"), picked.get("autocomplete")

    def start(self) -> None:
        chat, auto = self.chosen()
        self.error.hide()
        self.status.setText("Saving the choice…")
        self.set_busy(True)
        self.runner.start(SetupOptions(chat_model=chat, autocomplete_model=auto), [ChooseModels()])

    def _step_done(self, result: SetupResult) -> None:
        self.set_busy(False)
        self.status.setText("")
        if not self.show_failure(result):
            self.status.setText(result.steps[0].message)
            self.completed.emit()
