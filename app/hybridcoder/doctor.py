"""``doctor``: a quick health report of everything Hybrid Coder depends on.

Covers the settings file, hardware (GPUs with the reason when there is none, RAM, disk
for models), Ollama (installed, running, version), installed models, the model
recommendation, the keyring and cloud keys (masked), and the coding tools found.
Every line is a :class:`Check` with a level (ok, warning, problem, info) and, when
something needs doing, the fix in one sentence.

The doctor only reads: it never starts, installs or writes anything. It never raises:
a check that fails unexpectedly becomes a "problem" line. It stays quick: the Ollama
probe has a 2-second limit. Keys appear only masked (``sk-ant-...abcd``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hybridcoder.catalog import load_catalog
from hybridcoder.errors import HybridCoderError
from hybridcoder.hardware.profile import GIB, HardwareProfile
from hybridcoder.recommend import Recommendation, fit_bytes, format_gb, recommend_models
from hybridcoder.settings import Settings

if TYPE_CHECKING:
    from hybridcoder.ollama import OllamaManager

log = logging.getLogger(__name__)

__all__ = ["LEVELS", "Check", "DoctorReport", "run_checks", "run_doctor"]

LEVELS = ("ok", "info", "warning", "problem")
OLLAMA_PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Check:
    """One line of the report: ``area`` (hardware, ollama, ...), level, text and optional fix."""

    area: str
    level: str
    text: str
    fix: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"area": self.area, "level": self.level, "text": self.text, "fix": self.fix}


@dataclass
class DoctorReport:
    """All checks plus the facts behind them (for ``doctor --json`` and the GUI)."""

    checks: list[Check] = field(default_factory=list)
    hardware: HardwareProfile | None = None
    recommendation: Recommendation | None = None
    ollama: dict[str, Any] | None = None
    installed_models: list[str] | None = None

    def add(self, area: str, level: str, text: str, fix: str | None = None) -> None:
        self.checks.append(Check(area, level, text, fix))

    def counts(self) -> dict[str, int]:
        return {level: sum(1 for c in self.checks if c.level == level) for level in LEVELS}

    def as_json(self) -> dict[str, Any]:
        return {
            "checks": [c.as_json() for c in self.checks],
            "summary": self.counts(),
            "hardware": self.hardware.as_json() if self.hardware else None,
            "recommendation": self.recommendation.as_json() if self.recommendation else None,
            "ollama": self.ollama,
            "installed_models": self.installed_models,
        }


def run_checks(settings: Settings) -> list[Check]:
    """The report's lines; see :func:`run_doctor` for the facts as well."""
    return run_doctor(settings).checks


def run_doctor(
    settings: Settings,
    *,
    profile: HardwareProfile | None = None,
    ollama_timeout: float = OLLAMA_PROBE_TIMEOUT_S,
) -> DoctorReport:
    """Run every check; ``profile`` replaces the hardware scan (tests, or a described machine)."""
    report = DoctorReport()
    sections: list[tuple[str, Callable[[], None]]] = [
        ("settings", lambda: _check_settings(report, settings)),
        ("hardware", lambda: _check_hardware(report, profile)),
        ("recommendation", lambda: _check_recommendation(report, settings)),
        ("ollama", lambda: _check_ollama(report, settings, ollama_timeout)),
        ("disk", lambda: _check_disk(report)),
        ("keys", lambda: _check_keys(report, settings)),
        ("clients", lambda: _check_clients(report)),
    ]
    for area, run in sections:
        try:
            run()
        except Exception as exc:  # the doctor reports; it never falls over
            log.warning("doctor check %s failed", area, exc_info=True)
            report.add(area, "problem", f"The {area} check could not run ({type(exc).__name__}).",
                       "See the log file for details, and report it if it keeps happening.")
    return report


# ---------------------------------------------------------------------------- sections


def _check_settings(report: DoctorReport, settings: Settings) -> None:
    if settings.load_warning:
        report.add("settings", "warning", settings.load_warning,
                   "Review your settings; the broken file was kept next to the new one.")
    elif settings.ignored_values:
        report.add("settings", "warning",
                   f"Ignored settings with the wrong kind of value (defaults used): {', '.join(settings.ignored_values)}.",
                   "Correct them in the settings file (numbers without quotes, true/false for switches).")
    else:
        report.add("settings", "ok", "Settings file is readable.")


