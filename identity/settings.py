"""Typed settings of identity resolution."""

from __future__ import annotations

from dataclasses import dataclass

from identity._vetoes import VETO_RULES
from identity.errors import InvalidSettingsError

__all__ = ["ResolveSettings"]


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
      resolution is best-first one-to-one linking (and with the household rules off, a link
      between them needs only weight >= 0, even odds, and no corroboration).
    * ``learn``: when training, learn the profile from the data (:mod:`identity._calibrate`):
      a household veto that the data contradicts (it fires on many pairs whose other evidence
      is overwhelming) is switched off, and a source with (almost) no within-source duplicates
      is added to ``unique_sources``. ``Resolution.stats["learned"]`` says what was learned.
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
    learn: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.vetoes) - VETO_RULES
        if unknown:
            raise InvalidSettingsError(
                f"vetoes: unknown veto rule(s): {', '.join(sorted(unknown))}"
            )
        if self.max_cluster_size < 1:
            raise InvalidSettingsError("max_cluster_size must be at least 1")
