"""What a secret looks like in text: the rules behind the cloud redactor and the log scrubber.

Two kinds of rule, in the style of the public secret-scanning rule sets (gitleaks'
``gitleaks.toml``, Yelp's detect-secrets keyword and provider plugins):

* **Provider tokens**: strings whose prefix and shape a provider issues (``sk-ant-…``,
  ``AKIA…``, ``ghp_…``, JWTs, PEM private keys, …). They are secrets wherever they
  appear, so they are replaced wherever they appear.
* **Secret assignments**: a literal value given to a name that says it is secret —
  ``SECRET_KEY=…`` in a ``.env``, ``password: …`` in YAML, ``"apiKey": "…"`` in JSON,
  ``api_key = "…"`` in code, ``Authorization: Bearer …`` in a curl command. The name
  must *end* in a secret word (``DB_PASSWORD``, ``apiKey``, ``client_secret``), so
  ``max_tokens``, ``token_url`` or ``password_field`` are left alone, and the value
  must be a literal: ``os.environ["API_KEY"]``, ``${{ secrets.TOKEN }}``,
  ``request.form["password"]`` or ``settings.SECRET_KEY`` are code, not secrets.

Only the value is replaced; the name stays so the model still understands the text.
The false-positive rate on ordinary source code is measured by
``scripts/measure_redaction.py`` (it runs these rules over the Python standard
library, which nobody wrote for this test).

This module never logs, stores or returns the secrets it finds. It imports nothing
from the app, so both the proxy and the logging set-up can use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: (label, lowercase substrings one of which any match contains, pattern): strings that are secrets
#: wherever they appear. A rule runs only on text holding one of its substrings (a C-speed ``in``).
PROVIDER_TOKENS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("private_key", ("private key",),
     r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=\s\\:,.\-]{16,20000}?"
     r"-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"),
    # A PEM block base64-encoded again, as in Kubernetes secrets ("-----BEGIN" → "LS0tLS1CRUdJTi").
    ("private_key_b64", ("ls0tls1crudjti",), r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{40,}={0,2}"),
    ("api_key", ("sk-ant-",), r"sk-ant-[A-Za-z0-9_\-]{20,}"),                                  # Anthropic
    ("api_key", ("sk-",), r"(?<![A-Za-z0-9])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{32,}"),   # OpenAI
    ("api_key", ("akia", "asia", "a3t", "abia", "acca"),
     r"(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![A-Za-z0-9])"),       # AWS key id
    ("api_key", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), r"(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{36,}"),
    ("api_key", ("github_pat_",), r"github_pat_[A-Za-z0-9_]{60,}"),                           # GitHub
    ("api_key", ("glpat-", "glptt-", "gldt-"), r"gl(?:pat|ptt|dt)-[A-Za-z0-9_\-]{20,}"),      # GitLab
    ("api_key", ("xox",), r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9\-]{10,}"),                # Slack
    ("api_key", ("hooks.slack.com",), r"https://hooks\.slack\.com/services/[A-Za-z0-9_/]{20,}"),
    ("api_key", ("aiza",), r"AIza[0-9A-Za-z_\-]{35}"),                                         # Google
    ("api_key", ("hf_",), r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{30,}"),                            # Hugging Face
    ("api_key", ("_live_", "_test_", "_prod_"),
     r"(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{16,}"),                       # Stripe
    ("api_key", ("npm_",), r"(?<![A-Za-z0-9])npm_[A-Za-z0-9]{36}"),                           # npm
    ("api_key", ("pypi-",), r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}"),                      # PyPI
    ("api_key", ("sg.",), r"(?<![A-Za-z0-9])SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"),     # SendGrid
    ("api_key", ("shpat_", "shpca_", "shppa_", "shpss_"), r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),  # Shopify
    ("api_key", ("_v1_",), r"do[opr]_v1_[a-f0-9]{64}"),                                        # DigitalOcean
    ("api_key", ("dapi",), r"(?<![A-Za-z0-9])dapi[a-f0-9]{32}(?:-\d)?(?![A-Za-z0-9])"),      # Databricks
    ("api_key", ("dp.pt.",), r"dp\.pt\.[A-Za-z0-9]{43}"),                                      # Doppler
    ("api_key", (":aa",), r"(?<![0-9])\d{8,10}:AA[0-9A-Za-z_\-]{33}(?![A-Za-z0-9])"),         # Telegram bot
    ("api_key", ("hc-",), r"(?<![A-Za-z0-9])hc-[A-Za-z0-9_\-]{30,}"),                         # our proxy token
    ("jwt", ("eyj",), r"(?<![A-Za-z0-9])eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"),
)

# A name that ends in a secret word: ..._PASSWORD, apiKey, client-secret, AWS_SECRET_ACCESS_KEY.
# Names are matched loosely by the patterns and checked against this afterwards (linear, no backtracking).
_NAME = r"[A-Za-z_][A-Za-z0-9_\-.]{0,80}(?<=[yYtTdDeEnN])"  # ends like key/secret/token/password/pwd/passphrase/apikey
_SECRET_NAME = re.compile(
    r"(?:^|[_\-.]|(?<=[a-z0-9])(?=[A-Z]))"
    r"(?i:secret|token|password|passwd|pwd|passphrase|api[_\-.]?key"
    r"|(?:access|private|secret|auth|account|master|signing|encryption|client)[_\-.]?key)$"
)
# What a literal value may not look like: a reference to something else.
_NOT_A_LITERAL = re.compile(
    r"""^(?:\$|\{\{|%\(|<|\*|&|!|@|\[|\{|\||>|os\.|process\.env|env\(|getenv|ENV\[|\w+\(|secrets\.)""",
)
_PLAIN_WORDS = frozenset({
    "true", "false", "null", "none", "nil", "yes", "no", "on", "off", "~", "str", "string", "int",
    "bool", "bytes", "optional", "any", "required", "optional[str]", "undefined", "redacted",
})
# A keyword argument or expression rather than a value: `password=KEY_PASSWORD)`, `authkey=p.authkey,`,
# `f(x)`, a %-format or {}-template.
_CODE_SHAPED = re.compile(
    r"[),]:?$|\w\(|%[sdr]|%\(\w+\)[sdr]|\{[\w.]*\}"
    r"|^#[0-9a-fA-F]{3,8}$"                  # a colour, as in a style sheet's `Token: "#f8f8f2"`
    r"|^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$"      # the name of an environment variable, not its value
    r"|^[a-z]+(?:_[a-z]+)+$"                 # a snake_case identifier such as 'aws_secret_access_key'
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z_]*(?:\.[A-Za-z_]\w*)*$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")
_PASSWORD_NAME = re.compile(r"(?i:passw|passphrase|pwd)")
_NUMBER = re.compile(r"^[0-9.]{1,5}$")

# 1. Quoted literal after a secret name, in JSON, YAML, TOML, Python, JS/TS, Go, Ruby, PHP:
#    "apiKey": "…", api_key = '…', password: str = "…", Password: "…", :token => "…".
_QUOTED = re.compile(
    r"""(?P<head>["']?(?<!::)\b(?P<name>""" + _NAME + r""")["']?"""
    r"""(?:\s*:\s*[A-Za-z_][\w\[\]., |]*?(?=\s*=))?"""       # an optional type annotation
    r"""\s*(?::=|=>|[:=])\s*[rbfu]?(?P<q>["']))"""
    r"""(?P<value>(?:(?!(?P=q))[^\n\\]|\\.){4,400})(?P<tail>(?P=q))"""
)
# 2. Unquoted values. NAME=value (no spaces: a .env line, `docker run -e NAME=value`, a log line)
#    takes everything up to the next space;
#    in YAML or a spaced assignment the value must look like one word, not an expression:
#    DB_PASSWORD=p@ss;word, export API_KEY=abc, password: hunter2 (a trailing comment is allowed).
_ENV_BARE = re.compile(
    r"""(?m)(?P<head>(?:^|(?<=[\s;]))(?:-[ \t]+)?(?:export[ \t]+)?(?P<name>""" + _NAME + r""")(?P<op>=))"""
    r"""(?P<value>[^\s"'#$][^\s]{3,400}?)(?P<tail>)(?=\s|$)"""
)
_BARE = re.compile(
    r"""(?m)(?P<head>^[ \t]*(?:-[ \t]+)?(?:export[ \t]+)?(?P<name>""" + _NAME + r""")(?P<op>=))"""
    r"""(?P<value>[^\s"'#$][^\s]{3,400}?)(?P<tail>[ \t]*(?:[ \t]#.*)?)$"""
)
_BARE = re.compile(
    r"""(?m)(?P<head>^[ \t]*(?:-[ \t]+)?(?P<name>""" + _NAME + r""")(?P<op>[ \t]*:[ \t]+|[ \t]+=[ \t]+))"""
    r"""(?P<value>[^\s"'#()\[\]{}<>,;][^\s#"'()\[\]{}<>,;]{3,400}?)(?P<tail>[ \t]*(?:[ \t]#.*)?)$"""
)
# 3. HTTP authorisation in headers and curl commands; curl -u user:password; CLI flags.
_AUTH_HEADER = re.compile(
    r"""(?P<head>(?i:\b(?:proxy-)?authorization)["']?\s*[:=]\s*["']?(?i:bearer|basic|token|bot)\s+)"""
    r"""(?P<value>[A-Za-z0-9._~+/=\-]{8,})(?P<tail>)"""
)
_KEY_HEADER = re.compile(
    r"""(?P<head>(?i:\b(?:x-api-key|api-key|x-auth-token|x-access-token|private-token))["']?\s*[:=]\s*["']?)"""
    r"""(?P<value>[A-Za-z0-9._~+/=\-]{8,})(?P<tail>)"""
)
_CURL_USER = re.compile(
    r"""(?P<head>(?:\s-u|\s--user)[ =]["']?[^\s:'"]{1,100}:)(?P<value>[^\s'"]{3,200})(?P<tail>)"""
)
_CLI_FLAG = re.compile(
    r"""(?P<head>\s--(?P<name>[A-Za-z][\w\-]{0,40})[ =]["']?)"""
    r"""(?P<value>[^\s'"$<{-][^\s'"]{3,400})(?P<tail>)"""
)
# user:password@host in connection strings.
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-z][a-z0-9+.\-]{1,20}://[^\s:/@]{1,100}:)(?P<value>[^\s@/]{3,200})(?P<tail>@)",
    re.IGNORECASE,
)
# Azure-style connection strings: AccountKey=…;  SharedAccessKey=…;
_CONN_STRING = re.compile(
    r"(?P<head>(?:(?i:\b(?:AccountKey|SharedAccessKey|SharedAccessSignature))"
    r"|(?<=;)[ \t]*(?i:Password|Pwd))=)"
    r"(?P<value>[^;\s\"'(),]{6,400})(?P<tail>)",
    re.MULTILINE,
)

_Replace = Callable[[re.Match[str]], str]


def _keep_name(marker: str, *, check_name: bool = True) -> _Replace:
    def replace(match: re.Match[str]) -> str:
        value = match.group("value")
        if not _is_literal(value, match.groupdict().get("name") or "password"):
            return match.group(0)
        if check_name and not _secret_name(match):
            return match.group(0)
        return f"{match.group('head')}{marker}{match.group('tail')}"
    return replace


def _keep_flag(marker: str) -> _Replace:
    """``--password VALUE``: prose such as "the --password option" is not a value."""
    keep = _keep_name(marker, check_name=False)

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if match.group("value").isalpha() or not (_SECRET_NAME.search(name) or name.lower().endswith("pass")):
            return match.group(0)
        return keep(match)
    return replace


def _secret_name(match: re.Match[str]) -> bool:
    """Rules without a name group (headers, URLs) are secret by position; the others by their name."""
    name = match.groupdict().get("name")
    return name is None or _SECRET_NAME.search(name) is not None


def _keep_name_bare(marker: str) -> _Replace:
    """Unquoted values: `.env` values are literals; `NAME = word` with spaces is code unless it looks random."""
    def replace(match: re.Match[str]) -> str:
        value = match.group("value")
        if not _is_literal(value, match.group("name")) or not _secret_name(match):
            return match.group(0)
        if match.group("op") == "=" and _DOTTED.match(value):
            return match.group(0)  # `auth_token=self.auth_token`: an attribute, not a value
        spaced_assignment = match.group("op").strip() == "=" and match.group("op") != "="
        env_style = ":" in match.group("op") and match.group("name").isupper()  # compose: `DB_PASSWORD: x`
        if (spaced_assignment or ":" in match.group("op")) and not env_style and _IDENTIFIER.match(value):
            return match.group(0)  # `TOKEN = other_name`, `password: str`: a reference, not a value
        return f"{match.group('head')}{marker}{match.group('tail')}"
    return replace


def _is_literal(value: str, name: str = "") -> bool:
    stripped = value.strip()
    if len(stripped) < 4 or stripped.lower() in _PLAIN_WORDS or _NUMBER.match(stripped):
        return False
    if _NOT_A_LITERAL.match(stripped):
        return False
    if _CODE_SHAPED.search(stripped):
        return False
    if not _PASSWORD_NAME.search(name) and (" " in stripped or stripped.isalpha()):
        # Prose ("Not a token type") or one word ("nextToken", "marker"): an identifier, not a key.
        # Issued tokens and keys always hold digits or symbols; only passwords may be plain words.
        return False  # prose such as "Not a token type"; only passwords and passphrases have spaces
    return not (stripped.startswith("[REDACTED") or set(stripped) <= set("*xX.-_: "))


def _whole(marker: str) -> _Replace:
    def replace(match: re.Match[str]) -> str:
        return marker
    return replace


_NAMES = ("secret", "token", "passw", "pwd", "passphrase", "key")
#: (label, lowercase substrings that gate the rule, pattern, replacement builder), applied in this order.
RULES: tuple[tuple[str, tuple[str, ...], re.Pattern[str], Callable[[str], _Replace]], ...] = (
    *((label, hints, re.compile(pattern), _whole) for label, hints, pattern in PROVIDER_TOKENS),
    ("authorization", ("authorization",), _AUTH_HEADER, _keep_name),
    ("authorization", ("api-key", "-token"), _KEY_HEADER, _keep_name),
    ("url_password", ("://",), _URL_PASSWORD, _keep_name),
    ("password", ("-u", "--user"), _CURL_USER, _keep_name),
    ("secret_assignment", ("--",), _CLI_FLAG, _keep_flag),
    ("secret_assignment", ("accountkey", "sharedaccess", "password=", "pwd="), _CONN_STRING, _keep_name),
    ("secret_assignment", _NAMES, _QUOTED, _keep_name),
    ("secret_assignment", _NAMES, _ENV_BARE, _keep_name_bare),
    ("secret_assignment", _NAMES, _BARE, _keep_name_bare),
)
_COMPILED: tuple[tuple[tuple[str, ...], re.Pattern[str], _Replace], ...] = tuple(
    (hints, pattern, build(f"[REDACTED:{label}]")) for label, hints, pattern, build in RULES
)
#: Every rule's gate: text holding none of these cannot match anything.
HINTS: tuple[str, ...] = tuple(sorted({hint for hints, _, _ in _COMPILED for hint in hints}))
# One search for all gates: most texts (most of a 300k-message conversation) hold none, and then
# one C-speed scan is all they cost.
_ANY_HINT = re.compile("|".join(re.escape(hint) for hint in sorted(HINTS, key=len, reverse=True)))


def might_hold_secrets(text: str) -> bool:
    """A cheap pre-check (substring search only): False means :func:`redact_secrets` would change nothing."""
    return _ANY_HINT.search(text.lower()) is not None


def redact_secrets(text: str) -> tuple[str, int]:
    """``(text with every secret value replaced by a [REDACTED:kind] marker, how many were replaced)``."""
    if len(text) < 8:
        return text, 0  # shorter than any rule's shortest match
    lowered = text.lower()
    if _ANY_HINT.search(lowered) is None:
        return text, 0
    total = 0
    for hints, pattern, replace in _COMPILED:
        if not any(hint in lowered for hint in hints):
            continue
        counter = _Counter(replace)
        text = pattern.sub(counter, text)
        total += counter.count
    return text, total


class _Counter:
    """Wraps a replacement so only real replacements (not code left as it was) are counted."""

    __slots__ = ("count", "replace")

    def __init__(self, replace: _Replace) -> None:
        self.replace = replace
        self.count = 0

    def __call__(self, match: re.Match[str]) -> str:
        out = self.replace(match)
        if out != match.group(0):
            self.count += 1
        return out
