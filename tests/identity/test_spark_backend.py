"""The Spark backend (Splink's ``SparkAPI``, pyspark local mode) against the DuckDB one.

One Spark session serves the whole module (the JVM start costs more than a small run); the
resolutions borrow it. A small generated set (three sources) is resolved on both backends.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from identity_helpers import frame, person

from cdp.config import ConfigError, Settings, parse_config
from cdp.synth import GenerateOptions, generate
from identity import (
    IdentityError,
    InvalidSettingsError,
    Resolution,
    ResolveSettings,
    SparkSettings,
    explain,
    pairwise_scores,
    resolve,
    spark_session,
)
from identity._splink import _as_stored, default_model, model_for_dialect
from identity._testing import GeneratedData, load_generated

# -- configuration (fast, no Spark) --------------------------------------------------------


def test_config_selects_the_backend_and_the_session() -> None:
    config = parse_config(
        {
            "identity": {
                "backend": "spark",
                "spark": {
                    "master": "local[1]",
                    "shuffle_partitions": 3,
                    "conf": {"spark.driver.memory": "2g", "spark.sql.ansi.enabled": False},
                },
            }
        }
    )
    settings = ResolveSettings.from_settings(config, match_weight=4.0)
    assert settings.backend == "spark"
    assert settings.match_weight == 4.0
    assert settings.spark.master == "local[1]"
    assert settings.spark.shuffle_partitions == 3
    assert dict(settings.spark.conf) == {
        "spark.driver.memory": "2g",
        "spark.sql.ansi.enabled": "false",
    }
    assert ResolveSettings.from_settings(parse_config({})).backend == "duckdb"


@pytest.mark.parametrize(
    ("identity", "key"),
    [
        ({"backend": "sparkk"}, "identity.backend"),
        ({"spark": {"mastr": "local[2]"}}, "identity.spark.mastr"),
        ({"spark": {"shuffle_partitions": 0}}, "identity.spark.shuffle_partitions"),
        ({"spark": {"break_lineage": "parquet"}}, "identity.spark.checkpoint_dir"),
        ({"spark": {"conf": {"spark.jars": ["a.jar"]}}}, "identity.spark.conf.spark.jars"),
    ],
)
def test_config_errors_name_the_key(identity: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"identity": identity})
    assert info.value.key_path == key


def test_settings_are_validated() -> None:
    with pytest.raises(InvalidSettingsError, match="backend"):
        ResolveSettings(backend="sqlite")  # type: ignore[arg-type]
    with pytest.raises(InvalidSettingsError, match="checkpoint_dir"):
        SparkSettings(break_lineage="checkpoint")
    with pytest.raises(InvalidSettingsError, match="shuffle_partitions"):
        SparkSettings(shuffle_partitions=0)


def test_the_model_is_written_for_spark() -> None:
    """Every condition and blocking rule parses as Spark SQL, with the JAR's functions."""
    import sqlglot

    model = default_model(1_000)
    spark = model_for_dialect(model, "spark")
    conditions = [
        level["sql_condition"]
        for comparison in spark["comparisons"]
        for level in comparison["comparison_levels"]
        if level["sql_condition"] != "ELSE"
    ]
    rules = [r["blocking_rule"] for r in spark["blocking_rules_to_generate_predictions"]]
    assert {r["sql_dialect"] for r in spark["blocking_rules_to_generate_predictions"]} == {"spark"}
    for sql in conditions + rules:
        sqlglot.parse_one(sql, read="spark")
        assert '"' not in sql  # a double-quoted name is a string literal in Spark SQL
    text = " ".join(conditions).lower()
    assert "jaro_winkler(" in text and "jaro_winkler_similarity" not in text
    assert "damerau_levenshtein(" in text
    assert "regexp_extract(" in text and "'[0-9]+$', 0)" in text  # Spark's default group is 1
    assert model_for_dialect(model, "duckdb") is model
    assert model["comparisons"] != spark["comparisons"]  # the stored model is not touched


