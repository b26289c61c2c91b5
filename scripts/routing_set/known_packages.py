#!/usr/bin/env python3
"""Extract the names of widely used packages from the public PyPI and npm package lists.

Why: the scorer's "unfamiliar names" signal (a name in the instruction that no training source
mentions hints at a niche or new framework) flagged React, FastAPI, TypeScript and Django as
unfamiliar whenever the training sources happened not to name them. How widely a package is
used is real, independent data about which names a 7B coder has seen a lot of: a name that is
a top-5,000 PyPI download or an npm package with a million downloads a month counts as
familiar, whatever the training sources say.

Input: the package lists of this workplace (``name, version, month, rank`` for PyPI's 15,000 most
downloaded; ``name, version, downloads_a_month`` for npm), made on one day in December 2026.
Output: ``public/known_packages.txt``, one lower-cased name a line, committed (the lists are not
part of the repository). Thresholds fixed before looking at any routing figure: PyPI rank <= 5000,
npm >= 1,000,000 downloads a month; only names a request could spell as one token (letters and
digits, optionally one dotted suffix such as ``alpine.js``); npm scopes are left out.

    python scripts/routing_set/known_packages.py [--pypi PATH] [--npm PATH]

Caveat: popularity in 2026 is not the 7B coder's training data (2024): packages that grew
since (hono, effect) count as familiar although a 7B coder has seen little of them.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

LISTS = Path("/work/.library/env/packages")
OUT = Path(__file__).resolve().parent / "public" / "known_packages.txt"
PYPI_TOP = 5000
NPM_MONTHLY = 1_000_000
_ONE_TOKEN = re.compile(r"[a-z][a-z0-9]*(?:\.[a-z0-9]+)?")


def known_names(pypi: Path, npm: Path) -> list[str]:
    names: set[str] = set()
    csv.field_size_limit(sys.maxsize)
    with pypi.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows, None)
        for row in rows:
            if len(row) >= 4 and row[3].strip().isdigit() and int(row[3]) <= PYPI_TOP:
                names.add(row[0].lower())
    with npm.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows, None)
        for row in rows:
            if len(row) >= 3 and row[2].strip().isdigit() and int(row[2]) >= NPM_MONTHLY:
                names.add(row[0].lower())
    return sorted(n for n in names if len(n) >= 3 and _ONE_TOKEN.fullmatch(n))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pypi", type=Path, default=LISTS / "pypi.tsv")
    parser.add_argument("--npm", type=Path, default=LISTS / "npm.tsv")
    args = parser.parse_args()
    names = known_names(args.pypi, args.npm)
    header = (f"# Widely used package names: PyPI rank <= {PYPI_TOP} or npm >= {NPM_MONTHLY:,} downloads a month "
              "(package lists of 2026-12); made by scripts/routing_set/known_packages.py\n")
    OUT.write_text(header + "".join(n + "\n" for n in names), encoding="utf-8")
    print(f"wrote {len(names)} names to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
