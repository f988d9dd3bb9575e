"""``python -m cdp.synth OUT [--people N] ...``: generate without the full CLI, and time it."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cdp.synth import GenerateOptions, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cdp.synth", description=__doc__)
    parser.add_argument("out", type=Path, help="output folder")
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--events-per-user", type=float, default=None)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    extra = {} if args.events_per_user is None else {"events_per_web_user": args.events_per_user}
    options = GenerateOptions(
        people=args.people, seed=args.seed, chunk_rows=args.chunk_rows, **extra
    )
    started = time.perf_counter()
    report = generate(args.out, options)
    seconds = time.perf_counter() - started
    c = report.counts
    records = c["crm_records"] + c["erp_records"] + c["web_lines"] + c["consent_statements"]
    for kind, count in c.items():
        sys.stdout.write(f"{kind:<32}{count:>12,}\n")
    sys.stdout.write(
        f"{records:,} records ({c['ground_truth_rows']:,} identities) in {seconds:.1f} s: "
        f"{records / seconds:,.0f} records/s\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
