"""Typed settings of identity resolution."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

from identity._vetoes import VETO_RULES
from identity.errors import InvalidSettingsError

if TYPE_CHECKING:
    from cdp.config import Settings

__all__ = ["Backend", "BreakLineage", "ResolveSettings", "SparkSettings"]

#: The Splink backend: DuckDB in-process (default) or Spark (``SparkAPI``), same model.
Backend = Literal["duckdb", "spark"]
#: How Splink cuts Spark's lineage between steps (``SparkAPI(break_lineage_method=...)``).
BreakLineage = Literal["persist", "parquet", "checkpoint"]
_BACKENDS: Final = frozenset(get_args(Backend))
_BREAK_LINEAGE: Final = frozenset(get_args(BreakLineage))


@dataclass(frozen=True, kw_only=True)
class SparkSettings:
    """The Spark session of the ``spark`` backend (see :func:`identity.spark_session`).

    * ``master``: ``local[N]`` runs Spark in this process's JVM on N cores; a cluster URL
      (``spark://…``, ``yarn``, ``k8s://…``) for data beyond one machine.
    * ``app_name``: the Spark application name.
    * ``shuffle_partitions``: ``spark.sql.shuffle.partitions`` (Spark's 200 is made for
      clusters; a few per core suits local mode); also Splink's repartition count.
    * ``break_lineage``: ``persist`` (memory, local mode), ``parquet`` or ``checkpoint``
      (written to ``checkpoint_dir``: robust on a cluster, needed for large jobs).
    * ``checkpoint_dir``: where ``parquet``/``checkpoint`` write (a shared path on a cluster).
    * ``conf``: more Spark properties as ``(key, value)`` pairs (``spark.executor.memory``,
      …); they win over the values above.

    A session that is already active in the process is used as it is (and left running);
    otherwise one is created from these settings when scoring starts and stopped after.
    """

    master: str = "local[2]"
    app_name: str = "cdp-identity"
    shuffle_partitions: int = 4
    break_lineage: BreakLineage = "persist"
    checkpoint_dir: str | None = None
    conf: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "conf", tuple((str(k), str(v)) for k, v in self.conf))
        if not self.master.strip():
            raise InvalidSettingsError("spark.master must not be empty")
        if self.shuffle_partitions < 1:
            raise InvalidSettingsError("spark.shuffle_partitions must be at least 1")
        if self.break_lineage not in _BREAK_LINEAGE:
            raise InvalidSettingsError(
                f"spark.break_lineage must be one of {', '.join(sorted(_BREAK_LINEAGE))}"
            )
        if self.break_lineage != "persist" and not self.checkpoint_dir:
            raise InvalidSettingsError(
                f"spark.checkpoint_dir is needed for break_lineage {self.break_lineage}"
            )


@dataclass(frozen=True, kw_only=True)
class ResolveSettings:
    """How :func:`identity.resolve` scores, decides and clusters.

    * ``match_weight``: a probabilistic link is accepted at or above this Splink match weight
      (log2 Bayes factor incl. the prior; 3 is a probability of about 0.89). Vetoes and the
      corroboration rule (``require_personal``) do most of the precision work.
    * ``review_weight``: pairs at or above it (and below ``match_weight``) are kept in the
      links as ``review``; lower pairs are not kept.
    * ``max_cluster_size``: no cluster grows beyond this; links that would are left as review.
    * ``train``: estimate u (random sampling) and m (EM) from the data when it has at least
      ``min_records_to_train`` scoreable records; otherwise, or when training fails, the shipped
      default parameters are used. ``model_json`` (a saved model) skips training.
    * ``seed``: for Splink's random sampling (reproducible models).
    * ``max_pairs_u``: random pairs sampled to estimate u.
    * ``threads``: DuckDB threads (None: DuckDB's default).
    * ``vetoes``: the conflict rules in force (:data:`identity._vetoes.VETO_RULES`: first_name,
      birth_date, last_name_and_place, place_and_contact). Customer data needs them all; a
      data set known to hold no households or namesakes (a benchmark like FEBRL, where a
      duplicate may carry another first name) may switch some off.
    * ``require_personal``: a probabilistic link needs a personal agreement (first name, birth
      date or e-mail) and more than a name and a town (birth date, e-mail, phone, street, or a
      postcode without a contradicting phone or street): shared household attributes and a
      common name are not enough, whatever the weight. Switch off with the household vetoes.
    * ``unique_sources``: sources known to hold at most one record per person (a deduplicated
      master file): a cluster never takes two records of one of them; with two such sources
      resolution is best-first one-to-one linking.
    * ``backend``: where Splink runs: ``duckdb`` (in-process, the default) or ``spark``
      (``spark``: :class:`SparkSettings`). The model, rules and decisions are the same; only
      the engine that blocks and scores the pairs changes.
    """

    match_weight: float = 3.0
    review_weight: float = 0.0
    max_cluster_size: int = 10
    train: bool = True
    min_records_to_train: int = 2_000
    model_json: str | None = None
    seed: int = 42
    max_pairs_u: float = 2e6
    threads: int | None = None
    vetoes: frozenset[str] = VETO_RULES
    require_personal: bool = True
    unique_sources: frozenset[str] = frozenset()
    backend: Backend = "duckdb"
    spark: SparkSettings = field(default_factory=SparkSettings)

    def __post_init__(self) -> None:
        if self.backend not in _BACKENDS:
            raise InvalidSettingsError(f"backend must be one of {', '.join(sorted(_BACKENDS))}")
        unknown = set(self.vetoes) - VETO_RULES
        if unknown:
            raise InvalidSettingsError(
                f"vetoes: unknown veto rule(s): {', '.join(sorted(unknown))}"
            )
        if self.max_cluster_size < 1:
            raise InvalidSettingsError("max_cluster_size must be at least 1")

    @classmethod
    def from_settings(cls, settings: Settings, **changes: Any) -> ResolveSettings:
        """The defaults with the ``identity`` section of ``cdp.yaml`` (backend, Spark
        session), then ``changes``."""
        config = settings.identity
        spark = SparkSettings(
            master=config.spark.master,
            app_name=config.spark.app_name,
            shuffle_partitions=config.spark.shuffle_partitions,
            break_lineage=config.spark.break_lineage,
            checkpoint_dir=config.spark.checkpoint_dir,
            conf=tuple(sorted(config.spark.conf.items())),
        )
        return cls(**{"backend": config.backend, "spark": spark, **changes})
