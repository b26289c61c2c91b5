"""`hybridcoder setup`'s hidden key prompt names the provider whose key the step stores."""

from __future__ import annotations

import io

import pytest

from hybridcoder.cli import setup as setup_cli
from hybridcoder.settings import Settings


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("provider", "label"), [("anthropic", "Anthropic"), ("openai", "OpenAI"),
                                                 ("ollama-cloud", "Ollama Cloud")])
def test_the_hidden_prompt_names_the_configured_provider(monkeypatch: pytest.MonkeyPatch, provider: str,
                                                         label: str) -> None:
    settings = Settings()
    settings.cloud.provider = provider
    settings.save()
    prompts: list[str] = []
    monkeypatch.setattr(setup_cli.sys, "stdin", _Terminal())
    monkeypatch.setattr(setup_cli.getpass, "getpass", lambda prompt: prompts.append(prompt) or "sk-typed ")
    assert setup_cli._read_key(no_cloud=False, assume_yes=False) == "sk-typed"
    assert prompts == [f"{label} API key for hard tasks (Enter to skip; input hidden): "]
