"""Carry a legacy Continue ``config.json`` over into a new ``config.yaml``, losing nothing.

Continue stops reading config.json once config.yaml exists (``core/config/profile/doLoadConfig.ts``),
so whatever is not carried over would silently stop applying. Each top-level key of the
legacy file (``@continuedev/config-types`` ``configJsonSchema``) ends up in exactly one place:

- carried over to its config.yaml equivalent (``@continuedev/config-yaml`` 1.42 schemas):
  ``models``/``tabAutocompleteModel``/``embeddingsProvider``/``reranker`` → ``models`` with
  roles; ``contextProviders`` → ``context``; ``customCommands`` → ``prompts``; ``docs`` → ``docs``;
  ``systemMessage``/``customInstructions`` → ``rules``; ``completionOptions`` and
  ``tabAutocompleteOptions`` → each carried model's ``defaultCompletionOptions`` /
  ``autocompleteOptions``; ``requestOptions`` → top-level ``requestOptions``;
  ``experimental.modelContextProtocolServers`` → ``mcpServers``;
- still applied from config.json, which is never touched: Continue copies
  ``allowAnonymousTelemetry``, ``disableIndexing``, ``disableSessionTitles``, ``ui`` and a few
  ``tabAutocompleteOptions``/``experimental`` keys into its shared settings on every load, whether
  or not config.yaml exists (``core/config/migrateSharedConfig.ts``) — so a telemetry opt-out
  keeps applying;
- nothing to carry: Continue's own defaults (built-in slash commands, the retired ``free-trial``
  service) or keys the legacy schema never had (Continue never read them);
- anything else — settings config.yaml has no place for — blocks the move: config.json stays
  in charge and the writer refuses with the keys named.

This module never reads or writes files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_COMPLETION_KEYS = ("contextLength", "maxTokens", "temperature", "topP", "topK", "minP", "presencePenalty",
                    "frequencyPenalty", "stop", "n", "reasoning", "reasoningBudgetTokens", "promptCaching",
                    "stream")
_AUTOCOMPLETE_KEYS = ("disable", "maxPromptTokens", "debounceDelay", "modelTimeout", "maxSuffixPercentage",
                      "prefixPercentage", "transform", "template", "onlyMyCode", "useCache", "useImports",
                      "useRecentlyEdited", "useRecentlyOpened")
#: tabAutocompleteOptions keys Continue moves from config.json into its shared settings itself.
_AUTOCOMPLETE_SHARED = {"useCache", "multilineCompletions", "disableInFiles"}
#: Model-level keys that keep their name and meaning in config.yaml.
_MODEL_SAME = ("apiKey", "apiBase", "requestOptions", "useLegacyCompletionsEndpoint", "env", "maxStopWords",
               "cacheBehavior", "embedOptions", "chatOptions")
#: Model-level keys of the legacy schema that moved elsewhere (handled below).
_MODEL_MOVED = {"title", "provider", "model", "contextLength", "completionOptions", "systemMessage",
                "template", "promptTemplates", "capabilities"}
#: Provider settings that config.yaml keeps under the model's `env` (continue.md §2).
_MODEL_ENV = ("apiType", "apiVersion", "deployment", "deploymentId", "region", "profile", "projectId")
#: Shared settings Continue keeps reading from config.json (migrateSharedConfig.ts).
_STILL_READ = {"allowAnonymousTelemetry", "disableIndexing", "disableSessionTitles", "ui"}
_EXPERIMENTAL_SHARED = {"useChromiumForDocsCrawling", "promptPath", "readResponseTTS"}
#: Hub/analytics settings of services Continue 2.0 removed, and a schema pointer.
_RETIRED = {"analytics", "devData", "controlPlane", "userToken", "$schema"}
#: Slash commands Continue provides itself; the legacy default file listed them.
_BUILT_IN_COMMANDS = {"share", "cmd", "commit", "edit", "comment", "http", "issue", "so", "onboard", "review",
                      "draftIssue"}
#: Every top-level key of the legacy schema (config-types configJsonSchema + core's SerializedContinueConfig).
_LEGACY_KEYS = {"models", "tabAutocompleteModel", "embeddingsProvider", "reranker", "analytics", "devData",
                "allowAnonymousTelemetry", "systemMessage", "completionOptions", "requestOptions", "slashCommands",
                "customCommands", "contextProviders", "disableIndexing", "tabAutocompleteOptions", "ui", "docs",
                "controlPlane", "experimental", "disableSessionTitles", "env", "userToken", "$schema",
                "customInstructions"}


@dataclass
class LegacyCarry:
    """What goes into config.yaml, what the user is told, and what (if anything) blocks the move."""

    sections: dict[str, Any] = field(default_factory=dict)
    carried: list[str] = field(default_factory=list)
    still_read: list[str] = field(default_factory=list)
    nothing_to_carry: list[str] = field(default_factory=list)
    never_read: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)

    @property
    def models(self) -> list[dict[str, Any]]:
        return list(self.sections.get("models", []))

    def notes(self, legacy_name: str) -> list[str]:
        names = ", ".join(m["name"] for m in self.models) or "no models"
        settings = f"; also {', '.join(self.carried)}" if self.carried else ""
        out = [f"Continue ignores {legacy_name} once config.yaml exists, so its settings were carried over into "
               f"config.yaml (models: {names}{settings}); {legacy_name} was left as it was."]
        if self.still_read:
            out.append(f"Continue keeps applying {', '.join(self.still_read)} from {legacy_name}, which stays in "
                       "place.")
        if self.nothing_to_carry:
            out.append(f"Nothing to carry for {', '.join(self.nothing_to_carry)} (built into Continue or no "
                       "longer used by it).")
        if self.never_read:
            out.append(f"Not carried over, because Continue never read them: {', '.join(self.never_read)}.")
        return out


def _capabilities(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, dict):
        mapping = {"tools": "tool_use", "uploadImage": "image_input"}
        return [mapping[k] for k, v in value.items() if v and k in mapping]
    return []


def legacy_model(entry: Any, roles: list[str] | None, shared_completion: dict[str, Any],
                 shared_autocomplete: dict[str, Any], blockers: list[str]) -> dict[str, Any] | None:
    """One legacy model description in config.yaml's shape (None when it names no provider/model)."""
    if not isinstance(entry, dict) or not entry.get("provider") or not isinstance(entry.get("model"), str):
        return None
    out: dict[str, Any] = {"name": str(entry.get("title") or entry.get("model")), "provider": entry["provider"],
                           "model": entry["model"]}
    for key in _MODEL_SAME:
        if entry.get(key) not in (None, "", {}):
            out[key] = entry[key]
    env = {k: entry[k] for k in _MODEL_ENV if isinstance(entry.get(k), str | int | bool)}
    if env:
        out["env"] = {**env, **(out.get("env") or {})}
    if roles:
        out["roles"] = roles
    options = {k: v for k, v in shared_completion.items() if k in _COMPLETION_KEYS}
    completion = entry.get("completionOptions")
    if isinstance(completion, dict):
        options.update({k: completion[k] for k in _COMPLETION_KEYS if k in completion})
    if isinstance(entry.get("contextLength"), int):
        options["contextLength"] = entry["contextLength"]
    if options:
        out["defaultCompletionOptions"] = options
    if isinstance(entry.get("systemMessage"), str) and entry["systemMessage"]:
        out.setdefault("chatOptions", {})["baseSystemMessage"] = entry["systemMessage"]
    templates: dict[str, Any] = {}
    if isinstance(entry.get("template"), str):
        templates["chat"] = entry["template"]
    if isinstance(entry.get("promptTemplates"), dict):
        for key, value in entry["promptTemplates"].items():
            if key in ("apply", "edit", "autocomplete", "chat") and isinstance(value, str):
                templates[key] = value
            else:
                blockers.append(f"promptTemplates.{key} of model {out['name']}")
    if templates:
        out["promptTemplates"] = templates
    capabilities = _capabilities(entry.get("capabilities"))
    if capabilities:
        out["capabilities"] = capabilities
    if roles == ["autocomplete"] and shared_autocomplete:
        out["autocompleteOptions"] = dict(shared_autocomplete)
    return out


