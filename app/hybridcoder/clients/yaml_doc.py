"""Round-trip YAML files (Continue's config.yaml, aider's files) without disturbing the user.

Loads with ruamel.yaml's round-trip mode (comments, order, anchors/aliases, quotes
kept), remembers the file's line endings, byte-order mark and indentation, and
writes back through :func:`hybridcoder.clients.text_patch.carry_edit` so only the
lines we changed differ from the user's bytes.

This module never writes files; it turns bytes into a document and back.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from hybridcoder.clients.errors import BrokenConfigError
from hybridcoder.clients.text_patch import carry_edit

BOM = "\ufeff"


@dataclass
class YamlDocument:
    """A parsed YAML file plus what is needed to write it back the way it was."""

    data: Any
    original: str  # text with "\n" newlines and no BOM
    crlf: bool
    bom: bool
    mapping_indent: int
    sequence_indent: int
    sequence_offset: int

    def _yaml(self) -> YAML:
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 4096  # never re-wrap a user's long line
        yaml.indent(mapping=self.mapping_indent, sequence=self.sequence_indent, offset=self.sequence_offset)
        return yaml

    def render(self, data: Any) -> str:
        stream = io.StringIO()
        self._yaml().dump(data, stream)
        return stream.getvalue()

    def to_bytes(self, before_data: Any) -> bytes:
        """The file's new bytes: our edit carried onto the original text.

        ``before_data`` is an untouched load of the original (the emitter's view of it), or
        None when the original held no data (only comments).
        """
        after = self.render(self.data)
        if self.original.strip() and before_data is None:
            # The file held only comments (aider ships such a sample): keep them, add ours below.
            text = self.original + ("" if self.original.endswith("\n") else "\n") + after
        elif self.original.strip():
            before = self.render(before_data)
            text = carry_edit(self.original, before, after)
            # Safety net: if carrying the edit produced anything else, use the emitter's text.
            try:
                if _plain(self._yaml().load(text)) != _plain(self._yaml().load(after)):
                    text = after
            except YAMLError:
                text = after
        else:
            text = after
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return ((BOM if self.bom else "") + text).encode("utf-8")


def _plain(value: Any) -> Any:
    """Plain Python data (for comparing two parses); aliases are expanded."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def plain(value: Any) -> Any:
    return _plain(value)


def parse_yaml(tool: str, path: Path, raw: bytes) -> tuple[YamlDocument, Any]:
    """Parse ``raw``; returns the document and a second, untouched parse of the same text.

    Raises :class:`BrokenConfigError` with the line and column of the problem.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BrokenConfigError(tool, path, f"it is not UTF-8 text (byte {exc.start})") from exc
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    crlf = "\r\n" in text
    text = text.replace("\r\n", "\n")
    mapping_indent, sequence_indent, offset = 2, 4, 2
    try:
        if text.strip():
            _, guessed, block_seq = load_yaml_guess_indent(text)
            if guessed and block_seq is not None:
                offset = block_seq
                sequence_indent = guessed
                mapping_indent = guessed - offset if offset and guessed > offset else guessed
            elif guessed:  # no block sequence yet: our lists get the common "  - item" style
                mapping_indent, sequence_indent, offset = guessed, guessed + 2, 2
        doc = YamlDocument(None, text, crlf, bom, mapping_indent, sequence_indent, offset)
        doc.data = doc._yaml().load(text)
        before = doc._yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise BrokenConfigError(tool, path, f"it is not valid YAML ({problem})",
                                line=mark.line + 1 if mark else None,
                                column=mark.column + 1 if mark else None) from exc
    except YAMLError as exc:
        raise BrokenConfigError(tool, path, f"it is not valid YAML ({exc})") from exc
    return doc, before


def new_document(data: CommentedMap | CommentedSeq) -> YamlDocument:
    """A document for a file that does not exist yet (LF, 2-space indentation)."""
    return YamlDocument(data, "", False, False, 2, 4, 2)


def to_commented(value: Any) -> Any:
    """Convert plain data into ruamel's round-trip types: word lists inline, multi-line text as ``|``."""
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = to_commented(item)
        return mapping
    if isinstance(value, list):
        seq = CommentedSeq(to_commented(v) for v in value)
        # Short word lists (roles, capabilities, hosts) read best inline; sentences do not.
        if value and all(isinstance(v, int | float | bool) or (isinstance(v, str) and " " not in v
                                                                  and "\n" not in v) for v in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    return value
