"""Who answers a chat request, and who answers when that fails.

:func:`plan_chat` turns the requested model, the router's decision and the retry
memory into a :class:`Plan`: a first target and, when the request allows it, a
fallback on the other side. :func:`open_chat` then starts the answer and holds the
response headers back until the first content arrived (the backends prefetch it),
so every failure up to that point can still go to the fallback unseen:

- local fails before the first byte (refused, model missing, out of memory, 5xx,
  time-to-first-token timeout) → the same request goes to the cloud; with no cloud,
  a model the proxy picked itself that refuses a feature ("does not support tools")
  makes way for another installed model that may not;
- the cloud fails (429/529/5xx, bad key; the SDK does not retry, so this is at
  once) → served locally when the router chose the cloud (an explicit cloud model
  or ``@cloud`` gets a clear error instead: the user asked for the cloud). A 429
  cools the provider down for its ``Retry-After`` (cooldown.py): until then
  auto-routed requests go local without asking it;
- both sides fail → the client's error says both reasons, and its code (the
  ledger's ``error``) names both causes, e.g. ``local_unreachable+cloud_5xx``;
- the client sends the same conversation again within the retry window after a
  local answer (Continue's and Cline's regenerate) → the cloud answers.

Tool calls from a local model are validated before the client sees them. That
needs the whole answer, so an agent request routed local is buffered, but only when
a cloud fallback exists: without one there is nothing better to do with a bad call,
and the answer streams through untouched. Local agent requests are the minority
(the router sends agent loops to the cloud when it can), and for them a correct
answer a moment later beats a broken call now. A non-streaming request is always
collected first, so a failure mid-answer can fall back too.

Secrets are redacted on every path to the cloud (including fallbacks). Never logs
prompt text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hybridcoder.proxy.backends.base import Backend, ChatStream, Usage
from hybridcoder.proxy.catalog import Resolution
from hybridcoder.proxy.errors import (
    BudgetExhausted,
    CloudUnavailable,
    UpstreamError,
    UpstreamOverloaded,
    UpstreamRateLimited,
)
from hybridcoder.proxy.offload import run_heavy
from hybridcoder.proxy.recording import RequestTrace
from hybridcoder.proxy.redact import redact_body
from hybridcoder.proxy.state import ProxyState
from hybridcoder.proxy.validation import invalid_tool_call, looks_like_raw_tool_call
from hybridcoder.routing.decision import RoutingDecision


@dataclass(frozen=True, slots=True)
class Target:
    route: str  # "local" or "cloud"
    provider: str
    backend: Backend
    model: str
    #: The proxy picked this local model (the client did not name it), so it may pick another.
    chosen: bool = False


@dataclass(slots=True)
class Plan:
    first: Target
    fallback: Target | None
    #: Where the router (or the requested model) pointed before any escalation.
    first_choice: str
    #: Why the first target differs from the first choice ("client_retry", "no_cloud_key", ...).
    cause: str | None = None
    #: Why no local model could take this auto-routed request (said too if the cloud fails).
    local_problem: UpstreamError | None = None


@dataclass(slots=True)
class Opened:
    """A started answer: the stream to relay and the target that produces it."""

    stream: ChatStream
    target: Target


class InvalidLocalAnswer(UpstreamError):
    """The local model's answer cannot be handed on (a broken tool call)."""


