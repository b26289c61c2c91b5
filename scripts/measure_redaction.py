"""What the secret redactor catches and what it touches by mistake, against the previous rules.

    .venv/bin/python scripts/measure_redaction.py [--all-stdlib]

Recall: the realistic files in tests/data/secrets/ (a .env, Django settings, docker-compose,
a Kubernetes secret, curl commands, JSON config, TypeScript, a pasted SSH key), each with
the values that must go (expected.json). False positives: the Python standard library —
ordinary code nobody wrote for this test, full of auth, crypto and URL handling — counted
as modules touched (test suites excluded by default: their literal test passwords are
real secret-shaped assignments). Speed: MB/s over the same text. The previous rules
(the redactor before the review) run in the same process as the baseline.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))

from hybridcoder.secret_rules import redact_secrets  # noqa: E402

# The rules before the review, kept here verbatim as the baseline.
_OLD = [
    re.compile(r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,20000}?-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"),
    re.compile("|".join((
        r"sk-ant-[A-Za-z0-9_\-]{20,}", r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{32,}",
        r"(?:AKIA|ASIA)[0-9A-Z]{16}", r"gh[pousr]_[A-Za-z0-9]{36,}", r"github_pat_[A-Za-z0-9_]{60,}",
        r"glpat-[A-Za-z0-9_\-]{20,}", r"xox[abposr]-[A-Za-z0-9\-]{10,}", r"AIza[0-9A-Za-z_\-]{35}",
        r"hf_[A-Za-z0-9]{30,}", r"(?:sk|rk)_live_[A-Za-z0-9]{20,}", r"npm_[A-Za-z0-9]{36}", r"hc-[A-Za-z0-9_\-]{30,}",
    ))),
    re.compile(r"(?m)^([ \t]*(?:export[ \t]+)?[A-Z_][A-Z0-9_]*"
               r"(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)[A-Z0-9_]*"
               r"[ \t]*=[ \t]*)(?![0-9.]+[ \t]*$)(\"[^\"\n]{4,}\"|'[^'\n]{4,}'|[^\s\"'(){}\[\],;#]{4,})[ \t]*$"),
    re.compile(r"(\b[a-z][a-z0-9+.\-]{1,20}://[^\s:/@]{1,100}:)([^\s@/]{3,200})(@)", re.IGNORECASE),
]


def old_redact(text: str) -> tuple[str, int]:
    total = 0
    for pattern in _OLD:
        text, count = pattern.subn("[REDACTED]", text)
        total += count
    return text, total


def recall(redact: Callable[[str], tuple[str, int]]) -> tuple[int, int, list[str]]:
    corpus = ROOT / "tests" / "data" / "secrets"
    expected = json.loads((corpus / "expected.json").read_text(encoding="utf-8"))
    caught = total = 0
    missed: list[str] = []
    for name, spec in expected.items():
        if name.startswith("_"):
            continue
        out, _ = redact((corpus / name).read_text(encoding="utf-8"))
        for value in spec["gone"]:
            total += 1
            if value in out:
                missed.append(f"{name}: {value[:24]}")
            else:
                caught += 1
    return caught, total, missed


def ordinary_code(all_stdlib: bool) -> list[tuple[str, str]]:
    root = Path(sysconfig.get_paths()["stdlib"])
    skip = {"site-packages"} if all_stdlib else {"site-packages", "test", "tests", "idlelib"}
    return [(str(p.relative_to(root)), p.read_text(encoding="utf-8", errors="replace"))
            for p in sorted(root.rglob("*.py")) if not skip & set(p.parts)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all-stdlib", action="store_true", help="include the standard library's test suites")
    args = parser.parse_args()
    files = ordinary_code(args.all_stdlib)
    size_mb = sum(len(text) for _, text in files) / 1e6
    print(f"secret corpus: tests/data/secrets/; ordinary code: {len(files)} standard-library modules, {size_mb:.1f} MB")
    print(f"{'rules':<10} {'secrets caught':>16} {'modules touched':>17} {'speed':>10}")
    for label, redact in (("previous", old_redact), ("current", redact_secrets)):
        caught, total, missed = recall(redact)
        started = time.perf_counter()
        touched = [name for name, text in files if redact(text)[1]]
        speed = size_mb / (time.perf_counter() - started)
        print(f"{label:<10} {caught:>7} of {total:<6} {len(touched):>6} of {len(files):<8} {speed:>6.1f} MB/s")
        if label == "current":
            for line in missed:
                print(f"  missed: {line}")
            for name in touched:
                print(f"  touched: {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
