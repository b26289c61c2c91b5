"""Hand-written source files the routing set's requests attach as context (varied languages and sizes)."""

from __future__ import annotations

# path -> (language, source)
FILES: dict[str, tuple[str, str]] = {
    "src/textutil/slug.py": ("python", '''import re
import unicodedata

_NON_WORD = re.compile(r"[^\\w\\s-]")
_SPACES = re.compile(r"[-\\s]+")


def slugify(text: str, max_length: int = 80) -> str:
    normalized = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = _NON_WORD.sub("", normalized).strip().lower()
    slug = _SPACES.sub("-", cleaned)
    return slug[:max_length].rstrip("-")
'''),
    "src/billing/duration.py": ("python", '''from datetime import timedelta

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str) -> timedelta:
    total = 0
    number = ""
    for char in value.strip():
        if char.isdigit():
            number += char
        elif char in UNITS and number:
            total += int(number) * UNITS[char]
            number = ""
        else:
            raise ValueError(f"bad duration: {value!r}")
    if number:
        raise ValueError(f"missing unit in {value!r}")
    return timedelta(seconds=total)
'''),
    "src/cache/lru.py": ("python", '''from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        if key not in self._data:
            return None
        self._data.move_to_end(key)
        return self._data[key]

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self.capacity:
            self._data.popitem(last=False)
'''),
    "app/api/users.py": ("python", '''from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.orm import Session

from app.db import get_session
from app.models import User
from app.schemas import UserCreate, UserOut

router = APIRouter(prefix="/users")


@router.post("/", response_model=UserOut)
def create_user(payload: UserCreate, db: Session = Depends(get_session)) -> User:
    if db.query(User).filter(User.email == payload.email).first():
        raise HTTPException(status_code=409, detail="email taken")
    user = User(email=payload.email, name=payload.name)
    db.add(user)
    db.commit()
    db.refresh(user)
    return user
'''),
    "app/models.py": ("python", '''from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(255), unique=True, nullable=False)
    name = Column(String(120))
    created_at = Column(DateTime, server_default=func.now())
    orders = relationship("Order", back_populates="user")


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    user_id = Column(ForeignKey("users.id"), nullable=False)
    total_cents = Column(Integer, nullable=False)
    user = relationship("User", back_populates="orders")
'''),
    "app/db.py": ("python", '''from collections.abc import Iterator

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql+psycopg://app@localhost/app", pool_pre_ping=True)
SessionLocal = sessionmaker(bind=engine, autoflush=False)


def get_session() -> Iterator[Session]:
    session = SessionLocal()
    try:
        yield session
    finally:
        session.close()
'''),
    "app/services/orders.py": ("python", '''from app.db import SessionLocal
from app.models import Order, User
from app.payments import charge


def place_order(user_id: int, total_cents: int) -> Order:
    with SessionLocal() as db:
        user = db.get(User, user_id)
        if user is None:
            raise LookupError(user_id)
        order = Order(user_id=user.id, total_cents=total_cents)
        db.add(order)
        db.flush()
        charge(user.email, total_cents, idempotency_key=f"order-{order.id}")
        db.commit()
        return order
'''),
    "app/payments.py": ("python", '''import httpx

PAYMENTS_URL = "https://payments.internal/charge"


def charge(email: str, amount_cents: int, idempotency_key: str) -> str:
    response = httpx.post(
        PAYMENTS_URL,
        json={"email": email, "amount": amount_cents},
        headers={"Idempotency-Key": idempotency_key},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["charge_id"]
'''),
    "web/src/hooks/useDebounce.ts": ("typescript", '''import { useEffect, useState } from "react";

export function useDebounce<T>(value: T, delayMs = 300): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}
'''),
    "web/src/components/SearchBox.tsx": ("tsx", '''import { useState } from "react";
import { useDebounce } from "../hooks/useDebounce";
import { useSearch } from "../api/search";

export function SearchBox({ onPick }: { onPick: (id: string) => void }) {
  const [query, setQuery] = useState("");
  const debounced = useDebounce(query, 250);
  const { data, isLoading } = useSearch(debounced);
  return (
    <div className="search">
      <input value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Search" />
      {isLoading && <span>Loading…</span>}
      <ul>
        {data?.items.map((item) => (
          <li key={item.id} onClick={() => onPick(item.id)}>{item.title}</li>
        ))}
      </ul>
    </div>
  );
}
'''),
    "web/src/api/search.ts": ("typescript", '''import { useQuery } from "@tanstack/react-query";

export interface SearchItem { id: string; title: string }
export interface SearchResult { items: SearchItem[]; total: number }

export function useSearch(query: string) {
  return useQuery({
    queryKey: ["search", query],
    enabled: query.length > 1,
    queryFn: async (): Promise<SearchResult> => {
      const res = await fetch(`/api/search?q=${encodeURIComponent(query)}`);
      if (!res.ok) throw new Error(`search failed: ${res.status}`);
      return res.json();
    },
  });
}
'''),
    "server/routes/invoices.ts": ("typescript", '''import { Router } from "express";
import { db } from "../db";

export const invoices = Router();

invoices.get("/:id", async (req, res) => {
  const invoice = await db.invoice.findUnique({ where: { id: req.params.id } });
  if (!invoice) return res.status(404).json({ error: "not found" });
  res.json(invoice);
});

invoices.post("/", async (req, res) => {
  const created = await db.invoice.create({ data: req.body });
  res.status(201).json(created);
});
'''),
    "cmd/healthd/main.go": ("go", '''package main

import (
	"encoding/json"
	"log"
	"net/http"
	"time"
)

type status struct {
	OK      bool      `json:"ok"`
	Checked time.Time `json:"checked"`
}

func health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(status{OK: true, Checked: time.Now()})
}

func main() {
	http.HandleFunc("/health", health)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
'''),
    "crates/config/src/lib.rs": ("rust", '''use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub values: HashMap<String, String>,
}

impl Config {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut values = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = line.split_once('=').ok_or(format!("line {}: missing '='", n + 1))?;
            values.insert(k.trim().to_string(), v.trim().to_string());
        }
        Ok(Config { values })
    }
}
'''),
    "src/main/java/shop/CartService.java": ("java", '''package shop;

import java.math.BigDecimal;
import java.util.List;

public class CartService {
    private final PriceRepository prices;

    public CartService(PriceRepository prices) {
        this.prices = prices;
    }

    public BigDecimal total(List<CartLine> lines) {
        BigDecimal sum = BigDecimal.ZERO;
        for (CartLine line : lines) {
            BigDecimal unit = prices.priceOf(line.sku());
            sum = sum.add(unit.multiply(BigDecimal.valueOf(line.quantity())));
        }
        return sum;
    }
}
'''),
    "scripts/backup.sh": ("bash", '''#!/usr/bin/env bash
set -euo pipefail
SRC=${1:-/var/lib/app}
DEST=/mnt/backup/$(date +%F)
mkdir -p "$DEST"
tar -czf "$DEST/app.tar.gz" -C "$SRC" .
find /mnt/backup -maxdepth 1 -type d -mtime +14 -exec rm -rf {} +
'''),
    "deploy/docker-compose.yml": ("yaml", '''services:
  api:
    build: .
    ports: ["8000:8000"]
    environment:
      DATABASE_URL: postgresql://app@db/app
    depends_on: [db]
  db:
    image: postgres:16
    volumes: ["pgdata:/var/lib/postgresql/data"]
volumes:
  pgdata: {}
'''),
    "src/utils/dates.js": ("javascript", '''export function formatRelative(date, now = new Date()) {
  const seconds = Math.round((now - date) / 1000);
  if (seconds < 60) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return date.toISOString().slice(0, 10);
}
'''),
}

