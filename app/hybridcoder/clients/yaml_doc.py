"""Round-trip YAML files (Continue's config.yaml, aider's files) without disturbing the user.

Loads with ruamel.yaml's round-trip mode (comments, order, anchors/aliases, quotes
kept), remembers the file's line endings, byte-order mark and indentation, and
writes back through :func:`hybridcoder.clients.text_patch.carry_edit` so only the
lines we changed differ from the user's bytes.

It never re-emits a user's whole file: if the edit cannot be carried onto the user's
text, or would lose a directive (``%YAML 1.1`` is what makes Continue honour ``<<:``
merge keys), a document marker or an anchor, :class:`EditNotCarried` says so and
nothing is written. Files ruamel reads differently from YAML 1.2 (a tab after a
value, no final newline inside a block scalar) are adjusted for parsing only; the
user's own lines are put back wherever we did not change them.

This module never writes files; it turns bytes into a document and back.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from hybridcoder.clients.errors import BrokenConfigError, ConfigWriteError
from hybridcoder.clients.text_patch import carry_edit

BOM = "\ufeff"
# ruamel.yaml rejects a tab after a value at the end of a line ("found character '\t' that cannot
# start any token"); YAML 1.2 and Continue's parser allow it. Such tabs are set aside while we
# parse and edit, and put back on every line we did not change.
_TRAILING_TAB = re.compile(r"[ \t]*\t[ \t]*$", re.MULTILINE)
# What must survive any edit: directives (`%YAML 1.1` switches merge keys on for Continue),
# document markers and anchor definitions.
_KEPT = re.compile(r"^(%\S.*|---.*|\.\.\.\s*)$")
_ANCHOR = re.compile(r"(?:^|[\s:\-\[{,])&([^\s,\[\]{}]+)")


class EditNotCarried(ConfigWriteError):
    """Our change could not be applied to the user's text without rewriting it; nothing is written."""


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
    #: The file and the tool it belongs to, for messages (None for a file that does not exist yet).
    path: Path | None = None
    tool: str = ""
    #: Lines whose trailing tabs were set aside so ruamel reads the file as Continue does:
    #: index -> the user's line, put back wherever we did not change it.
    altered: dict[int, str] = field(default_factory=dict)
    #: The user's file had no final newline; one was added so our lines never glue onto the last.
    added_newline: bool = False
    #: A block scalar header given an explicit `-` so that newline changes no value; it goes back
    #: only together with the newline (when nothing of ours follows the user's last line).
    chomp: dict[int, str] = field(default_factory=dict)

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
            try:
                same = _plain(self._yaml().load(text)) == _plain(self._yaml().load(after))
            except YAMLError:
                same = False
            if not same:
                # Never fall back to the emitter's rendering of the whole file: it would drop the
                # user's directives, document markers and layout. Refuse instead.
                raise EditNotCarried(self._cannot("the change could not be placed without rewriting the file"))
            self._check_kept(text)
            text = self._restore(text)
        else:
            text = after
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return ((BOM if self.bom else "") + text).encode("utf-8")


    def _cannot(self, why: str) -> str:
        where = str(self.path) if self.path else "the file"
        tool = f"{self.tool}'s " if self.tool else ""
        return (f"{where} was left unchanged because {why}; add {tool}Hybrid Coder settings by hand, "
                "or report this file as a Hybrid Coder bug.")

    def _check_kept(self, text: str) -> None:
        """Directives, document markers and anchors of the user's file must all still be there."""
        new_lines = set(text.splitlines())
        for line in self.original.splitlines():
            if _KEPT.match(line) and line not in new_lines:
                raise EditNotCarried(self._cannot(f"the line `{line.strip()}` would have been lost"))
        missing = set(_ANCHOR.findall(_without_comments(self.original))) - set(
            _ANCHOR.findall(_without_comments(text)))
        if missing:
            raise EditNotCarried(self._cannot(f"the anchor &{sorted(missing)[0]} would have been lost"))

    def _restore(self, text: str) -> str:
        """Put the user's own lines back wherever we did not change them (tabs, chomping, end)."""
        if not self.altered and not self.added_newline:
            return text
        if self.added_newline and self._last_line_kept(text):
            text = self._put_back(text, self.chomp)
            return self._put_back(text, self.altered)[:-1]
        return self._put_back(text, self.altered)

    def _last_line_kept(self, text: str) -> bool:
        """True when the user's last line is still the file's last line (nothing of ours after it)."""
        from difflib import SequenceMatcher

        ours, bare = self.original.splitlines(), text.splitlines()
        if not ours or not bare or not text.endswith("\n"):
            return False
        blocks = SequenceMatcher(None, ours, bare, autojunk=False).get_matching_blocks()
        return any(b.size and b.a + b.size == len(ours) and b.b + b.size == len(bare) for b in blocks)

    def _put_back(self, text: str, lines: dict[int, str]) -> str:
        if not lines:
            return text
        from difflib import SequenceMatcher

        ours = self.original.splitlines()
        out = text.splitlines(keepends=True)
        bare = [line.rstrip("\n") for line in out]
        for tag, i1, i2, j1, _ in SequenceMatcher(None, ours, bare, autojunk=False).get_opcodes():
            if tag != "equal":
                continue
            for k in range(i2 - i1):
                if i1 + k in lines:
                    end = "\n" if out[j1 + k].endswith("\n") else ""
                    out[j1 + k] = lines[i1 + k] + end
        return "".join(out)


