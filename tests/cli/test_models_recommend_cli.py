"""``hybridcoder models recommend`` for this machine or a described one."""

from __future__ import annotations

import json

import pytest

from hybridcoder.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["models", "recommend", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_described_8_gb_nvidia_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--vram-gb", "8", "--gpu", "nvidia", "--ram-gb", "32", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["chat"]["tag"] == "qwen2.5-coder:7b"
    assert data["autocomplete"]["tag"] == "qwen2.5-coder:1.5b-base"
    assert data["described_machine"] is True and data["fits"] is True


def test_text_output_names_the_pair_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--vram-gb", "24")
    assert code == 0
    assert "qwen3-coder:30b" in out and "autocomplete" in out
    assert "Why:" in out and "Also fits:" in out and "devstral:24b" in out


def test_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert code == 0 and "Memory for models:" in out and "Traceback" not in err


def test_cpu_only_description_warns_about_speed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--gpu", "none", "--ram-gb", "16")
    assert code == 0 and "qwen2.5-coder:1.5b" in out and "CPU" in out


def test_no_gpu_memory_is_a_cpu_only_machine(capsys: pytest.CaptureFixture[str]) -> None:
    """`--gpu none --vram-gb 0` says the same as `--gpu none`; it is not an error."""
    code, out, err = run(capsys, "--gpu", "none", "--vram-gb", "0", "--ram-gb", "16", "--json")
    assert code == 0, err
    code, plain, _ = run(capsys, "--gpu", "none", "--ram-gb", "16", "--json")
    assert code == 0 and json.loads(out) == json.loads(plain)


@pytest.mark.parametrize("args", [["--gpu", "nvidia"], ["--gpu", "none", "--vram-gb", "8"],
                                  ["--vram-gb", "lots"], ["--gpu", "voodoo"], ["--gpu", "nvidia", "--vram-gb", "0"]])
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and "Traceback" not in out + err and err
