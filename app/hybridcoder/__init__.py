"""Hybrid Coder: local coder model for routine work, cloud flagship for hard work.

The package is a Qt-free core (hardware, catalog, ollama, clients, proxy, ledger,
routing, setup flow) with a thin GUI layer in ``gui/``. The core never imports Qt.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