def test_a_model_trained_on_spark_is_saved_in_duckdb_sql() -> None:
    """Splink saves a Spark linker's model in Spark SQL; the parameters are kept and the
    conditions put back, so a stored model reads the same on either backend."""
    model = default_model(1_000)
    saved = model_for_dialect(model, "spark")
    saved["sql_dialect"] = "spark"
    level = saved["comparisons"][0]["comparison_levels"][1]
    level["m_probability"], level["u_probability"] = 0.7, 0.02
    stored = _as_stored(saved, model)
    assert stored["sql_dialect"] == "duckdb"
    assert stored["comparisons"][0]["comparison_levels"][1]["m_probability"] == 0.7
    conditions = [
        [level["sql_condition"] for level in c["comparison_levels"]] for c in stored["comparisons"]
    ]
    assert conditions == [
        [level["sql_condition"] for level in c["comparison_levels"]] for c in model["comparisons"]
    ]
    rules = stored["blocking_rules_to_generate_predictions"]
    assert rules == model["blocking_rules_to_generate_predictions"]
    saved["comparisons"][0]["comparison_levels"].pop()
    with pytest.raises(IdentityError, match="levels"):
        _as_stored(saved, model)


# -- on Spark (slow: a JVM, several Spark jobs) --------------------------------------------


def _needs_spark() -> None:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("the Spark backend needs a Java runtime (java on PATH)")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    _needs_spark()
    from pyspark.sql import SparkSession

    assert SparkSession.getActiveSession() is None
    stray = Path.cwd() / "spark-warehouse"
    stray_before = stray.exists()
    with spark_session(SparkSettings(master="local[2]", shuffle_partitions=2)) as session:
        warehouse = Path(session.conf.get("spark.sql.warehouse.dir").removeprefix("file:"))
        assert warehouse.name.startswith("cdp-spark-warehouse-")
        assert not warehouse.is_relative_to(Path.cwd())
        yield session
        session.sql("SHOW TABLES").collect()  # Spark has made its warehouse folder by now
    assert SparkSession.getActiveSession() is None  # the session we started is stopped
    assert not warehouse.exists()  # the session's own warehouse folder is removed
    assert stray.exists() == stray_before  # none made in the working directory


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, sample_settings: Settings) -> GeneratedData:
    """~200 people, ~250 identity records from CRM, ERP and web."""
    out: Path = tmp_path_factory.mktemp("spark") / "data"
    generate(out, GenerateOptions(people=200, seed=7))
    return load_generated(out, sample_settings)


@pytest.fixture(scope="module")
def on_duckdb(small: GeneratedData) -> Resolution:
    return resolve(small.records, aliases=small.aliases, run_id="duckdb")


@pytest.fixture(scope="module")
def on_spark(small: GeneratedData, spark: Any) -> Resolution:
    settings = ResolveSettings(backend="spark")
    return resolve(small.records, aliases=small.aliases, settings=settings, run_id="spark")


def _map(res: Resolution) -> dict[tuple[str, str], str]:
    rows = res.identity_map.select("source", "source_record_id", "customer_id").iter_rows()
    return {(s, r): c for s, r, c in rows}


def _links(res: Resolution) -> pl.DataFrame:
    return res.links.select(
        "left_source",
        "left_record_id",
        "right_source",
        "right_record_id",
        "decision",
        "veto_reason",
        "evidence",
        "match_weight",
        "weights",
    ).sort("left_source", "left_record_id", "right_source", "right_record_id")