def _check_hardware(report: DoctorReport, profile: HardwareProfile | None) -> None:
    if profile is None:
        from hybridcoder.hardware.scan import scan_hardware

        profile = scan_hardware()
    report.hardware = profile
    for gpu in profile.gpus:
        free = f", {format_gb(gpu.free_bytes)} free" if gpu.free_bytes is not None else ""
        extra = []
        if gpu.driver_version:
            extra.append(f"driver {gpu.driver_version}")
        if gpu.compute_capability:
            extra.append(f"compute {gpu.compute_capability[0]}.{gpu.compute_capability[1]}")
        memory_kind = "usable by the GPU (unified memory)" if gpu.unified_memory else (
            "shared memory" if gpu.integrated else "VRAM")
        text = f"{gpu.name}: {format_gb(gpu.total_bytes)} {memory_kind}{free}" + (
            f" ({', '.join(extra)})" if extra else "") + "."
        if gpu.usable:
            report.add("hardware", "ok", text)
        else:
            report.add("hardware", "info", f"{text} Not used for models: {gpu.unusable_reason}.")
    if profile.best_gpu is None:
        report.add("hardware", "warning", "No GPU that Ollama can use: local models will run on the CPU, which "
                   "is slow.", "Small models still work and the cloud model takes the hard requests; an NVIDIA "
                   "GPU with a current driver, a discrete AMD GPU or an Apple Silicon Mac makes local models fast.")
        for note in profile.probe_notes:
            if not note.found and note.probe != "system":
                report.add("hardware", "warning" if note.fix else "info", f"{note.probe}: {note.text}", note.fix)
    cores = profile.cpu_cores_physical or profile.cpu_cores_logical
    ram_text = f"{format_gb(profile.ram_total_bytes)} RAM"
    if profile.ram_available_bytes is not None:
        ram_text += f" ({format_gb(profile.ram_available_bytes)} available)"
    ram_text += f", {cores} CPU cores." if cores else "."
    if profile.ram_total_bytes and profile.ram_total_bytes < 8 * GIB:
        report.add("hardware", "warning", ram_text + " Less than 8 GB leaves little room for local models.",
                   "Use the smallest recommended models, or rely on the cloud model.")
    else:
        report.add("hardware", "ok", ram_text)
    for note in profile.probe_notes:
        if note.probe == "system" and not note.found:
            report.add("hardware", "info", note.text)


def _check_recommendation(report: DoctorReport, settings: Settings) -> None:
    if report.hardware is None:
        return
    rec = recommend_models(report.hardware)
    report.recommendation = rec
    if rec.chat is None:
        report.add("recommendation", "problem", "No local coder model fits this machine's memory.",
                   "Hybrid Coder can still route everything to the cloud model.")
    else:
        report.add("recommendation", "ok", f"Recommended for this machine: {rec.summary()} "
                   "(chat + autocomplete, headroom included).")
    for index, warning in enumerate(rec.warnings):
        # The CPU-speed warning repeats the hardware section's "no GPU" warning: keep it as info.
        level = "info" if index == 0 and rec.budget.on_cpu else "warning"
        report.add("recommendation", level, warning)
    _check_configured_fit(report, settings, rec)


def _check_configured_fit(report: DoctorReport, settings: Settings, rec: Recommendation) -> None:
    """A configured model that cannot fit means Ollama will spill it onto the CPU."""
    catalog = load_catalog()
    chat = catalog.get(settings.models.chat) if settings.models.chat else None
    auto = catalog.get(settings.models.autocomplete) if settings.models.autocomplete else None
    if chat is None and auto is None:
        return
    need = 0
    if chat is not None:
        need += fit_bytes(chat, settings.models.chat_context or catalog.policy.chat_min_context,
                          overhead_bytes=catalog.policy.overhead_bytes)
    if auto is not None:
        need += fit_bytes(auto, settings.models.autocomplete_context or catalog.policy.autocomplete_context,
                          overhead_bytes=catalog.policy.overhead_bytes)
    limit = rec.budget.limit_bytes
    names = " + ".join(m.tag for m in (chat, auto) if m is not None)
    if need > limit:
        report.add("recommendation", "warning",
                   f"The configured models ({names}) need {format_gb(need)}, more than the {format_gb(limit)} "
                   "this machine can give them; Ollama will run part of them on the CPU.",
                   f"Switch to the recommended pair: {rec.summary()}." if rec.chat else None)
    else:
        report.add("recommendation", "ok", f"The configured models ({names}) fit: {format_gb(need)} of "
                   f"{format_gb(limit)}.")


