"""``identity_records`` rows -> the feature frame the matcher works on."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from identity._names import city_canon, first_canon
from identity._vetoes import Features
from identity.errors import IdentityError

__all__ = [
    "FEATURE_COLUMNS",
    "KEY_COLUMNS",
    "MATCH_COLUMNS",
    "REQUIRED_COLUMNS",
    "features_of",
    "prepare",
]

KEY_COLUMNS = ("source", "source_record_id")
#: Columns the matcher compares (see :mod:`identity._vetoes` for their meaning).
FEATURE_COLUMNS = (
    "fn",
    "fc",
    "ln",
    "dob",
    "phone",
    "email",
    "email_local",
    "email_year",
    "street",
    "pc",
    "city",
)
#: identity_records columns the matcher reads: the record key, then the match fields.
REQUIRED_COLUMNS = (
    "source",
    "source_record_id",
    "first_name_key",
    "last_name_key",
    "email_key",
    "phone",
    "birth_date",
    "street_key",
    "postcode_key",
    "city_key",
)
#: The identity fields a record must have one of to be scored.
MATCH_COLUMNS = REQUIRED_COLUMNS[len(KEY_COLUMNS) :]
_OPTIONAL: dict[str, pl.DataType] = {
    "deleted": pl.Boolean(),
    "user_id": pl.String(),
    "anonymous_id": pl.String(),
    "updated_at": pl.Datetime("us", "UTC"),
}


def _loose(col: str) -> pl.Expr:
    return pl.col(col).str.replace_all(r"([aou])e", "$1")


#: Academic and courtesy titles that survive display normalization inside first names.
_TITLE_WORDS = r"(?:dr|prof|ing|dipl|med|mag|lic|phil|jur|rer|nat|msc|bsc|mba|phd|sir|dott|avv)"


def _email_year() -> pl.Expr:
    """Two-digit year an e-mail name ends with (``anna.meier1987@`` and ``meier87@``: 87)."""
    local = pl.col("email_key").str.split("@").list.first()
    digits = local.str.extract(r"(?:^|[^0-9])([0-9]+)$")
    four = (digits.str.len_chars() == 4) & digits.str.contains(r"^(?:19|20)")
    return (
        pl.when(digits.str.len_chars() == 2)
        .then(digits)
        .when(four)
        .then(digits.str.slice(2, 2))
        .otherwise(None)
    )


def _first_key() -> pl.Expr:
    """The folded first name without academic titles (``dipl ing merve`` -> ``merve``)."""
    stripped = (
        pl.col("first_name_key")
        .str.replace_all(rf"(^|[ -]){_TITLE_WORDS}(?:[ -]|$)", " ")
        .str.replace_all(rf"(^|[ -]){_TITLE_WORDS}(?:[ -]|$)", " ")
        .str.strip_chars(" -")
    )
    return pl.when(stripped.str.len_chars() > 0).then(stripped).otherwise(None)


def _mapped(col: str, fn: Callable[[str | None], str | None], values: pl.Series) -> pl.Expr:
    """``fn`` applied to each distinct value of ``values`` (once), as a replace expression."""
    mapping = {v: fn(v) for v in values.drop_nulls().unique().to_list()}
    return pl.col(col).replace_strict(mapping, default=None, return_dtype=pl.String)


def prepare(records: pl.DataFrame) -> pl.DataFrame:
    """Live (not deleted) records with ``rid``, ``uid`` and the matcher's feature columns.

    Rows are sorted by key, so ``rid`` (0..n-1) does not depend on the input order.
    Raises :class:`IdentityError` naming a missing column or a duplicate key.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in records.columns]
    if missing:
        raise IdentityError(f"records lack column(s): {', '.join(missing)}")
    frame = records
    for name, dtype in _OPTIONAL.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(name))
    frame = frame.filter(~pl.col("deleted").fill_null(False))
    if frame.select(pl.col("source").str.contains(":", literal=True).any()).item():
        raise IdentityError("a source name must not contain ':'")
    if frame.select(pl.struct(KEY_COLUMNS).is_duplicated().any()).item():
        raise IdentityError("records hold a (source, source_record_id) key more than once")
    frame = frame.sort(KEY_COLUMNS)
    frame = frame.with_columns(_first_key().alias("first_name_key"))
    fn_key = frame.get_column("first_name_key")
    city_key = frame.get_column("city_key")
    out = frame.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("rid"),
        pl.concat_str(pl.col("source"), pl.lit(":"), pl.col("source_record_id")).alias("uid"),
        pl.col("source"),
        pl.col("source_record_id"),
        _loose("first_name_key").alias("fn"),
        _mapped("first_name_key", first_canon, fn_key).alias("fc"),
        _loose("last_name_key").alias("ln"),
        pl.col("birth_date").cast(pl.Date).dt.strftime("%Y%m%d").alias("dob"),
        pl.col("phone"),
        pl.col("email_key").alias("email"),
        pl.col("email_key").str.split("@").list.first().alias("email_local"),
        _email_year().alias("email_year"),
        pl.col("street_key").alias("street"),
        pl.col("postcode_key").alias("pc"),
        _mapped("city_key", city_canon, city_key).alias("city"),
        pl.col("user_id"),
        pl.col("anonymous_id"),
        pl.col("updated_at"),
    )
    out = _unswap_names(out)
    words = pl.col("fn").str.split(" ")
    out = out.with_columns(
        words.list.eval(pl.element().str.slice(0, 1)).list.join("").alias("fi"),
        words.list.eval(pl.element().str.len_chars() == 1).list.all().alias("fi_only"),
        pl.len().over("fn").cast(pl.Int64).alias("fn_n"),
    ).with_columns(
        pl.when(pl.col("fn").is_null()).then(None).otherwise(pl.col("fn_n")).alias("fn_n")
    )
    return out.with_columns(
        pl.any_horizontal(pl.col(c).is_not_null() for c in FEATURE_COLUMNS).alias("scoreable")
    )