async def plan_chat(state: ProxyState, resolution: Resolution, decision: RoutingDecision,
                    previous_route: str | None) -> Plan:
    """Decide the first target and the fallback (see module docstring)."""
    config = state.config
    override = decision.override
    want = resolution.want
    explicit_model = resolution.model if resolution.explicit else ""
    if override == "cloud" and want != "cloud":
        want, explicit_model = "cloud", ""
    elif override == "local" and want == "cloud":
        want, explicit_model = "local", ""
    routed = want == "auto"
    route = decision.route if routed else want
    first_choice = route
    cause: str | None = None
    if override == "cloud":
        cause = "manual_cloud"
        state.learn(decision, "manual_cloud")

    cloud_choice = config.clouds.get(resolution.provider) if resolution.provider else config.cloud
    exhausted = state.budget_exhausted()
    cooling = state.cooldown.remaining(cloud_choice.provider) if cloud_choice is not None else 0.0
    cloud_usable = cloud_choice is not None and not exhausted and not cooling

    local_target, local_problem = await _local_target(state, explicit_model if want == "local" else "",
                                                      tools=decision.kind == "agent")

    if route == "cloud" and cooling and not exhausted:
        assert cloud_choice is not None
        if not routed or override == "cloud" or config.mode == "cloud" or local_target is None:
            limited = UpstreamRateLimited(
                f"{cloud_choice.provider.title()} asked to be left alone for {cooling:.0f} s more "
                "(rate limited); try again then, or use hybrid-local.", cause="cloud_cooling_down")
            limited.retry_after = cooling
            raise limited
        route, cause = "local", "cloud_cooling_down"
    elif route == "cloud" and not cloud_usable:
        if cloud_choice is not None and exhausted and config.on_budget_exhausted != "local":
            raise BudgetExhausted("The cloud budget is used up; raise it in settings or use hybrid-local.",
                                  code="budget_exhausted")
        if local_target is None:
            raise CloudUnavailable(
                f"The cloud is not available ({config.key_descriptions.get(config.cloud_provider, 'no key')}) "
                "and no local model is set up.", code="cloud_unavailable")
        route, cause = "local", ("budget_exhausted" if cloud_choice is not None else "no_cloud_key")
    elif route == "local" and local_target is None:
        if not cloud_usable:
            raise CloudUnavailable("No local chat model is set up and no cloud key is set; "
                                   "run `hybridcoder setup`.", code="no_model")
        route, cause = "cloud", "local_model_missing"
    elif (route == "local" and previous_route == "local" and cloud_usable and want == "auto"
          and override != "local" and config.mode != "local"):
        route, cause, first_choice = "cloud", "client_retry", "local"
        state.learn(decision, "client_retry")

    cloud_target = None
    if cloud_choice is not None and cloud_usable:
        model = explicit_model if want == "cloud" and explicit_model else cloud_choice.model
        cloud_target = Target("cloud", cloud_choice.provider, cloud_choice.backend, model)

    if route == "cloud":
        assert cloud_target is not None
        may_fall_back = (routed or cause == "client_retry") and override != "cloud" and config.mode != "cloud"
        return Plan(cloud_target, local_target if may_fall_back else None, first_choice, cause,
                    local_problem=local_problem if may_fall_back else None)
    assert local_target is not None
    may_fall_back = routed and override != "local" and config.mode != "local"
    return Plan(local_target, cloud_target if may_fall_back else None, first_choice, cause)


async def _local_target(state: ProxyState, model: str, *,
                        tools: bool = False) -> tuple[Target | None, UpstreamError | None]:
    backend = state.config.local
    if model:
        return Target("local", backend.provider, backend, model), None
    try:
        model = await state.chat_model(tools=tools)
    except UpstreamError as exc:
        return None, exc
    return Target("local", backend.provider, backend, model, chosen=not state.config.chat_model), None


async def open_chat(state: ProxyState, plan: Plan, body: dict[str, Any], trace: RequestTrace, *,
                    collect: bool) -> Opened:
    """Start the answer on the first target, falling back before the client sees a byte.

    ``collect``: read the whole answer before returning (non-streaming requests).
    """
    tools = body.get("tools") or None
    target: Target | None = plan.first
    fallback = plan.fallback
    trace.first_choice = plan.first_choice
    trace.fallback_cause = plan.cause
    earlier: tuple[Target, UpstreamError] | None = None
    while target is not None:
        trace.route, trace.provider, trace.model = target.route, target.provider, target.model
        send_body = body
        if target.route == "cloud" and state.config.redact_secrets:
            send_body, trace.redactions = await run_heavy(redact_body, body)
        check_tools = bool(tools) and target.route == "local" and fallback is not None
        try:
            stream = await target.backend.chat(send_body, target.model)
            if collect or check_tools:
                stream = await _collect(stream, tools if check_tools else None)
            return Opened(stream, target)
        except UpstreamError as exc:
            # The router owns retries: no retry in place; leave the provider alone as long as it asked.
            if target.route == "cloud" and (isinstance(exc, UpstreamRateLimited) or (
                    isinstance(exc, UpstreamOverloaded) and exc.retry_after is not None)):
                state.cooldown.cool(target.provider, exc.retry_after)
            if isinstance(exc, InvalidLocalAnswer):
                state.learn(trace.decision, exc.cause)
            elif not exc.before_first_byte:
                raise
            if fallback is None and target.route == "local" and target.chosen and exc.cause == "local_unsupported":
                # The model the proxy picked refused a feature ("does not support tools"): another
                # installed model may not (there is no cloud to ask).
                other = await state.local_alternative(target.model, tools=bool(tools))
                if other is not None:
                    fallback = Target("local", target.provider, target.backend, other)
            if fallback is None:
                exc = _explain(state, target, exc)
                if earlier is None and plan.local_problem is not None and target.route == "cloud":
                    earlier = (Target("local", state.config.local.provider, state.config.local, ""),
                               plan.local_problem)
                raise (exc if earlier is None else _both_failed(earlier, (target, exc))) from None
            trace.fallback_cause = exc.cause
            earlier = (target, exc)
            target, fallback = fallback, None
    raise AssertionError("unreachable")


