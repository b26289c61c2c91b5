"""``hybridcoder models recommend``: the local model pair for this machine or a described one."""

from __future__ import annotations

import argparse
import sys

from hybridcoder.cli._common import print_json
from hybridcoder.hardware.profile import HardwareProfile
from hybridcoder.recommend import Recommendation, format_gb, recommend_models


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``recommend`` to the ``models`` group."""
    parser = sub.add_parser(
        "recommend", help="which chat and autocomplete models fit this machine (or a described one)",
        description="Recommend a chat model and an autocomplete (fill-in-the-middle) model that fit "
                    "together in this machine's GPU memory, or in a machine you describe.")
    parser.add_argument("--json", action="store_true", help="print the recommendation as JSON")
    parser.add_argument("--vram-gb", type=float, metavar="N",
                        help="describe a GPU with N GB of memory (as sold: an 8 GB card is --vram-gb 8)")
    parser.add_argument("--ram-gb", type=float, metavar="N", help="describe N GB of system RAM")
    parser.add_argument("--gpu", choices=("nvidia", "amd", "apple", "none"),
                        help="describe the GPU kind (apple: unified memory; none: CPU only)")
    parser.add_argument("--prefer", metavar="TAG_OR_FAMILY",
                        help="try this model or family first (e.g. qwen3-coder:30b or starcoder2)")
    parser.set_defaults(func=_recommend)


def _profile(args: argparse.Namespace) -> HardwareProfile:
    if args.vram_gb is None and args.ram_gb is None and args.gpu is None:
        from hybridcoder.hardware.scan import scan_hardware

        return scan_hardware()
    base = None
    if args.ram_gb is None:  # describe only what was given; the rest is this machine
        from hybridcoder.hardware.scan import scan_hardware

        base = scan_hardware()
    return HardwareProfile.described(vram_gb=args.vram_gb, ram_gb=args.ram_gb, gpu=args.gpu, base=base)


def _recommend(args: argparse.Namespace) -> int:
    try:
        profile = _profile(args)
    except ValueError as exc:
        print(f"hybridcoder models recommend: {exc}", file=sys.stderr)
        return 2
    rec = recommend_models(profile, prefer=args.prefer)
    if args.json:
        print_json(rec.as_json())
        return 0
    _print(rec)
    return 0


def _print(rec: Recommendation) -> None:
    described = " (described machine)" if rec.profile_described else ""
    print(f"Memory for models{described}: {rec.budget.description}.")
    if rec.chat is None:
        print("No local coder model fits; Hybrid Coder will send requests to the cloud model.")
    else:
        print(f"  chat          {rec.chat.tag:40} {_ctx(rec.chat.context):>4} context  "
              f"{format_gb(rec.chat.memory_bytes):>7}")
        if rec.autocomplete is not None:
            print(f"  autocomplete  {rec.autocomplete.tag:40} {_ctx(rec.autocomplete.context):>4} context  "
                  f"{format_gb(rec.autocomplete.memory_bytes):>7}")
        print(f"  together {format_gb(rec.pair_bytes)} of the {format_gb(rec.budget.limit_bytes)} limit "
              f"({rec.budget.headroom:.0%} of {format_gb(rec.budget.usable_bytes)}); "
              f"download {format_gb(rec.download_bytes)}.")
    if rec.reasons:
        print("\nWhy:")
        for reason in rec.reasons:
            print(f"  - {reason}")
    if rec.warnings:
        print("\nWarnings:")
        for warning in rec.warnings:
            print(f"  ! {warning}")
    if rec.alternatives:
        print("\nAlso fits:")
        for alt in rec.alternatives:
            print(f"  {alt.role:13} {alt.tag:40} {_ctx(alt.context):>4}  {format_gb(alt.memory_bytes):>7}  "
                  f"{alt.reason}")


def _ctx(context: int) -> str:
    return f"{context // 1024}K" if context % 1024 == 0 else str(context)
