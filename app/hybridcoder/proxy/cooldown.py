"""Leave a rate-limited cloud provider alone for as long as it asked.

A 429 (or a 529 that carries ``Retry-After``) means every request sent before the
provider's deadline fails the same way and costs the user a round trip. So the
router owns retries: the SDKs run with ``max_retries=0``, the failed request falls
back at once, and :class:`CloudCooldown` remembers until when the provider asked to
be left alone. During that time auto-routed requests go local without trying the
cloud, and requests that must use the cloud (``hybrid-cloud``, ``@cloud``) get a 429
with the time left as ``Retry-After``.

Only provider names and deadlines are kept; never a key or request content.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

#: How long to leave a provider alone after a 429 that did not say (seconds).
DEFAULT_COOLDOWN_S = 5.0
#: Never believe a provider that asks for more than this (a typo'd header must not block the cloud for days).
MAX_COOLDOWN_S = 600.0


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``, as seconds; None when absent or malformed."""
    if not headers:
        return None
    try:
        millis = headers.get("retry-after-ms")
        if millis:
            return max(0.0, float(millis) / 1000.0)
        value = headers.get("retry-after")
        if not value:
            return None
        value = value.strip()
        if value.replace(".", "", 1).isdigit():
            return float(value)
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (ValueError, TypeError, OverflowError):
        return None


class CloudCooldown:
    """Until when each cloud provider asked to be left alone (monotonic clock)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def cool(self, provider: str, seconds: float | None, now: float | None = None) -> float:
        """Leave ``provider`` alone for ``seconds`` (the default when it did not say); returns the seconds used."""
        wait = DEFAULT_COOLDOWN_S if seconds is None else min(max(seconds, 0.0), MAX_COOLDOWN_S)
        now = time.monotonic() if now is None else now
        self._until[provider] = max(self._until.get(provider, 0.0), now + wait)
        return wait

    def remaining(self, provider: str, now: float | None = None) -> float:
        """Seconds ``provider`` is still cooling down; 0.0 when it may be asked again."""
        until = self._until.get(provider)
        if until is None:
            return 0.0
        left = until - (time.monotonic() if now is None else now)
        if left <= 0:
            del self._until[provider]
            return 0.0
        return left

    def states(self) -> dict[str, float]:
        """Provider → seconds left, for /health."""
        now = time.monotonic()
        return {p: round(left, 1) for p in list(self._until) if (left := self.remaining(p, now)) > 0}
