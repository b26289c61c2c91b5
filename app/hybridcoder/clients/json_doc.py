"""JSON files (Cline's state and settings, aider's metadata) merged without reformatting.

The tools write their JSON with ``JSON.stringify(value, null, 2)``-style output;
we detect the indentation, line endings and final newline and write back in the
same style with the keys in their original order, so entries we do not touch come
back byte for byte.

This module never writes files; it turns bytes into an object and back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybridcoder.clients.errors import BrokenConfigError

BOM = "\ufeff"


@dataclass
class JsonDocument:
    data: dict[str, Any]
    indent: int | str | None = 2
    crlf: bool = False
    final_newline: bool = True
    bom: bool = False
    existed: bool = False

    def to_bytes(self) -> bytes:
        if self.indent is None:
            text = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        else:
            text = json.dumps(self.data, ensure_ascii=False, indent=self.indent)
        if self.final_newline:
            text += "\n"
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return ((BOM if self.bom else "") + text).encode("utf-8")


def _detect_indent(text: str) -> int | str | None:
    match = re.search(r"\n([ \t]+)\S", text)
    if not match:
        return None if text.strip().startswith("{") and "\n" not in text.strip() else 2
    unit = match.group(1)
    return "\t" if unit.startswith("\t") else len(unit)


def strip_jsonc(text: str) -> str:
    """Remove // and /* */ comments and trailing commas (Continue's config.json allowed them)."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
            i += 1
            continue
        if c == '"':
            in_string = True
            out.append(c)
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            # Keep line numbers stable for error messages.
            chunk = text[i: n if end < 0 else end + 2]
            out.append("\n" * chunk.count("\n"))
            i = n if end < 0 else end + 2
        else:
            out.append(c)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def parse_json_object(tool: str, path: Path, raw: bytes | None, *, jsonc: bool = False) -> JsonDocument:
    """Parse a JSON object file; a missing or blank file is an empty object.

    Raises :class:`BrokenConfigError` (with line and column) for anything else that
    is not a JSON object.
    """
    if raw is None:
        return JsonDocument({}, existed=False)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BrokenConfigError(tool, path, f"it is not UTF-8 text (byte {exc.start})") from exc
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    if not text.strip():
        return JsonDocument({}, bom=bom, existed=True)
    crlf = "\r\n" in text
    body = text.replace("\r\n", "\n")
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        error = exc
        data = None
        if jsonc:  # comments and trailing commas are fine there; report the first real error
            try:
                data = json.loads(strip_jsonc(body))
            except json.JSONDecodeError as jsonc_exc:
                error = jsonc_exc
        if data is None:
            raise BrokenConfigError(tool, path, f"it is not valid JSON ({error.msg})",
                                    line=error.lineno, column=error.colno) from exc
    if not isinstance(data, dict):
        raise BrokenConfigError(tool, path, f"it holds a JSON {type(data).__name__}, not an object")
    return JsonDocument(data, _detect_indent(body), crlf, body.endswith("\n"), bom, existed=True)
