"""Configure (or undo) Continue, Cline and Aider in one call, with a report per tool.

``configure_tools`` is what ``hybridcoder configure``, the setup flow and the GUI call.
Each tool is planned first (every file parsed; a broken file stops that tool
only, with its line and column), then written through ``safe_write`` (backup,
manifest, atomic write) or shown as a diff in a dry run. One tool failing never
stops the others.

This module never prompts, prints or touches the network; callers present the report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hybridcoder.clients import aider_config, cline_config, continue_config
from hybridcoder.clients.detect import TOOLS, ToolPresence, detect_tool
from hybridcoder.clients.errors import BrokenConfigError, ConfigWriteError
from hybridcoder.clients.safe_write import FileResult, undo_last, write_files
from hybridcoder.clients.targets import ClientModels, ProxyTarget, ToolPlan
from hybridcoder.errors import HybridCoderError
from hybridcoder.keys import KeyStore, mask
from hybridcoder.settings import Settings

log = logging.getLogger(__name__)

TOOL_LABELS = {"continue": "Continue", "cline": "Cline", "aider": "Aider"}
_PLANNERS: dict[str, Callable[..., ToolPlan]] = {
    "continue": continue_config.plan_continue,
    "cline": cline_config.plan_cline,
    "aider": aider_config.plan_aider,
}


@dataclass
class ToolReport:
    """What happened to one tool."""

    tool: str
    #: "configured", "unchanged", "would change", "skipped", "error", "undone", "nothing to undo".
    status: str
    message: str
    files: list[FileResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    diff: str = ""
    #: For a broken file: where it is and what is wrong (so a GUI can offer "back up and start fresh").
    broken_path: str | None = None
    broken_line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "status": self.status, "message": self.message,
                "files": [{"path": str(f.path), "action": f.action,
                           "backup": str(f.backup) if f.backup else None} for f in self.files],
                "notes": self.notes, "broken_path": self.broken_path, "broken_line": self.broken_line}


@dataclass
class ConfigureReport:
    tools: list[ToolReport] = field(default_factory=list)

    @property
    def configured(self) -> list[str]:
        return [t.tool for t in self.tools if t.status in ("configured", "unchanged", "undone")]

    @property
    def skipped(self) -> list[str]:
        return [t.tool for t in self.tools if t.status == "skipped"]

    @property
    def errors(self) -> list[ToolReport]:
        return [t for t in self.tools if t.status == "error"]

    @property
    def changed(self) -> bool:
        return any(t.status in ("configured", "would change", "undone") for t in self.tools)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "tools": [t.to_dict() for t in self.tools]}


def expand_tools(tools: Sequence[str]) -> tuple[list[str], bool]:
    """Names to act on, and whether they came from "all" (then absent tools are skipped)."""
    names: list[str] = []
    from_all = False
    for name in tools:
        name = name.lower()
        if name == "all":
            from_all = True
            names += [t for t in TOOLS if t not in names]
        elif name in TOOLS:
            if name not in names:
                names.append(name)
        else:
            raise HybridCoderError(f"Unknown tool {name!r}; choose continue, cline, aider or all.")
    return names, from_all


def _summary(label: str, files: list[FileResult], verb: str) -> str:
    changed = [f"{f.path} ({f.action})" for f in files if f.action != "unchanged"]
    return f"{label} {verb}: " + (", ".join(changed) if changed else "already up to date")


def configure_tools(
    tools: Sequence[str], *, proxy_url: str, token: str, models: ClientModels,
    dry_run: bool = False, undo: bool = False, rules: bool | None = None, reset_broken: bool = False,
) -> ConfigureReport:
    """Configure, dry-run or undo each tool; returns a report, raises only for bad arguments.

    ``tools`` holds "continue", "cline", "aider" or "all". With "all", tools that are
    not installed are skipped; a tool named explicitly is configured even if not found.
    ``rules``: True installs the short small-model rule set, False removes it, None leaves it.
    """
    names, from_all = expand_tools(tools)
    report = ConfigureReport()
    target = None if undo else ProxyTarget(proxy_url, token)
    for name in names:
        label = TOOL_LABELS[name]
        if undo:
            report.tools.append(_undo(name, label, dry_run))
            continue
        presence: ToolPresence = detect_tool(name)
        if from_all and not presence.present:
            report.tools.append(ToolReport(name, "skipped", f"{label} was not found on this computer; skipped."))
            continue
        assert target is not None
        try:
            plan = _PLANNERS[name](target, models, rules=rules, reset_broken=reset_broken)
            outcome = write_files(name, plan.files, dry_run=dry_run)
        except BrokenConfigError as exc:
            report.tools.append(ToolReport(name, "error", exc.message, broken_path=str(exc.path),
                                           broken_line=exc.line))
            continue
        except ConfigWriteError as exc:
            report.tools.append(ToolReport(name, "error", exc.message))
            continue
        except OSError as exc:
            log.exception("configuring %s failed", name)
            where = f": {exc.filename}" if exc.filename else ""
            report.tools.append(ToolReport(name, "error", f"{label} could not be configured ({exc.strerror or exc}"
                                           f"{where}); check the folder's permissions and try again."))
            continue
        notes = list(plan.notes) + outcome.notes
        if not presence.present:
            done = "would be written" if dry_run else "were written"
            notes.insert(0, f"{label} was not found on this computer; its settings {done} anyway.")
        if dry_run:
            status = "would change" if outcome.diff else "unchanged"
            message = f"{label}: " + ("would change the files below" if outcome.diff else "already up to date")
        else:
            status = "configured" if outcome.changed else "unchanged"
            message = _summary(label, outcome.results, "configured")
            if not outcome.changed:
                notes = [n for n in notes if "was not found" in n]
        # The token may sit in these files, but it has no business on a terminal or in a GUI log.
        diff = outcome.diff.replace(token, mask(token)) if token else outcome.diff
        report.tools.append(ToolReport(name, status, message, outcome.results, notes, diff))
    return report


def _undo(name: str, label: str, dry_run: bool) -> ToolReport:
    try:
        outcome = undo_last(name, dry_run=dry_run)
    except ConfigWriteError as exc:
        return ToolReport(name, "error", exc.message)
    if not outcome.results:
        return ToolReport(name, "nothing to undo", f"{label}: nothing to undo.", notes=outcome.notes)
    if dry_run:
        return ToolReport(name, "would change", f"{label}: undo would change the files below",
                          outcome.results, outcome.notes, outcome.diff)
    return ToolReport(name, "undone", _summary(label, outcome.results, "restored"), outcome.results,
                      outcome.notes, outcome.diff)


#: Used when no context length was recorded yet (Continue's own default for Ollama is 8192).
DEFAULT_CHAT_CONTEXT = 16384


def client_models_from_settings(settings: Settings) -> ClientModels:
    """The model facts the tools need, from the user's settings (filled in by setup)."""
    defaults = ClientModels()
    return ClientModels(
        chat_context=settings.models.chat_context or DEFAULT_CHAT_CONTEXT,
        autocomplete=settings.models.autocomplete or defaults.autocomplete,
        autocomplete_context=settings.models.autocomplete_context or defaults.autocomplete_context,
        embed=settings.models.embed or None,
        local_chat=settings.models.chat,
    )


def proxy_url_from_settings(settings: Settings) -> str:
    host = settings.proxy.host if settings.proxy.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{settings.proxy.port}"


def persistent_proxy_token(keys: KeyStore) -> str:
    """The proxy token, created if needed; refuses a token that would not survive a restart.

    Without a keyring (and without consent to the file fallback) ``KeyStore`` hands out a
    token for this process only; tools configured with it would get 401s after a restart.
    """
    token = keys.proxy_token(create=True) or ""  # raises TokenNotStorable (with the fix) when it cannot be kept
    if not token:
        raise ConfigWriteError("The proxy's access token could not be created; run `hybridcoder setup` again.")
    return token
