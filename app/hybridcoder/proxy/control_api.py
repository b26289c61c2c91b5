"""The words live control speaks: the status, a recent request, a comparison, and its errors.

Shared by the in-process :class:`~hybridcoder.proxy.control.ProxyControl`, the
``/hybrid/control`` endpoint and :class:`~hybridcoder.proxy.remote_control.RemoteControl`,
so all three hand the GUI and the CLI the same frozen dataclasses (``to_json`` /
``from_json`` carry them over HTTP). Plain data: no I/O here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from hybridcoder.errors import HybridCoderError

CONTROL_PATH = "/hybrid/control"
MODES = ("auto", "local", "cloud")
PREVIEW_CHARS = 200
#: How often the app asks the local server whether it is up (one cheap model list).
PROBE_INTERVAL_S = 5.0
PAUSED_MESSAGE = "Hybrid Coder is paused; resume it from the tray menu (or `hybridcoder routing resume`)."


class ControlError(HybridCoderError):
    """A control action could not be done; the message says why and what to do."""


class InvalidControlValue(ControlError, ValueError):
    """A value out of range or not one of the choices (an unknown mode, a threshold above 1)."""


# --- what the GUI and the CLI see ---------------------------------------------------------------

@dataclass(frozen=True)
class ControlStatus:
    """The running proxy's state at one moment (what the tray icon and the dashboard show)."""

    running: bool
    paused: bool
    mode: str
    next_to_cloud: bool
    chat_model: str | None
    autocomplete_model: str | None
    threshold: float
    daily_budget_usd: float
    monthly_budget_usd: float
    cloud_available: bool
    local_state: str  # "up" | "down" | "unknown"
    cloud_state: str  # "up" | "down" | "unconfigured" | "unknown"
    health: str  # "ready" | "degraded" | "paused" | "error"
    health_reason: str
    learning: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    port: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ControlStatus:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class RecentRequest:
    """One of the last requests, as the dashboard's list shows it (``request_id`` is the ledger row's id)."""

    request_id: str
    time: float  # epoch seconds
    client: str
    kind: str
    route: str
    model: str
    reason: str
    latency_ms: float | None
    tokens: int
    cost_usd: float | None  # None: no price known
    answer_preview: str
    can_ask_cloud: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecentRequest:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class CloudComparison:
    """A local answer next to the cloud's answer to the same request."""

    request_id: str
    local_answer: str
    cloud_answer: str
    cloud_model: str
    cloud_latency_ms: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CloudComparison:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})
