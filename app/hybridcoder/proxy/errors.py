"""Every failure the proxy can report, and the HTTP status each maps to.

    ProxyError (500)                       base; never shown with a traceback
    ├── BadRequest (400)                   malformed JSON, wrong field types (names the field)
    ├── Unauthorized (401)                 missing or wrong local access token
    ├── Forbidden (403)                    foreign Host header or a browser Origin
    ├── ModelNotFound (404)                unknown model name (lists the valid ones)
    ├── PayloadTooLarge (413)              body over the configured limit
    ├── BudgetExhausted (402)              cloud cap reached and the request cannot go local
    ├── CloudUnavailable (503)             no key for the cloud provider the request needs
    ├── ProxyPaused (503)                  the user paused Hybrid Coder (tray or control endpoint)
    └── UpstreamError (502 unless upstream said otherwise)
        ├── UpstreamUnreachable (502)      connection refused / DNS / reset before any byte
        ├── UpstreamTimeout (504)          connect, time-to-first-token or idle-gap timeout
        ├── UpstreamRateLimited (429)      429 rate limited (carries the provider's Retry-After)
        ├── UpstreamOverloaded (503)       Anthropic 529 / ``overloaded_error``: the provider, not the key
        └── UpstreamAuthError (502)        the cloud rejected our key (names which key)

The proxy owns retries (the SDKs run with ``max_retries=0``): a rate-limited or
overloaded cloud is not retried in place but fallen back from at once, and a
provider that asked for time (``Retry-After``) is left alone for that long
(proxy/cooldown.py). ``retry_after`` travels on to the client as a header.

``UpstreamError.cause`` is a short code recorded in the ledger as the fallback
cause ("local_unreachable", "local_ttft_timeout", "local_model_missing",
"local_oom", "local_5xx", "cloud_rate_limited", "cloud_auth", ...).
Responses are rendered in the client's error format: OpenAI's
``{"error": {"message", "type", "param", "code"}}`` on /v1, Ollama's
``{"error": "..."}`` on /api.
"""

from __future__ import annotations


class ProxyError(Exception):
    status: int = 500
    error_type: str = "api_error"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code

    def openai_body(self) -> dict[str, object]:
        return {"error": {"message": self.message, "type": self.error_type, "param": self.param,
                          "code": self.code}}

    def ollama_body(self) -> dict[str, object]:
        return {"error": self.message}


class BadRequest(ProxyError):
    status = 400
    error_type = "invalid_request_error"


class Unauthorized(ProxyError):
    status = 401
    error_type = "authentication_error"


class Forbidden(ProxyError):
    status = 403
    error_type = "permission_error"


class ModelNotFound(ProxyError):
    status = 404
    error_type = "not_found_error"


class PayloadTooLarge(ProxyError):
    status = 413
    error_type = "invalid_request_error"


class BudgetExhausted(ProxyError):
    status = 402
    error_type = "insufficient_quota"


class CloudUnavailable(ProxyError):
    status = 503
    error_type = "api_error"


class ProxyPaused(ProxyError):
    status = 503
    error_type = "api_error"


class UpstreamError(ProxyError):
    """The backend failed. ``before_first_byte`` tells the proxy whether fallback is still possible."""

    status = 502
    error_type = "api_error"

    def __init__(self, message: str, *, cause: str, status: int | None = None,
                 before_first_byte: bool = True, retriable: bool = True) -> None:
        super().__init__(message, code=cause)
        self.cause = cause
        if status is not None:
            self.status = status
        self.before_first_byte = before_first_byte
        self.retriable = retriable
        #: Seconds the upstream asked us to wait (its ``Retry-After``), passed on to the client.
        self.retry_after: float | None = None


class UpstreamUnreachable(UpstreamError):
    status = 502


class UpstreamTimeout(UpstreamError):
    status = 504


class UpstreamRateLimited(UpstreamError):
    status = 429
    error_type = "rate_limit_error"


class UpstreamOverloaded(UpstreamError):
    """The provider as a whole is overloaded (Anthropic's 529), not this key's rate limit."""

    status = 503
    error_type = "overloaded_error"


class UpstreamAuthError(UpstreamError):
    status = 502
    error_type = "authentication_error"
