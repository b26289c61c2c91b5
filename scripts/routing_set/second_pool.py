"""Code for the second source (written.jsonl): written separately from code_pool.py, other languages and styles.

Each entry: path -> (language, source). ``GROUPS`` are sets of files that really depend on each
other (imports, calls, shared types), for multi-file requests. ``big_module`` builds a long file of
many small, different functions (for "a big file with a one-function question").
"""

from __future__ import annotations

import random

SNIPPETS: dict[str, tuple[str, str]] = {
    "internal/ratelimit/window.go": ("go", '''package ratelimit

import (
	"sync"
	"time"
)

// Window counts events in a sliding one-minute window.
type Window struct {
	mu     sync.Mutex
	events []time.Time
	limit  int
}

func NewWindow(limit int) *Window { return &Window{limit: limit} }

func (w *Window) Allow(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	cutoff := now.Add(-time.Minute)
	kept := w.events[:0]
	for _, t := range w.events {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	w.events = kept
	if len(w.events) >= w.limit {
		return false
	}
	w.events = append(w.events, now)
	return true
}
'''),
    "src/units.rs": ("rust", '''use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit { Bytes, KiB, MiB, GiB }

pub fn human_size(bytes: u64) -> String {
    let (value, unit) = match bytes {
        b if b >= 1 << 30 => (b as f64 / (1u64 << 30) as f64, Unit::GiB),
        b if b >= 1 << 20 => (b as f64 / (1u64 << 20) as f64, Unit::MiB),
        b if b >= 1 << 10 => (b as f64 / 1024.0, Unit::KiB),
        b => (b as f64, Unit::Bytes),
    };
    format!("{value:.1} {unit}")
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self { Unit::Bytes => "B", Unit::KiB => "KiB", Unit::MiB => "MiB", Unit::GiB => "GiB" };
        write!(f, "{s}")
    }
}
'''),
    "app/src/main/java/com/shop/InvoiceNumber.java": ("java", '''package com.shop;

import java.time.Year;
import java.util.concurrent.atomic.AtomicInteger;

public final class InvoiceNumber {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private final String value;

    private InvoiceNumber(String value) {
        this.value = value;
    }

    public static InvoiceNumber next(String prefix) {
        int n = COUNTER.incrementAndGet();
        return new InvoiceNumber(prefix + "-" + Year.now().getValue() + "-" + String.format("%06d", n));
    }

    public String value() {
        return value;
    }
}
'''),
    "lib/price_formatter.rb": ("ruby", '''module Shop
  class PriceFormatter
    CURRENCY_SYMBOLS = { "EUR" => "€", "USD" => "$", "GBP" => "£" }.freeze

    def initialize(currency)
      @currency = currency
    end

    def format(cents)
      symbol = CURRENCY_SYMBOLS.fetch(@currency, @currency + " ")
      whole, fraction = cents.divmod(100)
      "#{symbol}#{whole.to_s.reverse.scan(/\\d{1,3}/).join(",").reverse}.#{fraction.to_s.rjust(2, "0")}"
    end
  end
end
'''),
    "src/Controller/NewsletterController.php": ("php", '''<?php

namespace App\\Controller;

use Symfony\\Component\\HttpFoundation\\JsonResponse;
use Symfony\\Component\\HttpFoundation\\Request;

final class NewsletterController
{
    public function __construct(private readonly SubscriberRepository $subscribers) {}

    public function subscribe(Request $request): JsonResponse
    {
        $email = trim((string) $request->request->get('email'));
        if (!filter_var($email, FILTER_VALIDATE_EMAIL)) {
            return new JsonResponse(['error' => 'invalid email'], 422);
        }
        $this->subscribers->add($email);
        return new JsonResponse(['ok' => true], 201);
    }
}
'''),
    "db/queries/monthly_revenue.sql": ("sql", '''SELECT date_trunc('month', o.created_at) AS month,
       c.country,
       SUM(o.total_cents) / 100.0 AS revenue,
       COUNT(DISTINCT o.customer_id) AS buyers
FROM orders o
JOIN customers c ON c.id = o.customer_id
WHERE o.status = 'paid'
  AND o.created_at >= now() - interval '12 months'
GROUP BY 1, 2
ORDER BY 1 DESC, 3 DESC;
'''),
    "scripts/backup.sh": ("bash", '''#!/usr/bin/env bash
set -euo pipefail

SRC="${1:?usage: backup.sh SRC DEST}"
DEST="${2:?usage: backup.sh SRC DEST}"
STAMP="$(date +%Y%m%d-%H%M%S)"

mkdir -p "$DEST"
tar -czf "$DEST/backup-$STAMP.tar.gz" -C "$(dirname "$SRC")" "$(basename "$SRC")"
find "$DEST" -name 'backup-*.tar.gz' -mtime +14 -delete
echo "wrote $DEST/backup-$STAMP.tar.gz"
'''),
    "src/utils/groupBy.ts": ("typescript", '''export function groupBy<T, K extends PropertyKey>(items: readonly T[], key: (item: T) => K): Record<K, T[]> {
  const out = {} as Record<K, T[]>;
  for (const item of items) {
    const k = key(item);
    (out[k] ??= []).push(item);
  }
  return out;
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
'''),
    "analysis/clean.py": ("python", '''import pandas as pd


def load_sales(path: str) -> pd.DataFrame:
    frame = pd.read_csv(path, parse_dates=["sold_at"])
    frame = frame.dropna(subset=["sku", "amount"])
    frame["amount"] = frame["amount"].astype(float)
    frame["week"] = frame["sold_at"].dt.to_period("W").dt.start_time
    return frame


def weekly_totals(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby(["week", "sku"], as_index=False)["amount"].sum().sort_values("week")
'''),
    "app/src/main/kotlin/com/notes/NoteRepository.kt": ("kotlin", '''package com.notes

data class Note(val id: Long, val title: String, val body: String, val pinned: Boolean = false)

class NoteRepository {
    private val notes = mutableMapOf<Long, Note>()
    private var nextId = 1L

    fun add(title: String, body: String): Note {
        val note = Note(nextId++, title, body)
        notes[note.id] = note
        return note
    }

    fun pinned(): List<Note> = notes.values.filter { it.pinned }.sortedBy { it.title }

    fun delete(id: Long): Boolean = notes.remove(id) != null
}
'''),
    "Services/TemperatureConverter.cs": ("csharp", '''namespace Weather.Services;

public static class TemperatureConverter
{
    public static double CelsiusToFahrenheit(double celsius) => celsius * 9 / 5 + 32;

    public static double FahrenheitToCelsius(double fahrenheit) => (fahrenheit - 32) * 5 / 9;

    public static string Describe(double celsius) => celsius switch
    {
        < 0 => "freezing",
        < 15 => "cold",
        < 25 => "mild",
        _ => "hot",
    };
}
'''),
    "src/lib/retry.js": ("javascript", '''export async function retry(fn, { attempts = 3, delayMs = 200 } = {}) {
  let lastError;
  for (let i = 0; i < attempts; i++) {
    try {
      return await fn();
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, delayMs * 2 ** i));
    }
  }
  throw lastError;
}
'''),
}