@pytest.mark.slow
def test_spark_resolves_like_duckdb(
    small: GeneratedData, on_duckdb: Resolution, on_spark: Resolution
) -> None:
    assert on_spark.stats["backend"] == "spark" and on_duckdb.stats["backend"] == "duckdb"
    assert {s for s, _ in _map(on_spark)} == {"crm", "erp", "web"}
    assert _map(on_spark) == _map(on_duckdb)  # same clusters, same stable ids
    spark_links, duck_links = _links(on_spark), _links(on_duckdb)
    assert spark_links.height == duck_links.height > 0
    assert spark_links.drop("match_weight").equals(duck_links.drop("match_weight"))
    gap = (spark_links.get_column("match_weight") - duck_links.get_column("match_weight")).abs()
    assert float(gap.max() or 0.0) < 1e-6  # type: ignore[arg-type]
    scores = pairwise_scores(on_spark.identity_map, small.truth)
    assert scores["precision"] >= 0.98 and scores["f1"] >= 0.85, scores
    assert scores == pairwise_scores(on_duckdb.identity_map, small.truth)


@pytest.mark.slow
def test_spark_model_is_stored_in_duckdb_sql(on_spark: Resolution, small: GeneratedData) -> None:
    """The saved model reads the same on either backend (stored models are reused)."""
    assert on_spark.model_json is not None
    saved = json.loads(on_spark.model_json)
    shipped = default_model(2)
    assert [
        [level["sql_condition"] for level in c["comparison_levels"]] for c in saved["comparisons"]
    ] == [
        [level["sql_condition"] for level in c["comparison_levels"]] for c in shipped["comparisons"]
    ]
    rules = saved["blocking_rules_to_generate_predictions"]
    assert rules == shipped["blocking_rules_to_generate_predictions"]
    again = resolve(
        small.records,
        aliases=small.aliases,
        settings=ResolveSettings(model_json=on_spark.model_json),
    )
    assert _map(again) == _map(on_spark)


@pytest.mark.slow
def test_spark_keeps_ids_when_records_are_added(
    small: GeneratedData, on_spark: Resolution, spark: Any
) -> None:
    zoe = {"first_name": "Zoë", "last_name": "Quartermaine", "email": "zq@example.org"}
    newcomers = frame(person("crm", "new-1", **zoe), person("crm", "new-2", **zoe))
    records = pl.concat([small.records, newcomers], how="diagonal_relaxed")
    settings = ResolveSettings(backend="spark")
    later = resolve(
        records,
        aliases=small.aliases,
        previous=on_spark.identity_map,
        settings=settings,
        run_id="later",
    )
    before, after = _map(on_spark), _map(later)
    assert {k: after[k] for k in before} == before  # every existing record keeps its id
    assert later.merges.height == 0
    assert after[("crm", "new-1")] == after[("crm", "new-2")]  # same e-mail: one customer
    assert after[("crm", "new-1")] not in set(before.values())


@pytest.mark.slow
def test_explain_on_spark(
    small: GeneratedData, on_spark: Resolution, on_duckdb: Resolution, spark: Any
) -> None:
    assert on_spark.model_json is not None
    match = (
        on_spark.links.filter((pl.col("decision") == "match") & pl.col("weights").is_not_null())
        .sort("match_weight", "left_record_id")
        .row(0, named=True)
    )
    a = (match["left_source"], match["left_record_id"])
    b = (match["right_source"], match["right_record_id"])
    views_before = {t.name for t in spark.catalog.listTables() if t.isTemporary}
    on_engine = explain(
        a, b, small.records, on_spark.model_json, backend="spark", spark=SparkSettings()
    )
    views_after = {t.name for t in spark.catalog.listTables() if t.isTemporary}
    assert views_after == views_before  # the shared session is left as it was found
    from pyspark.sql import SparkSession

    assert SparkSession.getActiveSession() is spark  # borrowed: still running
    in_process = explain(a, b, small.records, on_duckdb.model_json or "")
    assert on_engine.weights == json.loads(match["weights"])
    assert on_engine.weights == pytest.approx(in_process.weights, abs=1e-9)
    assert on_engine.match_weight == pytest.approx(match["match_weight"], abs=1e-6)
    assert on_engine.veto is None
