"""`cdp privacy erase|export`, run as a real subprocess on a lakehouse filled by `cdp ingest`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CDP = str(Path(sys.executable).with_name("cdp"))


def cdp(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    cmd = [CDP, "--config", str(config), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cdp.yaml"
    path.write_text(
        "lakehouse: ./lh\n"
        "sources:\n"
        "  crm: {kind: crm, format: csv, record_id: Id,"
        " fields: {email: Email, last_name: LastName}}\n",
        encoding="utf-8",
    )
    (tmp_path / "people.csv").write_text(
        "Id,Email,LastName\n"
        "0039ANNA00000001,anna.erasable@example.org,Erasable\n"
        "0039BOB000000001,bob.keeper@example.org,Keeper\n",
        encoding="utf-8",
    )
    return path


def test_export_then_erase_then_nothing_is_left(config: Path, tmp_path: Path) -> None:
    ingested = cdp("ingest", "--source", "crm", str(tmp_path / "people.csv"), config=config)
    assert ingested.returncode == 0, ingested.stderr
    out = tmp_path / "anna.json"
    exported = cdp("privacy", "export", "email:Anna.Erasable@example.org", "--out", str(out),
                   config=config)  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [r["source_record_id"] for r in doc["identity_records"]["crm"]] == ["0039ANNA00000001"]
    assert "bob" not in out.read_text(encoding="utf-8").lower()

    erased = cdp("privacy", "erase", "crm:0039ANNA00000001", "--requested-by", "dpo", "--json",
                 config=config)  # fmt: skip
    assert erased.returncode == 0, erased.stderr
    report = json.loads(erased.stdout)
    assert report["status"] == "erased" and report["verified"] is True
    assert report["rows_deleted"]["identity_records"] == 1
    assert "anna" not in erased.stdout.lower()
    for path in (tmp_path / "lh").rglob("*"):
        if path.is_file():
            assert b"anna.erasable" not in path.read_bytes().lower(), path

    again = cdp("privacy", "export", "email:anna.erasable@example.org", config=config)
    assert again.returncode == 1
    assert len(again.stderr.strip().splitlines()) == 1 and "no data held" in again.stderr
    bob = cdp("privacy", "export", "crm:0039BOB000000001", config=config)
    assert bob.returncode == 0 and "bob.keeper@example.org" in bob.stdout


def test_bad_input_fails_with_one_line(config: Path) -> None:
    bad = cdp("privacy", "erase", "email:not-an-address", "--requested-by", "dpo", config=config)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert "not-an-address" not in bad.stderr  # errors name the problem, never the value
    missing = cdp("privacy", "erase", "email:a@example.org", config=config)
    assert missing.returncode != 0 and "--requested-by" in missing.stderr
    retention = cdp("privacy", "erase", "email:a@example.org", "--requested-by", "x",
                    "--retention", "later", config=config)  # fmt: skip
    assert retention.returncode == 1 and "immediate or deferred" in retention.stderr
