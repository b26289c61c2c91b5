#!/usr/bin/env bash
# Package dist/HybridCoder.app (from ./scripts/build on macOS) as dist/HybridCoder-<version>.dmg.
# Signing and notarization run only when their identity is in the environment, else they are skipped:
#   MACOS_CODESIGN_IDENTITY   "Developer ID Application: Name (TEAMID)" (the app is also signed by the spec)
#   MACOS_NOTARY_PROFILE      a `xcrun notarytool store-credentials` profile name, or
#   APPLE_ID + APPLE_TEAM_ID + APPLE_APP_PASSWORD   for notarytool directly
# The .app is a menu-bar app (LSUIElement in the spec): no Dock icon.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
APP="$ROOT/dist/HybridCoder.app"
VERSION="${VERSION:-$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/app/hybridcoder/__init__.py")}"
DMG="$ROOT/dist/HybridCoder-$VERSION.dmg"
[ -d "$APP" ] || { echo "No $APP: run ./scripts/build first." >&2; exit 1; }

if [ -n "${MACOS_CODESIGN_IDENTITY:-}" ]; then
  echo "==> codesign (hardened runtime) with $MACOS_CODESIGN_IDENTITY"
  codesign --force --deep --options runtime --timestamp \
    --entitlements "$ROOT/installers/macos/entitlements.plist" --sign "$MACOS_CODESIGN_IDENTITY" "$APP"
  codesign --verify --strict --verbose=2 "$APP"
else
  echo "==> MACOS_CODESIGN_IDENTITY not set: the app stays unsigned (Gatekeeper will ask; right-click > Open)"
fi

echo "==> dmg"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "Hybrid Coder" -srcfolder "$STAGE" -ov -format UDZO "$DMG"

if [ -n "${MACOS_CODESIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$MACOS_CODESIGN_IDENTITY" "$DMG"
  if [ -n "${MACOS_NOTARY_PROFILE:-}" ]; then
    auth=(--keychain-profile "$MACOS_NOTARY_PROFILE")
  elif [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] && [ -n "${APPLE_APP_PASSWORD:-}" ]; then
    auth=(--apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" --password "$APPLE_APP_PASSWORD")
  else
    auth=()
  fi
  if [ "${#auth[@]}" -gt 0 ]; then
    echo "==> notarize"
    out="$(xcrun notarytool submit "$DMG" "${auth[@]}" --wait --output-format json)"
    echo "$out"
    if ! grep -q '"status" *: *"Accepted"' <<<"$out"; then
      id="$(sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' <<<"$out" | head -1)"
      [ -n "$id" ] && xcrun notarytool log "$id" "${auth[@]}" || true
      echo "Notarization was not accepted." >&2
      exit 1
    fi
    xcrun stapler staple "$DMG"
  else
    echo "==> no notarization credentials in the environment: skipped"
  fi
fi
echo "Built $DMG ($(du -h "$DMG" | cut -f1))"
