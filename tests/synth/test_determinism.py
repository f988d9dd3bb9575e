"""Same seed and options -> the same bytes; another seed -> other data; no hash-seed dependence."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from cdp.synth import GenerateOptions, generate


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    options = GenerateOptions(people=400, seed=5, chunk_rows=700)
    a = generate(tmp_path / "a", options)
    b = generate(tmp_path / "b", options)
    ha, hb = _hashes(a.out_dir), _hashes(b.out_dir)
    assert ha == hb
    assert len(ha) >= 6  # crm, erp, web, consent, ground truth, manifest
    assert a.counts == b.counts


def test_manifest_hashes_are_the_hashes_of_the_files(tmp_path: Path) -> None:
    import json

    report = generate(tmp_path / "a", GenerateOptions(people=200, seed=1, chunk_rows=500))
    manifest = json.loads((report.out_dir / "manifest.json").read_text())
    actual = _hashes(report.out_dir)
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert listed == {k: v for k, v in actual.items() if k != "manifest.json"}


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", GenerateOptions(people=300, seed=1))
    b = generate(tmp_path / "b", GenerateOptions(people=300, seed=2))
    ha, hb = _hashes(a.out_dir), _hashes(b.out_dir)
    for name in (
        "crm/contacts-00000.csv",
        "erp/customers-00000.csv",
        "web/events-00000.jsonl",
        "consent/statements-00000.jsonl",
        "ground_truth.csv",
    ):
        assert ha[name] != hb[name], name


def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from cdp.synth import GenerateOptions, generate; "
        "generate(Path(sys.argv[1]), GenerateOptions(people=250, seed=9, chunk_rows=400))"
    )
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / hash_seed)], check=True, env=env)
    assert _hashes(tmp_path / "1") == _hashes(tmp_path / "2")


def test_more_web_events_leave_crm_and_erp_unchanged(tmp_path: Path) -> None:
    """Sources draw from separate streams: ingest benchmarks can scale events alone."""
    few = generate(tmp_path / "few", GenerateOptions(people=300, seed=3, events_per_web_user=3))
    many = generate(tmp_path / "many", GenerateOptions(people=300, seed=3, events_per_web_user=40))
    hf, hm = _hashes(few.out_dir), _hashes(many.out_dir)
    assert hf["crm/contacts-00000.csv"] == hm["crm/contacts-00000.csv"]
    assert hf["erp/customers-00000.csv"] == hm["erp/customers-00000.csv"]
    assert many.counts["web_events"] > 5 * few.counts["web_events"]


def test_rerun_into_the_same_folder_replaces_stale_chunks(tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(out, GenerateOptions(people=300, seed=1, chunk_rows=100))
    assert (out / "crm" / "contacts-00001.csv").exists()
    (out / "notes.txt").write_text("keep me")
    report = generate(out, GenerateOptions(people=300, seed=1, chunk_rows=100_000))
    assert sorted(p.name for p in (out / "crm").iterdir()) == ["contacts-00000.csv"]
    assert (out / "notes.txt").read_text() == "keep me"
    assert set(report.files) == {p for p in out.rglob("*") if p.is_file()} - {out / "notes.txt"}
