"""Continue.dev: add or update Hybrid Coder's entries in ``config.yaml``.

What we write (continue.md §3–§4):
- "Hybrid Coder" — chat/edit/apply/summarize through provider ``openai`` at the proxy's
  ``/v1`` with model ``hybrid-auto`` (a name that does not trigger the Responses API),
  the proxy token as ``apiKey``, ``capabilities: [tool_use]``, the local model's real
  context length, ``noProxy`` for 127.0.0.1, and *no* ``requestOptions.timeout``
  (its units differ between Continue's layers).
- "Hybrid Coder Autocomplete" — provider ``ollama`` at the proxy root (the Ollama-native
  surface, so FIM is not templated twice) with the base FIM model, whose tag keeps
  ``qwen2.5-coder`` in the name so Continue picks the right FIM template.
- "Hybrid Coder Embed" — only when an embedding model is installed.

Everything else in the user's file survives byte for byte (see ``yaml_doc``). Our
entries are found again by their name prefix, so a rerun updates instead of
duplicating. A legacy ``config.json`` with no ``config.yaml``: Continue would ignore
the JSON once a YAML exists, so the user's models are carried over into the new YAML
and anything that cannot be carried over is named in a note; config.json itself is
not touched.

This module never writes files itself (it returns a plan for ``safe_write``) and
never emits ``uses:`` hub blocks (slug resolution is dead in Continue 2.x).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from hybridcoder.clients.continue_legacy import carry_over
from hybridcoder.clients.continue_schema import continue_would_reject
from hybridcoder.clients.errors import BrokenConfigError, ConfigWriteError
from hybridcoder.clients.json_doc import parse_json_object
from hybridcoder.clients.rules import load_rule_set
from hybridcoder.clients.safe_write import PlannedFile
from hybridcoder.clients.targets import OUR_PREFIX, ClientModels, ProxyTarget, ToolPlan
from hybridcoder.clients.yaml_doc import new_document, parse_yaml, plain, to_commented

TOOL = "continue"
CHAT_NAME = OUR_PREFIX
AUTOCOMPLETE_NAME = f"{OUR_PREFIX} Autocomplete"
EMBED_NAME = f"{OUR_PREFIX} Embed"
RULE_NAME = f"{OUR_PREFIX}: small-model rules"
NO_PROXY = ["127.0.0.1", "localhost"]

def continue_dir() -> Path:
    """``CONTINUE_GLOBAL_DIR`` (relative paths are taken from the current folder) or ``~/.continue``."""
    override = os.environ.get("CONTINUE_GLOBAL_DIR", "").strip()
    if override:
        return Path(override).expanduser().absolute()
    return Path(os.path.expanduser("~")) / ".continue"


def config_path() -> Path:
    return continue_dir() / "config.yaml"


def desired_models(target: ProxyTarget, models: ClientModels) -> list[dict[str, Any]]:
    """Our model entries, in the order they appear in the file."""
    entries: list[dict[str, Any]] = [{
        "name": CHAT_NAME,
        "provider": "openai",
        "model": models.router_model,
        "apiBase": target.openai_base,
        "apiKey": target.token,
        "roles": ["chat", "edit", "apply", "summarize"],
        "capabilities": ["tool_use"],
        "defaultCompletionOptions": {"contextLength": models.chat_context,
                                     "maxTokens": models.max_output_tokens},
        "requestOptions": {"noProxy": list(NO_PROXY)},
    }, {
        "name": AUTOCOMPLETE_NAME,
        "provider": "ollama",
        "model": models.autocomplete,
        "apiBase": target.url,
        "apiKey": target.token,
        "roles": ["autocomplete"],
        "defaultCompletionOptions": {"contextLength": models.autocomplete_context},
        "autocompleteOptions": {"debounceDelay": 250, "maxPromptTokens": 1024},
        "requestOptions": {"noProxy": list(NO_PROXY)},
    }]
    if models.embed:
        entries.append({
            "name": EMBED_NAME,
            "provider": "ollama",
            "model": models.embed,
            "apiBase": target.url,
            "apiKey": target.token,
            "roles": ["embed"],
            "requestOptions": {"noProxy": list(NO_PROXY)},
        })
    return entries


def _is_ours(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].startswith(OUR_PREFIX)


def _update_in_place(item: CommentedMap, desired: dict[str, Any]) -> None:
    """Bring one of our entries to ``desired`` touching only keys that differ (comments kept)."""
    for key in [k for k in item if k not in desired]:
        del item[key]
    for key, value in desired.items():
        if key not in item or plain(item[key]) != value:
            item[key] = to_commented(value)


def _merge_list(seq: CommentedSeq, desired: list[dict[str, Any]]) -> None:
    """Update our entries in ``seq`` by name, drop stale ones, append missing ones."""
    wanted = {entry["name"]: entry for entry in desired}
    seen: set[str] = set()
    stale = []
    for index, item in enumerate(seq):
        if _is_ours(item):
            # Continue silently drops later duplicates, so a copy of ours is removed too.
            if item["name"] not in wanted or item["name"] in seen:
                stale.append(index)
            seen.add(item["name"])
    for index in reversed(stale):
        del seq[index]
    present = {item["name"]: item for item in seq if _is_ours(item)}
    for name, entry in wanted.items():
        if name in present:
            _update_in_place(present[name], entry)
        else:
            if seq.fa.flow_style():  # `[a, b]` + a whole mapping on one line is unreadable
                seq.fa.set_block_style()
            seq.append(to_commented(entry))


def _section(doc_data: CommentedMap, key: str, path: Path) -> CommentedSeq:
    value = doc_data.get(key)
    if value is None:
        doc_data[key] = CommentedSeq()
        return doc_data[key]  # type: ignore[no-any-return]
    if not isinstance(value, list):
        raise BrokenConfigError(TOOL, path, f"its `{key}` section is not a list")
    return value  # type: ignore[return-value]


def plan_continue(target: ProxyTarget, models: ClientModels, *, rules: bool | None = None,
                  reset_broken: bool = False) -> ToolPlan:
    """The new bytes of config.yaml; raises BrokenConfigError for an unparsable file."""
    plan = ToolPlan(TOOL)
    path = config_path()
    raw = path.read_bytes() if path.exists() else None
    doc = None
    before: Any = None
    if raw is not None and raw.strip(b" \t\r\n\xef\xbb\xbf"):
        try:
            doc, before = parse_yaml(TOOL, path, raw)
            if doc.data is not None and not isinstance(doc.data, dict):
                raise BrokenConfigError(TOOL, path, "its top level is not a mapping of settings")
        except BrokenConfigError:
            if not reset_broken:
                raise
            plan.notes.append(f"{path} could not be read; it was backed up and replaced with a fresh file.")
            doc = None
    if doc is None or doc.data is None:
        fresh = CommentedMap([("name", "Hybrid Coder"), ("version", "1.0.0"), ("schema", "v1")])
        if doc is None:
            doc = new_document(fresh)
        else:  # only comments in the file: keep them, our document goes below
            doc.data = fresh
        before = None
        legacy = path.with_name("config.json")
        if legacy.exists():
            _carry_legacy_into(doc.data, legacy, plan, reset_broken)
    data: CommentedMap = doc.data
    for key, default in (("name", "Hybrid Coder"), ("version", "1.0.0"), ("schema", "v1")):
        if key not in data:  # all three are required by Continue's schema
            data[key] = default
    seq = _section(data, "models", path)
    user_chat = [m for m in seq if isinstance(m, dict) and not _is_ours(m)
                 and ("roles" not in m or "chat" in (m.get("roles") or []))]
    _merge_list(seq, desired_models(target, models))
    if rules:
        rule_set = load_rule_set()
        _merge_list(_section(data, "rules", path),
                    [{"name": RULE_NAME, "rule": rule_set.as_text(), "alwaysApply": True}])
    elif rules is False and isinstance(data.get("rules"), list):
        had_only_ours = all(_is_ours(r) for r in data["rules"]) and len(data["rules"]) > 0
        _merge_list(data["rules"], [])
        if had_only_ours:
            del data["rules"]
    content = doc.to_bytes(before)
    _refuse_unloadable(path, raw, content)
    # It holds the proxy token: only the user may read it (Continue writes its own default 0600 too).
    plan.files.append(PlannedFile(path, content, mode=0o600))
    if user_chat:
        plan.notes.append("Continue keeps your own chat models; pick \"Hybrid Coder\" in Continue's model menu.")
    return plan


def _refuse_unloadable(path: Path, raw: bytes | None, content: bytes) -> None:
    """Validate before replacing: never leave a config.yaml that Continue would refuse to load."""
    reason = continue_would_reject(content.decode("utf-8"))
    if reason is None:
        return
    was = continue_would_reject(raw.decode("utf-8", "replace")) if raw and raw.strip() else None
    if was is not None:
        raise ConfigWriteError(
            f"{path} was left unchanged because Continue cannot load it as it is ({was}); fix that "
            "and run `hybridcoder configure continue` again.")
    raise ConfigWriteError(
        f"{path} was left unchanged because adding Hybrid Coder would leave a file Continue cannot load "
        f"({reason}); add the Hybrid Coder entries by hand, or report this file as a Hybrid Coder bug.")


def _carry_legacy_into(data: CommentedMap, legacy: Path, plan: ToolPlan, reset_broken: bool) -> None:
    try:
        parsed = parse_json_object(TOOL, legacy, legacy.read_bytes(), jsonc=True)
    except BrokenConfigError as exc:
        if not reset_broken:
            raise BrokenConfigError(
                TOOL, legacy, f"{exc.problem}; Continue would stop reading it once config.yaml exists, "
                "so its models must be carried over first", line=exc.line, column=exc.column) from exc
        plan.notes.append(f"{legacy} could not be read, so none of its models were carried over.")
        return
    carry = carry_over(parsed.data)
    if carry.blockers:
        raise ConfigWriteError(
            f"{legacy} has settings config.yaml has no place for ({'; '.join(carry.blockers)}), and Continue "
            "stops reading config.json once a config.yaml exists, so no config.yaml was created and config.json "
            "stays in charge; move or remove those settings by hand, then run `hybridcoder configure continue` again."
        )
    for key, value in carry.sections.items():
        data[key] = to_commented(value)
    plan.notes.extend(carry.notes(legacy.name))


def is_configured() -> bool:
    """True when config.yaml already holds a Hybrid Coder entry."""
    path = config_path()
    try:
        doc, _ = parse_yaml(TOOL, path, path.read_bytes())
    except (OSError, BrokenConfigError):
        return False
    data = doc.data
    return isinstance(data, dict) and isinstance(data.get("models"), list) and any(
        _is_ours(m) for m in data["models"])
