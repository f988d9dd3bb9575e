"""The Splink facade: model definition, guarded training, scoring. Nothing else imports Splink.

The model compares the prepared features of :mod:`identity._prepare` (``unique_id`` is the
record's ``uid``). It ships with default m/u parameters so that a fresh install with little
data scores sensibly; with enough data u is estimated by random sampling and m by EM, each step
guarded: a failing estimate (Splink raises on degenerate blocks, e.g. an m probability of 0)
keeps the previous values and is logged.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from identity._prepare import FEATURE_COLUMNS
from identity._vetoes import VETO_RULES, veto_sql
from identity.errors import IdentityError
from identity.settings import Backend, SparkSettings

__all__ = ["COMPARISON_NAMES", "SplinkScorer", "default_model", "empty_scored", "model_for_dialect"]

logger = logging.getLogger(__name__)

_SPLINK_COLUMNS: Final = ("unique_id", *FEATURE_COLUMNS)


def _level(sql: str, label: str, m: float, u: float, **extra: Any) -> dict[str, Any]:
    return {
        "sql_condition": sql,
        "label_for_charts": label,
        "m_probability": m,
        "u_probability": u,
        **extra,
    }


def _null(col: str) -> dict[str, Any]:
    return {
        "sql_condition": f'"{col}_l" IS NULL OR "{col}_r" IS NULL',
        "label_for_charts": "null",
        "is_null_level": True,
    }


def _cmp(name: str, col: str, levels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "output_column_name": name,
        "comparison_description": name,
        "comparison_levels": [_null(col), *levels],
    }


def _jw(col: str, t: float) -> str:
    return f'jaro_winkler_similarity("{col}_l", "{col}_r") >= {t}'


def _in_email(col: str, name_side: str, email_side: str) -> str:
    """The e-mail of a record that lacks ``col`` holds the other record's ``col``."""
    name = f"replace(replace(\"{col}_{name_side}\", ' ', ''), '-', '')"
    return (
        f'("{col}_{email_side}" IS NULL AND length("{col}_{name_side}") >= 3 '
        f'AND contains("email_local_{email_side}", {name}))'
    )


def _year_in_email(dob_side: str, email_side: str) -> str:
    """``email_local`` ends in the other record's birth year (``…1997`` or ``…97``)."""
    local, dob = f'"email_local_{email_side}"', f'"dob_{dob_side}"'
    return f"(regexp_extract({local}, '[0-9]+$') IN (left({dob}, 4), substr({dob}, 3, 2)))"


