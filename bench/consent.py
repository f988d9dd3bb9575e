"""Consent gate speed: vectorized decisions/s and single-decision p50/p99 latency.

Synthetic ledger: ``--customers`` customers with two identifiers each (e-mail, CRM id) and
``--statements-per-customer`` random statements (grants, denials, withdrawals, objections,
expiries) for ``email_marketing`` spread over a week, on random identifiers.

``state_extend`` is the consent store's refresh after an append (``extend_state`` with
``--appended`` new rows), beside ``state_build_s`` (the full build it avoids);
``state_rebuild_cached_s`` is the store's rebuild after an identity change (hashes cached).

Reference, measured in the same run on the same data: a bare hand-written Polars join (latest
statement per customer by captured_at, allowed = it is an unexpired grant) — the floor any
Polars implementation pays, without the rules the gate adds (identity, ties, channel, replay,
objections, conflicts, erasure).

    .venv/bin/python bench/consent.py [--customers 200000] [--statements-per-customer 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
# this script's folder comes first on sys.path and its name would shadow the consent package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cdp.config import PrivacySettings, Purpose  # noqa: E402
from consent.gate import build_state, decide, decide_many, extend_state  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PURPOSES = {
    "email_marketing": Purpose(
        channel="email", direct_marketing=True, legal_basis={"default": "consent"}
    )
}
STATUSES = np.array(["granted", "granted", "granted", "denied", "withdrawn", "objected", "expired"])


def make_data(customers: int, per_customer: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(ledger rows, identity pairs ``customer_id, identifier``)."""
    rng = np.random.default_rng(seed)
    privacy = PrivacySettings()
    ids = [f"c{i}" for i in range(customers)]
    emails = [f"email:u{i}@example.com" for i in range(customers)]
    crms = [f"crm:{i:08d}" for i in range(customers)]
    hashes = np.array(
        [
            [privacy.hash_identifier(e), privacy.hash_identifier(c)]
            for e, c in zip(emails, crms, strict=True)
        ]
    )
    n = customers * per_customer
    who = rng.integers(0, customers, n)
    which = rng.integers(0, 2, n)
    minutes = rng.integers(0, 7 * 24 * 60, n)
    base = np.datetime64("2026-01-01T00:00:00", "us")
    captured = pl.Series(base + minutes.astype("timedelta64[m]")).dt.replace_time_zone("UTC")
    has_expiry = rng.random(n) < 0.3
    ledger = pl.DataFrame(
        {
            "consent_id": [f"k{i:09d}" for i in range(n)],
            "subject_hash": hashes[who, which],
            "customer_id": pl.Series([None] * n, dtype=pl.String),
            "purpose": ["email_marketing"] * n,
            "channel": ["email"] * n,
            "status": STATUSES[rng.integers(0, len(STATUSES), n)],
            "_expiry_days": np.where(has_expiry, rng.integers(1, 5, n), -1),
            "captured_at": captured,
            "recorded_at": captured,
        }
    ).with_columns(
        expires_at=pl.when(pl.col("_expiry_days") > 0).then(
            pl.col("captured_at") + pl.duration(days=pl.col("_expiry_days"))
        ),
    )
    identity = pl.DataFrame(
        {"customer_id": ids * 2, "identifier": emails + crms},
    )
    return ledger.drop("_expiry_days"), identity


def bare_join(
    ledger: pl.DataFrame, identity: pl.DataFrame, customers: pl.DataFrame, at: datetime
) -> pl.DataFrame:
    """The reference: latest statement per customer, allowed if an unexpired grant."""
    return customers.join(
        ledger.filter(pl.col("purpose") == "email_marketing", pl.col("captured_at") <= at)
        .join(identity, on="subject_hash")
        .sort("captured_at")
        .group_by("customer_id")
        .agg(pl.col("status").last(), pl.col("expires_at").last()),
        on="customer_id",
        how="left",
    ).select(
        "customer_id",
        allowed=(pl.col("status") == "granted")
        & (pl.col("expires_at").is_null() | (pl.col("expires_at") > at)),
    )


def _best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--statements-per-customer", type=int, default=3)
    parser.add_argument("--singles", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--appended", type=int, default=10)
    args = parser.parse_args(argv)

    ledger, identity = make_data(args.customers, args.statements_per_customer, args.seed)
    at = T0 + timedelta(days=4)
    start = time.perf_counter()
    state = build_state(
        ledger,
        PURPOSES,
        identities=identity,
        fresh_at=T0 + timedelta(days=30),
        versions={"consent_ledger": 1, "identity_map": 1},
    )
    build_s = time.perf_counter() - start
    # The consent store's rebuild (identity or suppression changed): hashes cached, identities
    # already normalized.
    cache: dict[str, str] = {}
    build_state(ledger, PURPOSES, identities=identity, hash_cache=cache, normalized=True)
    start = time.perf_counter()
    build_state(ledger, PURPOSES, identities=identity, hash_cache=cache, normalized=True)
    rebuild_s = time.perf_counter() - start
    # The consent store's refresh after an append: extend the state with a few new rows.
    appended = ledger.sample(args.appended, seed=args.seed).with_columns(
        consent_id=pl.format("new{}", pl.int_range(pl.len()))
    )
    extend_s = _best(lambda: extend_state(state, appended), args.repeat)
    customers = identity.select("customer_id").unique(maintain_order=True)
    gate_s = _best(lambda: decide_many(state, customers, "email_marketing", at=at), args.repeat)

    privacy = PrivacySettings()
    hashed_identity = identity.select(
        "customer_id",
        subject_hash=pl.col("identifier").map_elements(
            privacy.hash_identifier, return_dtype=pl.String
        ),
    )
    ref_s = _best(lambda: bare_join(ledger, hashed_identity, customers, at), args.repeat)

    rng = np.random.default_rng(args.seed + 1)
    picks = rng.integers(0, args.customers, args.singles)
    latencies = []
    for i in picks:
        subject = f"customer_id:c{i}" if i % 2 else f"email:u{i}@example.com"
        start = time.perf_counter()
        decide(state, subject, "email_marketing", at=at)
        latencies.append(time.perf_counter() - start)
    latencies.sort()
    n = args.customers
    result = {
        "bench": "consent",
        "setup": {
            "customers": n,
            "statements": ledger.height,
            "identifiers_per_customer": 2,
            "cpus": os.cpu_count(),
            "polars": pl.__version__,
        },
        "state_build_s": round(build_s, 3),
        "state_rebuild_cached_s": round(rebuild_s, 3),
        "state_extend": {"appended_rows": args.appended, "s": round(extend_s, 4)},
        "gate": {
            "decisions_per_s": round(n / gate_s),
            "batch_s": round(gate_s, 4),
            "single_us_p50": round(statistics.median(latencies) * 1e6, 1),
            "single_us_p99": round(latencies[int(len(latencies) * 0.99)] * 1e6, 1),
        },
        "reference_bare_polars_join": {
            "decisions_per_s": round(n / ref_s),
            "batch_s": round(ref_s, 4),
        },
        "bar": {"decisions_per_s": 200_000, "single_us_p99": 1000},
        "meets_bar": n / gate_s >= 200_000 and latencies[int(len(latencies) * 0.99)] <= 1e-3,
    }
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