#: Files that depend on each other (a Go service, a TypeScript front end talking to it, a Java module).
GROUPS: list[list[tuple[str, str, str]]] = [
    [
        ("internal/store/accounts.go", "go", '''package store

import (
	"context"
	"database/sql"
)

type Account struct {
	ID      int64
	Email   string
	Balance int64
}

type Accounts struct{ DB *sql.DB }

func (a Accounts) Get(ctx context.Context, id int64) (Account, error) {
	var acc Account
	err := a.DB.QueryRowContext(ctx, "SELECT id, email, balance FROM accounts WHERE id = $1", id).
		Scan(&acc.ID, &acc.Email, &acc.Balance)
	return acc, err
}

func (a Accounts) AddBalance(ctx context.Context, tx *sql.Tx, id, delta int64) error {
	_, err := tx.ExecContext(ctx, "UPDATE accounts SET balance = balance + $1 WHERE id = $2", delta, id)
	return err
}
'''),
        ("internal/transfer/service.go", "go", '''package transfer

import (
	"context"
	"database/sql"
	"errors"

	"example.com/bank/internal/store"
)

var ErrInsufficient = errors.New("insufficient funds")

type Service struct {
	DB       *sql.DB
	Accounts store.Accounts
}

func (s Service) Transfer(ctx context.Context, from, to, amount int64) error {
	src, err := s.Accounts.Get(ctx, from)
	if err != nil {
		return err
	}
	if src.Balance < amount {
		return ErrInsufficient
	}
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.Accounts.AddBalance(ctx, tx, from, -amount); err != nil {
		return err
	}
	if err := s.Accounts.AddBalance(ctx, tx, to, amount); err != nil {
		return err
	}
	return tx.Commit()
}
'''),
        ("internal/api/transfer_handler.go", "go", '''package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"example.com/bank/internal/transfer"
)

type TransferHandler struct{ Service transfer.Service }

type transferRequest struct {
	From   int64 `json:"from"`
	To     int64 `json:"to"`
	Amount int64 `json:"amount"`
}

func (h TransferHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req transferRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	err := h.Service.Transfer(r.Context(), req.From, req.To, req.Amount)
	if errors.Is(err, transfer.ErrInsufficient) {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
'''),
    ],
    [
        ("web/src/api/client.ts", "typescript", '''export type Session = { token: string; expiresAt: number };

let current: Session | null = null;

export function setSession(session: Session | null) {
  current = session;
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (current) headers.set("Authorization", `Bearer ${current.token}`);
  const response = await fetch(`/api${path}`, { ...init, headers });
  if (response.status === 401) {
    setSession(null);
    throw new Error("unauthorized");
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json() as Promise<T>;
}
'''),
        ("web/src/auth/useSession.ts", "typescript", '''import { useEffect, useState } from "react";
import { api, setSession, type Session } from "../api/client";

export function useSession() {
  const [session, setState] = useState<Session | null>(null);
  useEffect(() => {
    const stored = localStorage.getItem("session");
    if (stored) {
      const parsed = JSON.parse(stored) as Session;
      setSession(parsed);
      setState(parsed);
    }
  }, []);
  async function login(email: string, password: string) {
    const s = await api<Session>("/login", { method: "POST", body: JSON.stringify({ email, password }) });
    localStorage.setItem("session", JSON.stringify(s));
    setSession(s);
    setState(s);
  }
  return { session, login };
}
'''),
        ("web/src/pages/Dashboard.tsx", "tsx", '''import { useEffect, useState } from "react";
import { api } from "../api/client";
import { useSession } from "../auth/useSession";

type Stats = { visits: number; signups: number };

export function Dashboard() {
  const { session } = useSession();
  const [stats, setStats] = useState<Stats | null>(null);
  useEffect(() => {
    api<Stats>("/stats").then(setStats).catch(() => setStats(null));
  }, []);
  if (!session) return <p>Please log in.</p>;
  return <div>{stats ? `${stats.visits} visits, ${stats.signups} signups` : "Loading"}</div>;
}
'''),
    ],
    [
        ("src/main/java/com/lib/LoanPolicy.java", "java", '''package com.lib;

public record LoanPolicy(int maxLoans, int loanDays, long finePerDayCents) {
    public static LoanPolicy standard() {
        return new LoanPolicy(5, 21, 25);
    }
}
'''),
        ("src/main/java/com/lib/Member.java", "java", '''package com.lib;

import java.util.ArrayList;
import java.util.List;

public class Member {
    private final String id;
    private final List<Loan> loans = new ArrayList<>();

    public Member(String id) { this.id = id; }

    public String id() { return id; }

    public List<Loan> loans() { return loans; }
}
'''),
        ("src/main/java/com/lib/LendingService.java", "java", '''package com.lib;

import java.time.LocalDate;

public class LendingService {
    private final LoanPolicy policy;

    public LendingService(LoanPolicy policy) { this.policy = policy; }

    public Loan lend(Member member, String isbn, LocalDate today) {
        if (member.loans().size() >= policy.maxLoans()) {
            throw new IllegalStateException("too many loans");
        }
        Loan loan = new Loan(isbn, today, today.plusDays(policy.loanDays()));
        member.loans().add(loan);
        return loan;
    }

    public long fine(Loan loan, LocalDate returned) {
        long late = java.time.temporal.ChronoUnit.DAYS.between(loan.due(), returned);
        return Math.max(0, late) * policy.finePerDayCents();
    }
}
'''),
    ],
]

