"""Routing: decide per request whether the local model can handle it or the cloud is needed.

Pure and fast (well under a millisecond per decision), no network, no Qt.
"""

from __future__ import annotations

from hybridcoder.routing.decision import Kind, Route, RoutingContext, RoutingDecision

__all__ = ["Kind", "Route", "RoutingContext", "RoutingDecision"]
