"""The secret rules on realistic files, on the names the review found missed, and on ordinary code."""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import pytest

from hybridcoder.secret_rules import might_hold_secrets, redact_secrets

CORPUS = Path(__file__).parent / "data" / "secrets"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(k for k in EXPECTED if not k.startswith("_")))
def test_realistic_files_lose_their_secrets_and_keep_their_code(name: str) -> None:
    text = (CORPUS / name).read_text(encoding="utf-8")
    out, count = redact_secrets(text)
    leaked = [value for value in EXPECTED[name]["gone"] if value in out]
    mangled = [value for value in EXPECTED[name]["kept"] if value not in out]
    assert not leaked, f"{name}: secrets still there: {leaked}"
    assert not mangled, f"{name}: ordinary text changed: {mangled}"
    assert count >= len(EXPECTED[name]["gone"]) - 1  # two values may share one line/match


@pytest.mark.parametrize("line, secret", [
    ("SECRET_KEY=f3a9c1d2e8b7", "f3a9c1d2e8b7"),            # Django, as in the review
    ("PASSWORD=hunter2", "hunter2"),
    ("TOKEN=abc123def456", "abc123def456"),
    ("API_KEY=0f1e2d3c4b5a", "0f1e2d3c4b5a"),
    ("SECRET=zz99yy88xx77", "zz99yy88xx77"),
    ("ACCESS_KEY=k3y-v4lue-1", "k3y-v4lue-1"),
    ('api_key = "live-3344-5566"', "live-3344-5566"),
    ('{"apiKey": "abcd-1234-efgh"}', "abcd-1234-efgh"),
    ("password: s3cr3t-yaml", "s3cr3t-yaml"),
    ("Authorization: Bearer abcdEFGH12345678", "abcdEFGH12345678"),
])
def test_the_common_names_the_review_found_in_clear_are_redacted(line: str, secret: str) -> None:
    out, count = redact_secrets(line)
    assert secret not in out and count == 1
    assert "[REDACTED:" in out and out.startswith(line[:4])  # the name stays, so the text still reads


@pytest.mark.parametrize("line", [
    'api_key = os.environ["API_KEY"]',
    "token: ${{ secrets.GITHUB_TOKEN }}",
    'password = request.form["password"]',
    "SECRET_KEY = settings.SECRET_KEY",
    "max_tokens = 1000",
    'token_url = "https://auth.example.com/token"',
    "def login(password: str) -> None:",
    "self.token = token",
    'password_field = "password"',
    "TOKEN = get_token()",
    "client.login(password=password)",
    'Token: "#f8f8f2",',
])
def test_code_that_only_mentions_secrets_is_left_alone(line: str) -> None:
    assert redact_secrets(line) == (line, 0)


def _ordinary_modules() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = [p for p in sorted(root.glob("*.py")) + sorted(root.glob("*/*.py"))
             if not {"test", "tests", "idlelib", "site-packages"} & set(p.parts)]
    return files[:600]


def test_ordinary_code_is_almost_never_touched() -> None:
    """The standard library (written by others, full of auth and crypto code) is a corpus of ordinary code."""
    files = _ordinary_modules()
    assert len(files) > 300
    touched = [p.name for p in files if redact_secrets(p.read_text(encoding="utf-8", errors="replace"))[1]]
    print(f"redaction touched {len(touched)} of {len(files)} standard-library modules: {touched}")
    assert len(touched) <= len(files) // 100  # at most 1 %


def test_the_pre_check_agrees_with_the_rules() -> None:
    assert not might_hold_secrets("def add(a, b):\n    return a + b\n")
    for name in EXPECTED:
        if not name.startswith("_"):
            assert might_hold_secrets((CORPUS / name).read_text(encoding="utf-8"))
