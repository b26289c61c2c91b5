"""The opt-in short rule set for small local models, as Cline and Continue rules.

The rules live in ``resources/rules/small_models.toml`` (data, with a source and a
date). Small models follow roughly the first 10–15 rules and improvise on the rest,
so the set is capped at :data:`MAX_RULES`; :func:`why_short_note` is the sentence
the UI shows next to the opt-in. This module never writes files.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from hybridcoder.clients.errors import ConfigWriteError
from hybridcoder.resource_files import ResourceError, resource_path

MAX_RULES = 12
RULES_FILE_NAME = "hybrid-coder-small-models.md"
RULES_FILE = "rules/small_models.toml"  # the shipped rule set, in resources/


@dataclass(frozen=True)
class RuleSet:
    name: str
    rules: tuple[str, ...]
    why_short: str
    source: str
    date: str

    def as_markdown(self) -> str:
        """The Cline rule file: no front matter, so it is always on."""
        lines = [f"# {self.name}", "", f"<!-- {self.why_short} -->", ""]
        lines += [f"{i}. {rule}" for i, rule in enumerate(self.rules, 1)]
        return "\n".join(lines) + "\n"

    def as_text(self) -> str:
        """The Continue rule body (a numbered list)."""
        return "\n".join(f"{i}. {rule}" for i, rule in enumerate(self.rules, 1)) + "\n"


def load_rule_set(path: Path | None = None) -> RuleSet:
    """Read the shipped rule set; refuses a set longer than :data:`MAX_RULES`."""
    if path is None:
        try:
            path = resource_path(RULES_FILE)
        except ResourceError as exc:
            raise ConfigWriteError(exc.message) from None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigWriteError(f"The shipped rule set at {path} could not be read; reinstall Hybrid Coder.") from exc
    rules = tuple(str(r).strip() for r in data.get("rules", []) if str(r).strip())
    if not rules or len(rules) > MAX_RULES:
        raise ConfigWriteError(
            f"The rule set at {path} has {len(rules)} rules; it must have 1 to {MAX_RULES} "
            "(small models ignore rules past the first dozen)."
        )
    return RuleSet(str(data.get("name", "Hybrid Coder: small-model rules")), rules,
                   str(data.get("why_short", "")), str(data.get("source", "")), str(data.get("date", "")))


def why_short_note() -> str:
    """The note shown next to the opt-in: why the rule set is short."""
    return load_rule_set().why_short


def cline_global_rules_dir() -> Path:
    """Cline's global rules folder, read by the VS Code extension and the CLI alike.

    ``<Documents>/Cline/Rules`` (XDG documents dir on Linux, My Documents on Windows).
    The CLI also reads ``~/.cline/rules``; we write only one place so the rules are
    not sent twice.
    """
    documents = Path(platformdirs.user_documents_dir())
    home = Path(os.path.expanduser("~"))
    if not str(documents).startswith(str(home)) and os.name != "nt":
        documents = home / "Documents"
    return documents / "Cline" / "Rules"
