"""``hybridcoder routing mode|reset-learning|pause|resume`` and ``serve`` against a proxy that is already running."""

from __future__ import annotations

import httpx
import pytest

from hybridcoder.cli import main
from hybridcoder.routing.features import extract_features
from hybridcoder.routing.learning import Learner
from hybridcoder.settings import Settings
from tests.emulators.anthropic import AnthropicEmulator
from tests.emulators.ollama import OllamaEmulator
from tests.proxy.conftest import CHAT, RunningProxy, StartProxy, proxy_settings, start_proxy  # noqa: F401

BODY = {"model": "hybrid-auto", "messages": CHAT}


def running(start: StartProxy, ollama: OllamaEmulator, anthropic: AnthropicEmulator | None = None,
            **changes: object) -> RunningProxy:
    """A proxy on 127.0.0.1 whose port is the one in the user's settings file (as the app runs it)."""
    proxy = start(ollama, anthropic, **changes)
    settings = proxy_settings(ollama, anthropic, **changes)
    settings.proxy.port = proxy.server.port
    settings.save()
    return proxy


def route_of(proxy: RunningProxy) -> str:
    with proxy.http() as http:
        response = http.post("/v1/chat/completions", json=BODY)
    return response.headers.get("x-hybridcoder-route", str(response.status_code))


def test_mode_changes_the_running_proxy_and_the_settings(ollama_emulator: OllamaEmulator,
                                                         anthropic_emulator: AnthropicEmulator,
                                                         start_proxy: StartProxy,  # noqa: F811
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    proxy = running(start_proxy, ollama_emulator, anthropic_emulator)
    assert route_of(proxy) == "local"
    assert main(["routing", "mode", "cloud"]) == 0
    out = capsys.readouterr().out
    assert f"the running proxy at {proxy.url} uses it from the next request on" in out
    assert "next time" not in out and "restart" not in out
    assert route_of(proxy) == "cloud"
    assert Settings.load().routing.mode == "cloud"
    assert main(["routing", "mode", "auto"]) == 0
    assert route_of(proxy) == "local"


def test_mode_without_a_running_proxy_only_saves(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings()
    settings.proxy.port = 9  # nothing answers there
    settings.save()
    assert main(["routing", "mode", "local"]) == 0
    assert "saved in your settings for the next proxy start" in capsys.readouterr().out
    assert Settings.load().routing.mode == "local"
    assert main(["routing", "mode", "fastest"]) == 2  # argparse names the choices


def test_reset_learning_reaches_the_running_proxy(ollama_emulator: OllamaEmulator,
                                                  start_proxy: StartProxy,  # noqa: F811
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    proxy = running(start_proxy, ollama_emulator, **{"routing.learning": True})
    assert proxy.server.state is not None
    learner = proxy.server.state.router.learner
    assert learner is not None
    features = extract_features(BODY, "/v1/chat/completions")
    assert learner.observe(features, "invalid_tool_call")
    assert Learner(autosave=False).stats()["examples"] == 1
    assert main(["routing", "reset-learning"]) == 0
    assert "in the running proxy" in capsys.readouterr().out
    assert learner.adjustment(features) == 0.0  # the running router, not a fresh copy
    assert Learner(autosave=False).stats()["examples"] == 0


def test_pause_and_resume_from_the_terminal(ollama_emulator: OllamaEmulator,
                                            start_proxy: StartProxy,  # noqa: F811
                                            capsys: pytest.CaptureFixture[str]) -> None:
    proxy = running(start_proxy, ollama_emulator)
    assert main(["routing", "pause"]) == 0
    assert route_of(proxy) == "503"
    assert main(["routing", "resume"]) == 0
    assert route_of(proxy) == "local"
    capsys.readouterr()


def test_pause_without_a_proxy_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings()
    settings.proxy.port = 9
    settings.save()
    assert main(["routing", "pause"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("hybridcoder: No Hybrid Coder proxy is running on http://127.0.0.1:9")
    assert "\n" not in err


def test_serve_while_the_app_holds_the_port_says_so_in_one_line(ollama_emulator: OllamaEmulator,
                                                                start_proxy: StartProxy,  # noqa: F811
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    proxy = running(start_proxy, ollama_emulator)
    assert main(["serve", "--ollama-url", ollama_emulator.url]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines() == [
        f"Hybrid Coder is already running on {proxy.url} (the desktop app or another `hybridcoder serve`); "
        "nothing to do."]
    assert captured.err == ""
    assert httpx.get(proxy.url + "/health").status_code == 200  # the first one keeps running