def _check_ollama(report: DoctorReport, settings: Settings, timeout: float) -> None:
    try:
        from hybridcoder.ollama import OllamaManager

        manager = OllamaManager(settings.ollama.url, timeout=timeout)
        status = manager.status()
    except HybridCoderError as exc:  # e.g. a malformed URL in settings: its sentence says what to fix
        report.add("ollama", "problem", exc.message, "Correct `url` under [ollama] in your settings file.")
        return
    except Exception as exc:
        log.warning("Ollama status check failed", exc_info=True)
        report.add("ollama", "problem", f"Ollama's state could not be checked ({type(exc).__name__}).",
                   "See the log file; `hybridcoder models list` shows the same error in full.")
        return
    report.ollama = {"installed": status.installed, "binary": status.binary, "running": status.running,
                     "version": status.version, "url": status.url}
    from hybridcoder.ollama import detect

    remote = not detect.is_loopback(status.url)
    if not status.running and (remote or (not status.binary and not detect.is_default_url(status.url))):
        # A URL the user chose that does not answer is that server's problem, not (only) a missing install.
        if remote:
            report.add("ollama", "problem", f"Ollama isn't answering at {status.url} (on another machine).",
                       "Start Ollama on that machine (listening beyond loopback: OLLAMA_HOST=0.0.0.0 ollama "
                       "serve), or correct `url` under [ollama] in your settings file.")
        else:
            report.add("ollama", "problem", f"Ollama isn't answering at {status.url} (the address in your "
                       "settings), and it is not installed on this machine either.",
                       "Start the Ollama you pointed to, correct `url` under [ollama], or run `hybridcoder setup` "
                       "to install one.")
        return
    if not status.installed:  # installed is also true when an Ollama answers, so nothing runs here
        report.add("ollama", "problem", "Ollama is not installed.",
                   "Run `hybridcoder setup` to install it, or get it from https://ollama.com/download.")
        return
    if not status.running:
        problem = status.problem if status.problem and not status.problem.startswith("Nothing answers") else ""
        report.add("ollama", "problem",
                   f"Ollama is installed ({status.binary}) but not answering at {status.url}."
                   + (f" {problem}" if problem else ""),
                   "Start it from the Hybrid Coder window, or run `ollama serve` in a terminal.")
        return
    version = f" {status.version}" if status.version else ""
    report.add("ollama", "ok", f"Ollama{version} is running at {status.url}.")
    models = manager.list_models()
    names = [m.name for m in models]
    report.installed_models = names
    _check_models(report, settings, names)
    _check_loaded(report, manager)


def _check_loaded(report: DoctorReport, manager: OllamaManager) -> None:
    """``/api/ps`` is the ground truth: a model with ``size_vram < size`` runs partly on the CPU."""
    loaded = manager.loaded()
    has_gpu = report.hardware is not None and report.hardware.best_gpu is not None
    for model in loaded:
        context = f", {model.context_length // 1024}K context" if model.context_length else ""
        if not has_gpu or model.size <= 0:
            report.add("models", "info", f"Loaded now: {model.name} ({format_gb(model.size)}{context}).")
        elif model.fully_on_gpu:
            report.add("models", "ok", f"Loaded now: {model.name}, fully on the GPU "
                       f"({format_gb(model.size)}{context}).")
        else:
            share = model.size_vram / model.size
            report.add("models", "warning",
                       f"{model.name} is loaded with only {share:.0%} of it on the GPU; the rest runs on the CPU, "
                       "which makes it several times slower.",
                       "Use the recommended models and context (`hybridcoder models recommend`), or close "
                       "programs that use GPU memory.")


def _check_models(report: DoctorReport, settings: Settings, names: list[str]) -> None:
    catalog = load_catalog()

    def installed(tag: str) -> bool:
        wanted = catalog.get(tag)
        for name in names:
            if name == tag or name == f"{tag}:latest":
                return True
            if wanted is not None and catalog.get(name) is wanted:
                return True
        return False

    if names:
        report.add("models", "ok", f"{len(names)} model(s) installed: {', '.join(sorted(names))}.")
    else:
        report.add("models", "warning", "No models are installed in Ollama yet.",
                   _pull_fix(report.recommendation))
    for role, tag in (("chat", settings.models.chat), ("autocomplete", settings.models.autocomplete)):
        if tag and not installed(tag):
            report.add("models", "problem", f"The configured {role} model {tag} is not installed.",
                       f"Run `hybridcoder models pull {tag}`.")
    rec = report.recommendation
    if rec is not None and not settings.models.chat:
        missing = [c.tag for c in (rec.chat, rec.autocomplete) if c is not None and not installed(c.tag)]
        if missing:
            report.add("models", "info", f"Recommended model(s) not installed yet: {', '.join(missing)}.",
                       _pull_fix(rec))


