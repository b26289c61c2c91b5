"""Agent tasks are routed per task, not per request: once a task needed the cloud, it stays there.

A Cline or aider task is a conversation that grows by a turn per tool call. Routing
each turn afresh would switch models mid-task — the cloud model plans, the local one
carries on with half the context of why — and a task whose local turn failed would
fail again on the next turn. So once a task escalates to the cloud (a rejected local
tool call, a local failure that fell back, the user's regenerate), or the router sent
one of its tool-using turns to the cloud, the rest of that task goes to the cloud
too. A new task starts fresh.

A task is recognised by its stable prefix: the system prompt and the first user
message (Cline's ``<task>``; aider's first message), which every later turn of the
task repeats unchanged. Tasks are forgotten after :data:`IDLE_S` without a turn.

Only hashes and timestamps are kept, never text; memory is bounded.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from hybridcoder.routing.decision import RoutingDecision

IDLE_S = 30 * 60.0
MAX_TASKS = 1024
#: Fallback causes that mean "this task was too much for the local model".
ESCALATIONS = frozenset({
    "invalid_tool_call", "client_retry", "local_bad_output", "local_context_exceeded", "local_oom",
    "local_ttft_timeout", "local_error", "local_5xx", "local_tools_unsupported",
})
_PREFIX_CHARS = 8192


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content[:_PREFIX_CHARS]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content
                       if isinstance(part, dict) and isinstance(part.get("text"), str))[:_PREFIX_CHARS]
    return ""


def task_key(body: Mapping[str, Any]) -> int | None:
    """The hash of a conversation's stable prefix (system prompt + first user message); None if it has none."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    system = ""
    for message in messages:
        if not isinstance(message, dict):
            return None
        role = message.get("role")
        if role in ("system", "developer"):
            system += _text(message.get("content"))
        elif role == "user":
            return hash((system[:_PREFIX_CHARS], _text(message.get("content"))))
        else:
            break
    return None


class TaskMemory:
    """Which agent tasks already went to the cloud; thread-safe enough for the proxy's one loop."""

    def __init__(self, idle_s: float = IDLE_S) -> None:
        self.idle_s = idle_s
        self._tasks: OrderedDict[int, float] = OrderedDict()

    def escalate(self, key: int | None, now: float | None = None) -> None:
        if key is None:
            return
        self._tasks[key] = time.monotonic() if now is None else now
        self._tasks.move_to_end(key)
        while len(self._tasks) > MAX_TASKS:
            self._tasks.popitem(last=False)

    def escalated(self, key: int | None, now: float | None = None) -> bool:
        """True while the task is on the cloud; each turn keeps it there for another :attr:`idle_s`."""
        if key is None or key not in self._tasks:
            return False
        now = time.monotonic() if now is None else now
        if now - self._tasks[key] > self.idle_s:
            del self._tasks[key]
            return False
        self._tasks[key] = now
        return True

    def clear(self) -> None:
        self._tasks.clear()

    def __len__(self) -> int:
        return len(self._tasks)


def keep_on_cloud(decision: RoutingDecision) -> RoutingDecision:
    """The router's decision for a turn of an escalated task, sent to the cloud with the reason said first."""
    def explain() -> tuple[list[str], str, dict[str, float]]:
        return (["task_escalated", *decision.reasons],
                "This task already needed the cloud, so the rest of it stays there.", decision.features)

    return RoutingDecision("cloud", decision.kind, decision.score, override=decision.override, explain=explain)
