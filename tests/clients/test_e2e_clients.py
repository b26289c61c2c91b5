"""The real tools read the files we write and get their answers through the real proxy.

Continue's validator (@continuedev/config-yaml), the headless Continue CLI (``cn -p``),
the ``cline`` CLI and aider run as subprocesses in the test's temporary HOME against
``ProxyServer`` → Ollama emulator. They are installed into ``.e2e/`` by
``scripts/install_e2e_clients.sh``; without them these tests skip and say so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hybridcoder.clients.configure import client_models_from_settings, configure_tools
from hybridcoder.clients.continue_config import config_path
from hybridcoder.keys import KeyStore
from hybridcoder.proxy.server import ProxyServer
from hybridcoder.settings import Settings
from tests.clients.conftest import place
from tests.emulators.ollama import OllamaEmulator

pytestmark = pytest.mark.slow

E2E = Path(__file__).resolve().parents[2] / ".e2e"
MODULES = E2E / "node_modules"
VALIDATOR = Path(__file__).resolve().parent / "e2e" / "validate_continue.mjs"
INSTALL_HINT = "run scripts/install_e2e_clients.sh to install the real clients into .e2e/"


def need(path: Path, what: str, *, node: bool = True) -> Path:
    if not path.exists():
        pytest.skip(f"{what} is not installed ({path} missing); {INSTALL_HINT}")
    if node and shutil.which("node") is None:
        pytest.skip(f"{what} needs node, which is not on PATH; install Node.js 20+ and {INSTALL_HINT}")
    return path


@dataclass
class Stack:
    emulator: OllamaEmulator
    proxy: ProxyServer
    settings: Settings
    token: str
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items()
                if k in ("PATH", "LANG", "LC_ALL", "TMPDIR", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE")}
        return {**keep, "HOME": str(self.home), "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost", **extra}


@pytest.fixture
def stack(ollama_emulator: OllamaEmulator) -> Iterator[Stack]:
    settings = Settings()
    settings.ollama.url = ollama_emulator.url
    settings.models.chat = "qwen2.5-coder:7b"
    settings.models.autocomplete = "qwen2.5-coder:1.5b-base"
    settings.models.chat_context = 16384
    settings.proxy.port = 0
    token = KeyStore().proxy_token(create=True) or ""
    proxy = ProxyServer(settings).start()
    try:
        yield Stack(ollama_emulator, proxy, settings, token, Path(os.environ["HOME"]))
    finally:
        proxy.stop()


def configure(stack: Stack, tool: str) -> None:
    report = configure_tools([tool], proxy_url=stack.proxy.url, token=stack.token,
                             models=client_models_from_settings(stack.settings))
    assert report.ok, report.to_dict()


def run(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 50) -> subprocess.CompletedProcess[str]:
    # SIGKILL on timeout: the cline CLI ignores SIGTERM (cline.md §7).
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def validate(path: Path) -> dict[str, object]:
    need(MODULES / "@continuedev" / "config-yaml", "@continuedev/config-yaml")
    result = run(["node", str(VALIDATOR), str(MODULES), str(path)], dict(os.environ), path.parent, timeout=30)
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("corpus", [None, "commented.yaml", "crlf.yaml"])
def test_continue_validator_accepts_our_yaml_and_drops_none_of_our_keys(corpus: str | None, home: Path) -> None:
    if corpus:
        place(f"continue/{corpus}", home / ".continue" / "config.yaml")
    settings = Settings()
    settings.models.chat_context = 16384
    settings.models.embed = "nomic-embed-text:latest"
    report = configure_tools(["continue"], proxy_url="http://127.0.0.1:11480", token="hc-e2e-token-0123456789",
                             models=client_models_from_settings(settings), rules=True)
    assert report.ok
    verdict = validate(config_path())
    assert "parseError" not in verdict, verdict
    assert verdict["errors"] == []
    names = verdict["models"]
    assert isinstance(names, list)
    ours = {i for i, name in enumerate(names) if str(name).startswith("Hybrid Coder")}
    assert len(ours) == 3
    stripped = [str(k) for k in verdict["stripped"]]  # type: ignore[attr-defined]
    assert [k for k in stripped if k.startswith(tuple(f"models.{i}." for i in ours)) or k.startswith("rules")] == []


def test_validator_reports_a_key_continue_would_drop(tmp_path: Path) -> None:
    """The check above can fail: a typo'd key is reported as stripped."""
    path = tmp_path / "config.yaml"
    path.write_text("name: t\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: m\n    provider: openai\n"
                    "    model: hybrid-auto\n    apiBAse: http://127.0.0.1:1/v1\n")
    assert validate(path)["stripped"] == ["models.0.apiBAse"]


