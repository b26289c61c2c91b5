"""Would Continue load this config.yaml? Checked in Python before we replace the user's file.

Continue parses config.yaml with the npm ``yaml`` package (YAML 1.2: ``<<`` merge keys only
count under a ``%YAML 1.1`` directive) and validates it with the zod schema of
``@continuedev/config-yaml`` 1.42 (``packages/config-yaml/src/schemas``): unknown keys are
dropped silently, but a required field that is missing or of the wrong type rejects the
whole file. This module mirrors the parts of that schema a config file can get wrong, so
the writer can refuse with a reason instead of leaving a file Continue cannot load. The
end-to-end tests run Continue's own validator over the same files to keep the two honest.

This module never reads or writes files; it only looks at text.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

ROLES = {"chat", "autocomplete", "embed", "rerank", "edit", "apply", "summarize", "subagent"}
CHAT_TEMPLATES = {"llama2", "alpaca", "zephyr", "phi2", "phind", "anthropic", "chatml", "none", "openchat",
                  "deepseek", "xwin-coder", "neural-chat", "codellama-70b", "llava", "gemma", "granite",
                  "llama3", "codestral"}

# A spec is a type name, ("list", spec), ("record", spec), ("enum", names), ("one of", [specs]) or a dict
# of field -> (spec, required). Fields not listed are ignored, as zod does.
Spec = Any
_NUM, _STR, _BOOL, _ANY = "number", "string", "boolean", "any"
_STRS = ("list", _STR)
_REQUEST = {"timeout": (_NUM, False), "verifySsl": (_BOOL, False),
            "caBundlePath": (("one of", [_STR, _STRS]), False), "proxy": (_STR, False),
            "headers": (("record", _STR), False), "noProxy": (_STRS, False),
            "clientCertificate": ({"cert": (_STR, True), "key": (_STR, True), "passphrase": (_STR, False)}, False)}
_COMPLETION = {**{k: (_NUM, False) for k in ("contextLength", "maxTokens", "temperature", "topP", "topK", "minP",
                                             "presencePenalty", "frequencyPenalty", "n", "reasoningBudgetTokens")},
               **{k: (_BOOL, False) for k in ("reasoning", "promptCaching", "stream")}, "stop": (_STRS, False)}
_AUTOCOMPLETE = {**{k: (_NUM, False) for k in ("maxPromptTokens", "debounceDelay", "modelTimeout",
                                               "maxSuffixPercentage", "prefixPercentage")},
                 **{k: (_BOOL, False) for k in ("disable", "transform", "onlyMyCode", "useCache", "useImports",
                                                "useRecentlyEdited", "useRecentlyOpened")},
                 "template": (_STR, False)}
_MODEL = {
    "name": (_STR, True), "provider": (_STR, True), "model": (_STR, True), "apiKey": (_STR, False),
    "apiBase": (_STR, False), "maxStopWords": (_NUM, False), "roles": (("list", ("enum", ROLES)), False),
    "capabilities": (_STRS, False), "defaultCompletionOptions": (_COMPLETION, False),
    "cacheBehavior": ({"cacheSystemMessage": (_BOOL, False), "cacheConversation": (_BOOL, False)}, False),
    "requestOptions": (_REQUEST, False),
    "embedOptions": ({"maxChunkSize": (_NUM, False), "maxBatchSize": (_NUM, False)}, False),
    "chatOptions": ({k: (_STR, False) for k in ("baseSystemMessage", "baseAgentSystemMessage",
                                                "basePlanSystemMessage")}, False),
    "promptTemplates": ({"apply": (_STR, False), "chat": (("enum", CHAT_TEMPLATES), False), "edit": (_STR, False),
                         "autocomplete": (_STR, False)}, False),
    "useLegacyCompletionsEndpoint": (_BOOL, False),
    "env": (("record", ("one of", [_STR, _BOOL, _NUM])), False), "autocompleteOptions": (_AUTOCOMPLETE, False),
}
_USES = {"uses": (_STR, True), "with": (("record", _STR), False)}
_MCP = ("one of", [{"name": (_STR, True), "command": (_STR, True), "args": (_STRS, False),
                    "env": (("record", _STR), False), "cwd": (_STR, False)},
                   {"name": (_STR, True), "url": (_STR, True), "apiKey": (_STR, False)}])
_RULE = ("one of", [_STR, {"name": (_STR, True), "rule": (_STR, True), "description": (_STR, False),
                           "globs": (("one of", [_STR, _STRS]), False), "alwaysApply": (_BOOL, False)}])
_TOP = {
    "name": (_STR, True), "version": (_STR, True), "schema": (_STR, False), "env": (("record", _ANY), False),
    "requestOptions": (_REQUEST, False),
    "models": (("list", ("one of", [_MODEL, _USES])), False),
    "context": (("list", ("one of", [{"provider": (_STR, True), "name": (_STR, False)}, _USES])), False),
    "mcpServers": (("list", ("one of", [_MCP, _USES])), False),
    "rules": (("list", ("one of", [_RULE, _USES])), False),
    "prompts": (("list", ("one of", [{"name": (_STR, True), "prompt": (_STR, True),
                                      "description": (_STR, False)}, _USES])), False),
    "docs": (("list", ("one of", [{"name": (_STR, True), "startUrl": (_STR, True)}, _USES])), False),
    "data": (("list", _ANY), False),
}
_DIRECTIVE_11 = re.compile(r"^%YAML\s+1\.1\s*(#.*)?$")


def merges_apply(text: str) -> bool:
    """True when ``<<`` merge keys take effect for Continue: a ``%YAML 1.1`` directive heads the file."""
    for line in text.lstrip("\ufeff").splitlines():
        if line.strip() in ("---", "...") or line.startswith("---"):
            return False
        if _DIRECTIVE_11.match(line.strip()):
            return True
    return False


def continue_view(node: Any, merges: bool) -> Any:
    """Plain data as Continue's parser builds it (merge keys honoured only under YAML 1.1)."""
    if isinstance(node, CommentedMap):
        keys = list(node.keys()) if merges else [k for k in node if k in node._ok]
        out = {str(k): continue_view(node[k], merges) for k in keys}
        if not merges and node.merge:
            out["<<"] = {}  # an ordinary key under YAML 1.2, dropped by the schema
        return out
    if isinstance(node, dict):
        return {str(k): continue_view(v, merges) for k, v in node.items()}
    if isinstance(node, CommentedSeq | list):
        return [continue_view(v, merges) for v in node]
    return node