def _comparisons() -> list[dict[str, Any]]:
    tf: dict[str, Any] = {"tf_adjustment_column": "fn", "tf_adjustment_weight": 1.0}
    tf_ln: dict[str, Any] = {"tf_adjustment_column": "ln", "tf_adjustment_weight": 1.0}
    return [
        _cmp(
            "first_name",
            "fn",
            [
                _level('"fn_l" = "fn_r"', "exact", 0.80, 0.01, **tf),
                _level(
                    '"fc_l" = "fc_r" OR ("fn_l" = "ln_r" AND "ln_l" = "fn_r")',
                    "nickname or swapped",
                    0.08,
                    0.002,
                ),
                _level(_jw("fn", 0.92), "jaro-winkler >= 0.92", 0.06, 0.005),
                _level(_jw("fn", 0.80), "jaro-winkler >= 0.80", 0.03, 0.03),
                _level("ELSE", "different", 0.03, 0.953),
            ],
        ),
        _cmp(
            "last_name",
            "ln",
            [
                _level('"ln_l" = "ln_r"', "exact", 0.85, 0.005, **tf_ln),
                _level('"ln_l" = "fn_r" AND "fn_l" = "ln_r"', "swapped", 0.03, 0.0005),
                _level(_jw("ln", 0.92), "jaro-winkler >= 0.92", 0.07, 0.002),
                _level(_jw("ln", 0.80), "jaro-winkler >= 0.80", 0.03, 0.02),
                _level("ELSE", "different", 0.02, 0.9725),
            ],
        ),
        _cmp(
            "birth_date",
            "dob",
            [
                _level('"dob_l" = "dob_r"', "exact", 0.90, 0.0001),
                _level('damerau_levenshtein("dob_l", "dob_r") <= 1', "one digit", 0.07, 0.003),
                _level("ELSE", "different", 0.03, 0.9969),
            ],
        ),
        _cmp(
            "phone",
            "phone",
            [
                _level('"phone_l" = "phone_r"', "exact", 0.70, 0.0005),
                _level("ELSE", "different", 0.30, 0.9995),
            ],
        ),
        _cmp(
            "email",
            "email",
            [
                _level('"email_l" = "email_r"', "exact", 0.85, 0.0001),
                _level("ELSE", "different", 0.15, 0.9999),
            ],
        ),
        {
            "output_column_name": "name_in_email",
            "comparison_description": "name_in_email",
            "comparison_levels": [
                {
                    "sql_condition": '("ln_l" IS NOT NULL AND "ln_r" IS NOT NULL '
                    'AND "fn_l" IS NOT NULL AND "fn_r" IS NOT NULL) '
                    'OR ("email_local_l" IS NULL AND "email_local_r" IS NULL)',
                    "label_for_charts": "null (both names known, or no e-mail)",
                    "is_null_level": True,
                },
                _level(
                    f"{_in_email('ln', 'l', 'r')} OR {_in_email('ln', 'r', 'l')}",
                    "last name in the other's e-mail",
                    0.5,
                    0.004,
                ),
                _level(
                    f"{_in_email('fn', 'l', 'r')} OR {_in_email('fn', 'r', 'l')}",
                    "first name in the other's e-mail",
                    0.2,
                    0.02,
                ),
                _level("ELSE", "neither", 0.3, 0.976),
            ],
        },
        {
            "output_column_name": "year_in_email",
            "comparison_description": "year_in_email",
            "comparison_levels": [
                {
                    "sql_condition": '("dob_l" IS NULL OR "email_local_r" IS NULL) '
                    'AND ("dob_r" IS NULL OR "email_local_l" IS NULL) '
                    'AND ("email_year_l" IS NULL OR "email_year_r" IS NULL)',
                    "label_for_charts": "null",
                    "is_null_level": True,
                },
                _level(
                    f"{_year_in_email('l', 'r')} OR {_year_in_email('r', 'l')}",
                    "birth year ends the other's e-mail name",
                    0.15,
                    0.003,
                ),
                _level(
                    '"email_year_l" = "email_year_r" AND "email_l" <> "email_r"',
                    "both e-mail names end with the same year",
                    0.1,
                    0.01,
                ),
                _level("ELSE", "no", 0.75, 0.987),
            ],
        },
        {
            # one comparison for the address: street, postcode and city move together, so
            # scoring them apart counts one move (or one shared home) three times
            "output_column_name": "address",
            "comparison_description": "address",
            "comparison_levels": [
                {
                    "sql_condition": '("street_l" IS NULL AND "pc_l" IS NULL AND "city_l" IS NULL)'
                    ' OR ("street_r" IS NULL AND "pc_r" IS NULL AND "city_r" IS NULL)',
                    "label_for_charts": "null",
                    "is_null_level": True,
                },
                _level(
                    '"street_l" = "street_r" AND coalesce("pc_l" = "pc_r", "city_l" = "city_r", '
                    "true)",
                    "same street and place",
                    0.75,
                    0.0003,
                ),
                _level(
                    f'{_jw("street", 0.85)} AND coalesce("pc_l" = "pc_r", "city_l" = "city_r", '
                    "true)",
                    "similar street, same place",
                    0.08,
                    0.001,
                ),
                _level('"pc_l" = "pc_r"', "same postcode", 0.05, 0.004),
                _level('"city_l" = "city_r"', "same city", 0.04, 0.01),
                _level("ELSE", "different", 0.08, 0.9847),
            ],
        },
    ]


#: Output names of the comparisons, in model order.
COMPARISON_NAMES: Final = tuple(c["output_column_name"] for c in _comparisons())