def test_cn_headless_answers_through_the_proxy(stack: Stack, tmp_path: Path) -> None:
    cn = need(MODULES / ".bin" / "cn", "@continuedev/cli (cn)")
    configure(stack, "continue")
    stack.emulator.script_reply("CN-THROUGH-PROXY-7")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    result = run([str(cn), "-p", "--config", str(config_path()), "Say hello"],
                 stack.env(CONTINUE_GLOBAL_DIR=str(config_path().parent)), workspace)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "CN-THROUGH-PROXY-7" in result.stdout
    chats = stack.emulator.requests_to("/api/chat")
    assert chats and chats[-1].body["model"] == "qwen2.5-coder:7b"  # hybrid-auto routed to the local model


def test_cline_cli_completes_a_task_with_our_files(stack: Stack, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    cline = need(MODULES / ".bin" / "cline", "cline")
    data = tmp_path / "cline-data"
    monkeypatch.setenv("CLINE_DATA_DIR", str(data))
    configure(stack, "cline")
    (data / "settings" / "global-settings.json").write_text('{"telemetryOptOut": true, "autoUpdateEnabled": false}')
    stack.emulator.script_reply("CLINE-THROUGH-PROXY-9")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    # No -P/-m/-k: provider, model, key and base URL must come from the files we wrote.
    result = run([str(cline), "--data-dir", str(data), "--json", "-t", "40", "-c", str(workspace),
                  "Say hello"],
                 stack.env(CLINE_NO_AUTO_UPDATE="1", CLINE_SESSION_BACKEND_MODE="local"), workspace)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    final = [line for line in lines if line.get("type") == "run_result"]
    assert final, result.stdout[-2000:] + result.stderr[-2000:]
    assert final[-1]["finishReason"] == "completed" and result.returncode == 0
    assert "CLINE-THROUGH-PROXY-9" in final[-1]["text"]
    assert final[-1]["model"]["id"] == "hybrid-auto"
    assert final[-1]["model"]["info"]["contextWindow"] == 16384
    chat = stack.emulator.requests_to("/api/chat")[-1].body
    assert chat["tools"]  # the tools capability made it through to the local model


def test_aider_non_interactive_answers_through_the_proxy(stack: Stack, tmp_path: Path) -> None:
    aider = need(E2E / "aider-venv" / "bin" / "aider", "aider-chat", node=False)
    configure(stack, "aider")
    stack.emulator.script_reply("AIDER-THROUGH-PROXY-3")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    # No --model / --openai-api-base: aider must take them from ~/.aider.conf.yml.
    result = run([str(aider), "--message", "Say hello", "--yes-always", "--no-git", "--no-pretty",
                  "--no-fancy-input", "--no-stream"], stack.env(), workspace)
    assert "Model: openai/hybrid-auto with diff edit format" in result.stdout
    assert "AIDER-THROUGH-PROXY-3" in result.stdout, result.stdout[-2000:]  # aider exits 0 even on errors
    assert "litellm" not in result.stdout.lower()
    assert stack.emulator.requests_to("/api/chat")


def test_missing_clients_skip_with_the_install_hint(tmp_path: Path) -> None:
    with pytest.raises(pytest.skip.Exception, match=r"install_e2e_clients\.sh"):
        need(tmp_path / "nope" / "cn", "@continuedev/cli (cn)")
