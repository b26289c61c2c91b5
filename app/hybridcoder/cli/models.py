"""``hybridcoder models ...``: recommend, list, pull, rm, load, unload."""

from __future__ import annotations

import argparse

from hybridcoder.cli import _models_ollama, _models_recommend

ORDER = 20


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("models", help="recommend, list, pull and manage local models")
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    _models_recommend.add_parser(sub)
    _models_ollama.register(sub)