_BLOCKING_RULES: Final = (
    'l."email" = r."email"',
    'l."phone" = r."phone"',
    'l."fn" = r."fn" AND l."ln" = r."ln"',
    'l."ln" = r."ln" AND l."dob" = r."dob"',
    'l."fc" = r."fc" AND l."dob" = r."dob"',
    'l."pc" = r."pc" AND l."ln" = r."ln"',
    'l."pc" = r."pc" AND l."fc" = r."fc"',
    'l."street" = r."street" AND l."pc" = r."pc"',
    'l."street" = r."street" AND l."city" = r."city"',
    'l."street" = r."street" AND l."ln" = r."ln"',
    'l."dob" = r."dob" AND l."pc" = r."pc"',
    'l."dob" = r."dob" AND l."street" = r."street"',
    'l."dob" = r."dob" AND left(l."ln", 3) = left(r."ln", 3)',
    'l."fn" = r."fn" AND l."city" = r."city"',
    'l."fn" = r."ln" AND l."ln" = r."fn"',
    'l."email_local" = r."email_local" AND l."ln" = r."ln"',
)
_EM_RULES: Final = (
    'l."ln" = r."ln" AND l."dob" = r."dob"',
    'l."fn" = r."fn" AND l."phone" = r."phone"',
)


def _prior(n: int) -> float:
    """Default chance that two random records match: ~2 records per person, at most 1e-3."""
    return min(0.001, 1.0 / max(n, 2))


