"""Consent audit speed: ``ConsentAudit.violations()`` over tens of thousands of activations.

Synthetic month on a temporary lakehouse: ``--customers`` customers (one CRM id each in
``identity_map``), every day a batch of statements (grants, withdrawals, denials, objections;
a few captured days earlier: late-arriving) recorded at the end of the day, then a segment sync
of ``--per-day`` customers decided by the gate as known then (``ConsentStore.decide_many`` with
``as_of``) and logged with ``ActivationLog``. Then the audit replays every allowed activation.

Reference, measured in the same run: one vectorized gate pass (``decide_many``) over as many
customers as there are allowed activations — the floor of deciding them all once.

    .venv/bin/python bench/consent_audit.py [--customers 20000] [--days 30] [--per-day 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
# this script's folder comes first on sys.path and its name would shadow the consent package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cdp.config import load_config  # noqa: E402
from consent import ActivationLog, ConsentStore  # noqa: E402
from consent.audit import ConsentAudit  # noqa: E402
from storage import Lakehouse  # noqa: E402

PURPOSE = "email_marketing"
STATUSES = ["granted"] * 6 + ["withdrawn", "denied", "objected"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=2_000)
    parser.add_argument("--statements-per-day", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    work = Path(tempfile.mkdtemp(prefix="cdp-audit-"))
    config = work / "cdp.yaml"
    shutil.copy(ROOT / "cdp.yaml", config)
    settings = load_config(config)
    lakehouse = Lakehouse.from_settings(settings)
    lakehouse.init()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    customers = [f"c{i}" for i in range(args.customers)]
    lakehouse.upsert(
        "identity_map",
        [
            {"source": "crm", "source_record_id": str(i), "customer_id": c, "resolved_at": start}
            for i, c in enumerate(customers)
        ],
    )
    store = ConsentStore(lakehouse, settings)
    log = ActivationLog(lakehouse)
    t_build = time.perf_counter()
    logged = 0
    for day in range(args.days):
        end = start + timedelta(days=day + 1)
        batch = []
        for _ in range(args.statements_per_day):
            i = rng.randrange(args.customers)
            back = timedelta(days=rng.choice([0] * 19 + [3]), seconds=rng.randrange(86_000))
            batch.append(
                {
                    "subject": rng.choice([f"crm:{i}", f"customer_id:c{i}"]),
                    "purpose": PURPOSE,
                    "status": rng.choice(STATUSES),
                    "captured_at": (end - back).isoformat(),
                    "source": "bench",
                }
            )
        store.record(batch, recorded_at=end)
        at = end + timedelta(hours=1)
        frame = pl.DataFrame({"customer_id": rng.sample(customers, args.per_day)})
        decided = store.decide_many(frame, PURPOSE, at=at, as_of=at, destination="esp")
        log.record(decided, activation_type="segment_sync", run_id=f"day{day}")
        logged += decided.height
    build_s = time.perf_counter() - t_build

    audit = ConsentAudit(lakehouse, settings, store=store)
    t0 = time.perf_counter()
    found = audit.violations()
    audit_s = time.perf_counter() - t0

    allowed = found.checked
    state = store.state()
    from consent.gate import decide_many

    ref_frame = pl.DataFrame(
        {"customer_id": [customers[i % len(customers)] for i in range(allowed)]}
    )
    t1 = time.perf_counter()
    decide_many(state, ref_frame, PURPOSE)
    ref_s = time.perf_counter() - t1

    result = {
        "bench": "consent_audit",
        "setup": {
            "customers": args.customers,
            "days": args.days,
            "statements": args.days * args.statements_per_day,
            "activations_logged": logged,
            "setup_s": round(build_s, 1),
        },
        "allowed_activations_checked": allowed,
        "engine_faults": found.engine_faults.height,
        "late_arriving_withdrawals": found.late_withdrawals.height,
        "violations_s": round(audit_s, 2),
        "violations_activations_per_s": round(allowed / audit_s) if audit_s else None,
        "reference_one_decide_many_pass_s": round(ref_s, 3),
    }
    result["meets_bar"] = found.engine_faults.height == 0
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
