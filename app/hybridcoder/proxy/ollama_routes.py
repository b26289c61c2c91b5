"""The Ollama-native surface (/api/*), passed through to the local Ollama and recorded.

Clients set to provider ``ollama`` (Continue's autocomplete, Cline's Ollama
provider, the ``ollama`` Python client) talk to the proxy exactly as to Ollama:
the body goes through unchanged and Ollama's answer comes back unchanged, streamed
as it arrives. The proxy only checks the request (token, size, JSON, a model name;
errors in Ollama's ``{"error": "..."}`` format), cancels the upstream when the
client leaves, and writes one ledger row with the token counts from Ollama's final
line.

No routing happens here: these clients chose a model by name. A model with an
Ollama Cloud tag (``qwen3-coder:480b-cloud``) is served by ollama.com through the
local Ollama, so its text leaves the machine: such a request is treated as cloud
traffic — refused in "local only" mode and when the budget is used up, secrets
redacted first, recorded as route cloud.
Never logs or stores prompt or answer text.
"""

from __future__ import annotations

from typing import Any

import orjson

from hybridcoder.proxy.asgi import DisconnectWatch, Receive, Scope, Send, read_body
from hybridcoder.proxy.backends.base import Usage
from hybridcoder.proxy.backends.ollama_cloud import is_cloud_tag
from hybridcoder.proxy.errors import BudgetExhausted, Forbidden, UpstreamUnreachable
from hybridcoder.proxy.offload import BODY_BYTES, run_heavy
from hybridcoder.proxy.openai_routes import Endpoint, Exchange, run_exchange, user_agent
from hybridcoder.proxy.recording import client_from_user_agent
from hybridcoder.proxy.redact import redact_body
from hybridcoder.proxy.validation import check_ollama, parse_json
from hybridcoder.routing.decision import RoutingDecision
from hybridcoder.routing.features import extract_features

#: Path → methods Ollama accepts there.
OLLAMA_PATHS: dict[str, frozenset[str]] = {
    "/api/version": frozenset({"GET", "HEAD"}),
    "/api/tags": frozenset({"GET", "HEAD"}),
    "/api/ps": frozenset({"GET"}),
    "/api/show": frozenset({"POST"}),
    "/api/generate": frozenset({"POST"}),
    "/api/chat": frozenset({"POST"}),
    "/api/embed": frozenset({"POST"}),
    "/api/embeddings": frozenset({"POST"}),
}
#: Endpoints whose requests are routed work (features recorded), not metadata.
WORK_PATHS = frozenset({"/api/generate", "/api/chat", "/api/embed", "/api/embeddings"})
TAIL_BYTES = 16384


class OllamaPassthrough(Endpoint):
    ollama_format = True

    def __init__(self, state: Any, path: str) -> None:
        super().__init__(state)
        self.path = path
        self.methods = OLLAMA_PATHS[path]

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        trace = self.trace(scope)
        trace.client = client_from_user_agent(user_agent(scope))
        trace.route = trace.first_choice = "local"
        trace.provider = "ollama"
        exchange = Exchange(send, trace)

        async def work() -> None:
            raw: bytes | None = None
            if scope["method"] == "POST":
                raw = await read_body(receive, state.config.max_body_bytes)
                BODY_BYTES.set(len(raw))  # a big body is parsed and described off the loop (offload.py)
                body = await run_heavy(parse_json, raw)
                check_ollama(body, self.path)
                exchange.body = body
                model = body.get("model", body.get("name"))
                trace.model = trace.requested_model = model if isinstance(model, str) else ""
                trace.stream = body.get("stream") is not False and self.path in WORK_PATHS
                if self.path in WORK_PATHS:
                    features = await run_heavy(extract_features, body, self.path)
                    cloud = is_cloud_tag(trace.model)
                    trace.decision = RoutingDecision(
                        route="cloud" if cloud else "local", kind=features.kind, score=0.0,
                        reasons=["ollama_cloud_tag" if cloud else "ollama_passthrough"],
                        sentence=("Ollama Cloud model: sent through the local Ollama to ollama.com." if cloud
                                  else "Ollama-native request: passed through to the local Ollama."),
                        features=features.numbers())
                    if cloud:
                        raw = self._as_cloud_request(body, trace)
            ollama = state.config.ollama
            if ollama is None:
                raise UpstreamUnreachable("No Ollama server is configured for the /api endpoints.",
                                          cause="local_unreachable")
            exchange.watch = DisconnectWatch(receive)
            headers = {"content-type": "application/json"}
            agent = user_agent(scope)
            if agent:
                headers["user-agent"] = agent.decode("latin-1")
            upstream = await ollama.passthrough(scope["method"], self.path, raw, headers)
            trace.status = upstream.status
            out_headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                           for k, v in upstream.headers.items()]
            await send({"type": "http.response.start", "status": upstream.status, "headers": out_headers})
            exchange.started = True
            trace.first_byte()
            tail = b""
            try:
                if scope["method"] != "HEAD":
                    async for data in upstream.body():
                        await send({"type": "http.response.body", "body": data, "more_body": True})
                        tail = (tail + data)[-TAIL_BYTES:]
            finally:
                await upstream.aclose()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            _read_final_line(tail, trace)

        await run_exchange(state, exchange, work, ollama=True)

    def _as_cloud_request(self, body: dict[str, Any], trace: Any) -> bytes:
        """The same rules as any cloud request: the mode, the budget, then redaction; the body to send."""
        state = self.state
        if state.context().mode == "local":
            raise Forbidden(f"Routing is set to local only, and {trace.model} runs on Ollama Cloud; "
                            "switch the routing mode or pick a local model.", code="local_only")
        if state.budget_exhausted():
            raise BudgetExhausted(f"The cloud budget is used up, and {trace.model} runs on Ollama Cloud; "
                                  "raise the budget in settings or pick a local model.", code="budget_exhausted")
        trace.route = trace.first_choice = "cloud"
        trace.provider = "ollama-cloud"
        if state.config.redact_secrets:
            body, trace.redactions = redact_body(body)
        return orjson.dumps(body)


def _read_final_line(tail: bytes, trace: Any) -> None:
    """Token counts and errors from Ollama's last NDJSON line (or its single JSON answer)."""
    for line in reversed(tail.split(b"\n")):
        if not line.strip():
            continue
        try:
            final = orjson.loads(line)
        except orjson.JSONDecodeError:
            return
        if not isinstance(final, dict):
            return
        if "error" in final:
            trace.error = "upstream_error"
            if trace.status < 400:
                trace.status = 502
        prompt = final.get("prompt_eval_count")
        completion = final.get("eval_count")
        if isinstance(prompt, int) or isinstance(completion, int):
            trace.usage = Usage(prompt_tokens=prompt if isinstance(prompt, int) else 0,
                                completion_tokens=completion if isinstance(completion, int) else 0)
        return