def _without_comments(text: str) -> str:
    return "\n".join(line.split(" #", 1)[0] for line in text.splitlines() if not line.lstrip().startswith("#"))


def set_tabs_aside(text: str) -> tuple[str, dict[int, str]]:
    """``text`` without trailing tabs, and the lines that had them (index -> original line)."""
    lines = text.split("\n")
    tabbed = {i: line for i, line in enumerate(lines) if _TRAILING_TAB.search(line)}
    for i in tabbed:
        lines[i] = _TRAILING_TAB.sub("", lines[i])
    return "\n".join(lines), tabbed


_BLOCK_HEADER = re.compile(r"[|>](?P<indent>[1-9]?)(?P<rest>\s*(#.*)?)$")


def end_with_newline(text: str) -> tuple[str, dict[int, str]] | None:
    """``text`` with a final newline that means the same, plus any line altered to keep it so.

    A file that ends inside a ``|`` block scalar with no final newline holds a value without a
    trailing newline; adding one would change it, so that header gets an explicit ``-``
    (strip) chomping indicator. None when no equivalent form is found.
    """
    yaml = YAML(typ="rt")
    try:
        wanted = _plain(yaml.load(text))
        candidate = text + "\n"
        if _plain(YAML(typ="rt").load(candidate)) == wanted:
            return candidate, {}
        lines = candidate.split("\n")
        last = len(lines) - 2
        indent = len(lines[last]) - len(lines[last].lstrip())
        for index in range(last - 1, -1, -1):
            line = lines[index]
            if line.strip() and len(line) - len(line.lstrip()) < indent:
                match = _BLOCK_HEADER.search(line)
                if not match:
                    return None
                lines[index] = line[:match.start()] + line[match.start()] + match["indent"] + "-" + match["rest"]
                tweaked = "\n".join(lines)
                if _plain(YAML(typ="rt").load(tweaked)) == wanted:
                    return tweaked, {index: line}
                return None
    except YAMLError:
        return None
    return None


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
    altered: dict[int, str] = {}
    if "\t" in text and _TRAILING_TAB.search(text):
        try:
            YAML(typ="rt").load(text)
        except YAMLError as exc:
            if "'\\t'" in str(exc):
                text, altered = set_tabs_aside(text)
    added_newline = False
    chomp: dict[int, str] = {}
    if text.strip() and not text.endswith("\n"):
        ended = end_with_newline(text)
        if ended is not None:
            text, chomp = ended
            added_newline = True
    try:
        if text.strip():
            _, guessed, block_seq = load_yaml_guess_indent(text)
            if guessed and block_seq is not None:
                offset = block_seq
                sequence_indent = guessed
                mapping_indent = guessed - offset if offset and guessed > offset else guessed
            elif guessed:  # no block sequence yet: our lists get the common "  - item" style
                mapping_indent, sequence_indent, offset = guessed, guessed + 2, 2
        doc = YamlDocument(None, text, crlf, bom, mapping_indent, sequence_indent, offset, path, tool, altered,
                           added_newline, chomp)
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
