"""``python -m hybridcoder`` runs the same command line as the ``hybridcoder`` script."""

from __future__ import annotations

import sys

from hybridcoder.cli import main

if __name__ == "__main__":
    sys.exit(main())
