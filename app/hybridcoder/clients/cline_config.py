"""Cline: point both storage generations at the proxy, merged with what is there.

Which files (cline.md §1–§4), all under ``CLINE_DATA_DIR`` or ``<CLINE_DIR or ~/.cline>/data``:
- ``globalState.json`` + ``secrets.json`` (0600): read by the VS Code extension
  (3.66–4.0 and the Legacy half of 4.1) and imported by the CLI. Provider
  "OpenAI Compatible" (id ``openai``) for plan *and* act mode — Cline reads the
  key of the current mode at run time — with model info carrying the real context
  window, ``supportsTools`` and zero prices, and a request timeout ≥ 300000 ms.
- ``settings/providers.json`` + ``settings/models.json``: the SDK format used by
  CLI 3.x and the VS Code "Next" bundle. Provider ``openai-compatible`` with the
  context window and a ``timeout`` ≥ 300000 ms; the model is listed with the
  ``tools`` capability (a non-empty list without it drops every tool).

Only the keys listed here are changed; every other key keeps its value and its
place. ``updatedAt`` changes only when our settings change, so a rerun is a no-op.
A running VS Code keeps Cline's state in memory and may write it back over ours,
so the plan says when a window reload is needed.

This module never writes files itself and never shows the contents of secrets.json.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from hybridcoder.clients.errors import BrokenConfigError
from hybridcoder.clients.json_doc import JsonDocument, parse_json_object
from hybridcoder.clients.rules import RULES_FILE_NAME, cline_global_rules_dir, load_rule_set
from hybridcoder.clients.safe_write import PlannedFile
from hybridcoder.clients.targets import CLIENT_TIMEOUT_MS, ClientModels, ProxyTarget, ToolPlan

TOOL = "cline"
LEGACY_PROVIDER = "openai"  # "OpenAI Compatible" in the legacy ApiProvider enum
SDK_PROVIDER = "openai-compatible"
_EDITOR_PROCESSES = {"code", "code-insiders", "codium", "vscodium", "cursor", "windsurf",
                     "code.exe", "code - insiders.exe", "codium.exe", "cursor.exe", "windsurf.exe"}


def cline_dir() -> Path:
    override = os.environ.get("CLINE_DIR", "").strip()
    return Path(override).expanduser().absolute() if override else Path(os.path.expanduser("~")) / ".cline"


def data_dir() -> Path:
    override = os.environ.get("CLINE_DATA_DIR", "").strip()
    return Path(override).expanduser().absolute() if override else cline_dir() / "data"


def providers_path() -> Path:
    override = os.environ.get("CLINE_PROVIDER_SETTINGS_PATH", "").strip()
    return Path(override).expanduser().absolute() if override else data_dir() / "settings" / "providers.json"


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _load(path: Path, reset_broken: bool, plan: ToolPlan) -> JsonDocument:
    try:
        return parse_json_object(TOOL, path, _read(path))
    except BrokenConfigError:
        if not reset_broken:
            raise
        plan.notes.append(f"{path} could not be read; it was backed up and replaced with a fresh file.")
        return JsonDocument({}, existed=True)


def _model_info(models: ClientModels) -> dict[str, Any]:
    return {"contextWindow": models.chat_context, "maxTokens": models.max_output_tokens,
            "supportsImages": False, "supportsPromptCache": False, "supportsTools": True,
            "inputPrice": 0, "outputPrice": 0, "temperature": 0}


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    if data.get(key) != value:
        data[key] = value


def _replaced(data: dict[str, Any], key: str, value: Any, label: str, out: list[str]) -> None:
    """Remember a user value we are about to overwrite, so the report can say so."""
    old = data.get(key)
    if old not in (None, "") and old != value and not isinstance(old, dict | list):
        out.append(f"{label} {old}")


def _legacy_state(doc: JsonDocument, target: ProxyTarget, models: ClientModels, replaced: list[str]) -> None:
    data = doc.data
    for mode in ("plan", "act"):
        _replaced(data, f"{mode}ModeApiProvider", LEGACY_PROVIDER, f"{mode} mode provider", replaced)
        _replaced(data, f"{mode}ModeOpenAiModelId", models.router_model, f"{mode} mode model", replaced)
    _replaced(data, "openAiBaseUrl", target.openai_base, "OpenAI Compatible base URL", replaced)
    for mode in ("plan", "act"):
        _set(data, f"{mode}ModeApiProvider", LEGACY_PROVIDER)
        _set(data, f"{mode}ModeOpenAiModelId", models.router_model)
        _set(data, f"{mode}ModeOpenAiModelInfo", _model_info(models))
    _set(data, "openAiBaseUrl", target.openai_base)
    timeout = data.get("requestTimeoutMs")
    if not isinstance(timeout, int) or timeout < CLIENT_TIMEOUT_MS:
        if isinstance(timeout, int):  # a cold local model load needs longer than the user's limit
            replaced.append(f"request timeout {timeout} ms (raised to {CLIENT_TIMEOUT_MS} ms for cold model loads)")
        data["requestTimeoutMs"] = CLIENT_TIMEOUT_MS
    # The provider is configured, so the first-run sign-in screen has nothing left to do.
    if data.get("welcomeViewCompleted") is not True:
        data["welcomeViewCompleted"] = True


def _provider_settings(target: ProxyTarget, models: ClientModels, previous: dict[str, Any]) -> dict[str, Any]:
    timeout = previous.get("timeout")
    return {
        "provider": SDK_PROVIDER,
        "apiKey": target.token,
        "model": models.router_model,
        "baseUrl": target.openai_base,
        "contextWindow": models.chat_context,
        "maxTokens": models.max_output_tokens,
        "timeout": timeout if isinstance(timeout, int) and timeout >= CLIENT_TIMEOUT_MS else CLIENT_TIMEOUT_MS,
    }


def _providers(doc: JsonDocument, target: ProxyTarget, models: ClientModels, path: Path,
               replaced_values: list[str]) -> str | None:
    """Update providers.json; returns the base URL of a replaced foreign openai-compatible entry."""
    data = doc.data
    _replaced(data, "lastUsedProvider", SDK_PROVIDER, "CLI provider", replaced_values)
    data.setdefault("version", 1)
    providers = data.setdefault("providers", {})
    if not isinstance(providers, dict):
        raise BrokenConfigError(TOOL, path, "its `providers` entry is not an object")
    entry = providers.get(SDK_PROVIDER)
    previous = entry.get("settings", {}) if isinstance(entry, dict) else {}
    previous = previous if isinstance(previous, dict) else {}
    wanted = _provider_settings(target, models, previous)
    _replaced(previous, "model", wanted["model"], "OpenAI Compatible model", replaced_values)
    merged = {**previous, **wanted}
    replaced = None
    if previous.get("baseUrl") and previous.get("baseUrl") != wanted["baseUrl"] \
            and "127.0.0.1" not in str(previous.get("baseUrl")):
        replaced = str(previous["baseUrl"])
    if not isinstance(entry, dict) or entry.get("settings") != merged:
        providers[SDK_PROVIDER] = {
            **(entry if isinstance(entry, dict) else {}),
            "settings": merged,
            "updatedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "tokenSource": "manual",
        }
    _set(data, "lastUsedProvider", SDK_PROVIDER)
    data.setdefault("modes", {})
    return replaced


def _models(doc: JsonDocument, target: ProxyTarget, models: ClientModels, path: Path) -> None:
    data = doc.data
    data.setdefault("version", 1)
    providers = data.setdefault("providers", {})
    if not isinstance(providers, dict):
        raise BrokenConfigError(TOOL, path, "its `providers` entry is not an object")
    found = providers.get(SDK_PROVIDER)
    entry: dict[str, Any] = found if isinstance(found, dict) else {}
    listed = entry.get("models")
    known: dict[str, Any] = listed if isinstance(listed, dict) else {}
    wanted = {
        **entry,
        "provider": {"name": "Hybrid Coder", "baseUrl": target.openai_base,
                     "defaultModelId": models.router_model, "protocol": "openai-chat",
                     "capabilities": ["tools", "streaming"]},
        "models": {**known, models.router_model: {
            "id": models.router_model, "name": "Hybrid Coder (local first, cloud when needed)",
            "maxTokens": models.max_output_tokens, "contextWindow": models.chat_context,
            "maxInputTokens": models.chat_context - models.max_output_tokens,
            "capabilities": ["tools", "streaming", "temperature"],
            "inputPrice": 0, "outputPrice": 0}},
    }
    if entry != wanted:
        providers[SDK_PROVIDER] = wanted


def editor_running() -> bool:
    """True when a VS Code-family editor runs (its Cline keeps state in memory)."""
    for proc in psutil.process_iter(["name"]):
        name = (proc.info.get("name") or "").lower()
        if name in _EDITOR_PROCESSES:
            return True
    return False


def plan_cline(target: ProxyTarget, models: ClientModels, *, rules: bool | None = None,
               reset_broken: bool = False) -> ToolPlan:
    plan = ToolPlan(TOOL)
    folder = data_dir()
    state_path, secrets_path = folder / "globalState.json", folder / "secrets.json"
    prov_path = providers_path()
    models_path = prov_path.with_name("models.json")
    # Parse everything before planning anything: one broken file stops the whole tool.
    state = _load(state_path, reset_broken, plan)
    secrets = _load(secrets_path, reset_broken, plan)
    providers = _load(prov_path, reset_broken, plan)
    model_doc = _load(models_path, reset_broken, plan)

    replaced_values: list[str] = []
    _legacy_state(state, target, models, replaced_values)
    _set(secrets.data, "openAiApiKey", target.token)
    replaced = _providers(providers, target, models, prov_path, replaced_values)
    _models(model_doc, target, models, models_path)
    plan.files += [
        PlannedFile(state_path, state.to_bytes()),
        PlannedFile(secrets_path, secrets.to_bytes(), mode=0o600, sensitive=True),
        PlannedFile(prov_path, providers.to_bytes(), mode=0o600, sensitive=True),
        PlannedFile(models_path, model_doc.to_bytes()),
    ]
    if rules is not None:
        rules_file = cline_global_rules_dir() / RULES_FILE_NAME
        if rules:
            plan.files.append(PlannedFile(rules_file, load_rule_set().as_markdown().encode("utf-8"), mode=0o644))
        else:
            plan.files.append(PlannedFile(rules_file, None))
    if replaced:
        plan.notes.append(f"Cline's OpenAI Compatible provider pointed at {replaced}; it now points at "
                          "Hybrid Coder (`hybridcoder configure cline --undo` restores it).")
    if replaced_values:
        plan.notes.append("Cline now points at Hybrid Coder; your previous values were: "
                          + ", ".join(dict.fromkeys(replaced_values))
                          + " — `hybridcoder configure cline --undo` restores them.")
    if editor_running():
        plan.notes.append("VS Code is open: run \"Developer: Reload Window\" in each window so Cline reads "
                          "the new settings (until then it may write its old ones back).")
    else:
        plan.notes.append("Cline will use Hybrid Coder the next time VS Code starts.")
    return plan


def is_configured() -> bool:
    try:
        doc = parse_json_object(TOOL, providers_path(), _read(providers_path()))
    except BrokenConfigError:
        return False
    entry = doc.data.get("providers", {}).get(SDK_PROVIDER) if isinstance(doc.data.get("providers"), dict) else None
    settings = entry.get("settings", {}) if isinstance(entry, dict) else {}
    return isinstance(settings, dict) and settings.get("model") == "hybrid-auto"
