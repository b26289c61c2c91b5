"""The Ollama-backed ``models`` actions: list, pull, rm, load, unload.

Each is a thin shell around :class:`hybridcoder.ollama.OllamaManager`; failures arrive as
``OllamaError`` sentences that the CLI prints as one line (exit 1). Ctrl-C during a pull stops
the download cleanly (exit 130) and leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import UTC, datetime

from hybridcoder.cli._common import ProgressBar, human_bytes, print_json
from hybridcoder.ollama import OllamaManager, PullProgress


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add list/pull/rm/load/unload to the ``models`` group."""
    url_help = "Ollama's address (default: settings, then OLLAMA_HOST, then http://127.0.0.1:11434)"

    listing = sub.add_parser("list", help="models installed in Ollama, and which are loaded")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument("--ollama-url", metavar="URL", help=url_help)
    listing.set_defaults(func=cmd_list)

    pull = sub.add_parser("pull", help="download a model (Ctrl-C cancels; pulling again resumes)")
    pull.add_argument("tag", metavar="TAG", type=_tag, help="model name and tag, e.g. qwen2.5-coder:7b")
    pull.add_argument("--ollama-url", metavar="URL", help=url_help)
    pull.set_defaults(func=cmd_pull)

    remove = sub.add_parser("rm", help="delete a model from disk")
    remove.add_argument("tag", metavar="TAG", type=_tag)
    remove.add_argument("--ollama-url", metavar="URL", help=url_help)
    remove.set_defaults(func=cmd_rm)

    load = sub.add_parser("load", help="load a model into memory now (and keep it there)")
    load.add_argument("tag", metavar="TAG", type=_tag)
    load.add_argument("--keep-alive", default="30m", metavar="DURATION",
                      help="how long it stays loaded when idle, e.g. 30m, 2h, -1 for forever (default 30m)")
    load.add_argument("--num-ctx", type=_context_length, metavar="TOKENS", help="context length to load it with")
    load.add_argument("--ollama-url", metavar="URL", help=url_help)
    load.set_defaults(func=cmd_load)

    unload = sub.add_parser("unload", help="free the memory a model uses")
    unload.add_argument("tag", metavar="TAG", type=_tag)
    unload.add_argument("--ollama-url", metavar="URL", help=url_help)
    unload.set_defaults(func=cmd_unload)


def _tag(text: str) -> str:
    """A model name as typed; an empty one is a usage error, not a request Ollama cannot parse."""
    tag = text.strip()
    if not tag:
        raise argparse.ArgumentTypeError("give a model name and tag, e.g. qwen2.5-coder:7b")
    return tag


def _context_length(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a context length; give a number of tokens, e.g. 8192")
    return value


def _manager(args: argparse.Namespace) -> OllamaManager:
    return OllamaManager(args.ollama_url or None)


def cmd_list(args: argparse.Namespace) -> int:
    manager = _manager(args)
    models = manager.list_models()
    loaded = {m.name: m for m in manager.loaded()}
    if args.json:
        print_json([{"name": m.name, "size": m.size, "digest": m.digest,
                     "modified_at": m.modified_at.isoformat() if m.modified_at else None,
                     "parameter_size": m.parameter_size, "quantization": m.quantization,
                     "loaded": m.name in loaded,
                     "fully_on_gpu": loaded[m.name].fully_on_gpu if m.name in loaded else None}
                    for m in models])
        return 0
    if not models:
        print(f"No models installed in Ollama at {manager.url}. Pull one with `hybridcoder models pull TAG`.")
        return 0
    width = max(len(m.name) for m in models)
    print(f"{'NAME':<{width}}  {'SIZE':>9}  {'PARAMS':>7}  {'QUANT':<7}  {'MODIFIED':<13}  LOADED")
    for m in sorted(models, key=lambda m: m.name):
        state = ""
        if m.name in loaded:
            state = "yes, on GPU" if loaded[m.name].fully_on_gpu else "yes, partly on CPU"
        print(f"{m.name:<{width}}  {human_bytes(m.size):>9}  {m.parameter_size:>7}  {m.quantization:<7}  "
              f"{_age(m.modified_at):<13}  {state}".rstrip())
    return 0


def _age(when: datetime | None) -> str:
    if when is None:
        return ""
    days = (datetime.now(UTC) - when.astimezone(UTC)).days
    return "today" if days < 1 else f"{days} days ago" if days > 1 else "yesterday"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def cmd_pull(args: argparse.Namespace) -> int:
    manager = _manager(args)
    bar = ProgressBar()
    cancel = threading.Event()
    told_resume = False

    def show(progress: PullProgress) -> None:
        nonlocal told_resume
        if progress.resumed and not told_resume:
            told_resume = True
            bar.finish(f"Resuming: {human_bytes(progress.resumed_bytes)} already downloaded.")
        if progress.phase == "manifest":
            return
        extra = f"{human_bytes(progress.completed)} / {human_bytes(progress.total)}"
        if progress.phase == "downloading" and progress.bytes_per_s > 0:
            extra += f"  {human_bytes(progress.bytes_per_s)}/s"
            if progress.eta_s is not None:
                extra += f"  ETA {_duration(progress.eta_s)}"
        elif progress.phase == "finishing":
            extra += "  verifying"
        bar.update(progress.completed, progress.total, label=args.tag, extra=extra)

    try:
        result = manager.pull(args.tag, on_progress=show, cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        bar.finish()
        raise  # the CLI prints "Cancelled." and exits 130
    except BaseException:
        bar.finish()
        raise
    if result.cancelled:
        bar.finish()
        print("Cancelled.", file=sys.stderr)
        return 130
    bar.finish(f"Pulled {args.tag} ({human_bytes(result.total_bytes)}).")
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    _manager(args).delete(args.tag)
    print(f"Deleted {args.tag}.")
    return 0


def _keep_alive(text: str) -> str | float:
    """Ollama takes durations ("30m") or seconds; a bare number means seconds."""
    try:
        return float(text)
    except ValueError:
        return text


def cmd_load(args: argparse.Namespace) -> int:
    entry = _manager(args).load(args.tag, keep_alive=_keep_alive(args.keep_alive), num_ctx=args.num_ctx)
    if entry is None:
        print(f"Loaded {args.tag}.")
        return 0
    where = "fully on the GPU" if entry.fully_on_gpu else (
        f"{human_bytes(entry.size_vram)} of {human_bytes(entry.size)} on the GPU, the rest on the CPU (slower)")
    ctx = f", context {entry.context_length}" if entry.context_length else ""
    print(f"Loaded {args.tag}: {human_bytes(entry.size)} {where}{ctx}.")
    return 0


def cmd_unload(args: argparse.Namespace) -> int:
    _manager(args).unload(args.tag)
    print(f"Unloaded {args.tag}.")
    return 0
