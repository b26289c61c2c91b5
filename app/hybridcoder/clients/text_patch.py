"""Carry a structural edit over to the user's original text, byte for byte elsewhere.

ruamel.yaml keeps comments, order and anchors, but its emitter may still re-space
a comment or re-indent a block it did not change. We therefore render the
document twice with the same emitter — once unchanged (``before``), once edited
(``after``) — and apply only the difference between those two renderings to the
user's original text. Lines outside our edit are copied from the original.

This module never parses YAML or JSON; it only works on lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher


def _segments(original: list[str], before: list[str]) -> Sequence[tuple[str, int, int, int, int]]:
    return SequenceMatcher(None, original, before, autojunk=False).get_opcodes()


def carry_edit(original: str, before: str, after: str) -> str:
    """Return ``original`` with the change ``before → after`` applied.

    ``before`` must be the emitter's rendering of ``original`` (same content,
    maybe different spacing). Where an edit touches a line the emitter re-formatted,
    the emitter's version of that block is used; everything else is original text.
    """
    if before == after:
        return original
    if before == original:
        return after
    o_lines = original.splitlines(keepends=True)
    b_lines = before.splitlines(keepends=True)
    a_lines = after.splitlines(keepends=True)

    # For each line of `before`, where it came from in the original:
    #   (0, i)                    line i of the original (identical, or re-spaced in place)
    #   (1, i1, i2, j1, j2)       part of a re-formatted block original[i1:i2] ~ before[j1:j2]
    origin: list[tuple[int, ...]] = [()] * len(b_lines)
    # Original lines the emitter dropped entirely, keyed by the `before` index they precede.
    dropped: dict[int, list[str]] = {}
    for tag, i1, i2, j1, j2 in _segments(o_lines, b_lines):
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            # Same line count: the emitter re-spaced lines in place, so they pair up one to one.
            for k in range(j2 - j1):
                origin[j1 + k] = (0, i1 + k)
        elif j1 == j2:
            dropped.setdefault(j1, []).extend(o_lines[i1:i2])
        else:
            for k in range(j1, j2):
                origin[k] = (1, i1, i2, j1, j2)

    out: list[str] = []

    def emit_unchanged(j_start: int, j_end: int) -> None:
        j = j_start
        while j < j_end:
            out.extend(dropped.get(j, []))
            info = origin[j]
            if info[0] == 0:
                out.append(o_lines[info[1]])
                j += 1
                continue
            _, i1, i2, s1, s2 = info
            if s1 >= j_start and s2 <= j_end and j == s1:
                out.extend(o_lines[i1:i2])  # the whole re-formatted block is untouched
                j = s2
            else:
                out.append(b_lines[j])
                j += 1

    for tag, j1, j2, k1, k2 in SequenceMatcher(None, b_lines, a_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            emit_unchanged(j1, j2)
        else:
            for j in range(j1, j2):
                out.extend(dropped.get(j, []))
            out.extend(a_lines[k1:k2])
    out.extend(dropped.get(len(b_lines), []))
    return "".join(out)
