"""The Done page's "what next" names only the tools setup configured."""

from __future__ import annotations

from hybridcoder.gui.wizard.done_page import KEEP_RUNNING, NO_TOOL, configured_tools, next_steps
from hybridcoder.setup_flow import SetupState


def test_what_next_follows_the_configured_tools() -> None:
    assert next_steps(["continue"])[0].startswith("Reload VS Code") and "so Continue picks up" in next_steps(
        ["continue"])[0]
    both = next_steps(["continue", "cline", "aider"])
    assert "Continue and Cline pick up" in both[0] and both[1].startswith("Aider") and both[-1] == KEEP_RUNNING
    assert next_steps(["aider"])[0].startswith("Aider")
    assert next_steps([]) == [NO_TOOL, KEEP_RUNNING]


def test_configured_tools_come_from_the_tools_step() -> None:
    assert configured_tools() is None  # the step has not run
    SetupState().record("tools", "done", detail={"configured": ["cline"], "skipped": ["continue", "aider"]})
    assert configured_tools() == ["cline"]