_VERBS = ("load", "save", "parse", "render", "merge", "score", "filter", "rank", "export", "normalise",
          "validate", "summarise", "index", "resolve", "convert")
_NOUNS = ("invoice", "shipment", "ticket", "sensor", "profile", "voucher", "episode", "booking", "tariff",
          "warehouse", "playlist", "contract", "reading", "badge", "route")


def big_module(seed: int, target_chars: int) -> tuple[str, str, str]:
    """A long Python module of many small, different functions (a legacy 'helpers' file)."""
    rng = random.Random(seed)
    parts = ['"""Helpers that grew over the years."""\n\nimport math\nfrom datetime import date, timedelta\n\n']
    index = 0
    while sum(len(p) for p in parts) < target_chars:
        verb, noun = rng.choice(_VERBS), rng.choice(_NOUNS)
        a, b = rng.randint(2, 40), rng.randint(2, 9)
        parts.append(
            f"\ndef {verb}_{noun}_{index}(items, limit={a}):\n"
            f'    """{verb.capitalize()} {noun} records (legacy variant {index})."""\n'
            f"    out = []\n"
            f"    for item in items[:limit]:\n"
            f"        if item.get('{noun}_id') is None:\n"
            f"            continue\n"
            f"        value = item.get('amount', 0) * {b} / max(1, item.get('weight', 1))\n"
            f"        if value > {a * b}:\n"
            f"            value = math.sqrt(value)\n"
            f"        out.append({{'id': item['{noun}_id'], 'value': round(value, 2), "
            f"'due': date.today() + timedelta(days={b})}})\n"
            f"    return out\n"
        )
        index += 1
    return f"legacy/helpers_{seed}.py", "python", "".join(parts)
