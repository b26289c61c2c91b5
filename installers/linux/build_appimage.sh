#!/usr/bin/env bash
# Wrap dist/HybridCoder (from ./scripts/build on Linux) into dist/HybridCoder-<version>-<arch>.AppImage.
# Needs appimagetool (set APPIMAGETOOL=/path, or have it on PATH; the release workflow downloads it).
# The AppImage runs without FUSE too: APPIMAGE_EXTRACT_AND_RUN=1 ./HybridCoder-*.AppImage
# (or ./HybridCoder-*.AppImage --appimage-extract-and-run). Build on the oldest distribution you
# support: the bundle needs a glibc at least as new as the build machine's.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUNDLE="$ROOT/dist/HybridCoder"
ARCH="${ARCH:-$(uname -m)}"
VERSION="${VERSION:-$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/app/hybridcoder/__init__.py")}"
TOOL="${APPIMAGETOOL:-$(command -v appimagetool || true)}"
[ -x "$BUNDLE/HybridCoder" ] || { echo "No $BUNDLE: run ./scripts/build first." >&2; exit 1; }
[ -n "$TOOL" ] || { echo "appimagetool not found: set APPIMAGETOOL=/path/to/appimagetool." >&2; exit 1; }
[ -f "$ROOT/build/icons/hybridcoder-256.png" ] || "$ROOT/.venv/bin/python" "$ROOT/scripts/make_icons.py"

APPDIR="$ROOT/build/AppDir"
rm -rf "$APPDIR"
mkdir -p "$APPDIR/usr/lib" "$APPDIR/usr/share/applications"
cp -a "$BUNDLE" "$APPDIR/usr/lib/HybridCoder"
install -m 755 "$ROOT/installers/linux/AppRun" "$APPDIR/AppRun"
install -m 644 "$ROOT/installers/linux/hybridcoder.desktop" "$APPDIR/hybridcoder.desktop"
install -m 644 "$ROOT/installers/linux/hybridcoder.desktop" "$APPDIR/usr/share/applications/hybridcoder.desktop"
install -m 644 "$ROOT/build/icons/hybridcoder-256.png" "$APPDIR/hybridcoder.png"
for size in 16 24 32 48 64 128 256 512; do
  dir="$APPDIR/usr/share/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$dir" && install -m 644 "$ROOT/build/icons/hybridcoder-$size.png" "$dir/hybridcoder.png"
done
OUT="$ROOT/dist/HybridCoder-$VERSION-$ARCH.AppImage"
# appimagetool is itself an AppImage: let it run without FUSE as well.
APPIMAGE_EXTRACT_AND_RUN=1 ARCH="$ARCH" "$TOOL" --no-appstream "$APPDIR" "$OUT"
[ -f "$OUT" ] || { echo "appimagetool did not write $OUT." >&2; exit 1; }
echo "Built $OUT ($(du -h "$OUT" | cut -f1))"