def _type_ok(value: Any, kind: str) -> bool:
    if kind == _ANY:
        return True
    if kind == _STR:
        return isinstance(value, str)
    if kind == _BOOL:
        return isinstance(value, bool)
    return isinstance(value, int | float) and not isinstance(value, bool)


def _problem(value: Any, spec: Spec, where: str) -> str | None:
    """The first way ``value`` breaks ``spec``, said for a person, or None."""
    if isinstance(spec, str):
        return None if _type_ok(value, spec) else f"{where} is not a {spec}"
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return f"{where} is not a mapping of settings"
        for key, (sub, required) in spec.items():
            if key not in value or value[key] is None:
                if required:
                    return f"{where} has no `{key}`"
                if key in value:  # `key:` with no value is null, which zod's optional() refuses
                    return f"{where}.{key} is empty"
                continue
            found = _problem(value[key], sub, f"{where}.{key}")
            if found:
                return found
        return None
    head = spec[0]
    if head == "list":
        if not isinstance(value, list):
            return f"{where} is not a list"
        for index, item in enumerate(value):
            found = _problem(item, spec[1], f"{where}[{index + 1}]")
            if found:
                return found
        return None
    if head == "record":
        if not isinstance(value, dict):
            return f"{where} is not a mapping"
        return next((p for k, v in value.items() if (p := _problem(v, spec[1], f"{where}.{k}"))), None)
    if head == "enum":
        return None if value in spec[1] else f"{where} is {value!r}, which Continue does not know"
    problems = [_problem(value, option, where) for option in spec[1]]
    if all(problems):
        # Name the option the entry was meant to be (a `uses:` block or the full form).
        meant = 1 if isinstance(value, dict) and "uses" in value and len(spec[1]) > 1 else 0
        return problems[meant]
    return None


def _label(data: dict[str, Any], where: str) -> str:
    """`models[2]` → `models[2] ("Llama 3")` so the user finds the entry."""
    match = re.match(r"^(\w+)\[(\d+)\]", where)
    if not match or not isinstance(data.get(match.group(1)), list):
        return where
    item = data[match.group(1)][int(match.group(2)) - 1]
    title = item.get("name") or item.get("title") or item.get("model") if isinstance(item, dict) else None
    return where.replace(match.group(0), f"{match.group(0)} (\u201c{title}\u201d)", 1) if title else where


def continue_would_reject(text: str) -> str | None:
    """Why Continue would refuse to load ``text`` (a phrase such as "models[1] has no `name`"), or None."""
    from hybridcoder.clients.yaml_doc import set_tabs_aside

    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    try:
        data = YAML(typ="rt").load(set_tabs_aside(text)[0])  # Continue's parser allows trailing tabs
    except YAMLError as exc:
        return f"it is not valid YAML ({str(exc).splitlines()[0]})"
    if data is None:
        return None  # Continue writes its own default over an empty file
    view = continue_view(data, merges_apply(text))
    if not isinstance(view, dict):
        return "its top level is not a mapping of settings"
    found = _problem(view, _TOP, "config")
    if found is None:
        return None
    where = found.removeprefix("config.").replace("config has", "it has").replace("config is", "it is")
    return _label(view, where)
