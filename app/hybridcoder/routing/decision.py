"""What the router decides, and what it needs to know besides the request.

The proxy builds a :class:`RoutingContext` from settings, keys and the budget on
every request and asks the router for a :class:`RoutingDecision`. A decision is
data: route, model choice hint, score, reason codes, one human sentence, and the
numeric features it was made from (recorded in the ledger so the router can learn
from outcomes; never text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Route = Literal["local", "cloud"]
Kind = Literal["autocomplete", "chat", "edit", "agent", "embed", "other"]


@dataclass(frozen=True)
class RoutingContext:
    mode: str = "auto"  # "auto", "local", "cloud"
    cloud_available: bool = False  # a key for the configured cloud provider is present
    budget_exhausted: bool = False
    #: The context window the local chat model is configured with (num_ctx).
    local_context: int = 16384
    #: 0..1 from the settings slider; higher keeps more requests local.
    threshold: float = 0.5


@dataclass
class RoutingDecision:
    route: Route
    kind: Kind
    #: Probability-like score that the request needs the cloud (0 = surely local, 1 = surely cloud).
    score: float
    #: Reason codes, most important first ("autocomplete", "agent_tools", "many_files", "override_cloud", ...).
    reasons: list[str]
    #: One sentence a person can read ("Agent request with 12 tools: sent to the cloud.").
    sentence: str
    #: "cloud" / "local" when the user typed @cloud / @local, else None.
    override: str | None = None
    features: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "kind": self.kind,
            "score": round(self.score, 4),
            "reasons": self.reasons,
            "sentence": self.sentence,
            "override": self.override,
            "features": self.features,
        }
