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
  "$VENV_PY" -m pip install -q --disable-pip-version-check -U pip >/dev/null
  "$VENV_PY" -m pip install -q --disable-pip-version-check -e "$spec"
  touch "$stamp"
fi