#: Groups of files with real dependencies between them (for multi-file reasoning requests).
RELATED: list[list[str]] = [
    ["app/api/users.py", "app/models.py", "app/db.py"],
    ["app/services/orders.py", "app/models.py", "app/payments.py", "app/db.py"],
    ["web/src/components/SearchBox.tsx", "web/src/hooks/useDebounce.ts", "web/src/api/search.ts"],
    ["app/services/orders.py", "app/payments.py", "app/db.py"],
    ["app/api/users.py", "app/models.py", "app/db.py", "app/services/orders.py"],
]

#: Single files, each self-contained enough for a local model.
SINGLE: list[str] = [
    "src/textutil/slug.py", "src/billing/duration.py", "src/cache/lru.py", "web/src/hooks/useDebounce.ts",
    "cmd/healthd/main.go", "crates/config/src/lib.rs", "src/main/java/shop/CartService.java",
    "scripts/backup.sh", "src/utils/dates.js", "server/routes/invoices.ts", "app/payments.py",
]


def big_file(seed: int, target_chars: int) -> tuple[str, str, str]:
    """A large generated module (path, language, text): many small functions, like a real legacy file."""
    lines: list[str] = [f"# legacy module {seed}: reports and exports", "import csv", "import json", ""]
    index = 0
    while sum(len(line) + 1 for line in lines) < target_chars:
        lines += [
            f"def report_{seed}_{index}(rows, threshold={index % 7 + 1}):",
            f'    """Summarise rows whose score exceeds {index % 7 + 1} for export {index}."""',
            "    kept = [r for r in rows if r.get('score', 0) > threshold]",
            f"    total = sum(r.get('amount_{index % 5}', 0) for r in kept)",
            "    return {'count': len(kept), 'total': total, 'ids': [r['id'] for r in kept]}",
            "",
        ]
        index += 1
    return f"src/legacy/reports_{seed}.py", "python", "\n".join(lines)
