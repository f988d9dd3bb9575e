"""CSV files as CRM and ERP systems export them: semicolons and tabs, Windows code pages,
Excel's byte-order mark, files without quoting (``sources.<name>.csv``, :class:`CsvDialect`)."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest

from cdp.ingest import open_reader
from cdp.ingest.readers import (
    CsvDialect,
    CsvReader,
    RawInput,
    file_format,
    find_delimiter,
    unique_columns,
)

ROWS = [
    ["Id", "FirstName", "LastName", "City", "Note"],
    ["1", "Zoë", "Müller", "Zürich", 'says "hi"; twice'],
    ["2", "François", "Lefèvre", "Genève", "two\r\nlines, here"],
    ["3", "Ana", "Núñez", "Málaga", ""],
    ["4", "Jörg", "Strauß", "Köln", "a|b\tc"],
]


def _csv_text(rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _inputs(path: Path, dialect: CsvDialect | None = None) -> list[RawInput]:
    with open_reader(path, dialect=dialect) as reader:
        out: list[RawInput] = []
        while batch := reader.read(2):
            out.extend(batch)
        return out


def _values(inputs: list[RawInput]) -> list[dict[str, str] | None]:
    return [i.value for i in inputs]


def _rows_of(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.mark.parametrize(
    ("header", "found"),
    [
        ("Id,Name,City", ","),
        ("Id;Name;City", ";"),
        ("Id\tName\tCity", "\t"),
        ("Id|Name|City", "|"),
        ('"Name, first";"Name, last";City', ";"),  # commas inside quoted names do not count
        ("Id;Name,City;Zip", ";"),
        ("Id,Name;City", ","),  # a tie: the first of , ; tab |
        ("OneColumn", ","),
    ],
)
def test_the_delimiter_is_found_in_the_header_row(header: str, found: str) -> None:
    assert find_delimiter(header) == found


@pytest.mark.parametrize(("delimiter", "encoding"), [(";", "cp1252"), ("\t", "latin-1")])
def test_a_semicolon_or_tab_file_in_a_code_page_reads_as_the_utf8_comma_file(
    tmp_path: Path, delimiter: str, encoding: str
) -> None:
    """Values as the UTF-8 comma file's, payloads the file's own bytes, refs and resume
    positions as for any CSV file: the delimiter found in the header, the encoding declared."""
    plain = tmp_path / "plain.csv"
    plain.write_bytes(_csv_text(ROWS, ",").encode())
    text = _csv_text(ROWS, delimiter)
    exported = tmp_path / "export.csv"
    exported.write_bytes(text.encode(encoding))
    dialect = CsvDialect(encoding=encoding)

    want = _inputs(plain)
    got = _inputs(exported, dialect)
    assert _values(got) == _values(want) == _rows_of(ROWS)
    assert [(i.seq, i.ref.split(":")[1], i.rejection) for i in got] == [
        (i.seq, i.ref.split(":")[1], None) for i in want
    ]
    lines = text.encode(encoding).split(b"\r\n")
    assert got[0].payload == lines[1]  # the record as written, in its code page
    assert got[1].payload == b"\r\n".join(lines[2:4])  # (a quoted line break: two lines)
    with open_reader(exported, dialect=dialect) as reader:
        assert isinstance(reader, CsvReader)
        assert (reader.delimiter, reader.encoding) == (delimiter, codec(encoding))
        kind = "text/tab-separated-values" if delimiter == "\t" else "text/csv"
        assert reader.content_type == f"{kind}; charset={codec(encoding)}"
        positions = [reader.position]
        while reader.read(1):
            positions.append(reader.position)
    # resumed after every record: the same rest, with the delimiter found again
    for n, position in enumerate(positions):
        with open_reader(exported, position=position, dialect=dialect) as reader:
            assert _values(reader.read(100)) == _values(got)[n:]


def codec(name: str) -> str:
    return {"latin-1": "iso8859-1"}.get(name, name)


def test_a_byte_order_mark_means_utf8_whatever_the_source_declares(tmp_path: Path) -> None:
    """Excel's "CSV UTF-8" files begin with a byte-order mark: read as UTF-8 even for a
    source whose files are declared cp1252 (whose decoding would give mojibake)."""
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv_text(ROWS, ";").encode())
    with open_reader(path, dialect=CsvDialect(encoding="cp1252")) as reader:
        assert isinstance(reader, CsvReader)
        assert (reader.encoding, reader.content_type) == ("utf-8", None)
        got = reader.read(100)
        end = reader.position
    assert _values(got) == _rows_of(ROWS)
    # resumed after the first record: still UTF-8 (the mark is read again with the header)
    with open_reader(path, dialect=CsvDialect(encoding="cp1252")) as reader:
        first = reader.read(1)
        position = reader.position
    with open_reader(path, position=position, dialect=CsvDialect(encoding="cp1252")) as reader:
        assert _values(first + reader.read(100)) == _rows_of(ROWS)
        assert reader.position == end


def test_a_record_outside_the_declared_code_page_is_quarantined_by_name(tmp_path: Path) -> None:
    """cp1252 leaves five bytes undefined: a record with one is rejected ``bad_encoding``
    naming the encoding, its bytes kept; the records around it read."""
    path = tmp_path / "erp.csv"
    data = _csv_text(ROWS, ";").encode("cp1252").replace(b"Ana", b"A\x81na")
    path.write_bytes(data)
    got = _inputs(path, CsvDialect(encoding="cp1252"))
    assert [i.rejection.error_type if i.rejection else None for i in got] == [
        None,
        None,
        "bad_encoding",
        None,
    ]
    bad = got[2]
    assert bad.rejection is not None and bad.rejection.error == "record is not valid cp1252"
    assert b"A\x81na" in bad.payload
    # the same file as UTF-8 (the default): every record with a non-ASCII letter is refused
    as_utf8 = _inputs(path)
    assert all(i.rejection and i.rejection.error == "record is not valid UTF-8" for i in as_utf8)


def test_a_declared_delimiter_wins_over_the_header_and_quoting_can_be_off(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sap.csv"
    path.write_bytes(b'KUNNR;NAME1,ZUSATZ;ORT01\r\n0001;"Big" Co, AG;Bern\r\n')
    found = {"KUNNR": "0001", "NAME1,ZUSATZ": "Big Co, AG", "ORT01": "Bern"}
    assert _values(_inputs(path)) == [found]  # ; found (two against one ,)
    declared = _values(_inputs(path, CsvDialect(delimiter=",")))
    assert declared == [{"KUNNR;NAME1": '0001;"Big" Co', "ZUSATZ;ORT01": " AG;Bern"}]
    unquoted = _values(_inputs(path, CsvDialect(quote=None)))
    assert unquoted == [{**found, "NAME1,ZUSATZ": '"Big" Co, AG'}]


def test_tsv_files_and_compressed_exports_read_with_the_dialect(tmp_path: Path) -> None:
    tsv = tmp_path / "contacts.tsv"
    tsv.write_bytes(_csv_text(ROWS, "\t").encode("cp1252"))
    assert file_format(tsv) == "csv"
    packed = tmp_path / "contacts.tsv.gz"
    packed.write_bytes(gzip.compress(tsv.read_bytes()))
    dialect = CsvDialect(encoding="cp1252")
    want = _inputs(tsv, dialect)
    assert _values(want) == _rows_of(ROWS)
    got = _inputs(packed, dialect)
    assert [(i.seq, i.payload, i.value) for i in got] == [(i.seq, i.payload, i.value) for i in want]


def test_a_blank_first_line_does_not_hide_the_header_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "padded.csv"
    path.write_bytes(b"\r\n\r\n" + _csv_text(ROWS, ";").encode())
    got = _inputs(path)
    assert _values(got) == _rows_of(ROWS)
    assert got[0].ref == "padded.csv:4"  # lines counted from the file's start


def test_blank_and_repeated_header_names_keep_every_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A record is a mapping by column name: a repeated name would lose a value. Blank names
    become ``column_<n>``, repeated ones ``<name>.1``… (never a name the header has); the
    warning gives positions only (a file without a header row would have a record there)."""
    assert unique_columns(["Id", "Name", "Name", "", "Name.1", "Name"]) == (
        ["Id", "Name", "Name.2", "column_4", "Name.1", "Name.3"],
        [2, 3, 5],
    )
    path = tmp_path / "report.csv"
    path.write_bytes(b"Id;Name;Name;City;\r\n7;Acme AG;Jane Roe;Bern;\r\n")
    with caplog.at_level("WARNING", logger="cdp.ingest.readers"):
        got = _values(_inputs(path))
    assert got == [
        {"Id": "7", "Name": "Acme AG", "Name.1": "Jane Roe", "City": "Bern", "column_5": ""}
    ]
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "2 header column(s)" in warning and "(column 3, 5)" in warning
    assert "Name" not in warning.split(":", 1)[1].split("read as")[0]  # positions, no names