def _both_failed(first: tuple[Target, UpstreamError], last: tuple[Target, UpstreamError]) -> UpstreamError:
    """The last failure, saying both reasons; its code names both causes (the ledger's ``error``)."""
    (first_target, first_exc), (last_target, last_exc) = first, last
    first_side = "the local model" if first_target.route == "local" else "the cloud"
    last_side = "the local model" if last_target.route == "local" else "the cloud"
    if first_target.route == last_target.route == "local":
        first_side, last_side = f"the local model {first_target.model}", f"{last_target.model}"
        opening = "Both local models failed."
    else:
        opening = "Both sides failed."
    last_exc.message = (f"{opening} First {first_side}: {first_exc.message.rstrip('.')}. "
                        f"Then {last_side}: {last_exc.message}")
    last_exc.args = (last_exc.message,)
    last_exc.code = f"{first_exc.cause}+{last_exc.cause}"
    return last_exc


def _explain(state: ProxyState, target: Target, exc: UpstreamError) -> UpstreamError:
    """Add which key to a cloud auth failure, so the user knows what to fix."""
    if target.route == "cloud" and exc.cause.endswith("auth"):
        which = state.config.key_descriptions.get(target.provider)
        if which and which not in exc.message:
            exc.message = f"{exc.message.rstrip('.')}: {which} was rejected; update it in settings or with `hybridcoder keys set`."
            exc.args = (exc.message,)
    return exc


class ReplayStream(ChatStream):
    """A finished answer replayed from memory (after validation or for a non-streaming reply)."""

    def __init__(self, chunks: list[dict[str, Any]], usage: Usage, model: str) -> None:
        chunks.reverse()
        self._chunks = chunks
        self.usage = usage
        self.model = model

    async def __anext__(self) -> dict[str, Any]:
        if self._chunks:
            return self._chunks.pop()
        raise StopAsyncIteration

    def take(self) -> list[dict[str, Any]]:
        """All remaining chunks at once, in order (the stream is empty afterwards)."""
        chunks, self._chunks = self._chunks, []
        chunks.reverse()
        return chunks

    async def aclose(self) -> None:
        self._chunks.clear()


async def _collect(stream: ChatStream, tools: list[Any] | None) -> ReplayStream:
    """Read the whole answer; with ``tools``, reject broken tool calls (InvalidLocalAnswer)."""
    chunks: list[dict[str, Any]] = []
    calls: dict[int, dict[str, Any]] = {}
    text: list[str] = []
    try:
        async for chunk in stream:
            chunks.append(chunk)
            if tools is None:
                continue
            choices = chunk.get("choices")
            delta = choices[0].get("delta") if choices else None
            if not delta:
                continue
            content = delta.get("content")
            if content:
                text.append(content)
            for call in delta.get("tool_calls") or ():
                merge_tool_call_delta(calls, call)
    except UpstreamError as exc:
        exc.before_first_byte = True  # the client has seen nothing yet
        raise
    except BaseException:
        await stream.aclose()
        raise
    if tools is not None:
        problem = invalid_tool_call(list(calls.values()), tools) if calls else None
        if problem is None and not calls and looks_like_raw_tool_call("".join(text)):
            problem = "tool_call_as_text"
        if problem is not None:
            raise InvalidLocalAnswer(f"The local model produced an invalid tool call ({problem}).",
                                     cause="invalid_tool_call")
    return ReplayStream(chunks, stream.usage, stream.model)


def merge_tool_call_delta(calls: dict[int, dict[str, Any]], delta: dict[str, Any]) -> None:
    """Accumulate OpenAI tool-call deltas (id/name once, arguments in pieces) by index."""
    index = delta.get("index", len(calls))
    call = calls.get(index)
    function = delta.get("function") or {}
    if call is None:
        call = {"id": delta.get("id"), "type": "function",
                "function": {"name": function.get("name") or "", "arguments": ""}}
        calls[index] = call
    elif delta.get("id") and not call["id"]:
        call["id"] = delta["id"]
    if function.get("name") and not call["function"]["name"]:
        call["function"]["name"] = function["name"]
    arguments = function.get("arguments")
    if arguments:
        call["function"]["arguments"] += arguments if isinstance(arguments, str) else str(arguments)
