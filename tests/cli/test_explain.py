"""``hybridcoder explain``: readable by default, one JSON decision per request body with --json; bad input is one clear line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hybridcoder.cli import main
from tests.routing import bodies

#: An agent task that needs the cloud whatever the scorer's details: several files, a cross-cutting change.
HARD = ("Migrate authentication from server sessions to JWT across the API, the web client and the "
        "mobile app, keep existing users logged in during the rollout, and design the token refresh flow")
HARD_READS = ["api/auth/session.py", "web/src/auth/client.ts", "mobile/Auth/Session.swift", "api/users/models.py"]


def hard() -> dict[str, object]:
    return bodies.cline_act(HARD, reads=HARD_READS)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_explains_one_body(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "req.json"
    path.write_text(json.dumps(hard()))
    code, out, _ = run(capsys, "explain", str(path), "--cloud-available", "yes", "--json")
    assert code == 0
    decision = json.loads(out)
    assert decision["route"] == "cloud"
    assert decision["model"]  # the configured cloud model
    assert decision["reasons"] and decision["score"] >= 0.5
    assert decision["sentence"].endswith("sent to the cloud.")
    assert HARD not in out and "JWT" not in out  # never prints prompt text


def test_jsonl_prints_one_decision_per_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "reqs.jsonl"
    lines = [bodies.continue_chat("Explain this function."), hard(),
             bodies.continue_chat("@cloud explain")]
    path.write_text("\n".join(json.dumps(b) for b in lines) + "\n\n")
    code, out, _ = run(capsys, "explain", str(path), "--jsonl", "--cloud-available", "yes")
    assert code == 0
    routes = [json.loads(line)["route"] for line in out.splitlines()]
    assert routes == ["local", "cloud", "cloud"]


def test_stdin_and_no_key_means_local(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(hard())))
    code, out, _ = run(capsys, "explain", "-", "--json")
    assert code == 0
    decision = json.loads(out)
    assert decision["route"] == "local"  # the in-memory keyring has no cloud key
    assert decision["reasons"] == ["no_cloud_key"]


def test_key_in_keyring_makes_the_cloud_available(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from hybridcoder.keys import KeyStore

    KeyStore().set("anthropic", "sk-ant-test-0123456789abcdef")
    path = tmp_path / "req.json"
    path.write_text(json.dumps(hard()))
    code, out, _ = run(capsys, "explain", str(path), "--json")
    assert code == 0
    assert json.loads(out)["route"] == "cloud"


def test_default_output_is_for_people(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "req.json"
    path.write_text(json.dumps(hard()))
    code, out, _ = run(capsys, "explain", str(path), "--cloud-available", "yes")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("CLOUD → ")
    assert lines[1].endswith("sent to the cloud.")
    assert lines[2].startswith("Score ") and "0.50" in lines[2]  # against the default threshold
    assert lines[3] == "Why:" and all(line.startswith("  - ") for line in lines[4:])
    assert not any("_" in line.split("  - ", 1)[-1][:3] for line in lines[4:])  # words, not codes
    assert "{" not in out and "JWT" not in out


@pytest.mark.parametrize(("content", "fragment"), [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a request body"),
    ("", "empty"),
    ('{"a": 1}\n{"b": 2}\n', "--jsonl"),
])
def test_bad_input_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     content: str, fragment: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, out, err = run(capsys, "explain", str(path))
    assert code == 1
    assert out == ""
    assert fragment in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bad_jsonl_line_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"messages": []}\n{oops\n')
    code, _, err = run(capsys, "explain", str(path), "--jsonl")
    assert code == 1
    assert "line 2" in err


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "explain", str(tmp_path / "nope.json"))
    assert code == 1
    assert "no such file" in err
