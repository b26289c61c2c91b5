"""Learning from this user: requests the local model could not handle go to the cloud first next time.

Every fallback, rejected local tool call, retry escalation and manual "send to the
cloud" is a labelled example ("this request needed the cloud"). The
:class:`Learner` turns them into a logit offset the scorer adds:

- a *bucket* term: requests are grouped into coarse kinds (request kind, size
  class, file count, rule class, tools, word signals). A kind moves only after
  several consistent escalations (:data:`MIN_EVENTS`): one repeat, one flaky
  answer or one unlucky afternoon does not send a whole kind of work to the cloud.
  Local answers of that kind that were *not* regenerated count against it;
- a small *global* term: an online logistic update of per-feature deltas, so
  similar-but-not-identical requests lean cloud-wards too; one event moves it by at
  most :data:`GLOBAL_RATE` logits.

Bounded: each event's weight, each bucket's offset and each delta are capped, and
everything fades with a half-life of days (:data:`HALF_LIFE_S`). Reversible:
:meth:`Learner.reset` ("Reset learning") forgets everything. Explainable:
:meth:`Learner.stats` says which kinds moved, from which events, and how many
failed-local round trips that avoided. Persisted as small JSON in
``app_paths().state_dir / "routing_learning.json"``; the proxy does not learn while
no cloud is configured (proxy/state.py).

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
#: Version 2 changed the bucket rule (several events before a kind moves); version-1 state, which one
#: repeat could tip, is dropped on load.
STATE_VERSION = 2

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
#: Escalations of one kind (weighted, faded) before that kind leans to the cloud at all.
MIN_EVENTS = 3
#: Logit added per escalation beyond the first MIN_EVENTS - 1, and the cap on a bucket's offset.
BUCKET_STEP = 6.0
BUCKET_CAP = 12.0
#: A local answer of a learned kind that went out whole takes this much weight back (ten of them undo one
#: escalation; the answer a user then regenerates also counted here, so it must stay small).
SUCCESS_WEIGHT = 0.1
#: Online update of the global deltas: learning rate (the most one event moves it), caps.
GLOBAL_RATE = 0.1
DELTA_CAP = 0.5
GLOBAL_CAP = 0.5
#: Old escalations fade: half-life of every learned number (a kind that moved comes back in days).
HALF_LIFE_S = 3 * 24 * 3600.0
MAX_BUCKETS = 512
#: Recent events kept for ``routing status`` (numbers and kinds only, never text).
MAX_EVENTS = 50


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
        #: Held from snapshot to write, so files land in snapshot order: a save that started
        #: before a reset can never put the forgotten state back after it.
        self._save_lock = threading.Lock()
        self._buckets: dict[str, list[float]] = {}  # key -> [decayed weight, last update ts]
        self._deltas: dict[str, float] = {}
        self._deltas_ts = 0.0
        self.examples = 0
        self.avoided_round_trips = 0
        self._events: list[list[Any]] = []  # [ts, cause, bucket key]
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
            offset += bucket_offset(entry[0] * _decay(now - entry[1]))
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
            self._buckets[key] = [min(current + min(weight, 1.0), MAX_BUCKET_WEIGHT), now]
            self._events.append([now, outcome, key])
            del self._events[:-MAX_EVENTS]
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

    @property
    def has_learned(self) -> bool:
        """Any kind with escalations on record (a cheap check before per-request work)."""
        return bool(self._buckets)

    def observe_success(self, features: Mapping[str, float] | Features, now: float | None = None) -> bool:
        """A local answer of this kind was kept (not regenerated): evidence against escalating the kind.

        Cheap when nothing was learned for the kind (no file write, no lock). Returns
        True when a learned kind was weakened.
        """
        if not self.enabled or not self._buckets:
            return False
        try:
            f = features if isinstance(features, Features) else Features.from_numbers(features)
        except (TypeError, ValueError):
            return False
        key = bucket_key(f)
        if key not in self._buckets:
            return False
        now = time.time() if now is None else now
        with self._lock:
            entry = self._buckets.get(key)
            if entry is None:
                return False
            weight = entry[0] * _decay(now - entry[1]) - SUCCESS_WEIGHT
            if weight <= 0:
                del self._buckets[key]
            else:
                self._buckets[key] = [weight, now]
        return True

    def reset(self) -> None:
        """Forget everything learned ("Reset learning"); the counter of avoided round trips too."""
        with self._lock:
            self._buckets.clear()
            self._deltas.clear()
            self._deltas_ts = 0.0
            self.examples = 0
            self.avoided_round_trips = 0
            self._events.clear()
        self.save()

    def stats(self, now: float | None = None) -> dict[str, Any]:
        """What was learned, for ``routing status``, the dashboard and the settings page.

        ``classes``: each kind of request with escalations on record, strongest first —
        its faded weight, the logit offset it gives now (0 until :data:`MIN_EVENTS`),
        and the causes of its events. ``by_cause``: the recent events by cause.
        """
        now = time.time() if now is None else now
        with self._lock:
            causes: dict[str, dict[str, int]] = {}
            by_cause: dict[str, int] = {}
            for _, cause, key in self._events:
                causes.setdefault(key, {})
                causes[key][cause] = causes[key].get(cause, 0) + 1
                by_cause[cause] = by_cause.get(cause, 0) + 1
            classes: list[dict[str, Any]] = []
            for key, (weight, ts) in self._buckets.items():
                faded = weight * _decay(now - ts)
                classes.append({"kind": key, "weight": round(faded, 3), "offset": round(bucket_offset(faded), 3),
                                "moved": bucket_offset(faded) > 0, "causes": causes.get(key, {}),
                                "last": ts})
            classes.sort(key=lambda c: -float(c["weight"]))
            return {
                "enabled": self.enabled,
                "examples": self.examples,
                "buckets": len(self._buckets),
                "moved": sum(1 for c in classes if c["moved"]),
                "classes": classes[:20],
                "by_cause": by_cause,
                "avoided_round_trips": self.avoided_round_trips,
                "min_events": MIN_EVENTS,
                "half_life_days": HALF_LIFE_S / 86400,
            }

    # --- persistence -------------------------------------------------------------------------

    def save(self) -> None:
        """Write the state atomically; a failure is logged, never raised."""
        with self._save_lock:
            self._save()

    def _save(self) -> None:
        with self._lock:
            data = {
                "version": STATE_VERSION,
                "updated": time.time(),
                "examples": self.examples,
                "avoided_round_trips": self.avoided_round_trips,
                "buckets": {k: list(v) for k, v in self._buckets.items()},
                "deltas": dict(self._deltas),
                "deltas_ts": self._deltas_ts,
                "events": [list(e) for e in self._events],
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
            self._events = [[float(e[0]), str(e[1]), str(e[2])] for e in data.get("events", [])][-MAX_EVENTS:]
        except (AttributeError, TypeError, ValueError, IndexError) as exc:
            log.warning("routing learning state at %s malformed (%s); starting fresh", self.path, exc)
            self._buckets, self._deltas = {}, {}


MAX_BUCKET_WEIGHT = MIN_EVENTS - 1 + BUCKET_CAP / BUCKET_STEP


def bucket_offset(weight: float) -> float:
    """The logit a kind's (faded) escalation weight adds: nothing until several events, then capped."""
    if weight < MIN_EVENTS - 0.5:
        return 0.0
    return min(BUCKET_CAP, BUCKET_STEP * (weight - (MIN_EVENTS - 1)))


def _decay(age_s: float) -> float:
    if age_s <= 0:
        return 1.0
    return float(0.5 ** (age_s / HALF_LIFE_S))
