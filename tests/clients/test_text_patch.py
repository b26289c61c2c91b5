"""carry_edit: only the emitter's *changes* reach the user's text; its re-formatting does not."""

from __future__ import annotations

from hybridcoder.clients.text_patch import carry_edit


def test_reformatted_but_untouched_lines_come_from_the_original() -> None:
    original = "a:    1   # spaced\nlist:\n- x\n"
    before = "a: 1 # spaced\nlist:\n- x\n"            # the emitter's view of the original
    after = "a: 1 # spaced\nlist:\n- x\n- ours\n"     # our edit: one item appended
    assert carry_edit(original, before, after) == "a:    1   # spaced\nlist:\n- x\n- ours\n"


def test_identical_renderings_change_nothing() -> None:
    original = "k:   v\n"
    assert carry_edit(original, "k: v\n", "k: v\n") == original


def test_an_edit_inside_a_reformatted_block_uses_the_emitter_there_only() -> None:
    original = "top:   1\nmid:  {a: 1}\nend: 3\n"
    before = "top: 1\nmid: {a: 1}\nend: 3\n"
    after = "top: 1\nmid: {a: 2}\nend: 3\n"
    assert carry_edit(original, before, after) == "top:   1\nmid: {a: 2}\nend: 3\n"


def test_lines_the_emitter_dropped_are_kept() -> None:
    original = "---\na: 1\n"
    before = "a: 1\n"
    after = "a: 1\nb: 2\n"
    assert carry_edit(original, before, after) == "---\na: 1\nb: 2\n"
