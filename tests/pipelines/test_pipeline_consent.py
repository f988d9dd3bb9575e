"""The consent engine in the dataflows: ledger once, current state, bad signals, cdp ingest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import polars as pl
from consent_flow_helpers import consent_message, winners
from pipeline_helpers import streaming, wait_for

from cdp.config import Settings, load_config, parse_config
from cdp.ingest import IngestOptions, process_message
from cdp.landing import LandingEntry, LandingLog, landing_root
from cdp.models import parse_consent_statement
from cdp.synth import GenerateOptions, generate
from pipelines.ingest import run_ingest
from storage import Lakehouse

_ROOT = Path(__file__).resolve().parents[2]


def _state(lake: Lakehouse) -> dict[tuple[str, str], tuple[str, str]]:
    frame = lake.read("consent_state")
    return {
        (r["subject_hash"], r["purpose"]): (r["status"], r["consent_id"])
        for r in frame.iter_rows(named=True)
    }


def _expected_keys(settings: Settings, messages: list[dict[str, object]]) -> set[str]:
    keys: set[str] = set()
    for msg in messages:
        outcome = process_message(settings, "web", msg)
        keys.update(r["idempotency_key"] for r in outcome.rows("consent_ledger"))
    return keys


def test_stream_writes_ledger_once_and_current_state(settings: Settings) -> None:
    lake = Lakehouse.from_settings(settings)
    messages = [consent_message(i) for i in range(40)]
    with LandingLog(landing_root(settings), segment_bytes=4096) as log:
        for msg in messages[:20]:
            log.append_sync(
                LandingEntry.create(source="web", route="track", payload=orjson.dumps(msg))
            )
        # the same statements again, in a batch: no new ledger rows
        again = orjson.dumps(
            {"batch": [{**m, "messageId": f"again-{m['messageId']}"} for m in messages[:20]]}
        )
        log.append_sync(LandingEntry.create(source="web", route="batch", payload=again))
        bad = {**consent_message(99), "context": {"consent": {"tcfString": "!!not-tcf!!"}}}
        log.append_sync(LandingEntry.create(source="web", route="track", payload=orjson.dumps(bad)))
        with streaming(settings):
            expected = _expected_keys(settings, messages[:20])
            wait_for(lambda: lake.count("consent_ledger") >= len(expected))
            wait_for(lambda: lake.count("quarantine") >= 1)
            # later statements (a withdrawal among them) change the current state
            for msg in messages[20:]:
                log.append_sync(
                    LandingEntry.create(source="web", route="track", payload=orjson.dumps(msg))
                )
            expected = _expected_keys(settings, messages)
            wait_for(lambda: lake.count("consent_ledger") >= len(expected))
            wait_for(lambda: _state(lake) == winners(lake.read("consent_ledger")))
    ledger = lake.read("consent_ledger")
    assert ledger["idempotency_key"].n_unique() == ledger.height
    assert set(ledger["idempotency_key"]) == expected
    assert _state(lake) == winners(ledger)
    assert {s for s, _ in _state(lake).values()} == {"granted", "denied"}
    quarantine = lake.read("quarantine")
    (row,) = quarantine.filter(pl.col("error_type") == "bad_consent").rows(named=True)
    assert row["stage"] == "consent"
    assert "c99" in set(lake.read("events")["event_id"])  # the event itself is kept
    assert not ledger.filter(pl.col("method") == "tcf").height  # and it granted nothing


def test_a_withdrawal_through_the_stream_replaces_the_grant(settings: Settings) -> None:
    lake = Lakehouse.from_settings(settings)
    grant = {
        **consent_message(1, second=10),
        "context": {"consent": {"categoryPreferences": {"Advertising": True}}},
    }
    withdraw = {
        **consent_message(2, second=20),
        "userId": grant["userId"],
        "context": {"consent": {"categoryPreferences": {"Advertising": False}}},
    }
    with LandingLog(landing_root(settings)) as log, streaming(settings):
        log.append_sync(
            LandingEntry.create(source="web", route="track", payload=orjson.dumps(grant))
        )
        wait_for(lambda: {s for s, _ in _state(lake).values()} == {"granted"})
        log.append_sync(
            LandingEntry.create(source="web", route="track", payload=orjson.dumps(withdraw))
        )
        wait_for(lambda: {s for s, _ in _state(lake).values()} == {"denied"}, timeout=30)
        # a late-arriving older grant does not undo the newer refusal
        late = {**grant, "messageId": "late", "timestamp": "2026-03-01T00:00:15.000Z"}
        log.append_sync(
            LandingEntry.create(source="web", route="track", payload=orjson.dumps(late))
        )
        wait_for(lambda: lake.count("consent_ledger") == 3)
    assert {s for s, _ in _state(lake).values()} == {"denied"}


def test_batch_ingest_runs_the_engine_and_a_rerun_adds_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "consent.jsonl"
    messages = [consent_message(i, subjects=5) for i in range(60)]
    path.write_bytes(b"\n".join(orjson.dumps(m) for m in messages) + b"\n")
    report = run_ingest(settings, "web", [path], recovery=False)
    lake = Lakehouse.from_settings(settings)
    ledger = lake.read("consent_ledger")
    assert set(ledger["idempotency_key"]) == _expected_keys(settings, messages)
    assert report.rows["consent_ledger"] == ledger.height
    assert _state(lake) == winners(ledger)
    run_ingest(settings, "web", [path], recovery=False, flow_id="another-flow")
    assert lake.count("consent_ledger") == ledger.height  # deduplicated by idempotency key
    assert _state(lake) == winners(ledger)


#: ``python -c`` of a process killed (SIGKILL) right after its consent ledger's commit, as its
#: consent state's merge begins: ``argv`` config, file
_KILLED_BETWEEN_THE_COMMITS = """
import os, signal, sys
from pathlib import Path
from cdp.config import load_config
from pipelines.ingest import run_ingest
from storage import Lakehouse

