"""OpenAI tool-call arguments (a JSON string) as the object Ollama and Anthropic want.

Conversation history can hold a malformed call that some model made earlier; failing
the whole conversation over it would leave the user stuck, so anything that is not a
JSON object becomes ``{}``. (Validating a *new* call before the client sees it is
``validation.py``'s job, and it is strict.)
"""

from __future__ import annotations

import json
from typing import Any


def arguments_object(raw: Any) -> dict[str, Any]:
    """OpenAI's string arguments → a JSON object; junk in history becomes ``{}``."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str) and raw.strip():
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}
