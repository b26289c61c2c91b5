"""``hybridcoder setup``: the one-click setup in the terminal (the GUI wizard runs the same flow).

``--yes`` grants the consents (install Ollama, store a checked key). A cloud key comes
from a hidden prompt in an interactive run, or from one line of stdin when stdin is not a
terminal (``echo $KEY | hybridcoder setup --yes``); nothing ever waits on a prompt that
nobody can answer. Without ``--yes`` and without a terminal, consents are refused.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import threading

from hybridcoder.cli._common import ProgressBar, status_line
from hybridcoder.setup_flow import SetupCallbacks, SetupEvent, SetupFlow, SetupOptions, SetupResult

ORDER = 10

_MARKS = {"done": "ok", "already done": "ok", "skipped": "info", "failed": "problem", "cancelled": "warning"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "setup", help="one-click setup: models, Ollama, cloud key, tools, proxy (resumable)")
    parser.add_argument("--yes", "-y", action="store_true",
                        help="answer yes to every question (install Ollama, store the checked key)")
    parser.add_argument("--no-cloud", action="store_true", help="skip the cloud key; everything stays local")
    parser.add_argument("--chat-model", metavar="TAG", help="use this Ollama tag for chat instead of the recommendation")
    parser.add_argument("--autocomplete-model", metavar="TAG", help="use this Ollama tag for autocomplete")
    parser.add_argument("--ollama-url", metavar="URL", help="where Ollama listens (default from settings)")
    parser.add_argument("--rules", action="store_true", default=None,
                        help="also install the short rule set for small local models in Cline and Continue")
    parser.add_argument("--allow-file-keyring", action="store_true",
                        help="where no system keyring exists, keep the proxy's token and keys in a private "
                             "file (readable only by you) without asking")
    parser.add_argument("--serve", action="store_true",
                        help="keep the proxy running after setup until Ctrl+C")
    parser.set_defaults(func=_setup)


def _ask(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        return False
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _provider_label() -> str:
    """The configured cloud provider in words (the key step stores the key of ``cloud.provider``)."""
    from hybridcoder.keys import PROVIDER_LABELS
    from hybridcoder.settings import Settings

    provider = Settings.load().cloud.provider
    return PROVIDER_LABELS.get("ollama" if provider == "ollama-cloud" else provider, provider)


def _read_key(no_cloud: bool, assume_yes: bool) -> str | None:
    """A key from a hidden prompt (interactive runs) or one line of piped stdin; never from argv."""
    if no_cloud:
        return None
    try:
        if sys.stdin.isatty():
            if assume_yes:  # unattended: nobody is there to type a key
                return None
            value = getpass.getpass(f"{_provider_label()} API key for hard tasks (Enter to skip; input hidden): ")
        else:
            value = sys.stdin.readline()
    except (EOFError, OSError):
        return None
    return value.strip() or None


class TerminalProgress:
    """Prints one line per finished step and a progress bar while a step reports fractions."""

    def __init__(self) -> None:
        self.bar: ProgressBar | None = None
        self.label = ""

    def __call__(self, event: SetupEvent) -> None:
        if event.step == "summary":
            return
        if event.status == "progress":
            if event.fraction is None:
                if event.message != self.label:
                    self._close()
                    status_line("info", event.message + "…")
                    self.label = event.message
                return
            if self.bar is None or event.message != self.label:
                self._close()
                self.bar = ProgressBar()
                self.label = event.message
            self.bar.update(event.fraction, 1.0, event.message)
            return
        if event.status == "started":
            return
        self._close()
        status_line(_MARKS.get(event.status, "info"), event.message)

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.finish()
            self.bar = None
        self.label = ""


def _setup(args: argparse.Namespace) -> int:
    options = SetupOptions(chat_model=args.chat_model, autocomplete_model=args.autocomplete_model,
                           ollama_url=args.ollama_url, cloud=not args.no_cloud, rules=args.rules,
                           allow_file_keyring=args.allow_file_keyring)
    callbacks = SetupCallbacks(
        consent_install_ollama=lambda q: _ask(q, args.yes),
        ask_cloud_key=lambda: _read_key(args.no_cloud, args.yes),
        consent_store_key=lambda q: _ask(q, args.yes),
        # A weaker place for secrets is never implied by --yes: asked here, or --allow-file-keyring.
        consent_file_keyring=lambda q: _ask(q + " Keep them there?", False),
    )
    cancel = threading.Event()
    flow = SetupFlow(options=options, callbacks=callbacks, on_event=TerminalProgress())
    try:
        result = flow.run(cancel)
    except KeyboardInterrupt:
        cancel.set()
        print("Cancelled; run `hybridcoder setup` again to continue where it stopped.", file=sys.stderr)
        return 130
    try:
        _print_summary(result)
        if args.serve and result.ok and result.proxy is not None:
            print(f"The proxy keeps running at {result.proxy.url}; press Ctrl+C to stop it.")
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        if result.proxy is not None:
            result.proxy.stop()
    if result.ok:
        return 0
    failed = next((o for o in result.steps if o.status in ("failed", "cancelled")), None)
    reason = f"setup stopped at “{failed.title}”: {failed.message}" if failed else "setup did not finish."
    print(f"hybridcoder: {reason}", file=sys.stderr)
    return 1


def _print_summary(result: SetupResult) -> None:
    print()
    lines = list(result.summary)
    # The summary's last line says how to keep the proxy up; it stays the last thing printed.
    last = lines.pop() if result.ok and lines else None
    failed = next((o for o in result.steps if o.status in ("failed", "cancelled")), None)
    for line in lines:
        if failed is not None and failed.message and line.endswith(failed.message):
            # The step's own line above already said why; say it once more only on stderr, at the end.
            line = f"Setup stopped at “{failed.title}” (the reason is above)."
        print(line)
    if result.proxy is not None:
        print("The proxy this setup started stops when this command ends.")
    if last is not None:
        print(last)