def default_model(n_records: int) -> dict[str, Any]:
    """The shipped model (settings with default parameters) for ``n_records`` records."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": _prior(n_records),
        "comparisons": _comparisons(),
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": r, "sql_dialect": "duckdb"} for r in _BLOCKING_RULES
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "em_convergence": 0.001,
        "max_iterations": 20,
    }


def _to_dialect(sql: str, dialect: str) -> str:
    """One condition written for DuckDB (the model's dialect) in ``dialect``'s SQL.

    sqlglot carries the syntax over (quoting, ``regexp_extract`` group, ``contains``);
    the similarity functions are renamed through Splink's dialects (Spark's come from the
    JAR Splink ships: ``jaro_winkler``, ``damerau_levenshtein``, ``jaro_sim``).
    """
    if dialect == "duckdb" or sql.strip().upper() == "ELSE":
        return sql
    import sqlglot
    from splink.internals.dialects import SplinkDialect
    from sqlglot import exp

    source, target = SplinkDialect.from_string("duckdb"), SplinkDialect.from_string(dialect)
    names = {
        source.jaro_winkler_function_name: target.jaro_winkler_function_name,
        source.jaro_function_name: target.jaro_function_name,
        source.damerau_levenshtein_function_name: target.damerau_levenshtein_function_name,
        source.levenshtein_function_name: target.levenshtein_function_name,
    }

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.JarowinklerSimilarity):
            args = [node.this, node.expression]
            return exp.Anonymous(this=target.jaro_winkler_function_name, expressions=args)
        if isinstance(node, exp.Anonymous) and str(node.name).lower() in names:
            return exp.Anonymous(this=names[str(node.name).lower()], expressions=node.expressions)
        return node

    try:
        tree = sqlglot.parse_one(sql, read="duckdb").transform(rename)
        return tree.sql(dialect=target.sqlglot_dialect)
    except sqlglot.errors.SqlglotError as e:
        raise IdentityError(f"a model condition cannot be written for {dialect}") from e


def model_for_dialect(model: dict[str, Any], dialect: str) -> dict[str, Any]:
    """``model`` (conditions and blocking rules in DuckDB SQL, as stored) for ``dialect``."""
    if dialect == "duckdb":
        return model
    out = copy.deepcopy(model)
    for comparison in out.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            level["sql_condition"] = _to_dialect(level["sql_condition"], dialect)
    rules = []
    for rule in out.get("blocking_rules_to_generate_predictions", []):
        sql = rule["blocking_rule"] if isinstance(rule, dict) else str(rule)
        written = rule.get("sql_dialect", "duckdb") if isinstance(rule, dict) else "duckdb"
        translated = _to_dialect(sql, dialect) if written == "duckdb" else sql
        extra = rule if isinstance(rule, dict) else {}
        rules.append({**extra, "blocking_rule": translated, "sql_dialect": dialect})
    out["blocking_rules_to_generate_predictions"] = rules
    if "sql_dialect" in out:
        out["sql_dialect"] = dialect
    return out


def _as_stored(trained: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """A model Splink saved on another dialect, with ``base``'s DuckDB SQL put back.

    Levels keep their place, so the conditions are restored by comparison and position.
    """
    out = copy.deepcopy(trained)
    written = {c["output_column_name"]: c for c in base.get("comparisons", [])}
    for comparison in out.get("comparisons", []):
        levels = written.get(comparison.get("output_column_name"), {}).get("comparison_levels")
        if levels is None or len(levels) != len(comparison.get("comparison_levels", [])):
            raise IdentityError("the trained model does not have the levels of the model")
        for level, original in zip(comparison["comparison_levels"], levels, strict=True):
            level["sql_condition"] = original["sql_condition"]
    out["blocking_rules_to_generate_predictions"] = copy.deepcopy(
        base.get("blocking_rules_to_generate_predictions", [])
    )
    if "sql_dialect" in out:
        out["sql_dialect"] = "duckdb"
    return out


def _temp_views(spark: Any) -> set[str]:
    """Names of the temporary views of a Spark session (Splink keeps its tables there)."""
    return {str(t.name) for t in spark.catalog.listTables() if t.isTemporary}


def _splink_frame(features: pl.DataFrame) -> pl.DataFrame:
    return features.filter(pl.col("scoreable")).select(
        pl.col("uid").alias("unique_id"), *[pl.col(c) for c in _SPLINK_COLUMNS[1:]]
    )


@dataclass
class SplinkScorer:
    """A Splink linker over the scoreable records of a prepared frame.

    ``backend`` picks Splink's engine: ``duckdb`` (in-process) or ``spark`` (``SparkAPI``
    on the active Spark session, or one started from ``spark`` and stopped by :meth:`close`).
    The model is kept in DuckDB SQL (as stored) and written for the engine's dialect when the
    linker is built. The vetoes and the corroboration rule run in a local DuckDB over the
    scored pairs (on Spark, only the pairs above the weight floor come back). Use it as a
    context manager, or call :meth:`close`.
    """

    features: pl.DataFrame
    model: dict[str, Any]
    threads: int | None = None
    vetoes: frozenset[str] = VETO_RULES
    backend: Backend = "duckdb"
    spark: SparkSettings = field(default_factory=SparkSettings)

    def __post_init__(self) -> None:
        import duckdb
        from splink import DuckDBAPI, Linker

        self._stack = contextlib.ExitStack()
        self._db: Any
        try:
            if self.backend == "spark":
                from splink import SparkAPI

                from identity._spark import check_similarity_functions, spark_session

                session = self._stack.enter_context(spark_session(self.spark))
                self._db = SparkAPI(  # registers the JAR's functions (jaro_winkler, …)
                    spark_session=session,
                    break_lineage_method=self.spark.break_lineage,
                    num_partitions_on_repartition=self.spark.shuffle_partitions,
                )
                check_similarity_functions(session)
                self._views_before = _temp_views(session)
                self._con = self._stack.enter_context(duckdb.connect())
            else:
                self._db = DuckDBAPI()
                self._con = self._db.duckdb_con
            if self.threads:
                self._con.execute(f"SET threads TO {int(self.threads)}")
            frame = _splink_frame(self.features)
            self.n = frame.height
            self._con.register(
                "cdp_features_view", self.features.select("uid", *_VETO_INPUTS).to_arrow()
            )
            self._con.execute("CREATE TABLE cdp_features AS SELECT * FROM cdp_features_view")
            self._con.unregister("cdp_features_view")
            # a shared Spark session may hold other scorers' tables: names of our own
            self._records = f"cdp_records_{uuid.uuid4().hex[:12]}"
            sdf = self._db.register(frame.to_arrow(), table_name=self._records)
            self._versions: list[Any] = [sdf]
            self._linker = Linker(sdf, self._for_engine(self.model), log_level=None)
        except BaseException:
            self._stack.close()
            raise

    def _for_engine(self, model: dict[str, Any]) -> dict[str, Any]:
        return model_for_dialect(model, self.backend)

    def _as_stored(self, saved: dict[str, Any]) -> dict[str, Any]:
        return saved if self.backend == "duckdb" else _as_stored(saved, self.model)

    def close(self) -> None:
        """Release the engine: on Spark, this scorer's tables are dropped (and unpersisted)
        and a session it started is stopped."""
        try:
            if self.backend == "spark":
                catalog = self._db.spark.catalog
                for name in _temp_views(self._db.spark) - self._views_before:
                    catalog.dropTempView(name)  # uncaches a persisted table too
        finally:
            self._stack.close()

    def __enter__(self) -> SplinkScorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- training -----------------------------------------------------------------------
    def train(self, *, seed: int, max_pairs_u: float) -> list[str]:
        """Estimate u then m (guarded); returns the steps that succeeded."""
        done: list[str] = []
        training = self._linker.training
        pairs = min(max_pairs_u, self.n * (self.n - 1) / 2)
        try:
            training.estimate_u_using_random_sampling(max_pairs=pairs, seed=seed)
            done.append("u")
        except Exception as e:  # Splink raises many kinds; keep the defaults
            logger.warning("u estimation failed (%s); keeping default u", type(e).__name__)
        for rule in _EM_RULES:
            try:
                training.estimate_parameters_using_expectation_maximisation(
                    _to_dialect(rule, self.backend), estimate_without_term_frequencies=True
                )
                done.append("em")
            except Exception as e:  # e.g. ValueError: m_probability value 0.0 on one rule
                logger.warning("EM on one blocking rule failed (%s); skipped", type(e).__name__)
        if done:
            trained = self._as_stored(self._linker.misc.save_model_to_json())
            self._reload(_with_trained(self.model, trained))
        return done

    def _reload(self, model: dict[str, Any]) -> None:
        from splink import Linker

        self.model = model
        sdf = self._db.register(self._records, table_name=f"{self._records}_{len(self._versions)}")
        self._versions.append(sdf)
        self._linker = Linker(sdf, self._for_engine(model), log_level=None)

    def model_json(self) -> str:
        """The model (settings and parameters) as JSON, its SQL in DuckDB's dialect."""
        return json.dumps(self._as_stored(self._linker.misc.save_model_to_json()), sort_keys=True)

    # -- scoring ------------------------------------------------------------------------
    def predict(self, *, min_weight: float) -> pl.DataFrame:
        """Scored candidate pairs at or above ``min_weight``, with weights JSON and veto."""
        return self._finish(self._linker.inference.predict(threshold_match_weight=min_weight))

    def veto_pairs(self, pairs: pl.DataFrame) -> pl.DataFrame:
        """``pairs`` (``uid_l``, ``uid_r``, ...) with a ``veto_reason`` column (SQL rules)."""
        if pairs.height == 0:
            return pairs.with_columns(pl.lit(None, dtype=pl.String).alias("veto_reason"))
        con = self._con
        con.register("cdp_pairs_view", pairs.select("uid_l", "uid_r").to_arrow())
        sql = f"""
            SELECT p.uid_l, p.uid_r, {veto_sql(self.vetoes)} AS veto_reason
            FROM cdp_pairs_view p
            JOIN cdp_features l ON l.uid = p.uid_l
            JOIN cdp_features r ON r.uid = p.uid_r
        """
        out = pl.from_arrow(con.sql(sql).to_arrow_table())
        con.unregister("cdp_pairs_view")
        assert isinstance(out, pl.DataFrame)
        return pairs.join(out, on=["uid_l", "uid_r"], how="left")

    def explain_pair(self, uid_a: str, uid_b: str) -> pl.DataFrame:
        """Score one pair of scoreable records by key, same columns as :meth:`predict`."""
        frame = _splink_frame(self.features)
        rows = frame.filter(pl.col("unique_id").is_in([uid_a, uid_b])).sort("unique_id")
        if rows.height != 2 or uid_a == uid_b:
            raise IdentityError("both records must exist and have identity fields to score")
        n = len(self._versions)
        left, right = (
            self._db.register(rows.slice(i, 1).to_arrow(), table_name=f"{self._records}_{n}_{i}")
            for i in (0, 1)
        )
        self._versions.extend((left, right))
        return self._finish(self._linker.inference.score_pair(left, right))

    def _scored_table(self, scored: Any) -> str:
        """The name of ``scored`` (a Splink frame) in the local DuckDB connection."""
        if self.backend == "duckdb":
            return str(scored.physical_name)
        columns = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
        for name in COMPARISON_NAMES:
            columns.append(f"mw_{name}")
            if name in _TF_COMPARISONS:
                columns.append(f"mw_tf_adj_{name}")
        table = scored.as_spark_dataframe().select(*columns).toArrow()
        self._con.register("cdp_scored_view", table)
        return "cdp_scored_view"

    def _finish(self, scored: Any) -> pl.DataFrame:
        pred_table = self._scored_table(scored)
        weights = ", ".join(
            f'\'{name}\', round(coalesce(p."mw_{name}", 0) + coalesce(p."mw_tf_adj_{name}", 0), 3)'
            if name in _TF_COMPARISONS
            else f"'{name}', round(coalesce(p.\"mw_{name}\", 0), 3)"
            for name in COMPARISON_NAMES
        )
        sql = f"""
            SELECT p.unique_id_l AS uid_l, p.unique_id_r AS uid_r,
                   p.match_weight, p.match_probability,
                   json_object({weights})::VARCHAR AS weights,
                   {veto_sql(self.vetoes)} AS veto_reason,
                   ((coalesce(p."mw_first_name", 0) > 0 OR coalesce(p."mw_birth_date", 0) > 0
                     OR coalesce(p."mw_email", 0) > 0)
                    AND (coalesce(p."mw_birth_date", 0) > 0 OR coalesce(p."mw_email", 0) > 0
                     OR coalesce(p."mw_phone", 0) > 0
                     OR coalesce(jaro_winkler_similarity(l.street, r.street) >= 0.85, false)
                     OR (coalesce(l.pc = r.pc, false) AND coalesce(p."mw_phone", 0) >= 0
                         AND (l.street IS NULL OR r.street IS NULL))
                     OR coalesce(p."mw_name_in_email", 0) > 0
                     OR coalesce(p."mw_year_in_email", 0) > 0)) AS personal
            FROM {pred_table} p
            JOIN cdp_features l ON l.uid = p.unique_id_l
            JOIN cdp_features r ON r.uid = p.unique_id_r
        """
        out = pl.from_arrow(self._con.sql(sql).to_arrow_table())
        if pred_table == "cdp_scored_view":
            self._con.unregister(pred_table)
        assert isinstance(out, pl.DataFrame)
        return out.with_columns(
            pl.col("match_weight").cast(pl.Float64), pl.col("match_probability").cast(pl.Float64)
        )


