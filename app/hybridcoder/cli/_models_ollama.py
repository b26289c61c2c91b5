"""The Ollama-backed ``models`` actions: list, pull, rm, load, unload."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add list/pull/rm/load/unload to the ``models`` group."""
