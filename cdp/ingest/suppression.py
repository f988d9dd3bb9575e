"""Suppression: inputs of erased people are not ingested again (GDPR Art. 17).

An erasure (``consent/privacy.py``) writes one ``suppression`` row per identifier of the person:
the keyed hash (``settings.privacy.hash_identifier``) of ``type:value``. Before a micro-batch is
committed, :class:`~cdp.ingest.writer.DeltaWriter` asks :meth:`SuppressionList.blocked` which of
its events carry a suppressed identifier. Such an event is not written; it becomes a
``quarantine`` row with ``error_type`` ``suppressed`` and **no payload** (the input is accounted
for, ``inputs == events + quarantine + duplicates`` still holds, but nothing of the person is
kept); its ``identity_records`` and ``consent_ledger`` rows are dropped, and so is the
``raw_events`` row of its input (a landing batch body mixing several people's messages loses its
raw copy; the other people's events are written). An input rejected for another reason (a
malformed line) has no parsed identifiers to check and is quarantined as any bad input is; an
erasure deletes such rows when their payload holds one of the person's identifiers.

The identifiers of an input (:func:`record_identifiers`, also used by the erasure, so both sides
hash the same strings): ``<source>:<source_record_id>``, ``user_id:…``, ``anonymous_id:…`` of
the event, the same plus ``email:…`` and ``phone:…`` (normalized as in ``identity_records``) of
its identity record, and the ``subject_hash`` of its consent statements.

Default deny: a writer built without the privacy settings cannot hash, so it refuses to commit
once the ``suppression`` table holds a row (:class:`SuppressionUnavailableError`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

import polars as pl
import pyarrow as pa

from cdp.ingest.errors import IngestError
from storage import Lakehouse, StorageError

if TYPE_CHECKING:
    from cdp.config import PrivacySettings

__all__ = [
    "SUPPRESSED",
    "SuppressionList",
    "SuppressionUnavailableError",
    "identifier",
    "record_identifiers",
]

logger = logging.getLogger(__name__)

#: The ``error_type`` of an input held back because one of its identifiers was erased.
SUPPRESSED: Final = "suppressed"
_CACHE_MAX: Final = 200_000


class SuppressionUnavailableError(IngestError):
    """Erased identifiers exist but this writer cannot check inputs against them."""


def identifier(kind: str, value: object) -> str | None:
    """``kind:value`` with the value trimmed (as consent subjects are built); None when empty."""
    if value is None:
        return None
    text = str(value).strip()
    return f"{kind}:{text}" if text else None


def record_identifiers(row: Mapping[str, Any]) -> list[str]:
    """The ``type:value`` identifiers of an ``events`` or ``identity_records`` row."""
    found = [
        identifier(str(row.get("source")), row.get("source_record_id"))
        if row.get("source")
        else None,
        identifier("user_id", row.get("user_id")),
        identifier("anonymous_id", row.get("anonymous_id")),
        identifier("email", row.get("email")),
        identifier("phone", row.get("phone")),
    ]
    return [f for f in found if f is not None]


class SuppressionList:
    """The hashed identifiers of the ``suppression`` table, reloaded when the table changes.

    ``hasher`` is ``settings.privacy.hash_identifier`` (None: cannot check; see the module
    documentation). The table version is looked at no more than once per ``refresh_s``.
    """

    def __init__(
        self,
        lakehouse: Lakehouse,
        hasher: Callable[[str], str] | None,
        *,
        refresh_s: float = 1.0,
    ) -> None:
        self.lakehouse = lakehouse
        self._hasher = hasher
        self._refresh_s = refresh_s
        self._hashes: frozenset[str] = frozenset()
        self._version: int | None = None
        self._checked = 0.0
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_privacy(cls, lakehouse: Lakehouse, privacy: PrivacySettings) -> SuppressionList:
        return cls(lakehouse, privacy.hash_identifier)

    def hashes(self) -> frozenset[str]:
        """The suppressed identifier hashes (reloaded when the table has a new version)."""
        with self._lock:
            now = time.monotonic()
            if self._version is not None and now - self._checked < self._refresh_s:
                return self._hashes
            self._checked = now
            try:
                version = self.lakehouse.version("suppression")
            except StorageError:  # no table yet (an older lakehouse): nothing erased
                self._version = -1
                return self._hashes
            if version != self._version:
                frame = self.lakehouse.read("suppression")
                self._hashes = frozenset(frame.get_column("identifier_hash").to_list())
                self._version = version
            return self._hashes

    def hash(self, value: str) -> str:
        """The keyed hash of one ``type:value`` identifier (cached)."""
        if self._hasher is None:
            raise SuppressionUnavailableError(
                "cannot hash identifiers: the writer was built without the privacy settings"
            )
        found = self._cache.get(value)
        if found is None:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            found = self._cache[value] = self._hasher(value)
        return found

    def blocked(self, tables: Mapping[str, pa.Table]) -> set[tuple[int, str]]:
        """``(seq, event id)`` of the events of an outcome that carry a suppressed identifier."""
        hashes = self.hashes()
        events = tables.get("events")
        if not hashes or events is None or events.num_rows == 0:
            return set()
        if self._hasher is None:
            raise SuppressionUnavailableError(
                "the suppression table holds erased identifiers but this writer has no privacy "
                "settings to check inputs against it; build it with privacy=settings.privacy"
            )
        found = self._blocked_rows(events, "event_id", hashes)
        identity = tables.get("identity_records")
        if identity is not None and identity.num_rows:
            found |= self._blocked_rows(identity, "_event", hashes)
        consent = tables.get("consent_ledger")
        if consent is not None:
            for row in consent.select(["_seq", "_event", "subject_hash"]).to_pylist():
                if row["subject_hash"] in hashes:
                    found.add((row["_seq"], row["_event"]))
        if found:
            logger.info("%d input(s) held back: identifiers erased", len(found))
        return found

    def _blocked_rows(
        self, table: pa.Table, key: str, hashes: frozenset[str]
    ) -> set[tuple[int, str]]:
        """``(seq, key)`` of the rows with a suppressed identifier. Each distinct
        ``(type, value)`` of the batch is made an identifier (:func:`identifier`, as the erasure
        does) and hashed once."""
        names = ["_seq", key, *(c for c in _ID_COLUMNS if c in table.column_names)]
        frame = pl.DataFrame(pl.from_arrow(table.select(names)))
        base = [pl.col("_seq"), pl.col(key).alias("_key")]
        parts = []
        if "source" in frame.columns and "source_record_id" in frame.columns:
            parts.append(
                frame.select(
                    *base, pl.col("source").alias("_kind"), pl.col("source_record_id").alias("_v")
                )
            )
        for column in ("user_id", "anonymous_id", "email", "phone"):
            if column in frame.columns:
                parts.append(
                    frame.select(*base, pl.lit(column).alias("_kind"), pl.col(column).alias("_v"))
                )
        if not parts:
            return set()
        pairs = pl.concat(parts).drop_nulls(["_kind", "_v"])
        bad = []
        for kind, value in pairs.select("_kind", "_v").unique().iter_rows():
            found = identifier(kind, value)
            if found is not None and self.hash(found) in hashes:
                bad.append((kind, value))
        if not bad:
            return set()
        hits = pairs.join(
            pl.DataFrame(bad, schema={"_kind": pl.String, "_v": pl.String}, orient="row"),
            on=["_kind", "_v"],
        )
        return set(hits.select("_seq", "_key").unique().iter_rows())


_ID_COLUMNS: Final = (
    "source",
    "source_record_id",
    "user_id",
    "anonymous_id",
    "email",
    "phone",
)
