#!/usr/bin/env bash
# Install the real coding tools used by the end-to-end tests into .e2e/ (ignored by git).
#   npm: @continuedev/cli (cn), cline, @continuedev/config-yaml (Continue's validator)
#   pip: aider-chat in its own venv .e2e/aider-venv (heavy deps; kept apart from .venv)
# Idempotent: each part is skipped when its stamp exists and the pinned versions match.
# Missing node/npm or a Python 3.10-3.12 only skips that part (the tests then skip with a reason).
# First run: about 40 s for npm and 60 s for aider with a warm package cache; reruns: under a second.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E="$ROOT/.e2e"
NPM_PACKAGES="@continuedev/cli@1.5.47 cline@3.0.65 @continuedev/config-yaml@1.42.0"
AIDER_PACKAGE="aider-chat==0.86.2"
mkdir -p "$E2E"

if command -v npm >/dev/null 2>&1; then
  stamp="$E2E/.npm-installed"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$NPM_PACKAGES" ] && [ -x "$E2E/node_modules/.bin/cn" ]; then
    echo "e2e: npm clients already installed"
  else
    echo "e2e: installing $NPM_PACKAGES"
    # shellcheck disable=SC2086
    if npm install --prefix "$E2E" --no-audit --no-fund --loglevel=error $NPM_PACKAGES >"$E2E/npm-install.log" 2>&1; then
      echo "$NPM_PACKAGES" >"$stamp"
    else
      echo "e2e: npm install failed (see $E2E/npm-install.log); the Continue/Cline e2e tests will skip" >&2
    fi
  fi
else
  echo "e2e: npm not found; the Continue/Cline e2e tests will skip" >&2
fi

pick_python() {
  for candidate in "${AIDER_PYTHON:-}" python3.12 python3.11 python3.10 python3; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

stamp="$E2E/.aider-installed"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$AIDER_PACKAGE" ] && [ -x "$E2E/aider-venv/bin/aider" ]; then
  echo "e2e: aider already installed"
elif PY="$(pick_python)"; then
  echo "e2e: installing $AIDER_PACKAGE with $PY"
  if { [ -x "$E2E/aider-venv/bin/python" ] || "$PY" -m venv "$E2E/aider-venv"; } \
     && "$E2E/aider-venv/bin/python" -m pip install -q --disable-pip-version-check "$AIDER_PACKAGE" >"$E2E/aider-install.log" 2>&1; then
    echo "$AIDER_PACKAGE" >"$stamp"
  else
    echo "e2e: aider install failed (see $E2E/aider-install.log); the aider e2e test will skip" >&2
  fi
else
  echo "e2e: no Python 3.10-3.12 found for aider; the aider e2e test will skip" >&2
fi
exit 0
