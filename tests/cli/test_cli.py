"""The `cdp` console command, run as a real subprocess from the project's virtual environment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from storage import TABLES, Lakehouse

CDP = str(Path(sys.executable).with_name("cdp"))


def cdp(
    *args: str, cwd: Path | None = None, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [CDP, *(["--config", str(config)] if config else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=300, check=False)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cdp.yaml"
    path.write_text(
        "lakehouse: ./lh\n"
        "sources:\n"
        "  crm: {kind: crm, format: csv, record_id: Id, fields: {email: Email}}\n",
        encoding="utf-8",
    )
    return path


def test_help_lists_every_command_of_the_contract() -> None:
    result = cdp("--help")
    assert result.returncode == 0
    for command in [
        "init", "generate", "ingest", "stream", "identity", "segments", "activate",
        "serve", "ui", "up", "demo", "bench",
    ]:  # fmt: skip
        assert f" {command} " in result.stdout, command
    identity = cdp("identity", "--help")
    assert "resolve" in identity.stdout and "explain" in identity.stdout
    assert "build" in cdp("segments", "--help").stdout


def test_version() -> None:
    result = cdp("--version")
    assert result.returncode == 0 and result.stdout.startswith("cdp ")


def test_init_creates_the_lakehouse(config: Path) -> None:
    result = cdp("init", config=config)
    assert result.returncode == 0, result.stderr
    lakehouse = Lakehouse(config.parent / "lh")
    assert all(lakehouse.exists(name) for name in TABLES)
    again = cdp("init", config=config)
    assert again.returncode == 0 and "exists" in again.stdout
    listing = cdp("tables", config=config)
    assert listing.returncode == 0 and "events" in listing.stdout


def test_config_from_environment(config: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [CDP, "init"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"CDP_CONFIG": str(config), "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert Lakehouse(config.parent / "lh").exists("events")


def test_bad_config_fails_with_one_line_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "cdp.yaml"
    bad.write_text("sources: {crm: {kind: crm, format: csv, record_id: Id, fields: {emial: E}}}\n")
    result = cdp("init", config=bad)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "sources.crm.fields.emial" in lines[0] and "unknown canonical field" in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_config_file(tmp_path: Path) -> None:
    result = cdp("init", config=tmp_path / "absent.yaml")
    assert result.returncode == 1
    assert "configuration file not found" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["segments", "build"],
        ["activate", "vip", "--destination", "newsletter_file"],
        ["ui"],
        ["up"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_commands_not_built_yet_say_so_and_fail(config: Path, args: list[str]) -> None:
    result = cdp(*args, config=config)
    assert result.returncode == 2
    assert "not available yet" in result.stderr and "arrives with" in result.stderr


def test_ingest_names_an_unknown_source(config: Path) -> None:
    result = cdp("ingest", "--source", "shop", "x.csv", config=config)
    assert result.returncode == 1
    assert "unknown source 'shop'; configured: crm" in result.stderr


def test_generate_writes_data_and_ground_truth(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    result = cdp("generate", "--out", str(out), "--people", "150", "--seed", "7")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7
    assert (out / "ground_truth.csv").stat().st_size > 0
    assert list((out / "crm").glob("*.csv")) and list((out / "erp").glob("*.csv"))
    refused = cdp("generate", "--out", str(out), "--people", "150")
    assert refused.returncode == 1 and "not empty" in refused.stderr


def test_demo_runs_on_the_embedded_default(tmp_path: Path) -> None:
    config = tmp_path / "cdp.yaml"
    config.write_text((Path(__file__).parents[2] / "cdp.yaml").read_text())
    result = cdp("demo", "--people", "200", config=config)
    assert result.returncode == 0, result.stderr
    lakehouse = Lakehouse(tmp_path / "lakehouse")
    assert lakehouse.exists("consent_ledger")
    assert (tmp_path / "data" / "demo-42" / "ground_truth.csv").exists()
    assert lakehouse.count("events") > 0 and lakehouse.count("identity_map") > 0
    assert "reconciled" in result.stdout and "NOT RECONCILED" not in result.stdout
    assert "precision" in result.stdout
    again = cdp("demo", "--people", "200", config=config)  # idempotent: nothing written twice
    assert again.returncode == 0, again.stderr
    assert Lakehouse(tmp_path / "lakehouse").count("events") == lakehouse.count("events")
    ledger = lakehouse.read("consent_ledger")
    assert ledger.height > 0 and ledger["idempotency_key"].n_unique() == ledger.height
    assert lakehouse.count("consent_state") > 0
    assert "consent_state" in again.stdout


def test_identity_resolve_explain_and_override(tmp_path: Path) -> None:
    config = tmp_path / "cdp.yaml"
    config.write_text((Path(__file__).parents[2] / "cdp.yaml").read_text())
    assert cdp("demo", "--people", "150", config=config).returncode == 0
    resolved = cdp("identity", "resolve", "--json", config=config)
    assert resolved.returncode == 0, resolved.stderr
    assert json.loads(resolved.stdout)["records"] > 0
    identity_map = Lakehouse(tmp_path / "lakehouse").read("identity_map")
    sizes = identity_map.group_by("customer_id").len().sort("len", descending=True)
    customer = sizes["customer_id"][0]
    assert sizes["len"][0] >= 2, "the demo data has duplicates to merge"
    members = identity_map.filter(identity_map["customer_id"] == customer)
    a, b = (f"{r['source']}:{r['source_record_id']}" for r in members.head(2).to_dicts())
    explained = cdp("identity", "explain", a, b, config=config)
    assert explained.returncode == 0, explained.stderr
    assert "match weight" in explained.stdout and "same customer now: yes" in explained.stdout
    unknown = cdp("identity", "explain", a, "crm:no-such-record", config=config)
    assert unknown.returncode == 1 and "unknown record" in unknown.stderr
    override = cdp("identity", "override", "never_merge", a, b, "--reason", "test", config=config)
    assert override.returncode == 0, override.stderr
    assert cdp("identity", "resolve", config=config).returncode == 0
    after = cdp("identity", "explain", a, b, config=config)
    assert "same customer now: no" in after.stdout
    assert (
        cdp("identity", "override", "split", a, b, "--reason", "x", config=config).returncode == 1
    )


def test_bench_lists_and_rejects_unknown_benchmarks() -> None:
    listing = cdp("bench")
    assert listing.returncode == 0 and listing.stdout.startswith("benchmarks:")
    unknown = cdp("bench", "no-such-bench")
    assert unknown.returncode == 1 and "unknown benchmark 'no-such-bench'" in unknown.stderr


@pytest.mark.integration
def test_serve_accepts_a_segment_event_and_lands_it(tmp_path: Path) -> None:
    import base64
    import socket
    import time

    import httpx

    from cdp.config import load_config
    from cdp.landing import landing_root, list_lanes, read_lane

    config = tmp_path / "cdp.yaml"
    config.write_text((Path(__file__).parents[2] / "cdp.yaml").read_text())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [CDP, "--config", str(config), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "cdp serve did not come up"
            time.sleep(0.2)
        auth = "Basic " + base64.b64encode(b"demo-write-key:").decode()
        body = {"userId": "u1", "event": "Signed Up", "messageId": "m-serve-1"}
        response = httpx.post(f"{url}/v1/track", json=body, headers={"Authorization": auth})
        assert response.status_code == 200 and response.json() == {"success": True}
        denied = httpx.post(f"{url}/v1/track", json=body, headers={"Authorization": "Basic eDo="})
        assert denied.status_code == 401 and denied.json()["code"] == "unauthorized"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    root = landing_root(load_config(config))
    entries = [e for lane in list_lanes(root) for _, e in read_lane(root, lane)]
    assert [e.route for e in entries] == ["track"]
    assert b"m-serve-1" in entries[0].payload and entries[0].source == "web"


@pytest.mark.integration
def test_ingest_generated_files_reconciles(tmp_path: Path) -> None:
    config = tmp_path / "cdp.yaml"
    config.write_text((Path(__file__).parents[2] / "cdp.yaml").read_text())
    data = tmp_path / "data"
    assert cdp("generate", "--out", str(data), "--people", "120", "--seed", "3").returncode == 0
    manifest = json.loads((data / "manifest.json").read_text())["counts"]
    crm = sorted(str(p) for p in (data / "crm").glob("*.csv"))
    result = cdp("ingest", "--source", "crm", *crm, "--json", config=config)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["reconciled"] is True
    assert report["inputs"] == manifest["crm_records"]
    web = sorted(str(p) for p in (data / "web").glob("*.jsonl"))
    web_report = json.loads(cdp("ingest", "-s", "web", *web, "--json", config=config).stdout)
    assert web_report["inputs"] == manifest["web_lines"]
    assert sum(web_report["quarantined"].values()) >= manifest["web_bad_lines"]
    again = cdp("ingest", "-s", "crm", *crm, config=config)
    assert again.returncode == 0, again.stderr
    assert "--reprocess reads them again" in again.stdout  # a rerun writes nothing twice
    assert "events written             │ 0" in again.stdout
    # --reprocess reads them again, as new inputs: nothing new under the same configuration,
    # and once per configuration
    first = json.loads(
        cdp("ingest", "-s", "crm", *crm, "--reprocess", "--json", config=config).stdout
    )
    assert (first["inputs"], first["events"], first["skipped"]) == (report["inputs"], 0, 0)
    assert first["duplicates"] == report["events"]
    assert first["quarantined"] == report["quarantined"]
    assert first["rows"]["raw_events"] == report["inputs"]  # received again, as new inputs
    second = json.loads(
        cdp("ingest", "-s", "crm", *crm, "--reprocess", "--json", config=config).stdout
    )
    assert second["events"] == 0 and not second["rows"].get("raw_events")  # nothing again
    lakehouse = Lakehouse(tmp_path / "lakehouse")
    assert lakehouse.count("events") == report["events"] + web_report["events"]
