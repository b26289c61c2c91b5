"""Remove obvious secrets from a request before it leaves the machine for a cloud provider.

Editors paste whole files into prompts, and ``.env`` files, private keys and API
keys end up there. Before a request goes to the cloud, :func:`redact_body` replaces
them with a marker such as ``[REDACTED:private_key]`` and counts what it replaced;
the count goes into the ledger, the secrets go nowhere. Local requests are never
touched (the text stays on this machine).

The patterns aim at things that are certainly secrets (a PEM private key block, a
key with a provider's prefix, a ``NAME_TOKEN=value`` assignment with a literal value)
so code is not mangled. It is a safety net, not a guarantee.

This module never logs, stores or returns the secrets it finds; it never changes
the caller's body (a copy is made only when something was replaced).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_PRIVATE_KEY = (
    r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,20000}?-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
)
# Provider keys with a recognisable prefix; lengths are those the providers issue.
_API_KEYS = "|".join((
    r"sk-ant-[A-Za-z0-9_\-]{20,}",
    r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{32,}",
    r"(?:AKIA|ASIA)[0-9A-Z]{16}",
    r"gh[pousr]_[A-Za-z0-9]{36,}",
    r"github_pat_[A-Za-z0-9_]{60,}",
    r"glpat-[A-Za-z0-9_\-]{20,}",
    r"xox[abposr]-[A-Za-z0-9\-]{10,}",
    r"AIza[0-9A-Za-z_\-]{35}",
    r"hf_[A-Za-z0-9]{30,}",
    r"(?:sk|rk)_live_[A-Za-z0-9]{20,}",
    r"npm_[A-Za-z0-9]{36}",
    r"hc-[A-Za-z0-9_\-]{30,}",
))
# NAME=value where NAME says it is secret and value is a literal (not code such as os.getenv(...)).
_ASSIGNMENT = (
    r"(?m)^([ \t]*(?:export[ \t]+)?[A-Z_][A-Z0-9_]*"
    r"(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)[A-Z0-9_]*"
    r"[ \t]*=[ \t]*)"
    r"(?![0-9.]+[ \t]*$)(\"[^\"\n]{4,}\"|'[^'\n]{4,}'|[^\s\"'(){}\[\],;#]{4,})[ \t]*$"
)
# user:password@host in connection strings.
_URL_PASSWORD = r"(\b[a-z][a-z0-9+.\-]{1,20}://[^\s:/@]{1,100}:)([^\s@/]{3,200})(@)"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private_key", re.compile(_PRIVATE_KEY)),
    ("api_key", re.compile(_API_KEYS)),
    ("env_assignment", re.compile(_ASSIGNMENT)),
    ("url_password", re.compile(_URL_PASSWORD, re.IGNORECASE)),
)
# A cheap pre-check: text without any of these cannot match, so most prompts cost one scan each.
_HINTS = re.compile(
    r"PRIVATE KEY|sk-|sk_live|rk_live|AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|xox|AIza|hf_|npm_|hc-|://|"
    r"(?i:secret|token|passw|pwd|api_?key|access_?key|private_?key|auth|credential)"
)


def redact_text(text: str) -> tuple[str, int]:
    """``(text with secrets replaced, number replaced)``."""
    if not _HINTS.search(text):
        return text, 0
    total = 0
    for label, pattern in _PATTERNS:
        marker = f"[REDACTED:{label}]"
        if label in ("env_assignment", "url_password"):
            replace: Callable[[re.Match[str]], str] = _keep_name(marker)
            text, count = pattern.subn(replace, text)
        else:
            text, count = pattern.subn(marker, text)
        total += count
    return text, total


def _keep_name(marker: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        tail = match.group(3) if match.lastindex and match.lastindex >= 3 else ""
        return f"{match.group(1)}{marker}{tail}"
    return replace


def redact_body(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Redact every text an upstream would see: messages, their parts, tool arguments, prompt, system.

    Returns the original object when nothing was found, else a copy with only the
    changed containers copied.
    """
    total = 0
    changed = dict(body)
    messages = body.get("messages")
    if isinstance(messages, list):
        new_messages, count = _redact_messages(messages)
        if count:
            changed["messages"] = new_messages
            total += count
    for key in ("prompt", "suffix", "system"):
        value = body.get(key)
        if isinstance(value, str):
            new_value, count = redact_text(value)
            if count:
                changed[key] = new_value
                total += count
    return (changed, total) if total else (body, 0)


def _redact_messages(messages: list[Any]) -> tuple[list[Any], int]:
    total = 0
    out = messages
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        new_message, count = _redact_message(message)
        if count:
            if out is messages:
                out = list(messages)
            out[index] = new_message
            total += count
    return out, total


def _redact_message(message: dict[str, Any]) -> tuple[dict[str, Any], int]:
    total = 0
    new = message
    content = message.get("content")
    if isinstance(content, str):
        text, count = redact_text(content)
        if count:
            new = dict(message)
            new["content"] = text
            total += count
    elif isinstance(content, list):
        parts = content
        for index, part in enumerate(content):
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                text, count = redact_text(part["text"])
                if count:
                    if parts is content:
                        parts = list(content)
                    parts[index] = {**part, "text": text}
                    total += count
        if parts is not content:
            new = dict(message)
            new["content"] = parts
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        new_calls = calls
        for index, call in enumerate(calls):
            function = call.get("function") if isinstance(call, dict) else None
            arguments = function.get("arguments") if isinstance(function, dict) else None
            if isinstance(arguments, str):
                text, count = redact_text(arguments)
                if count:
                    if new_calls is calls:
                        new_calls = list(calls)
                    new_calls[index] = {**call, "function": {**function, "arguments": text}}  # type: ignore[dict-item]
                    total += count
        if new_calls is not calls:
            if new is message:
                new = dict(message)
            new["tool_calls"] = new_calls
    return new, total
