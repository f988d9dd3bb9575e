"""The product's one configuration object, loaded from ``cdp.yaml``.

``load_config()`` reads the file once per process (path from the argument, ``CDP_CONFIG`` or
``./cdp.yaml``), interpolates ``${ENV_VAR}`` / ``${ENV_VAR:-default}`` references so secrets
stay out of the file, and validates everything into :class:`Settings`. A wrong file raises one
:class:`ConfigError` whose message names the key path and the problem, e.g.::

    cdp.yaml: sources.crm.fields.frist_name: unknown canonical field; expected one of ...

Field mappings accept a string shorthand (``email: Email``) or ``{column:, format:}``; format names
are the ones :mod:`cdp.models.fields` lists for that canonical field.
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from cdp.errors import CdpError
from cdp.models.fields import CANONICAL_FIELDS, FIELD_FORMATS, TIMESTAMP_FORMATS

__all__ = [
    "ApiKey",
    "ConfigError",
    "ConsentColumn",
    "ConsentModeSettings",
    "ConsentSettings",
    "CsvSettings",
    "DestinationConfig",
    "FieldMapping",
    "IdentityConfig",
    "KafkaSettings",
    "LegalBasis",
    "Notice",
    "PrivacySettings",
    "Purpose",
    "Role",
    "Settings",
    "SourceConfig",
    "SparkConfig",
    "TcfSettings",
    "load_config",
    "resolve_config_path",
]

DEFAULT_CONFIG = "cdp.yaml"
CONFIG_ENV = "CDP_CONFIG"

Role = Literal["collector", "marketing", "ai_service", "dpo", "admin"]
LegalBasis = Literal["consent", "legitimate_interest", "contract", "legal_obligation", "opt_out"]
SourceKind = Literal["crm", "erp", "web", "other", "consent"]
SourceFormat = Literal["csv", "jsonl", "parquet", "segment", "kafka"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(CdpError):
    """The configuration file is missing, unreadable or invalid.

    ``key_path`` is the dotted path of the first offending key (empty for file-level problems).
    """

    def __init__(self, message: str, *, key_path: str = "", file: Path | None = None) -> None:
        self.key_path = key_path
        self.file = file
        self.problem = message
        prefix = f"{file.name}: " if file else ""
        super().__init__(f"{prefix}{key_path + ': ' if key_path else ''}{message}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _column_shorthand(value: Any) -> Any:
    return {"column": value} if isinstance(value, str) else value


class FieldMapping(_Strict):
    """Where a canonical field comes from in a source: a column and its format."""

    column: str = Field(min_length=1)
    format: str = "auto"


_Mapping = Annotated[FieldMapping, BeforeValidator(_column_shorthand)]


class ConsentColumn(_Strict):
    """A source column that carries a consent statement for one purpose.

    ``true_means`` says what a true value states (``HasOptedOutOfEmail: true`` means denied).
    A false opt-out flag is *not* a grant: the opposite value states nothing.
    """

    column: str = Field(min_length=1)
    true_means: Literal["granted", "denied"]


class KafkaSettings(_Strict):
    """Connection of a ``format: kafka`` source (librdkafka options pass through ``options``)."""

    brokers: str = Field(min_length=1)
    topic: str = Field(min_length=1)
    group_id: str = "cdp"
    options: dict[str, str] = Field(default_factory=dict)


#: delimiter names accepted beside the character itself (a tab is hard to spell in YAML)
_DELIMITER_NAMES = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
# what a CSV file's structure is made of: a text encoding must spell these as ASCII bytes
# (the file is split into lines at b"\n" before it is decoded; UTF-16 and EBCDIC are not so)
_CSV_ASCII = "\r\n\t ,;|:\"'abcXYZ019"


class CsvSettings(_Strict):
    """How the CSV files of a source are written (``sources.<name>.csv``).

    ``delimiter``: ``auto`` (found in the header row: the most frequent of ``,`` ``;`` tab
    ``|`` outside quotes, else ``,``), one character, or ``tab``/``comma``/``semicolon``/``pipe``.
    ``quote``: the quoting character (``"``), or ``none`` for files without quoting.
    ``encoding``: the text encoding of the file (``utf-8``; ``cp1252``, ``latin-1``… for
    exports of older systems). A file that begins with a UTF-8 byte-order mark is UTF-8
    whatever this says (Excel's "CSV UTF-8" files have one).
    ``header``: whether the first row names the columns (true). Files without one (table
    extracts of ERP systems) set ``header: false`` and name their ``columns`` in order: the
    first row is then a record like the others.
    """

    # (not stripped: a delimiter may be a tab or a space)
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    delimiter: str = "auto"
    quote: str = '"'
    encoding: str = "utf-8"
    header: bool = True
    columns: list[str] | None = None

    @field_validator("delimiter")
    @classmethod
    def _check_delimiter(cls, value: str) -> str:
        value = _DELIMITER_NAMES.get(value.strip().lower(), value)
        if value.strip().lower() == "auto":
            return "auto"
        if len(value) != 1 or value in "\r\n\"'" or value.isalnum():
            raise ValueError(
                "must be auto, one character (not a letter, digit, quote or line break), "
                "or one of tab, comma, semicolon, pipe"
            )
        return value

    @field_validator("quote")
    @classmethod
    def _check_quote(cls, value: str) -> str:
        if value.strip().lower() == "none":
            return "none"
        if len(value) != 1 or value in "\r\n" or value.isalnum() or value.isspace():
            raise ValueError("must be one character (such as \" or ') or none")
        return value

    @field_validator("encoding")
    @classmethod
    def _check_encoding(cls, value: str) -> str:
        name = value.strip()
        try:
            info = codecs.lookup(name)
            ascii_ok = _CSV_ASCII.encode(info.name) == _CSV_ASCII.encode("ascii")
        except LookupError:
            raise ValueError(f"unknown text encoding {name!r}") from None
        except (UnicodeError, TypeError, ValueError):
            ascii_ok = False
        if not ascii_ok:
            raise ValueError(
                f"encoding {name!r} is not supported for CSV: its line breaks and delimiters "
                "are not single ASCII bytes (export the file as UTF-8)"
            )
        return info.name

    @model_validator(mode="after")
    def _check_pair(self) -> CsvSettings:
        if self.quote != "none" and self.delimiter == self.quote:
            raise _KeyProblemError("delimiter", "the delimiter and the quote must differ")
        if self.header and self.columns is not None:
            raise _KeyProblemError(
                "columns", "columns name the columns of files without a header row (header: false)"
            )
        if not self.header:
            if not self.columns:
                raise _KeyProblemError(
                    "columns", "files without a header row (header: false) need their columns"
                )
            names = [c.strip() for c in self.columns]
            if not all(names):
                raise _KeyProblemError("columns", "a column name is blank")
            repeated = sorted({c for c in names if names.count(c) > 1})
            if repeated:
                raise _KeyProblemError("columns", f"repeated column name {repeated[0]!r}")
            object.__setattr__(self, "columns", names)
        return self


class SourceConfig(_Strict):
    """One input: how its records map onto the canonical identity fields."""

    name: str
    kind: SourceKind
    format: SourceFormat
    record_id: str | None = None
    updated_at: _Mapping | None = None
    deleted: str | None = None
    fields: dict[str, _Mapping] = Field(default_factory=dict)
    default_region: str | None = None
    consent: dict[str, ConsentColumn] = Field(default_factory=dict)
    write_keys: list[str] = Field(default_factory=list)
    kafka: KafkaSettings | None = None
    csv: CsvSettings | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("source names are lower-case letters, digits and _, starting a letter")
        return value

    @field_validator("default_region")
    @classmethod
    def _check_region(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError("must be an ISO 3166 alpha-2 country code such as CH or DE")
        return value.upper() if value else value

    @field_validator("fields")
    @classmethod
    def _check_fields(cls, value: dict[str, FieldMapping]) -> dict[str, FieldMapping]:
        for name, mapping in value.items():
            if name not in FIELD_FORMATS:
                raise _KeyProblemError(
                    name, f"unknown canonical field; expected one of {', '.join(CANONICAL_FIELDS)}"
                )
            if mapping.format not in FIELD_FORMATS[name]:
                raise _KeyProblemError(
                    f"{name}.format",
                    f"bad format name {mapping.format!r} for {name}; "
                    f"expected one of {', '.join(FIELD_FORMATS[name])}",
                )
        return value

    @field_validator("updated_at")
    @classmethod
    def _check_updated_at(cls, value: FieldMapping | None) -> FieldMapping | None:
        if value is not None and value.format not in TIMESTAMP_FORMATS:
            raise _KeyProblemError(
                "format",
                f"bad format name {value.format!r}; expected one of {', '.join(TIMESTAMP_FORMATS)}",
            )
        return value

    def _check_named_columns(self, columns: list[str]) -> None:
        """Every column the mapping reads is one of ``csv.columns`` (files without a header)."""
        named = set(columns)
        wanted: list[tuple[str, str | None]] = [
            ("record_id", self.record_id),
            ("updated_at", self.updated_at.column if self.updated_at else None),
            ("deleted", self.deleted),
            *((f"fields.{name}", m.column) for name, m in self.fields.items()),
            *((f"consent.{purpose}", c.column) for purpose, c in self.consent.items()),
        ]
        for key, column in wanted:
            if column is not None and column not in named:
                raise _KeyProblemError(key, f"column {column!r} is not one of csv.columns")

    @model_validator(mode="after")
    def _check_kind(self) -> SourceConfig:
        # Segment messages (over HTTP/files, or a Kafka topic of a web source) carry their own
        # ids and reserved traits; every other source is a table of records.
        segment = self.format == "segment" or (self.format == "kafka" and self.kind == "web")
        if self.csv is not None and self.format in ("segment", "kafka"):
            raise _KeyProblemError(
                "csv", f"CSV options apply to CSV files; this source is format {self.format}"
            )
        if self.csv is not None and self.csv.columns is not None:
            self._check_named_columns(self.csv.columns)
        if self.kind == "consent":
            # consent statements carry their own subject and fields (cdp.ingest.statements)
            if self.format == "segment":
                raise _KeyProblemError("format", "consent sources are csv, jsonl, parquet or kafka")
            for key in ("record_id", "fields", "consent", "write_keys"):
                if getattr(self, key):
                    raise _KeyProblemError(key, "consent sources take no " + key)
            if self.format == "kafka" and self.kafka is None:
                raise _KeyProblemError("kafka", "format kafka needs kafka: {brokers:, topic:}")
            return self
        structured = not segment
        if structured and not self.record_id:
            raise _KeyProblemError(
                "record_id", f"missing record_id (needed for format {self.format})"
            )
        if structured and not self.fields:
            raise _KeyProblemError("fields", "a record source needs at least one field mapping")
        if segment and self.fields:
            raise _KeyProblemError("fields", "Segment sources map reserved traits; remove fields")
        if self.write_keys and self.format != "segment":
            raise _KeyProblemError("write_keys", "write keys only apply to format: segment")
        if self.format == "kafka" and self.kafka is None:
            raise _KeyProblemError("kafka", "format kafka needs kafka: {brokers:, topic:}")
        return self


class Purpose(_Strict):
    """A use of personal data, with its channel and legal basis per jurisdiction."""

    description: str = ""
    channel: str | None = None
    legal_basis: dict[str, LegalBasis]
    direct_marketing: bool = False

    @field_validator("legal_basis", mode="before")
    @classmethod
    def _one_basis_everywhere(cls, value: Any) -> Any:
        return {"default": value} if isinstance(value, str) else value

    @field_validator("legal_basis")
    @classmethod
    def _has_default(cls, value: dict[str, LegalBasis]) -> dict[str, LegalBasis]:
        if not value:
            raise ValueError("give a legal basis (one value, or one per jurisdiction)")
        return value


class Notice(_Strict):
    """A version of a privacy notice (immutable once published): a grant given under it
    covers only its ``purposes`` and, when listed, its ``channels`` (consent rule R12)."""

    description: str = ""
    purposes: list[str] = Field(min_length=1)
    channels: list[str] = Field(default_factory=list)


class DestinationConfig(_Strict):
    """Where activations go. Secrets are referenced through ``${ENV_VAR}``."""

    kind: Literal["file", "webhook"]
    purpose: str
    path: str | None = None
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    #: webhook only: ``cdp stream`` forwards web events to it in real time, each one only when
    #: the gate allows ``purpose`` for its person (off by default)
    forward: bool = False

    @model_validator(mode="after")
    def _check_target(self) -> DestinationConfig:
        if self.kind == "file" and not self.path:
            raise _KeyProblemError("path", "a file destination needs path")
        if self.kind == "webhook" and not (
            self.url and self.url.startswith(("http://", "https://"))
        ):
            raise _KeyProblemError("url", "a webhook destination needs an http(s) url")
        if self.forward and self.kind != "webhook":
            raise _KeyProblemError("forward", "only webhook destinations forward events")
        return self


class ApiKey(_Strict):
    """An API key: only the sha256 (hex) of the key is stored, never the key."""

    name: str = Field(min_length=1)
    role: Role
    sha256: str

    @field_validator("sha256")
    @classmethod
    def _check_digest(cls, value: str) -> str:
        value = value.lower()
        if not _SHA256.match(value):
            raise ValueError("must be the 64-character hex sha256 of the key")
        return value


DEV_HASH_KEY = "cdp-development-only-hash-key"


class PrivacySettings(_Strict):
    """Keys for pseudonymisation. Set ``hash_key`` from the environment in production."""

    #: HMAC key for identifier hashes (consent subjects, suppression). Changing it breaks
    #: matching against hashes already stored.
    hash_key: str = Field(default=DEV_HASH_KEY, min_length=16)

    @property
    def is_development_key(self) -> bool:
        return self.hash_key == DEV_HASH_KEY

    def hash_identifier(self, identifier: str) -> str:
        """Keyed hash (HMAC-SHA256, hex) of a normalized ``type:value`` identifier."""
        return hmac.new(self.hash_key.encode(), identifier.encode(), hashlib.sha256).hexdigest()


def _spark_conf_value(value: Any) -> Any:
    # YAML gives numbers and booleans; Spark properties are strings (true/false lower-case)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else value


class SparkConfig(_Strict):
    """``identity.spark``: the Spark session of the ``spark`` identity backend.

    ``master`` ``local[N]`` runs Spark inside the process on N cores; a cluster URL
    (``spark://…``, ``yarn``, ``k8s://…``) for data beyond one machine. ``conf`` adds Spark
    properties (``spark.executor.memory: 4g``; use ``${ENV_VAR}`` for secrets).
    """

    master: str = Field(default="local[2]", min_length=1)
    app_name: str = Field(default="cdp-identity", min_length=1)
    shuffle_partitions: int = Field(default=4, ge=1, le=100_000)
    break_lineage: Literal["persist", "parquet", "checkpoint"] = "persist"
    checkpoint_dir: str | None = None
    conf: dict[str, Annotated[str, BeforeValidator(_spark_conf_value)]] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _check_checkpoint(self) -> SparkConfig:
        if self.break_lineage != "persist" and not self.checkpoint_dir:
            raise _KeyProblemError(
                "checkpoint_dir", f"break_lineage {self.break_lineage} needs a checkpoint_dir"
            )
        return self


class IdentityConfig(_Strict):
    """``identity``: where identity resolution runs Splink (``backend: duckdb | spark``)."""

    backend: Literal["duckdb", "spark"] = "duckdb"
    spark: SparkConfig = Field(default_factory=SparkConfig)


#: Google Consent Mode v2 signals.
CONSENT_MODE_SIGNALS = ("ad_storage", "analytics_storage", "ad_user_data", "ad_personalization")


def _default_tcf_purposes() -> dict[str, list[int]]:
    return {"advertising": [1, 2, 3, 4, 7], "personalization": [1, 5, 6], "analytics": [1, 8, 9]}


def _default_consent_mode_purposes() -> dict[str, list[str]]:
    return {
        "advertising": ["ad_storage", "ad_user_data", "ad_personalization"],
        "analytics": ["analytics_storage"],
    }


class TcfSettings(_Strict):
    """How IAB TCF v2.2 strings become statements (``consent.tcf``).

    ``purposes`` maps a catalogue purpose to TCF purpose ids (1-11): the purpose is granted
    only when every one of them is consented. ``min_policy_version`` is 4 for TCF v2.2; an
    older string is rejected to quarantine (``old_policy: reject``) or read anyway
    (``accept``). With ``vendor_id`` (our GVL id) our vendor's consent bit is required too.
    """

    purposes: dict[str, list[int]] = Field(default_factory=_default_tcf_purposes)
    min_policy_version: int = Field(default=4, ge=0, le=63)
    old_policy: Literal["reject", "accept"] = "reject"
    vendor_id: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("purposes")
    @classmethod
    def _check_ids(cls, value: dict[str, list[int]]) -> dict[str, list[int]]:
        for purpose, ids in value.items():
            if not ids:
                raise _KeyProblemError(purpose, "map to at least one TCF purpose id")
            for tcf_id in ids:
                if not 1 <= tcf_id <= 24:
                    raise _KeyProblemError(purpose, f"TCF purpose ids are 1-24, got {tcf_id}")
        return value


class ConsentModeSettings(_Strict):
    """How Google Consent Mode v2 signals become statements (``consent.consent_mode``).

    ``purposes`` maps a catalogue purpose to Consent Mode signals (``ad_storage``,
    ``analytics_storage``, ``ad_user_data``, ``ad_personalization``): granted when every mapped
    signal present is ``granted`` and at least one is present, denied when one is ``denied``.
    """

    purposes: dict[str, list[str]] = Field(default_factory=_default_consent_mode_purposes)

    @field_validator("purposes")
    @classmethod
    def _check_signals(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for purpose, signals in value.items():
            if not signals:
                raise _KeyProblemError(purpose, "map to at least one Consent Mode signal")
            for signal in signals:
                if signal not in CONSENT_MODE_SIGNALS:
                    raise _KeyProblemError(
                        purpose,
                        f"unknown Consent Mode signal {signal!r}; expected one of "
                        + ", ".join(CONSENT_MODE_SIGNALS),
                    )
        return value


class ConsentSettings(_Strict):
    """Consent signal decoding (``consent:``): TCF strings and Google Consent Mode."""

    tcf: TcfSettings = Field(default_factory=TcfSettings)
    consent_mode: ConsentModeSettings = Field(default_factory=ConsentModeSettings)


class Settings(_Strict):
    """Everything ``cdp.yaml`` holds, validated. Read once per process and passed in."""

    lakehouse: str = "./lakehouse"
    storage_options: dict[str, str] = Field(default_factory=dict)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    purposes: dict[str, Purpose] = Field(default_factory=dict)
    notices: dict[str, Notice] = Field(default_factory=dict)
    segments: dict[str, Any] | str = Field(default_factory=dict)
    destinations: dict[str, DestinationConfig] = Field(default_factory=dict)
    api_keys: list[ApiKey] = Field(default_factory=list)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    consent: ConsentSettings = Field(default_factory=ConsentSettings)

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _path: Path | None = PrivateAttr(default=None)

    @field_validator("sources", mode="before")
    @classmethod
    def _name_sources(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                k: ({"name": k, **v} if isinstance(v, Mapping) and "name" not in v else v)
                for k, v in value.items()
            }
        return value

    @model_validator(mode="after")
    def _cross_check(self) -> Settings:
        for name in self.purposes:
            if not _NAME.match(name):
                raise _KeyProblemError(f"purposes.{name}", "purpose names are lower_snake_case")
        for sname, source in self.sources.items():
            if source.name != sname:
                raise _KeyProblemError(f"sources.{sname}.name", "must equal its key")
            for purpose in source.consent:
                if purpose not in self.purposes:
                    raise _KeyProblemError(
                        f"sources.{sname}.consent.{purpose}", "unknown purpose (not in purposes)"
                    )
        for section, part in (
            ("tcf", self.consent.tcf),
            ("consent_mode", self.consent.consent_mode),
        ):
            if "purposes" not in part.model_fields_set:
                continue  # the defaults name purposes a catalogue may not have: skipped then
            for purpose in part.purposes:
                if purpose not in self.purposes:
                    raise _KeyProblemError(
                        f"consent.{section}.purposes.{purpose}", "unknown purpose (not in purposes)"
                    )
        for nname, notice in self.notices.items():
            for purpose in notice.purposes:
                if purpose not in self.purposes:
                    raise _KeyProblemError(
                        f"notices.{nname}.purposes",
                        f"unknown purpose {purpose!r} (not in purposes)",
                    )
        for dname, dest in self.destinations.items():
            if dest.purpose not in self.purposes:
                raise _KeyProblemError(f"destinations.{dname}.purpose", "unknown purpose")
        seen_keys: set[str] = set()
        seen_names: set[str] = set()
        for i, key in enumerate(self.api_keys):
            if key.name in seen_names:
                raise _KeyProblemError(f"api_keys.{i}.name", f"duplicate API key name {key.name!r}")
            if key.sha256 in seen_keys:
                raise _KeyProblemError(f"api_keys.{i}.sha256", "the same key is listed twice")
            seen_names.add(key.name)
            seen_keys.add(key.sha256)
        write_keys: set[str] = set()
        for sname, source in self.sources.items():
            for wk in source.write_keys:
                if wk in write_keys:
                    raise _KeyProblemError(f"sources.{sname}.write_keys", "write key used twice")
                write_keys.add(wk)
        return self

    @property
    def base_dir(self) -> Path:
        """Folder relative paths in the file are resolved against (the file's folder)."""
        return self._base_dir

    @property
    def path(self) -> Path | None:
        """The file these settings were loaded from, if any."""
        return self._path

    @property
    def lakehouse_uri(self) -> str:
        """The lakehouse root: an object-store URI as given, a local path made absolute."""
        if "://" in self.lakehouse:
            return self.lakehouse
        root = Path(self.lakehouse).expanduser()
        return str(root if root.is_absolute() else (self._base_dir / root).resolve())

    def source(self, name: str) -> SourceConfig:
        """The source called ``name``, or a ConfigError naming the sources there are."""
        try:
            return self.sources[name]
        except KeyError:
            known = ", ".join(sorted(self.sources)) or "none"
            raise ConfigError(f"unknown source {name!r}; configured: {known}") from None

    def with_base_dir(self, base_dir: Path, path: Path | None = None) -> Settings:
        """A copy whose relative paths resolve against ``base_dir``."""
        clone = self.model_copy()
        clone._base_dir = base_dir
        clone._path = path
        return clone


class _KeyProblemError(ValueError):
    """Raised inside validators to point at a key below the one being validated."""

    def __init__(self, sub_path: str, problem: str) -> None:
        self.sub_path = sub_path
        self.problem = problem
        super().__init__(f"{sub_path}: {problem}")


def _find_duplicate_key(node: yaml.Node, path: str = "") -> tuple[str, int] | None:
    """Path and line of the first duplicate mapping key (YAML would keep the last silently)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            key_path = f"{path}.{key}" if path else key
            if key in seen:
                return key_path, key_node.start_mark.line + 1
            seen.add(key)
            found = _find_duplicate_key(value_node, key_path)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _find_duplicate_key(item, f"{path}.{i}" if path else str(i))
            if found:
                return found
    return None


def _interpolate(value: Any, path: str) -> Any:
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            found = os.environ.get(name, default)
            if found is None:
                raise ConfigError(f"environment variable {name} is not set", key_path=path)
            return found

        return _ENV_REF.sub(replace, value)
    if isinstance(value, dict):
        return {k: _interpolate(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, f"{path}.{i}") for i, v in enumerate(value)]
    return value


def _first_problem(error: ValidationError) -> tuple[str, str, int]:
    details = error.errors(include_url=False, include_input=False)
    first = details[0]
    parts = [str(p) for p in first["loc"]]
    # pydantic reports the function name of BeforeValidator unions as a loc element; drop them
    parts = [p for p in parts if not p.startswith("function-")]
    ctx = first.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, _KeyProblemError):
        parts.append(cause.sub_path)
        message = cause.problem
    elif first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "required key is missing"
    else:
        message = first["msg"].removeprefix("Value error, ")
    return ".".join(parts), message, len(details) - 1


def resolve_config_path(path: str | Path | None = None) -> Path:
    """The config file to use: ``path``, else ``$CDP_CONFIG``, else ``./cdp.yaml``."""
    return Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG).expanduser()


def parse_config(data: Any, *, base_dir: Path | None = None, file: Path | None = None) -> Settings:
    """Validate already-parsed YAML/JSON data into :class:`Settings`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of keys", file=file)
    try:
        data = _interpolate(data, "")
    except ConfigError as e:
        raise ConfigError(e.problem, key_path=e.key_path, file=file) from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as e:
        key_path, message, more = _first_problem(e)
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ConfigError(message, key_path=key_path, file=file) from e
    return settings.with_base_dir(base_dir or Path.cwd(), file)


def load_config(path: str | Path | None = None) -> Settings:
    """Load and validate the configuration file (see :func:`resolve_config_path`)."""
    file = resolve_config_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"configuration file not found: {file} (pass --config or set {CONFIG_ENV})"
        ) from None
    except OSError as e:
        raise ConfigError(f"cannot read configuration file {file}: {e.strerror}") from e
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        duplicate = _find_duplicate_key(node) if node is not None else None
        if duplicate:
            key_path, line = duplicate
            raise ConfigError(f"duplicate key (line {line})", key_path=key_path, file=file)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"not valid YAML{where}", file=file) from e
    return parse_config(data, base_dir=file.resolve().parent, file=file)