def _unswap_names(frame: pl.DataFrame) -> pl.DataFrame:
    """Swap first and last name where the data says they are the wrong way round.

    A source that writes names as "MÜLLER Hans" gets split the wrong way; when the first name
    is used as a last name far more often than as a first name, and the last name as a first
    name far more often than as a last name, the two are swapped (unsupervised: counts over the
    input only; "Arthur Marie" and "James Alexander" stay as they are).
    """
    fn_counts = frame.group_by("fn").len().rename({"len": "_as_fn"})
    ln_counts = frame.group_by("ln").len().rename({"len": "_as_ln"})
    scored = (
        frame.join(fn_counts, on="fn", how="left", maintain_order="left")
        .join(ln_counts, on="ln", how="left", maintain_order="left")
        .join(
            fn_counts.rename({"fn": "ln", "_as_fn": "_ln_as_fn"}),
            on="ln",
            how="left",
            maintain_order="left",
        )
        .join(
            ln_counts.rename({"ln": "fn", "_as_ln": "_fn_as_ln"}),
            on="fn",
            how="left",
            maintain_order="left",
        )
    )
    as_fn, as_ln = pl.col("_as_fn").fill_null(0), pl.col("_as_ln").fill_null(0)
    ln_as_fn, fn_as_ln = pl.col("_ln_as_fn").fill_null(0), pl.col("_fn_as_ln").fill_null(0)
    swap = ln_as_fn + fn_as_ln
    do = (
        pl.col("fn").is_not_null()
        & pl.col("ln").is_not_null()
        & (swap >= _SWAP_MIN)
        & (ln_as_fn >= _SWAP_RATIO * as_ln)
        & (fn_as_ln >= _SWAP_RATIO * as_fn)
    )
    fn_canon = frame.select("fn", "fc").unique("fn").filter(pl.col("fn").is_not_null())
    swapped = scored.with_columns(
        pl.when(do).then(pl.col("ln")).otherwise(pl.col("fn")).alias("fn"),
        pl.when(do).then(pl.col("fn")).otherwise(pl.col("ln")).alias("ln"),
        do.alias("_swapped"),
    )
    swapped = swapped.join(
        fn_canon.rename({"fc": "_fc_new"}), on="fn", how="left", maintain_order="left"
    ).with_columns(
        pl.when(pl.col("_swapped"))
        .then(pl.coalesce("_fc_new", "fn"))
        .otherwise(pl.col("fc"))
        .alias("fc")
    )
    return swapped.select(frame.columns)


_SWAP_MIN = 4
_SWAP_RATIO = 4


def features_of(frame: pl.DataFrame) -> list[Features]:
    """:class:`Features` per ``rid`` of a prepared frame."""
    cols = [frame.get_column(c).to_list() for c in Features.__slots__]
    return [Features(*values) for values in zip(*cols, strict=True)]
