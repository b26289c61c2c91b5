"""Usage analytics: prices, cloud spend, money saved, budgets, from the usage ledger.

The dashboard and ``hybridcoder stats`` both call :func:`compute_figures`; the proxy's
router asks :class:`BudgetTracker` for the budget state on every request. Nothing here
imports Qt, and nothing here ever writes a request row.
"""

from __future__ import annotations

from hybridcoder.analytics.budget import BudgetState, BudgetTracker
from hybridcoder.analytics.figures import Figures, compute_figures, reference_model
from hybridcoder.analytics.periods import Period, PeriodError, resolve_period
from hybridcoder.analytics.prices import Cost, ModelPrice, PriceTable, cost

__all__ = [
    "BudgetState",
    "BudgetTracker",
    "Cost",
    "Figures",
    "ModelPrice",
    "Period",
    "PeriodError",
    "PriceTable",
    "compute_figures",
    "cost",
    "reference_model",
    "resolve_period",
]