_VETO_INPUTS: Final = (
    "fn",
    "fc",
    "ln",
    "dob",
    "city",
    "pc",
    "email",
    "phone",
    "street",
    "fi",
    "fi_only",
    "fn_n",
)
_TF_COMPARISONS: Final = frozenset({"first_name", "last_name"})


def _with_trained(base: dict[str, Any], trained: dict[str, Any]) -> dict[str, Any]:
    """``base`` with the trained parameters of every level training estimated sensibly.

    Levels are matched by comparison name and SQL condition. A level training never saw gets
    m or u = 0 from Splink (an infinite weight) or none at all: it keeps the base value; so
    does a comparison that a failed training session left out of the trained model.
    """
    model = copy.deepcopy(base)
    found = {
        (c.get("output_column_name"), level.get("sql_condition")): level
        for c in trained.get("comparisons", [])
        for level in c.get("comparison_levels", [])
    }
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            new = found.get((comparison["output_column_name"], level["sql_condition"]), {})
            for key in ("m_probability", "u_probability"):
                value = new.get(key)
                if isinstance(value, int | float) and 1e-7 <= float(value) <= 1.0:
                    level[key] = float(value)
    prior = trained.get("probability_two_random_records_match")
    if isinstance(prior, int | float) and 0.0 < prior < 1.0:
        model["probability_two_random_records_match"] = float(prior)
    return model


def empty_scored() -> pl.DataFrame:
    """An empty frame with the columns of :meth:`SplinkScorer.predict`."""
    return pl.DataFrame(
        schema={
            "uid_l": pl.String,
            "uid_r": pl.String,
            "match_weight": pl.Float64,
            "match_probability": pl.Float64,
            "weights": pl.String,
            "veto_reason": pl.String,
            "personal": pl.Boolean,
        }
    )
