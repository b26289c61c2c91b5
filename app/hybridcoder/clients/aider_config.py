"""Aider: ``~/.aider.conf.yml`` merged, plus model settings and zero-price metadata.

What we write (aider.md §1, §3, §4, §8):
- ``.aider.conf.yml``: ``model``/``weak-model``/``editor-model`` = ``openai/hybrid-auto``
  (LiteLLM strips ``openai/``, so the proxy sees ``hybrid-auto``), the proxy's ``/v1`` as
  ``openai-api-base`` and the token as ``openai-api-key``. ``show-model-warnings``,
  ``check-update`` and ``analytics`` are set to false only when the user has not chosen
  a value (they would otherwise open prompts or reach the network).
- ``.aider.model.settings.yml``: one entry for ``openai/hybrid-auto`` (edit format by
  model size), merged into the user's list by name.
- ``.aider.model.metadata.json``: context sizes and zero prices, so aider does not fetch
  LiteLLM's price list and knows the window.

Other keys, comments and entries stay as they were. This module never writes files itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from hybridcoder.clients.errors import BrokenConfigError
from hybridcoder.clients.json_doc import JsonDocument, parse_json_object
from hybridcoder.clients.safe_write import PlannedFile
from hybridcoder.clients.targets import ClientModels, ProxyTarget, ToolPlan
from hybridcoder.clients.yaml_doc import YamlDocument, new_document, parse_yaml, plain, to_commented

TOOL = "aider"
_DEFAULT_OFF = ("show-model-warnings", "check-update", "analytics")


def home() -> Path:
    return Path(os.path.expanduser("~"))


def aider_model(models: ClientModels) -> str:
    return f"openai/{models.router_model}"


def edit_format_for(local_chat: str) -> str:
    """``diff`` for 7B+ coder models; ``whole`` for very small ones that garble diffs (heuristic)."""
    match = re.search(r"(\d+(?:\.\d+)?)b\b", local_chat.lower())
    if match and float(match.group(1)) < 7:
        return "whole"
    return "diff"


def _load_yaml(path: Path, reset_broken: bool, plan: ToolPlan,
               empty: CommentedMap | CommentedSeq) -> tuple[YamlDocument, Any]:
    raw = path.read_bytes() if path.exists() else None
    if raw is not None and raw.strip():
        try:
            doc, before = parse_yaml(TOOL, path, raw)
            if doc.data is None:
                doc.data = empty
                return doc, None
            if not isinstance(doc.data, dict if isinstance(empty, dict) else list):
                kind = "mapping of options" if isinstance(empty, dict) else "list of model settings"
                raise BrokenConfigError(TOOL, path, f"its top level is not a {kind}")
            return doc, before
        except BrokenConfigError:
            if not reset_broken:
                raise
            plan.notes.append(f"{path} could not be read; it was backed up and replaced with a fresh file.")
    doc = new_document(empty)
    return doc, None


def _conf(doc: YamlDocument, target: ProxyTarget, models: ClientModels, plan: ToolPlan) -> None:
    data: CommentedMap = doc.data
    name = aider_model(models)
    wanted = {"model": name, "weak-model": name, "editor-model": name,
              "openai-api-base": target.openai_base, "openai-api-key": target.token}
    replaced = [(key, data[key]) for key in wanted
                if key in data and data[key] not in (None, "") and data[key] != wanted[key]]
    if replaced:
        plan.notes.append(replaced_note(replaced))
    for key, value in wanted.items():
        if data.get(key) != value:
            data[key] = value
    for key in _DEFAULT_OFF:
        if key not in data:
            data[key] = False


_SECRET_KEYS = ("openai-api-key",)
_WHAT = {"model": "main model", "weak-model": "weak model (commit messages, summaries)",
         "editor-model": "editor model (architect mode)", "openai-api-base": "OpenAI base URL",
         "openai-api-key": "OpenAI API key"}


def replaced_note(replaced: list[tuple[str, Any]]) -> str:
    """One sentence naming every user value we replaced; keys are never printed."""
    parts = [f"{_WHAT[key]} `{key}` (was a key of your own, kept in the backup)" if key in _SECRET_KEYS
             else f"{_WHAT[key]} `{key}` (was {value})" for key, value in replaced]
    return ("aider's settings now point at Hybrid Coder; replaced: " + "; ".join(parts)
            + " — `hybridcoder configure aider --undo` restores them.")


def _settings(doc: YamlDocument, models: ClientModels) -> None:
    seq: CommentedSeq = doc.data
    name = aider_model(models)
    entry = {"name": name, "edit_format": edit_format_for(models.local_chat), "use_repo_map": True,
             "extra_params": {"max_tokens": models.max_output_tokens}}
    for index, item in enumerate(seq):
        if isinstance(item, dict) and item.get("name") == name:
            if plain(item) != entry:
                for key in [k for k in item if k not in entry]:
                    del item[key]
                for key, value in entry.items():
                    if key not in item or plain(item[key]) != value:
                        item[key] = to_commented(value)
            seq[index] = item
            return
    seq.append(to_commented(entry))


def _metadata(doc: JsonDocument, models: ClientModels) -> None:
    name = aider_model(models)
    wanted = {"max_tokens": models.max_output_tokens, "max_input_tokens": models.chat_context,
              "max_output_tokens": models.max_output_tokens, "input_cost_per_token": 0,
              "output_cost_per_token": 0, "litellm_provider": "openai", "mode": "chat"}
    if doc.data.get(name) != wanted:
        doc.data[name] = wanted


def plan_aider(target: ProxyTarget, models: ClientModels, *, rules: bool | None = None,
               reset_broken: bool = False) -> ToolPlan:
    plan = ToolPlan(TOOL)
    conf_path = home() / ".aider.conf.yml"
    settings_path = home() / ".aider.model.settings.yml"
    meta_path = home() / ".aider.model.metadata.json"
    conf, conf_before = _load_yaml(conf_path, reset_broken, plan, CommentedMap())
    settings, settings_before = _load_yaml(settings_path, reset_broken, plan, CommentedSeq())
    try:
        meta = parse_json_object(TOOL, meta_path, meta_path.read_bytes() if meta_path.exists() else None)
    except BrokenConfigError:
        if not reset_broken:
            raise
        plan.notes.append(f"{meta_path} could not be read; it was backed up and replaced with a fresh file.")
        meta = JsonDocument({}, existed=True)
    if not conf.original:
        conf.data.yaml_set_start_comment("aider settings; the Hybrid Coder proxy entries were added by Hybrid Coder")
    _conf(conf, target, models, plan)
    _settings(settings, models)
    _metadata(meta, models)
    plan.files += [
        # It holds the proxy token: only the user may read it, whatever its mode was.
        PlannedFile(conf_path, conf.to_bytes(conf_before), mode=0o600),
        PlannedFile(settings_path, settings.to_bytes(settings_before)),
        PlannedFile(meta_path, meta.to_bytes()),
    ]
    return plan


def is_configured() -> bool:
    path = home() / ".aider.conf.yml"
    try:
        doc, _ = parse_yaml(TOOL, path, path.read_bytes())
    except (OSError, BrokenConfigError):
        return False
    return isinstance(doc.data, dict) and str(doc.data.get("model", "")).endswith("/hybrid-auto")
