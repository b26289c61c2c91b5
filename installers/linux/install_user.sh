#!/usr/bin/env bash
# Install the unpacked tar.gz for this user: ~/.local/opt/HybridCoder, a launcher in ~/.local/bin,
# the .desktop entry and icons (menus pick it up). Uninstall: run it again with --uninstall
# (your settings and usage data under ~/.config and ~/.local/share/HybridCoder are kept).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="${SRC:-$HERE}"
PREFIX="${XDG_DATA_HOME:-$HOME/.local/share}"
OPT="$HOME/.local/opt/HybridCoder"
if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$OPT" "$HOME/.local/bin/hybridcoder" "$PREFIX/applications/hybridcoder.desktop"
  find "$PREFIX/icons/hicolor" -name hybridcoder.png -delete 2>/dev/null || true
  echo "Hybrid Coder removed (your data is kept)."; exit 0
fi
[ -x "$SRC/HybridCoder" ] || { echo "Run this from the unpacked HybridCoder folder." >&2; exit 1; }
mkdir -p "$OPT" "$HOME/.local/bin" "$PREFIX/applications"
cp -a "$SRC/." "$OPT/"
ln -sf "$OPT/HybridCoder" "$HOME/.local/bin/hybridcoder"
sed "s|^Exec=.*|Exec=$OPT/HybridCoder|" "$OPT/share/hybridcoder.desktop" > "$PREFIX/applications/hybridcoder.desktop"
for png in "$OPT"/share/icons/hybridcoder-*.png; do
  size="$(basename "$png" .png)"; size="${size#hybridcoder-}"
  mkdir -p "$PREFIX/icons/hicolor/${size}x${size}/apps" && cp "$png" "$PREFIX/icons/hicolor/${size}x${size}/apps/hybridcoder.png"
done
echo "Installed: start 'Hybrid Coder' from your menu, or run ~/.local/bin/hybridcoder"
