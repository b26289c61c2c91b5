"""What the router decides, and what it needs to know besides the request.

The proxy builds a :class:`RoutingContext` from settings, keys and the budget on
every request and asks the router for a :class:`RoutingDecision`. A decision is
data: route, model choice hint, score, reason codes, one human sentence, and the
numeric features it was made from (recorded in the ledger so the router can learn
from outcomes; never text).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


class RoutingDecision:
    """Where one request goes, and why.

    ``route``, ``kind``, ``score``, ``reasons`` and ``override`` are what the proxy acts
    on. The human ``sentence`` and the numeric ``features`` are only read after the
    answer has gone out (recording, learning, ``explain``), so the router may hand
    them over as ``explain``, a callable run on first access: that keeps their
    formatting off the request path.
    """

    __slots__ = ("_explain", "_features", "_reasons", "_sentence", "kind", "override", "route", "score")

    def __init__(
        self,
        route: Route,
        kind: Kind,
        score: float,
        reasons: list[str] | None = None,
        sentence: str | None = None,
        override: str | None = None,
        features: dict[str, float] | None = None,
        *,
        explain: Callable[[], tuple[list[str], str, dict[str, float]]] | None = None,
    ) -> None:
        self.route: Route = route
        self.kind: Kind = kind
        #: Probability-like score that the request needs the cloud (0 = surely local, 1 = surely cloud).
        self.score = score
        #: "cloud" / "local" when the user typed @cloud / @local, else None.
        self.override = override
        self._reasons = reasons
        self._sentence = sentence
        self._features = features
        self._explain = explain

    def _resolve(self) -> None:
        explain, self._explain = self._explain, None
        if explain is not None:
            reasons, sentence, features = explain()
            if self._reasons is None:
                self._reasons = reasons
            if self._sentence is None:
                self._sentence = sentence
            if self._features is None:
                self._features = features

    @property
    def reasons(self) -> list[str]:
        """Reason codes, most important first ("autocomplete", "agent_tools", "override_cloud", ...)."""
        if self._reasons is None:
            self._resolve()
            if self._reasons is None:
                self._reasons = []
        return self._reasons

    @property
    def sentence(self) -> str:
        """One sentence a person can read ("Agent request with 12 tools: sent to the cloud.")."""
        if self._sentence is None:
            self._resolve()
        return self._sentence or ""

    @property
    def features(self) -> dict[str, float]:
        """The numbers the decision was made from (never text)."""
        if self._features is None:
            self._resolve()
            if self._features is None:
                self._features = {}
        return self._features

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RoutingDecision):
            return NotImplemented
        return self.as_json() == other.as_json()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"RoutingDecision(route={self.route!r}, kind={self.kind!r}, score={self.score:.4f}, "
                f"reasons={self.reasons!r}, override={self.override!r})")

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