upsert = Lakehouse.upsert

def upsert_or_die(self, name, *args, **kwargs):
    if name == "consent_state":
        os.kill(os.getpid(), signal.SIGKILL)
    return upsert(self, name, *args, **kwargs)

Lakehouse.upsert = upsert_or_die
run_ingest(load_config(Path(sys.argv[1])), "web", [Path(sys.argv[2])], recovery=False)
"""


def test_a_replay_merges_the_state_a_kill_between_the_commits_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "cdp"
    folder.mkdir()
    config = folder / "cdp.yaml"
    text = (_ROOT / "cdp.yaml").read_text(encoding="utf-8")
    config.write_text(text.replace("lakehouse: ./lakehouse", "lakehouse: ./lh", 1), "utf-8")
    settings = load_config(config)
    path = tmp_path / "consent.jsonl"
    messages = [consent_message(i, subjects=7) for i in range(80)]
    path.write_bytes(b"\n".join(orjson.dumps(m) for m in messages) + b"\n")
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_BETWEEN_THE_COMMITS, str(config), str(path)],
        cwd=_ROOT,
        env={**os.environ, "PYTHONPATH": str(_ROOT)},
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    lake = Lakehouse.from_settings(settings)
    committed = lake.count("consent_ledger")  # (a partition's: the other never committed)
    assert committed > 0 and lake.count("consent_state") == 0
    run_ingest(settings, "web", [path], recovery=False)  # the same flow replays the file
    ledger = lake.read("consent_ledger")
    assert set(ledger["idempotency_key"]) == _expected_keys(settings, messages)
    assert ledger["idempotency_key"].n_unique() == ledger.height  # none appended twice
    assert _state(lake) == winners(ledger)  # the committed partition's statements too
    state_version = lake.version("consent_state")
    again = run_ingest(settings, "web", [path], recovery=False)
    assert again.commits == 0 and lake.version("consent_state") == state_version


def _with_consent_source(settings: Settings) -> Settings:
    data = settings.model_dump(mode="json")
    data["sources"]["prefs"] = {"kind": "consent", "format": "jsonl"}
    return parse_config(data, base_dir=settings.base_dir)


def test_a_consent_source_ingests_statements(settings: Settings, tmp_path: Path) -> None:
    settings = _with_consent_source(settings)
    data = tmp_path / "data"
    generate(data, GenerateOptions(people=40, seed=5))
    files = sorted((data / "consent").glob("*.jsonl"))
    lines = [line for f in files for line in f.read_bytes().splitlines() if line.strip()]
    bad = [
        b'{"subject": "email:nobody@example.com", "purpose": "telepathy", "status": "granted",'
        b' "captured_at": "2026-01-01T00:00:00Z"}',
        b'{"subject": "crm:123", "purpose": "analytics", "status": "granted"}',  # no time
        b"not json",
    ]
    path = tmp_path / "statements.jsonl"
    path.write_bytes(b"\n".join([*lines, lines[0], *bad]) + b"\n")
    report = run_ingest(settings, "prefs", [path], recovery=False)
    assert report.reconciled
    assert (report.events, report.duplicates) == (len(lines), 1)
    assert report.quarantined == {"bad_consent": 1, "schema": 1, "bad_json": 1}
    lake = Lakehouse.from_settings(settings)
    ledger = lake.read("consent_ledger")
    want = {parse_consent_statement(orjson.loads(line)).idempotency_key for line in lines}
    assert set(ledger["idempotency_key"]) == want
    assert ledger.height == len(want)
    assert ledger.filter(pl.col("channel").is_null()).height == 0
    assert _state(lake) == winners(ledger)
    run_ingest(settings, "prefs", [path], recovery=False, flow_id="again")
    assert lake.count("consent_ledger") == ledger.height


def test_statements_landed_for_a_consent_source(settings: Settings) -> None:
    settings = _with_consent_source(settings)
    lake = Lakehouse.from_settings(settings)
    statement = {
        "subject": "email:Ann@Example.com",
        "purpose": "email_marketing",
        "status": "withdrawn",
        "captured_at": "2026-02-01T08:00:00Z",
        "method": "preference_center",
    }
    with LandingLog(landing_root(settings)) as log, streaming(settings):
        log.append_sync(
            LandingEntry.create(source="prefs", route="consent", payload=orjson.dumps(statement))
        )
        wait_for(lambda: lake.count("consent_state") == 1)
    (row,) = lake.read("consent_ledger").rows(named=True)
    assert (row["subject_type"], row["subject_value"]) == ("email", "ann@example.com")
    assert (row["status"], row["source"], row["channel"]) == ("withdrawn", "prefs", "email")
    assert {s for s, _ in _state(lake).values()} == {"withdrawn"}


def test_three_sink_partitions_and_a_statement_repeated_across_files(
    settings: Settings, tmp_path: Path
) -> None:
    # many subjects over three partitions; the second file restates some choices of the first
    # (other message ids, same statements) and adds new ones in the same chunks
    first = [consent_message(i, subjects=31) for i in range(90)]
    again = [{**m, "messageId": f"again-{m['messageId']}"} for m in first[::7]]
    second = again + [consent_message(i, subjects=31) for i in range(90, 150)]
    paths = []
    for name, messages in (("a", first), ("b", second)):
        path = tmp_path / f"{name}.jsonl"
        path.write_bytes(b"\n".join(orjson.dumps(m) for m in messages) + b"\n")
        paths.append(path)
    options = IngestOptions(consent_partitions=3, chunk_rows=25)
    report = run_ingest(settings, "web", paths, recovery=False, options=options)
    lake = Lakehouse.from_settings(settings)
    ledger = lake.read("consent_ledger")
    assert ledger["idempotency_key"].n_unique() == ledger.height
    assert set(ledger["idempotency_key"]) == _expected_keys(settings, first + second)
    assert report.rows["consent_ledger"] == ledger.height
    state = _state(lake)
    assert state == winners(ledger)
    assert len(state) == 31 * 2  # every subject, advertising and analytics
