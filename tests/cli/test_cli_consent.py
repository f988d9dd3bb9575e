"""`cdp consent …` and `cdp audit …`, run as real subprocesses over a real lakehouse."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cdp.config import load_config
from consent import ActivationLog, ConsentStore
from consent.gate import Decision
from storage import Lakehouse

CDP = str(Path(sys.executable).with_name("cdp"))
JANE = "email:jane@example.com"
NOW = datetime.now(UTC).replace(microsecond=0)


def cdp(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [CDP, "--config", str(config), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Lakehouse, list[str]]:
    config = tmp_path / "cdp.yaml"
    config.write_text(
        "lakehouse: ./lh\n"
        "purposes:\n"
        "  email_marketing: {channel: email, direct_marketing: true,"
        " legal_basis: {default: consent}}\n",
        encoding="utf-8",
    )
    settings = load_config(config)
    lakehouse = Lakehouse.from_settings(settings)
    lakehouse.init()
    store = ConsentStore(lakehouse, settings)
    statement = {"subject": JANE, "purpose": "email_marketing", "source": "api"}
    [grant] = store.record(
        [{**statement, "status": "granted", "captured_at": NOW - timedelta(hours=3)}]
    )
    log = ActivationLog(lakehouse)
    log.record([store.decide(JANE, "email_marketing")], activation_type="profile_read")
    # Said an hour ago, learnt only now: the activation above meets a late-arriving withdrawal.
    [withdrawal] = store.record(
        [{**statement, "status": "withdrawn", "captured_at": NOW - timedelta(hours=1)}]
    )
    wrong = Decision(True, ("CONSENT_GRANTED",), (), {}, "email_marketing", JANE, datetime.now(UTC))
    log.record([wrong], activation_type="stream_forward")  # an engine fault, on purpose
    ids = [grant, withdrawal]
    return config, lakehouse, ids


def test_consent_decide_and_history(setup: tuple[Path, Lakehouse, list[str]]) -> None:
    config, _, (grant, withdrawal) = setup
    now = cdp(config, "consent", "decide", JANE, "email_marketing", "--json")
    assert now.returncode == 0, now.stderr
    assert json.loads(now.stdout)["reasons"] == ["WITHDRAWN"]
    two_hours_ago = (NOW - timedelta(hours=2)).isoformat()
    past = cdp(
        config, "consent", "decide", JANE, "email_marketing", "--at", two_hours_ago, "--json"
    )
    assert json.loads(past.stdout)["evidence"] == [grant]
    history = cdp(config, "consent", "history", JANE, "--json")
    assert history.returncode == 0, history.stderr
    rows = json.loads(history.stdout)
    assert [r["consent_id"] for r in rows] == [grant, withdrawal]
    assert "jane@example.com" not in history.stdout  # the subject as a keyed hash only
    assert cdp(config, "consent", "history", JANE).returncode == 0
    bad = cdp(config, "consent", "decide", "nocolon", "email_marketing")
    assert bad.returncode == 1 and "identifier" in bad.stderr


def test_audit_violations_lineage_and_replay(setup: tuple[Path, Lakehouse, list[str]]) -> None:
    config, lakehouse, (_, withdrawal) = setup
    found = cdp(config, "audit", "violations", "--json")
    assert found.returncode == 1  # the planted wrong activation is an engine fault
    payload = json.loads(found.stdout)
    assert payload["checked"] == 2 and len(payload["engine_faults"]) == 1
    assert [v["replay_evidence_ids"] for v in payload["late_withdrawals"]] == [[withdrawal]]
    text = cdp(config, "audit", "violations")
    assert text.returncode == 1 and "engine faults: 1" in text.stdout
    none = cdp(config, "audit", "violations", "--since", "2100-01-01T00:00:00Z")
    assert none.returncode == 0 and "engine faults: none" in none.stdout
    first = lakehouse.read("activation_log").sort("decided_at")["activation_id"][0]
    lineage = cdp(config, "audit", "lineage", first, "--json")
    assert lineage.returncode == 0, lineage.stderr
    assert json.loads(lineage.stdout)["consistent"] is True
    assert cdp(config, "audit", "lineage", "missing").returncode == 1
    now = datetime.now(UTC).isoformat()
    replay = cdp(config, "audit", "replay", JANE, "email_marketing", "--valid-at", now, "--json")
    assert json.loads(replay.stdout)["evidence"] == [withdrawal]
    then = cdp(config, "audit", "replay", JANE, "email_marketing", "--valid-at", now,
               "--known-at", (NOW - timedelta(days=1)).isoformat(), "--json")  # fmt: skip
    assert json.loads(then.stdout)["reasons"] == ["NO_CONSENT"]
