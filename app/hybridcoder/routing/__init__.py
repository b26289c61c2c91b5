"""Routing: decide per request whether the local model can handle it or the cloud is needed.

Pure and fast (well under a millisecond per decision), no network, no Qt.

    body, override = strip_override(body)
    decision = router.decide(body, endpoint="/v1/chat/completions", context=ctx, override=override)
    ...
    router.learn_from(decision.features, "invalid_tool_call")   # when local was not good enough
"""

from __future__ import annotations

from hybridcoder.routing.decision import Kind, Route, RoutingContext, RoutingDecision
from hybridcoder.routing.features import Features, extract_features
from hybridcoder.routing.learning import Learner
from hybridcoder.routing.override import strip_override
from hybridcoder.routing.router import Router, RulesRouter

__all__ = [
    "Features",
    "Kind",
    "Learner",
    "Route",
    "Router",
    "RoutingContext",
    "RoutingDecision",
    "RulesRouter",
    "extract_features",
    "strip_override",
]
