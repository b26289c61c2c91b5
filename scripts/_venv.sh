# Shared by scripts/run and scripts/test: make .venv if missing and install the project.
# Usage: . scripts/_venv.sh [extras]   (sourced; sets VENV_PY)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PY" -m venv "$VENV" 2>/dev/null; then
    echo "Creating the virtual environment failed; on Debian/Ubuntu run: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi
VENV_PY="$VENV/bin/python"
extras="${1:-}"
spec="$ROOT"
[ -n "$extras" ] && spec="$ROOT[$extras]"
# Re-install only when pyproject.toml changed since the last install (fast reruns).
stamp="$VENV/.installed-${extras:-base}"
if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ] || [ "$ROOT/setup.py" -nt "$stamp" ]; then
  echo "Installing Hybrid Coder and what it needs into .venv (first run: a few minutes)…" >&2
  "$VENV_PY" -m pip install -q --disable-pip-version-check -U pip >/dev/null 2>&1 || true
  # The build backend's notes are for developers; a person sees them only when the install fails.
  log="$VENV/install.log"
  if ! "$VENV_PY" -m pip install -q --disable-pip-version-check -e "$spec" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "Installing into .venv failed (the whole log: $log); check the network to PyPI and run this again." >&2
    exit 1
  fi
  touch "$stamp"
fi
