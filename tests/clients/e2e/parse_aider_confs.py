"""Parse many .aider.conf.yml files with aider's own argument parser, in one process.

Run with the aider venv's python (.e2e/aider-venv/bin/python): stdin is a JSON list of
paths, stdout a JSON list of {"file", "error"?, "model", "weak_model", "editor_model",
"openai_api_base", "openai_api_key_set"}. aider reads its YAML through configargparse, so
this is exactly how aider would load each file (unknown keys and wrong types included).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys

from aider.args import get_parser


def parse(path: str) -> dict[str, object]:
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            args = get_parser([path], None).parse_args(["--config", path])
    except SystemExit:
        return {"file": path, "error": (errors.getvalue().strip().splitlines() or ["exit"])[-1]}
    except Exception as exc:  # aider itself crashes on some files (e.g. `read:` with no value)
        return {"file": path, "error": f"aider crashed: {type(exc).__name__}: {exc}"}
    return {"file": path, "model": args.model, "weak_model": args.weak_model, "editor_model": args.editor_model,
            "openai_api_base": args.openai_api_base, "openai_api_key_set": bool(args.openai_api_key)}


print(json.dumps([parse(p) for p in json.load(sys.stdin)]))
