"""A 20k-people run: record volumes per 1,000 people stay where the benchmarks expect them."""

from __future__ import annotations

from pathlib import Path

from cdp.synth import GenerateOptions, generate


def test_twenty_thousand_people(tmp_path: Path) -> None:
    report = generate(tmp_path / "big", GenerateOptions(people=20_000, seed=42))
    c = report.counts
    per_k = {k: v / 20 for k, v in c.items()}
    # Defaults documented in the report: ~630 CRM, ~355 ERP, ~850 web identities per 1,000 people.
    assert 580 < per_k["crm_records"] < 680
    assert 320 < per_k["erp_records"] < 390
    assert 700 < per_k["web_identities"] < 1_000
    assert 1_600 < per_k["ground_truth_rows"] < 2_100
    assert 8_000 < per_k["web_lines"] < 12_000
    assert c["twin_pairs"] > 100 and c["namesakes"] > 300 and c["juniors"] > 0
    truth = (tmp_path / "big" / "ground_truth.csv").read_text().splitlines()
    assert len(truth) - 1 == c["ground_truth_rows"]
    assert len({line.split(",")[2] for line in truth[1:]}) == c["people_with_records"]
