"""A realistic sample ledger: a few weeks of plausible traffic, for screenshots and demos.

Rows go through the real :class:`~hybridcoder.ledger.UsageLedger` API (so roll-ups, prices and
figures behave exactly as for real traffic). Deterministic for a given seed and ``now``.
Callers pass a path inside a temporary ``HYBRIDCODER_HOME``: this module never picks a path
itself, so it can never write into the user's real ledger.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from hybridcoder.ledger.records import RequestRecord
from hybridcoder.ledger.store import UsageLedger

__all__ = ["build_sample_ledger", "sample_records"]

LOCAL_CHAT = "qwen2.5-coder:7b"
LOCAL_COMPLETE = "qwen2.5-coder:1.5b-base"
CLOUD_MODEL = "claude-sonnet-5-5"
_CLIENTS = {"autocomplete": ("continue",), "chat": ("continue", "continue", "aider"),
            "edit": ("continue", "aider"), "agent": ("cline", "cline", "continue")}
#: (kind, share of requests, share of them the router sends to the cloud)
_MIX = (("autocomplete", 0.52, 0.0), ("chat", 0.28, 0.18), ("edit", 0.10, 0.10), ("agent", 0.10, 0.8))
_LOCAL_REASONS = {"autocomplete": ["autocomplete"], "chat": ["routine_chat", "short_prompt"],
                  "edit": ["single_file_edit"], "agent": ["few_files"]}
_CLOUD_REASONS = {"chat": ["cloud_words"], "edit": ["many_files"], "agent": ["agent_tools", "tool_history"]}


def _pick_kind(rng: random.Random) -> tuple[str, float]:
    roll = rng.random()
    for kind, share, cloud in _MIX:
        roll -= share
        if roll <= 0:
            return kind, cloud
    return _MIX[-1][0], _MIX[-1][2]


def _record(rng: random.Random, ts: float) -> RequestRecord:
    kind, cloud_share = _pick_kind(rng)
    client = rng.choice(_CLIENTS[kind])
    route = "cloud" if rng.random() < cloud_share else "local"
    first_choice, cause = route, None
    if route == "local" and kind != "autocomplete" and rng.random() < 0.04:
        # The local answer was not good enough (or too slow): the other side answered.
        route, first_choice = "cloud", "local"
        cause = rng.choice(("local_ttft_timeout", "client_retry", "invalid_tool_call"))
    if kind == "autocomplete":
        prompt, completion = rng.randint(300, 1800), rng.randint(8, 60)
        ttft, total = rng.uniform(60, 140), rng.uniform(120, 380)
    elif route == "local":
        prompt = rng.randint(1500, 9000) if kind != "agent" else rng.randint(6000, 16000)
        completion = rng.randint(80, 700)
        ttft = rng.uniform(180, 650)
        total = ttft + completion * rng.uniform(9, 16)
    else:
        prompt = rng.randint(8000, 60000) if kind == "agent" else rng.randint(3000, 20000)
        completion = rng.randint(150, 1500)
        ttft = rng.uniform(700, 1600)
        total = ttft + completion * rng.uniform(8, 14)
    cache_read = int(prompt * rng.uniform(0.5, 0.85)) if route == "cloud" and kind in ("agent", "chat") else 0
    reasons = (_CLOUD_REASONS.get(kind, ["cloud_words"]) if first_choice == "cloud"
               else _LOCAL_REASONS[kind])
    return RequestRecord(
        kind=kind, route=route, ts=ts, client=client,
        model=(LOCAL_COMPLETE if kind == "autocomplete" else LOCAL_CHAT) if route == "local" else CLOUD_MODEL,
        provider="ollama" if route == "local" else "anthropic",
        endpoint="/v1/completions" if kind == "autocomplete" else "/v1/chat/completions",
        first_choice=first_choice, fallback_cause=cause, reasons=list(reasons),
        score=round(rng.uniform(0.05, 0.45) if first_choice == "local" else rng.uniform(0.55, 0.98), 3),
        stream=kind != "autocomplete", prompt_tokens=prompt, completion_tokens=completion,
        cache_read_tokens=cache_read, ttft_ms=round(ttft, 1), total_ms=round(total, 1),
    )


def sample_records(*, days: int = 21, seed: int = 7, now: datetime | None = None) -> Iterator[RequestRecord]:
    """Working-hours traffic for ``days`` days up to ``now``: busy weekdays, quiet weekends, growing use."""
    rng = random.Random(seed)
    now = now or datetime.now()
    start = datetime(now.year, now.month, now.day) - timedelta(days=days - 1)
    for day in range(days):
        midnight = start + timedelta(days=day)
        weekend = midnight.weekday() >= 5
        per_day = int((25 if weekend else 140) * (0.6 + 0.6 * day / max(1, days - 1)) * rng.uniform(0.8, 1.2))
        moments = sorted(midnight + timedelta(hours=rng.triangular(8.5, 19.0, 14.0)) for _ in range(per_day))
        for moment in moments:
            if moment >= now:
                break
            yield _record(rng, moment.timestamp())


def build_sample_ledger(path: Path, *, days: int = 21, seed: int = 7, now: datetime | None = None) -> int:
    """Write the sample traffic into the ledger at ``path``; returns the number of rows written."""
    written = 0
    with UsageLedger(Path(path), batch_size=2000) as ledger:
        for record in sample_records(days=days, seed=seed, now=now):
            ledger.record(record)
            written += 1
        ledger.flush(30)
    return written
