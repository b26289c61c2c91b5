"""``hybridcoder keys set|status|delete``: cloud keys in the OS keyring.

A key is read from a hidden prompt or from stdin, never from argv (argv shows up in
process lists and shell history).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from hybridcoder.cli._common import print_json
from hybridcoder.errors import KeyStoreError
from hybridcoder.keys import PROVIDER_LABELS, PROVIDERS, KeyStore, keyring_available, keyring_backend_name
from hybridcoder.settings import Settings

ORDER = 40


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("keys", help="store, check or delete cloud keys (kept in the OS keyring)")
    sub = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    set_parser = sub.add_parser("set", help="store a key (read from a hidden prompt or stdin)")
    set_parser.add_argument("provider", choices=PROVIDERS)
    set_parser.add_argument(
        "--allow-file", action="store_true",
        help="if no system keyring exists, store the key in a plain 0600 file (explicit consent)",
    )
    set_parser.set_defaults(func=_set)
    status_parser = sub.add_parser("status", help="which keys are present, and where from")
    status_parser.add_argument("--json", action="store_true")
    status_parser.set_defaults(func=_status)
    delete_parser = sub.add_parser("delete", help="remove a stored key")
    delete_parser.add_argument("provider", choices=PROVIDERS)
    delete_parser.set_defaults(func=_delete)


def _store(settings: Settings, allow_file: bool = False) -> KeyStore:
    return KeyStore(allow_file_fallback=allow_file or settings.keys.allow_file_fallback)


def _set(args: argparse.Namespace) -> int:
    settings = Settings.load()
    label = PROVIDER_LABELS[args.provider]
    if sys.stdin.isatty():
        value = getpass.getpass(f"{label} API key (input hidden): ")
    else:
        value = sys.stdin.readline()
    if not value.strip():
        raise KeyStoreError("No key was entered; nothing was stored.")
    if args.allow_file and not keyring_available():
        settings.keys.allow_file_fallback = True
        settings.save()
    where = _store(settings, args.allow_file).set(args.provider, value)
    status = _store(settings).status(args.provider)
    place = "the system keyring" if where == "keyring" else "the plain-text fallback file (you allowed it)"
    print(f"Stored the {label} key {status.masked} in {place}.")
    return 0


def _status(args: argparse.Namespace) -> int:
    store = _store(Settings.load())
    rows = [store.status(p) for p in PROVIDERS]
    if args.json:
        print_json({
            "keyring": {"available": keyring_available(), "backend": keyring_backend_name()},
            "keys": [{"provider": r.provider, "present": r.present, "source": r.source, "masked": r.masked}
                     for r in rows],
        })
        return 0
    if keyring_available():
        print(f"Keyring: {keyring_backend_name()}")
    else:
        print("Keyring: none available (keys can come from environment variables instead)")
    for row in rows:
        label = PROVIDER_LABELS[row.provider]
        print(f"{label:13} {row.masked if row.present else 'not set'}"
              + (f"  (from {row.source})" if row.present else ""))
    return 0


def _delete(args: argparse.Namespace) -> int:
    removed = _store(Settings.load()).delete(args.provider)
    label = PROVIDER_LABELS[args.provider]
    print(f"Deleted the stored {label} key." if removed else f"No stored {label} key to delete.")
    return 0
