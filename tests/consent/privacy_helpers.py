"""A small real lakehouse for the erasure and export tests: generated data, ingested by the
Bytewax flows, identities resolved by Splink; and an independent scan of every file."""

from __future__ import annotations

import io
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from cdp.config import Settings
from cdp.ingest import IngestReport
from cdp.synth import GenerateOptions, generate
from identity import resolve_lakehouse
from pipelines import run_ingest
from storage import Lakehouse

SOURCES = {"crm": "crm/*.csv", "erp": "erp/*.csv", "web": "web/*.jsonl"}
AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@dataclass
class World:
    """A built lakehouse (template: copy it before changing it) and its input files."""

    root: Path
    data: Path
    settings: Settings
    reports: dict[str, IngestReport]

    def copy(self, dest: Path) -> tuple[Settings, Lakehouse]:
        """A private copy of the lakehouse (and settings pointing at it)."""
        shutil.copytree(self.root / "lh", dest / "lh")
        settings = self.settings.model_copy(update={"lakehouse": str(dest / "lh")})
        settings = settings.with_base_dir(dest)
        return settings, Lakehouse.from_settings(settings)

    def files(self, source: str) -> list[Path]:
        return sorted(self.data.glob(SOURCES[source]))


def build_world(base: Path, sample: Settings, *, people: int = 120, seed: int = 11) -> World:
    """Generate, ingest every source, resolve identities, add activation/profile rows."""
    data = base / "data"
    generate(data, GenerateOptions(people=people, seed=seed))
    settings = sample.model_copy(update={"lakehouse": str(base / "lh")}).with_base_dir(base)
    lakehouse = Lakehouse.from_settings(settings)
    lakehouse.init()
    reports = {}
    for source, pattern in SOURCES.items():
        reports[source] = run_ingest(settings, source, sorted(data.glob(pattern)), recovery=False)
    resolve_lakehouse(lakehouse, run_id="r1")
    world = World(base, data, settings, reports)
    return world


def pick_person(lakehouse: Lakehouse) -> dict[str, Any]:
    """A customer with records from crm, erp and web whose e-mails, phones and names no other
    customer holds (so every value of theirs must vanish), with web events."""
    imap = lakehouse.read("identity_map")
    records = lakehouse.read("identity_records").join(
        imap.select("source", "source_record_id", "customer_id"),
        on=["source", "source_record_id"],
    )
    sources = records.group_by("customer_id").agg(pl.col("source").n_unique().alias("n"))
    events = lakehouse.read("events")
    for cid in sources.filter(pl.col("n") == 3).sort("customer_id").get_column("customer_id"):
        mine = records.filter(pl.col("customer_id") == cid)
        others = records.filter(pl.col("customer_id") != cid)
        emails = set(mine.get_column("email").drop_nulls().to_list())
        phones = set(mine.get_column("phone").drop_nulls().to_list())
        lasts = set(mine.get_column("last_name_key").drop_nulls().to_list())
        users = set(mine.get_column("user_id").drop_nulls().to_list())
        if not emails or not users or not phones:
            continue
        if set(others.get_column("email").drop_nulls().to_list()) & emails:
            continue
        if set(others.get_column("phone").drop_nulls().to_list()) & phones:
            continue
        if set(others.get_column("last_name_key").drop_nulls().to_list()) & lasts:
            continue
        if events.filter(pl.col("user_id").is_in(list(users))).height < 3:
            continue
        return {
            "customer_id": cid,
            "records": mine,
            "emails": emails,
            "phones": phones,
            "users": users,
        }
    raise AssertionError("no suitable person in the generated data")


def values_of(person: dict[str, Any], lakehouse: Lakehouse) -> set[str]:
    """Every raw value of the person to look for: e-mails, phones, user and anonymous ids,
    record ids, last names (unique to them by the choice of person)."""
    mine = person["records"]
    events = lakehouse.read("events").filter(pl.col("user_id").is_in(list(person["users"])))
    values = set(person["emails"]) | set(person["phones"]) | set(person["users"])
    values |= set(events.get_column("anonymous_id").drop_nulls().to_list())
    values |= set(mine.get_column("source_record_id").to_list())
    values |= set(mine.get_column("last_name").drop_nulls().to_list())
    return {v for v in values if len(v) >= 6}


def files_holding(root: Path, values: set[str]) -> dict[str, set[str]]:
    """Independent check: file path -> values found in its bytes or, for Parquet, in its
    decoded rows (everything rendered as text), case-insensitively."""
    found: dict[str, set[str]] = {}
    lows = {v: v.lower() for v in values}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            data = path.read_bytes()
            texts = [data.decode("utf-8", "replace").lower()]
            if name.endswith(".parquet"):
                rows = pq.read_table(io.BytesIO(data)).to_pylist()
                texts.append(json.dumps(rows, default=_text, ensure_ascii=False).lower())
            for value, low in lows.items():
                if any(low in t for t in texts):
                    found.setdefault(str(path.relative_to(root)), set()).add(value)
    return found


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
