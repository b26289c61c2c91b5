"""Learning from this user: requests the local model could not handle go to the cloud first next time.

Every fallback, rejected local tool call, retry escalation and manual "send to the
cloud" is a labelled example ("this request needed the cloud"). The
:class:`Learner` turns them into a logit offset the scorer adds:

- a *bucket* term: requests are grouped into coarse kinds (request kind, size
  class, file count, rule class, tools, word signals); one escalation in a bucket
  pushes that bucket strongly cloud-wards, so the same kind of request goes to the
  cloud first next time;
- a small *global* term: an online logistic update of per-feature deltas, so
  similar-but-not-identical requests lean cloud-wards too.

Bounded: each bucket's offset and each delta are capped, the total offset is
capped, and everything decays with a half-life, so one bad afternoon does not send
everything to the cloud for ever. Reversible: :meth:`Learner.reset` ("Reset
learning" in settings) forgets everything. Persisted as small JSON in
``app_paths().state_dir / "routing_learning.json"``.

Availability failures (Ollama not running, model not pulled) are not examples: they
say nothing about the request, and learning from them would move routine work to
the cloud.

This module never stores prompt text (only numbers and bucket keys) and never raises
into the proxy: a broken state file means starting fresh.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hybridcoder.atomic import atomic_write_text
from hybridcoder.paths import app_paths
from hybridcoder.routing.features import Features

log = logging.getLogger(__name__)

STATE_FILE = "routing_learning.json"
STATE_VERSION = 1

#: How much each cause says "this needed the cloud" (0 = not an example).
CAUSE_WEIGHTS: dict[str, float] = {
    "manual_cloud": 1.0,
    "client_retry": 1.0,
    "invalid_tool_call": 1.0,
    "local_bad_output": 1.0,
    "local_context_exceeded": 1.0,
    "local_oom": 0.75,
    "local_ttft_timeout": 0.5,
    "local_error": 0.5,
    "local_5xx": 0.5,
    # Availability, not difficulty: never learned from.
    "local_unreachable": 0.0,
    "local_model_missing": 0.0,
    "local_not_loaded": 0.0,
}
#: Logit added to a bucket per (weighted) escalation, and its cap.
BUCKET_STEP = 6.0
BUCKET_CAP = 8.0
#: Online update of the global deltas: learning rate, per-delta cap, cap on their total effect.
GLOBAL_RATE = 0.3
DELTA_CAP = 0.75
GLOBAL_CAP = 0.75
#: Old escalations fade: half-life of every learned number.
HALF_LIFE_S = 21 * 24 * 3600.0
MAX_BUCKETS = 512


def bucket_key(f: Features) -> str:
    """The unit "the same kind of request" is judged by: shape classes plus which task words it used."""
    size = min(int(math.log2(f.prompt_tokens + 1)), 17)
    files = min(f.files, 5)
    rules = 0 if f.rules == 0 else 1 if f.rules <= 5 else 2 if f.rules <= 15 else 3
    words = "".join((
        "c" if f.cloud_words else "",
        "n" if f.niche_words else "",
        "a" if f.ambiguous_words else "",
        "l" if f.local_words else "",
        "r" if f.requirements >= 4 else "",
    ))
    return f"{f.kind}|t{size}|f{files}|r{rules}|x{min(f.tools, 1)}|{words}|i{f.intent}"


def learner_vector(f: Features) -> dict[str, float]:
    """What the global term adapts: signals that some requests have and others lack.

    Nothing every request carries (its kind, its size) is in here: a burst of
    escalations of one kind must not lift all routine work over the threshold.
    """
    return {
        "files_2plus": 1.0 if f.files >= 2 else 0.0,
        "log_rules": math.log1p(f.rules),
        "cloud_words": float(min(f.cloud_words, 4)),
        "niche_words": float(min(f.niche_words, 2)),
        "ambiguous_words": float(min(f.ambiguous_words, 3)),
        "log_requirements": math.log1p(f.requirements),
    }


class Learner:
    """Online, bounded, reversible adjustment of the routing score; thread-safe."""

    def __init__(self, path: Path | None = None, *, enabled: bool = True, autosave: bool = True) -> None:
        self.path = path or app_paths().state_dir / STATE_FILE
        self.enabled = enabled
        self.autosave = autosave
        self._lock = threading.Lock()
        self._buckets: dict[str, list[float]] = {}  # key -> [decayed weight, last update ts]
        self._deltas: dict[str, float] = {}
        self._deltas_ts = 0.0
        self.examples = 0
        self.avoided_round_trips = 0
        self._load()

    # --- request path (no disk, no locks held long) ------------------------------------------

    def adjustment(self, features: Features, now: float | None = None) -> float:
        """Logit offset for this request (>= 0; 0 when nothing was learned or learning is off)."""
        if not self.enabled or (not self._buckets and not self._deltas):
            return 0.0
        now = time.time() if now is None else now
        offset = 0.0
        entry = self._buckets.get(bucket_key(features))
        if entry is not None:
            offset += min(BUCKET_CAP, BUCKET_STEP * entry[0] * _decay(now - entry[1]))
        if self._deltas:
            x = learner_vector(features)
            global_term = sum(self._deltas.get(name, 0.0) * value for name, value in x.items())
            offset += max(-GLOBAL_CAP, min(GLOBAL_CAP, global_term * _decay(now - self._deltas_ts)))
        return max(0.0, offset)

    def note_avoided_round_trip(self) -> None:
        """The learned offset sent a request to the cloud that would have been tried locally first."""
        with self._lock:
            self.avoided_round_trips += 1

    # --- outcomes ----------------------------------------------------------------------------

    def observe(self, features: Mapping[str, float] | Features, outcome: str, now: float | None = None) -> bool:
        """Learn that this request needed the cloud (``outcome`` = the fallback cause).

        Returns True when the example was used (False: learning off, or an availability
        cause that says nothing about the request). Never raises.
        """
        weight = CAUSE_WEIGHTS.get(outcome, 0.5)
        if not self.enabled or weight <= 0:
            return False
        try:
            f = features if isinstance(features, Features) else Features.from_numbers(features)
        except (TypeError, ValueError):
            return False
        now = time.time() if now is None else now
        with self._lock:
            key = bucket_key(f)
            entry = self._buckets.get(key)
            current = entry[0] * _decay(now - entry[1]) if entry else 0.0
            self._buckets[key] = [min(current + weight, BUCKET_CAP / BUCKET_STEP), now]
            if len(self._buckets) > MAX_BUCKETS:
                oldest = min(self._buckets, key=lambda k: self._buckets[k][1])
                del self._buckets[oldest]
            # One step of logistic gradient ascent towards "cloud" on the global deltas,
            # starting from the current global term (so repeated examples saturate).
            x = learner_vector(f)
            decay = _decay(now - self._deltas_ts) if self._deltas else 1.0
            deltas = {k: v * decay for k, v in self._deltas.items()}
            z = sum(deltas.get(name, 0.0) * value for name, value in x.items())
            gradient = 1.0 - 1.0 / (1.0 + math.exp(-z))
            for name, value in x.items():
                if value:
                    updated = deltas.get(name, 0.0) + GLOBAL_RATE * weight * gradient * value
                    deltas[name] = max(-DELTA_CAP, min(DELTA_CAP, updated))
            self._deltas = deltas
            self._deltas_ts = now
            self.examples += 1
        if self.autosave:
            self.save()
        return True

    def reset(self) -> None:
        """Forget everything learned ("Reset learning"); the counter of avoided round trips too."""
        with self._lock:
            self._buckets.clear()
            self._deltas.clear()
            self._deltas_ts = 0.0
            self.examples = 0
            self.avoided_round_trips = 0
        self.save()

    def stats(self) -> dict[str, Any]:
        """For the dashboard and settings page."""
        with self._lock:
            return {
                "enabled": self.enabled,
                "examples": self.examples,
                "buckets": len(self._buckets),
                "avoided_round_trips": self.avoided_round_trips,
            }

    # --- persistence -------------------------------------------------------------------------

    def save(self) -> None:
        """Write the state atomically; a failure is logged, never raised."""
        with self._lock:
            data = {
                "version": STATE_VERSION,
                "updated": time.time(),
                "examples": self.examples,
                "avoided_round_trips": self.avoided_round_trips,
                "buckets": {k: list(v) for k, v in self._buckets.items()},
                "deltas": dict(self._deltas),
                "deltas_ts": self._deltas_ts,
            }
        try:
            atomic_write_text(self.path, json.dumps(data, indent=1, sort_keys=True))
        except OSError as exc:
            log.warning("could not save routing learning to %s (%s)", self.path, exc.strerror)

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("routing learning state at %s unreadable (%s); starting fresh", self.path, exc)
            return
        try:
            if data.get("version") != STATE_VERSION:
                return
            self._buckets = {
                str(k): [float(v[0]), float(v[1])] for k, v in data.get("buckets", {}).items()
            }
            self._deltas = {
                str(k): max(-DELTA_CAP, min(DELTA_CAP, float(v))) for k, v in data.get("deltas", {}).items()
            }
            self._deltas_ts = float(data.get("deltas_ts", 0.0))
            self.examples = int(data.get("examples", 0))
            self.avoided_round_trips = int(data.get("avoided_round_trips", 0))
        except (AttributeError, TypeError, ValueError, IndexError) as exc:
            log.warning("routing learning state at %s malformed (%s); starting fresh", self.path, exc)
            self._buckets, self._deltas = {}, {}


def _decay(age_s: float) -> float:
    if age_s <= 0:
        return 1.0
    return float(0.5 ** (age_s / HALF_LIFE_S))
