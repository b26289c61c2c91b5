"""Every wizard page in a realistic state, for ``hybridcoder gui --screenshot`` and the README.

Nothing here touches the machine, the network or a worker: each page is fed the same objects the
core hands it at run time (a MachineOverview of a described 8 GB NVIDIA machine, an OllamaStatus,
PullProgress snapshots, VerifyAnswers, SetupEvents), so the pictures show the real widgets.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from hybridcoder.gui.wizard.tools_page import ToolsFacts
from hybridcoder.gui.wizard.wizard import SetupWizard
from hybridcoder.setup_flow import SetupEvent, SetupResult, StepOutcome, VerifyAnswer

if TYPE_CHECKING:
    from hybridcoder.app_service import ProxyService

GIB = 1024**3
CHAT, AUTO = "qwen2.5-coder:7b", "qwen2.5-coder:1.5b-base"


def _pull(tag: str, done: int, total: int, speed: float, eta: float | None) -> object:
    from hybridcoder.ollama import PullProgress

    return PullProgress(tag=tag, phase="downloading", status="pulling", completed=done, total=total,
                        fraction=done / total, bytes_per_s=speed, eta_s=eta, blobs_seen=4)


def _wizard(service: ProxyService | None, page: str) -> SetupWizard:
    wizard = SetupWizard(service, look_around=False)
    wizard.resize(760, 600)
    wizard.show_page(page, enter=False)
    return wizard


def wizard_pages_for_screenshots(service: ProxyService | None = None) -> list[tuple[str, QWidget]]:
    """(file-name stem, widget) for every page; the widgets are not shown yet."""
    from hybridcoder.clients.detect import ToolPresence
    from hybridcoder.hardware.profile import HardwareProfile
    from hybridcoder.machine_overview import machine_overview
    from hybridcoder.ollama import OllamaStatus

    described = HardwareProfile.described(vram_gb=8, gpu="nvidia", ram_gb=32)
    gpu = dataclasses.replace(described.gpus[0], name="NVIDIA GeForce RTX 3070")
    profile = dataclasses.replace(described, gpus=(gpu,), disk_free_bytes=212 * GIB, is_described=False)
    overview = machine_overview(profile)

    wizard = _wizard(service, "welcome")
    wizard.welcome.show_plan(overview)
    pages: list[tuple[str, QWidget]] = [("wizard-1-welcome", wizard)]

    wizard = _wizard(service, "run_all")
    run = wizard.run_all
    for step, status, message in (
            ("hardware", "done", f"Chat model {CHAT} (16384 tokens of context), autocomplete {AUTO}."),
            ("ollama", "already done", "Make sure Ollama is installed and running: already done."),
            ("models", "progress", f"Downloading {CHAT}")):
        run.show_event(SetupEvent(step, status, message, 0.43 if status == "progress" else 1.0))
    run.bars.set_models([(CHAT, False), (AUTO, False)])
    run.bars.update_model(_pull(CHAT, 2_013_000_000, 4_683_087_332, 38_400_000, 69))  # type: ignore[arg-type]
    run.set_busy(True)
    pages.append(("wizard-2-one-button", wizard))

    # The same path after the network dropped mid-download: one sentence, one Retry, the bar where it stopped.
    wizard = _wizard(service, "run_all")
    run = wizard.run_all
    lost = ("The download stopped because the internet connection was lost — check your connection and pull "
            "again; it resumes where it stopped.")
    for step, status, message in (
            ("hardware", "done", f"Chat model {CHAT} (16384 tokens of context), autocomplete {AUTO}."),
            ("ollama", "already done", "Make sure Ollama is installed and running: already done."),
            ("models", "failed", lost)):
        run.show_event(SetupEvent(step, status, message, 1.0))
    run.bars.update_model(_pull(CHAT, 2_013_000_000, 4_683_087_332, 38_400_000, 69))  # type: ignore[arg-type]
    run.bars.stop_all()
    run.error.show_error(lost, "Download the chat and autocomplete models: failed")
    run.next_changed.emit(run.next_text())
    pages.append(("wizard-2-one-button-error", wizard))

    wizard = _wizard(service, "hardware")
    wizard.hardware.show_overview(overview)
    pages.append(("wizard-3-hardware", wizard))

    wizard = _wizard(service, "ollama")
    wizard.ollama.show_status(OllamaStatus(installed=True, binary="/usr/local/bin/ollama", running=True,
                                           version="0.32.15", url="http://127.0.0.1:11434"))
    wizard.ollama.message.setText("Ollama is ready.")
    pages.append(("wizard-4-ollama", wizard))

    wizard = _wizard(service, "ollama")
    wizard.ollama.show_status(OllamaStatus(installed=True, binary="/usr/local/bin/ollama", running=False, version=None,
                                           url="http://127.0.0.1:11434",
                                           problem="Nothing answers at http://127.0.0.1:11434."))
    wizard.ollama.error.show_error(
        "Ollama did not answer at http://127.0.0.1:11434 within 30 s of starting — see the log file, or run "
        "`ollama serve` in a terminal to see why.", "Make sure Ollama is installed and running: failed")
    pages.append(("wizard-4-ollama-error", wizard))

    wizard = _wizard(service, "models")
    bars = wizard.models.bars
    bars.set_models([(CHAT, False), (AUTO, False)])
    bars.update_model(_pull(CHAT, 2_013_000_000, 4_683_087_332, 38_400_000, 69))  # type: ignore[arg-type]
    wizard.models.set_busy(True)
    pages.append(("wizard-5-models", wizard))

    wizard = _wizard(service, "cloud")
    pages.append(("wizard-6-cloud", wizard))

    wizard = _wizard(service, "cloud")
    wizard.cloud.form.key.setText("sk-ant-api03-not-a-real-key")
    wizard.cloud.error.show_error("Anthropic refused the key (401) — copy the whole key from console.anthropic.com "
                                  "and try again, or skip the cloud for now.")
    wizard.cloud.error.retry_button.setText("Check again")
    pages.append(("wizard-6-cloud-bad-key", wizard))

    wizard = _wizard(service, "cloud")
    wizard.cloud._show_keyring((False, "~/.config/HybridCoder/keys-INSECURE-FILE.json", False))
    pages.append(("wizard-6-cloud-no-keyring", wizard))

    wizard = _wizard(service, "tools")
    wizard.tools.show_facts(ToolsFacts(
        [ToolPresence("continue", True, ("VS Code extension (~/.vscode/extensions)",), False),
         ToolPresence("cline", True, ("VS Code extension (~/.vscode/extensions)",), False),
         ToolPresence("aider", False, (), False)],
        "~/.local/state/HybridCoder/backups", "hc-screenshot-token-0123456789abcdef"))
    wizard.tools.diff.setPlainText(
        "# Continue: would change the files below\n--- ~/.continue/config.yaml\n+++ ~/.continue/config.yaml\n"
        "@@ -3,0 +4,6 @@\n+  - name: Hybrid Coder\n+    provider: openai\n+    model: hybrid-auto\n"
        "+    apiBase: http://127.0.0.1:11480/v1\n+    apiKey: hc-...cdef\n")
    wizard.tools.diff.show()
    pages.append(("wizard-7-tools", wizard))

    wizard = _wizard(service, "test")
    wizard.test.show_answer(VerifyAnswer("local", "OK", 412.0))
    wizard.test.show_answer(VerifyAnswer("cloud", "OK", 1_380.0))
    wizard.test.passed = True
    wizard.test.message.setText("Hybrid Coder answers. Your tools can use it now.")
    wizard.show_page("test", enter=False)
    pages.append(("wizard-8-test", wizard))


    wizard = _wizard(service, "done")
    wizard.context.last_result = SetupResult(
        [StepOutcome("verify", "Check", "done", "")],
        ["Done: Scan hardware and choose models; Download the chat and autocomplete models; Configure the "
         "detected coding tools; Check a real request through the proxy.",
         "Local model via the proxy: 412 ms; cloud: 1380 ms."])
    wizard.done.enter()
    pages.append(("wizard-9-done", wizard))
    return pages
