"""cdp.yaml loading: the sample file, shorthands, env interpolation, and every kind of bad file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cdp.config import ConfigError, Settings, load_config, resolve_config_path

GOOD_SOURCE = "{kind: crm, format: csv, record_id: Id, fields: {email: Email}}"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "cdp.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_sample_config_loads(sample_settings: Settings) -> None:
    assert set(sample_settings.sources) == {"crm", "erp", "web", "preferences"}
    crm = sample_settings.sources["crm"]
    assert crm.name == "crm"
    assert crm.fields["email"].column == "Email"  # string shorthand
    assert crm.fields["email"].format == "auto"
    assert crm.fields["birth_date"].format == "iso"  # {column:, format:} form
    assert crm.updated_at is not None and crm.updated_at.column == "LastModifiedDate"
    assert crm.consent["email_marketing"].true_means == "denied"
    assert sample_settings.sources["erp"].fields["full_name"].column == "NAME1"
    assert sample_settings.sources["web"].write_keys == ["demo-write-key"]
    assert sample_settings.purposes["email_marketing"].direct_marketing is True
    assert {k.role for k in sample_settings.api_keys} == {
        "collector",
        "marketing",
        "ai_service",
        "dpo",
        "admin",
    }


def test_relative_lakehouse_resolves_against_the_config_folder(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, "lakehouse: ./lh\n"))
    assert settings.lakehouse_uri == str((tmp_path / "lh").resolve())
    assert settings.path == tmp_path / "cdp.yaml"


def test_object_store_uri_is_kept(tmp_path: Path) -> None:
    settings = load_config(
        write(tmp_path, "lakehouse: s3://bucket/cdp\nstorage_options: {AWS_REGION: eu}\n")
    )
    assert settings.lakehouse_uri == "s3://bucket/cdp"
    assert settings.storage_options == {"AWS_REGION": "eu"}


def test_single_legal_basis_applies_everywhere(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, "purposes: {analytics: {legal_basis: consent}}\n"))
    assert settings.purposes["analytics"].legal_basis == {"default": "consent"}


def test_env_interpolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDP_TEST_SECRET", "s3cr3t")
    settings = load_config(
        write(
            tmp_path,
            "storage_options: {KEY: '${CDP_TEST_SECRET}', REGION: '${CDP_UNSET_VAR:-eu-west-1}'}\n",
        )
    )
    assert settings.storage_options == {"KEY": "s3cr3t", "REGION": "eu-west-1"}


def test_config_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "lakehouse: ./x\n")
    monkeypatch.setenv("CDP_CONFIG", str(path))
    assert resolve_config_path() == path
    assert load_config().path == path
    assert resolve_config_path("other.yaml") == Path("other.yaml")  # argument wins


def test_unknown_source_lookup_names_the_configured_ones(sample_settings: Settings) -> None:
    expected = "unknown source 'shop'; configured: crm, erp, preferences, web"
    with pytest.raises(ConfigError, match=expected):
        sample_settings.source("shop")


BAD_FILES = [
    pytest.param(
        "sources: {crm: {kind: crm, format: csv, record_id: Id, fields: {frist_name: F}}}",
        "sources.crm.fields.frist_name",
        "unknown canonical field",
        id="unknown-canonical-field",
    ),
    pytest.param(
        "sources: {crm: {kind: crm, format: csv, fields: {email: Email}}}",
        "sources.crm.record_id",
        "missing record_id",
        id="missing-record-id",
    ),
    pytest.param(
        "sources: {c: {kind: crm, format: csv, record_id: I, fields: "
        "{birth_date: {column: B, format: ddmmyy}}}}",
        "sources.c.fields.birth_date.format",
        "bad format name 'ddmmyy'",
        id="bad-format-name",
    ),
    pytest.param(
        "sources: {c: {kind: crm, format: csv, record_id: I, fields: {email: E},"
        " updated_at: {column: U, format: week}}}",
        "sources.c.updated_at.format",
        "bad format name 'week'",
        id="bad-timestamp-format",
    ),
    pytest.param(
        f"sources:\n  crm: {GOOD_SOURCE}\n  erp: {GOOD_SOURCE}\n  crm: {GOOD_SOURCE}\n",
        "sources.crm",
        "duplicate key (line 4)",
        id="duplicate-source-name",
    ),
    pytest.param(
        "sources: {c: {kind: crm, format: xml, record_id: I, fields: {email: E}}}",
        "sources.c.format",
        "'csv', 'jsonl', 'parquet', 'segment' or 'kafka'",
        id="bad-source-format",
    ),
    pytest.param(
        "sources: {c: {kind: crm, format: csv, record_id: I, fields: {email: E}, colour: red}}",
        "sources.c.colour",
        "unknown key",
        id="unknown-key",
    ),
    pytest.param("lakehous: ./x", "lakehous", "unknown key", id="top-level-typo"),
    pytest.param(
        "sources: {c: {kind: crm, format: csv, record_id: I, fields: {}}}",
        "sources.c.fields",
        "at least one field mapping",
        id="no-fields",
    ),
    pytest.param(
        "sources: {c: {kind: crm, format: csv, record_id: I, fields: {email: E}, "
        "consent: {sms: {column: X, true_means: denied}}}}",
        "sources.c.consent.sms",
        "unknown purpose",
        id="consent-for-unknown-purpose",
    ),
    pytest.param(
        "sources: {c: {kind: crm, format: csv, record_id: I, fields: {email: E}, "
        "default_region: Swiss}}",
        "sources.c.default_region",
        "ISO 3166 alpha-2",
        id="bad-region",
    ),
    pytest.param(
        "sources: {c: {kind: crm, format: kafka, record_id: I, fields: {email: E}}}",
        "sources.c.kafka",
        "format kafka needs",
        id="kafka-without-settings",
    ),
    pytest.param(
        "sources: {w: {kind: web, format: segment, fields: {email: E}}}",
        "sources.w.fields",
        "reserved traits",
        id="segment-with-fields",
    ),
    pytest.param(
        "purposes: {email_marketing: {channel: email}}",
        "purposes.email_marketing.legal_basis",
        "required key is missing",
        id="purpose-without-legal-basis",
    ),
    pytest.param(
        "purposes: {ads: {legal_basis: maybe}}",
        "purposes.ads.legal_basis.default",
        "'consent', 'legitimate_interest'",
        id="bad-legal-basis",
    ),
    pytest.param(
        "api_keys: [{name: a, role: root, sha256: " + "a" * 64 + "}]",
        "api_keys.0.role",
        "'collector', 'marketing'",
        id="bad-role",
    ),
    pytest.param(
        "api_keys: [{name: a, role: admin, sha256: 12ab}]",
        "api_keys.0.sha256",
        "64-character hex sha256",
        id="bad-key-digest",
    ),
    pytest.param(
        "api_keys: [{name: a, role: admin, sha256: "
        + "a" * 64
        + "}, {name: a, role: dpo, sha256: "
        + "b" * 64
        + "}]",
        "api_keys.1.name",
        "duplicate API key name",
        id="duplicate-api-key-name",
    ),
    pytest.param(
        "destinations: {f: {kind: file, purpose: analytics}}",
        "destinations.f.path",
        "needs path",
        id="file-destination-without-path",
    ),
    pytest.param(
        "purposes: {analytics: {legal_basis: consent}}\n"
        "destinations: {f: {kind: file, purpose: ads, path: x}}",
        "destinations.f.purpose",
        "unknown purpose",
        id="destination-unknown-purpose",
    ),
    pytest.param(
        "sources: {crm: {kind: crm, format: csv, record_id: Id, fields: {email: Email}, "
        "csv: {encoding: utf-16}}}",
        "sources.crm.csv.encoding",
        "not single ASCII bytes",
        id="csv-utf16",
    ),
    pytest.param(
        "sources: {crm: {kind: crm, format: csv, record_id: Id, fields: {email: Email}, "
        "csv: {encoding: klingon}}}",
        "sources.crm.csv.encoding",
        "unknown text encoding 'klingon'",
        id="csv-unknown-encoding",
    ),
    pytest.param(
        "sources: {crm: {kind: crm, format: csv, record_id: Id, fields: {email: Email}, "
        "csv: {delimiter: ';;'}}}",
        "sources.crm.csv.delimiter",
        "one character",
        id="csv-delimiter",
    ),
    pytest.param(
        "sources: {crm: {kind: crm, format: csv, record_id: Id, fields: {email: Email}, "
        "csv: {delimiter: ';', quote: ';'}}}",
        "sources.crm.csv.delimiter",
        "must differ",
        id="csv-delimiter-is-quote",
    ),
    pytest.param(
        "sources: {crm: {kind: crm, format: csv, record_id: Id, fields: {email: Email}, "
        "csv: {separator: ';'}}}",
        "sources.crm.csv.separator",
        "unknown key",
        id="csv-unknown-key",
    ),
    pytest.param(
        "sources: {erp: {kind: erp, format: csv, record_id: KUNNR, fields: {city: ORT01}, "
        "csv: {header: false}}}",
        "sources.erp.csv.columns",
        "need their columns",
        id="csv-no-header-no-columns",
    ),
    pytest.param(
        "sources: {erp: {kind: erp, format: csv, record_id: KUNNR, fields: {city: ORT01}, "
        "csv: {columns: [KUNNR, ORT01]}}}",
        "sources.erp.csv.columns",
        "header: false",
        id="csv-columns-with-header",
    ),
    pytest.param(
        "sources: {erp: {kind: erp, format: csv, record_id: KUNNR, fields: {city: ORT01}, "
        "csv: {header: false, columns: [KUNNR, NAME1]}}}",
        "sources.erp.fields.city",
        "column 'ORT01' is not one of csv.columns",
        id="csv-columns-miss-a-mapped-one",
    ),
    pytest.param(
        "sources: {erp: {kind: erp, format: csv, record_id: KUNNR, fields: {city: ORT01}, "
        "csv: {header: false, columns: [KUNNR, ORT01, KUNNR]}}}",
        "sources.erp.csv.columns",
        "repeated column name 'KUNNR'",
        id="csv-columns-repeat",
    ),
    pytest.param(
        "sources: {web: {kind: web, format: segment, csv: {delimiter: ';'}}}",
        "sources.web.csv",
        "CSV options apply to CSV files",
        id="csv-on-segment",
    ),
    pytest.param(
        "lakehouse: ${CDP_NOT_SET_ANYWHERE}", "lakehouse", "CDP_NOT_SET_ANYWHERE", id="env"
    ),
    pytest.param("sources: [1, 2", "", "not valid YAML at line", id="bad-yaml"),
    pytest.param("- a\n- b\n", "", "top level must be a mapping", id="not-a-mapping"),
]


@pytest.mark.parametrize(("body", "key_path", "problem"), BAD_FILES)
def test_bad_file_names_key_and_problem(
    tmp_path: Path, body: str, key_path: str, problem: str
) -> None:
    path = write(tmp_path, body + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    error = info.value
    assert error.key_path == key_path
    assert problem in str(error)
    assert str(error).startswith("cdp.yaml: ")
    assert "\n" not in str(error)  # one line: the CLI prints it as is


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "absent.yaml")


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, ""))
    assert settings.sources == {}
    assert settings.lakehouse_uri == str((tmp_path / "lakehouse").resolve())


def test_identifier_hash_is_keyed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDP_HASH_KEY", "k" * 32)
    keyed = load_config(write(tmp_path, "privacy: {hash_key: '${CDP_HASH_KEY}'}\n")).privacy
    default = Settings().privacy
    assert default.is_development_key and not keyed.is_development_key
    ident = "email:jane@example.com"
    assert keyed.hash_identifier(ident) == keyed.hash_identifier(ident)
    assert keyed.hash_identifier(ident) != default.hash_identifier(ident)
    assert len(keyed.hash_identifier(ident)) == 64 and "jane" not in keyed.hash_identifier(ident)


def test_web_source_on_kafka_needs_no_record_mapping(tmp_path: Path) -> None:
    settings = load_config(
        write(
            tmp_path,
            "sources: {web: {kind: web, format: kafka, kafka: {brokers: 'h:9092', topic: t}}}\n",
        )
    )
    assert settings.sources["web"].record_id is None
    with pytest.raises(ConfigError, match=r"sources\.web\.fields: Segment sources"):
        load_config(
            write(
                tmp_path,
                "sources: {web: {kind: web, format: kafka, kafka: {brokers: 'h:9092', topic: t},"
                " fields: {email: E}}}\n",
            )
        )


def test_csv_options_take_names_and_normalize_the_encoding(tmp_path: Path) -> None:
    """``tab`` spells a tab, a tab itself stays (not stripped), encodings by their codec name."""
    body = (
        "sources:\n"
        "  erp: {kind: erp, format: csv, record_id: KUNNR, fields: {email: E},\n"
        "        csv: {delimiter: tab, encoding: Latin-1, quote: none}}\n"
        "  crm: {kind: crm, format: csv, record_id: Id, fields: {email: E},\n"
        '        csv: {delimiter: "\\t"}}\n'
        "  other: " + GOOD_SOURCE + "\n"
    )
    settings = load_config(write(tmp_path, body))
    erp, crm = settings.sources["erp"].csv, settings.sources["crm"].csv
    assert erp is not None and (erp.delimiter, erp.quote, erp.encoding) == (
        "\t",
        "none",
        "iso8859-1",
    )
    assert crm is not None and (crm.delimiter, crm.quote, crm.encoding) == ("\t", '"', "utf-8")
    assert settings.sources["other"].csv is None  # (the reader's defaults: auto, ", UTF-8)