def _pull_fix(rec: Recommendation | None) -> str:
    if rec is None or rec.chat is None:
        return "Run `hybridcoder models pull <tag>` for a model that fits (see `hybridcoder models recommend`)."
    tags = [c.tag for c in (rec.chat, rec.autocomplete) if c is not None]
    return "Run " + " and ".join(f"`hybridcoder models pull {t}`" for t in tags) + "."


def _check_disk(report: DoctorReport) -> None:
    profile = report.hardware
    if profile is None or profile.disk_free_bytes is None:
        report.add("disk", "info", "Free disk space for models could not be read.")
        return
    rec = report.recommendation
    names = report.installed_models or []
    need = 0
    if rec is not None:
        need = sum(c.model.download_bytes for c in (rec.chat, rec.autocomplete)
                   if c is not None and c.tag not in names)
    free = profile.disk_free_bytes
    where = profile.models_dir or "the models folder"
    text = f"{format_gb(free)} free on the disk that holds Ollama's models ({where})."
    if need and free < need:
        report.add("disk", "problem", text + f" The recommended models need {format_gb(need)}.",
                   "Free some space, or move the models with the OLLAMA_MODELS setting.")
    elif free < need + 5 * GIB:
        report.add("disk", "warning", text + " Space is tight for more models.",
                   "Free some space before pulling more models.")
    else:
        report.add("disk", "ok", text)


def _check_keys(report: DoctorReport, settings: Settings) -> None:
    from hybridcoder.keys import PROVIDER_LABELS, KeyStore, keyring_available, keyring_backend_name

    if keyring_available():
        report.add("keys", "ok", f"System keyring available ({keyring_backend_name()}).")
    else:
        report.add("keys", "warning", "No system keyring is available, so keys cannot be stored safely.",
                   "On Linux install and unlock GNOME Keyring or KWallet; or set ANTHROPIC_API_KEY / "
                   "OPENAI_API_KEY; or allow a plain file with `hybridcoder keys set PROVIDER --allow-file`.")
    store = KeyStore(allow_file_fallback=settings.keys.allow_file_fallback)
    provider = {"anthropic": "anthropic", "openai": "openai", "ollama-cloud": "ollama"}.get(
        settings.cloud.provider, "anthropic")
    for name in ("anthropic", "openai", "ollama"):
        status = store.status(name)
        label = PROVIDER_LABELS.get(name, name)
        if status.present:
            where = {"keyring": "the keyring", "environment": "the environment",
                     "file": "the plain-text fallback file"}.get(status.source, status.source)
            level = "warning" if status.source == "file" else "ok"
            report.add("keys", level, f"{label} key {status.masked} (from {where}).",
                       "Move it into a system keyring when one is available." if level == "warning" else None)
        elif name == provider:
            report.add("keys", "warning", f"No {label} key: hard requests cannot go to the cloud model.",
                       f"Run `hybridcoder keys set {name}` (the key is read from a hidden prompt).")
        elif name != "ollama":
            report.add("keys", "info", f"No {label} key (not needed while the cloud provider is "
                       f"{PROVIDER_LABELS.get(provider, provider)}).")


def _check_clients(report: DoctorReport) -> None:
    try:
        from hybridcoder.clients.detect import detect_tools

        tools = detect_tools()
    except Exception as exc:
        log.warning("client detection failed", exc_info=True)
        report.add("clients", "problem", f"Coding tools could not be detected ({type(exc).__name__}).",
                   "See the log file for details.")
        return
    labels = {"continue": "Continue", "cline": "Cline", "aider": "Aider"}
    if not any(t.present for t in tools):
        report.add("clients", "warning", "No supported coding tool found (Continue, Cline or Aider).",
                   "Install the Continue or Cline extension in VS Code, or `pip install aider-chat`, then run "
                   "`hybridcoder setup`.")
    for tool in tools:
        label = labels.get(tool.name, tool.name)
        where = f" ({tool.where[0]})" if tool.where else ""
        if tool.present and tool.configured:
            report.add("clients", "ok", f"{label} is set up to use Hybrid Coder{where}.")
        elif tool.present:
            report.add("clients", "warning", f"{label} found{where} but not set up for Hybrid Coder.",
                       "Run `hybridcoder setup` to configure it (your existing settings are kept).")
        else:
            report.add("clients", "info", f"{label} not found.")