def test_a_file_without_a_header_row_reads_with_the_declared_columns(tmp_path: Path) -> None:
    """``header: false`` (an ERP table extract): the first row is a record, the values are
    named by the dialect's columns, the delimiter is found in the first row; a record of
    another width is refused naming csv.columns; resumed anywhere, the same rest, still UTF-8
    after a byte-order mark."""
    columns = ("KUNNR", "NAME1", "ORT01", "LAND1")
    text = '0000100001;Müller AG;Zürich;CH\r\n0000100002;"Dupont; Fils";Genève;CH\r\n'
    text += "0000100003;Short\r\n0000100004;Kälin GmbH;Chur;CH"
    path = tmp_path / "KNA1.txt.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    dialect = CsvDialect(encoding="cp1252", columns=columns)
    got = _inputs(path, dialect)
    assert [(i.seq, i.ref) for i in got] == [(n, f"KNA1.txt.csv:{n}") for n in range(1, 5)]
    assert _values(got) == [
        dict(zip(columns, ("0000100001", "Müller AG", "Zürich", "CH"), strict=True)),
        dict(zip(columns, ("0000100002", "Dupont; Fils", "Genève", "CH"), strict=True)),
        None,
        dict(zip(columns, ("0000100004", "Kälin GmbH", "Chur", "CH"), strict=True)),
    ]
    assert got[0].payload == "0000100001;Müller AG;Zürich;CH".encode()  # (no BOM)
    refused = got[2].rejection
    assert refused is not None and refused.error == "record has 2 fields, csv.columns has 4"
    with open_reader(path, dialect=dialect) as reader:
        positions = [reader.position]
        while reader.read(1):
            positions.append(reader.position)
    for n, position in enumerate(positions):
        with open_reader(path, position=position, dialect=dialect) as reader:
            assert isinstance(reader, CsvReader) and reader.encoding == "utf-8"
            assert _values(reader.read(100)) == _values(got)[n:]