def _context(entries: list[Any]) -> list[dict[str, Any]]:
    out = []
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            item: dict[str, Any] = {"provider": entry["name"]}
            if entry.get("params"):
                item["params"] = entry["params"]
            out.append(item)
    return out


def carry_over(data: dict[str, Any]) -> LegacyCarry:
    """Sort every key of a legacy config.json into carried / still read / nothing to carry / blocking."""
    carry = LegacyCarry()
    blockers = carry.blockers
    tab_options = _mapping(data.get("tabAutocompleteOptions"))
    shared_autocomplete = {k: v for k, v in tab_options.items() if k in _AUTOCOMPLETE_KEYS}
    completion = _mapping(data.get("completionOptions"))
    models: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(entry: dict[str, Any] | None) -> None:
        if entry is None:
            return
        base, n = entry["name"], 2
        while entry["name"] in seen:  # Continue silently drops duplicate names
            entry["name"] = f"{base} ({n})"
            n += 1
        seen.add(entry["name"])
        models.append(entry)

    for entry in data.get("models") or [] if isinstance(data.get("models"), list) else []:
        add(legacy_model(entry, None, completion, {}, blockers))
    tab = data.get("tabAutocompleteModel")
    for entry in tab if isinstance(tab, list) else [tab] if tab else []:
        add(legacy_model(entry, ["autocomplete"], completion, shared_autocomplete, blockers))
    for key, role, name in (("embeddingsProvider", "embed", "Embeddings Model"), ("reranker", "rerank", "Reranker")):
        value = data.get(key)
        if not isinstance(value, dict):
            continue
        provider = value.get("provider") if key == "embeddingsProvider" else value.get("name")
        params = value if key == "embeddingsProvider" else (value.get("params") or {})
        if provider in ("free-trial", "continue-proxy"):
            carry.nothing_to_carry.append(f"{key} {provider}")
            continue
        entry = {"title": value.get("title") or name, "provider": provider, "model": params.get("model") or "",
                 **{k: params[k] for k in ("apiKey", "apiBase", "requestOptions") if params.get(k)}}
        add(legacy_model(entry, [role], {}, {}, blockers))
    if models:
        carry.sections["models"] = models

    for key, value in data.items():
        if key in ("models", "tabAutocompleteModel", "embeddingsProvider", "reranker"):
            continue  # the note names every carried model
        if key == "completionOptions":
            if value:
                carry.carried.append("completionOptions → each model's defaultCompletionOptions")
        elif key == "contextProviders" and isinstance(value, list):
            carry.sections["context"] = _context(value)
            carry.carried.append("contextProviders → context")
        elif key == "customCommands" and isinstance(value, list):
            carry.sections["prompts"] = [{k: c[k] for k in ("name", "description", "prompt") if c.get(k)}
                                         for c in value if isinstance(c, dict) and c.get("name") and c.get("prompt")]
            carry.carried.append("customCommands → prompts")
        elif key == "docs" and isinstance(value, list):
            carry.sections["docs"] = [{"name": d.get("title") or d["startUrl"], "startUrl": d["startUrl"],
                                       **{k: d[k] for k in ("rootUrl", "faviconUrl", "useLocalCrawling") if k in d}}
                                      for d in value if isinstance(d, dict) and d.get("startUrl")]
            carry.carried.append("docs")
        elif key in ("systemMessage", "customInstructions") and isinstance(value, str):
            if value:
                carry.sections.setdefault("rules", []).append(value)
            carry.carried.append(f"{key} → rules")
        elif key == "env" and isinstance(value, dict):
            carry.sections["env"] = value
            carry.carried.append("env")
        elif key == "requestOptions" and isinstance(value, dict):
            carry.sections["requestOptions"] = value
            carry.carried.append("requestOptions")
        elif key == "tabAutocompleteOptions" and isinstance(value, dict):
            carry.carried.append("tabAutocompleteOptions → autocompleteOptions")
            if set(value) & _AUTOCOMPLETE_SHARED:
                carry.still_read.append("tabAutocompleteOptions." + "/".join(sorted(set(value) & _AUTOCOMPLETE_SHARED)))
            if shared_autocomplete and not any("autocomplete" in (m.get("roles") or []) for m in models):
                blockers.append("tabAutocompleteOptions (no autocomplete model to put them on)")
            unknown = set(value) - set(_AUTOCOMPLETE_KEYS) - _AUTOCOMPLETE_SHARED
            if unknown:
                carry.never_read.append(", ".join(f"tabAutocompleteOptions.{k}" for k in sorted(unknown)))
        elif key == "experimental" and isinstance(value, dict):
            servers = value.get("modelContextProtocolServers")
            if isinstance(servers, list):
                carry.sections["mcpServers"] = [_mcp(s) for s in servers if isinstance(s, dict)]
            rest = set(value) - {"modelContextProtocolServers"} - _EXPERIMENTAL_SHARED
            if rest:
                blockers.append(", ".join(f"experimental.{k}" for k in sorted(rest)))
            else:
                carry.still_read.append("experimental")
        elif key == "slashCommands" and isinstance(value, list):
            custom = [c.get("name") for c in value if not isinstance(c, dict) or c.get("name") not in _BUILT_IN_COMMANDS
                      or c.get("params")]
            if custom:
                blockers.append(f"slashCommands ({', '.join(str(c) for c in custom)})")
            else:
                carry.nothing_to_carry.append("slashCommands")
        elif key in _STILL_READ:
            carry.still_read.append(key)
        elif key in _RETIRED:
            carry.nothing_to_carry.append(key)
        elif key in _LEGACY_KEYS:
            blockers.append(key)
        else:
            carry.never_read.append(key)
    return carry


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _mcp(server: dict[str, Any]) -> dict[str, Any]:
    transport = _mapping(server.get("transport"))
    out: dict[str, Any] = {"name": transport.get("server_name") or server.get("name") or "MCP Server",
                           "command": transport.get("command", "")}
    for key in ("args", "env"):
        if transport.get(key):
            out[key] = transport[key]
    return out
