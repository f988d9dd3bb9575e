"""Subprocess of the kill -9 test: appends forever, printing each acknowledged position.

    python _appender.py ROOT SEED

Each stdout line is ``<entry_id> <segment> <offset>``, written and flushed as soon as
``append`` returned (the entry is fsync'ed by then).
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

from cdp.landing import LandingEntry, LandingLog


async def _writer(log: LandingLog, rng: random.Random, index: int) -> None:
    while True:
        payload = rng.randbytes(rng.randint(1, 20_000))
        entry = LandingEntry.create(
            source="web", route="batch", payload=payload, meta={"writer": str(index)}
        )
        position = await log.append(entry)
        sys.stdout.write(f"{entry.entry_id} {position.segment} {position.offset}\n")
        sys.stdout.flush()


async def _main(root: Path, seed: int) -> None:
    log = LandingLog(root, lane="lane-000", segment_bytes=256 << 10)
    rng = random.Random(seed)
    await asyncio.gather(*(_writer(log, random.Random(rng.random()), i) for i in range(8)))


if __name__ == "__main__":
    asyncio.run(_main(Path(sys.argv[1]), int(sys.argv[2])))
