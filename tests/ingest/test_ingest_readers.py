"""Readers: CSV, JSON lines and Parquet with stable, resumable positions; nothing dropped."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from cdp.ingest import FilePosition, InputFileError, UnsupportedSourceError, open_reader
from cdp.ingest.readers import JsonLinesReader, RawInput, file_format, read_inputs

CSV = (
    b"\xef\xbb\xbfId,Name,Note\r\n"
    b"1,Anna,plain\r\n"
    b'2,"M\xc3\xbcller, Hans","two\r\nlines"\r\n'
    b"\r\n"
    b"3,Bad,\xff\xfe\r\n"
    b"4,Short\r\n"
    b"5,Too,many,fields\r\n"
    b'6,"quoted ""inner""",x\r\n'
    b"7,Last,no newline"
)


def _all(path: Path, **kwargs: object) -> list[RawInput]:
    return list(read_inputs(path, **kwargs))  # type: ignore[arg-type]


def test_csv_rows_keep_their_bytes_and_rejections(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(CSV)
    rows = _all(path)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert rows[0].value == {"Id": "1", "Name": "Anna", "Note": "plain"}
    assert rows[0].payload == b"1,Anna,plain"
    assert rows[1].value == {"Id": "2", "Name": "Müller, Hans", "Note": "two\r\nlines"}
    assert rows[1].payload == b'2,"M\xc3\xbcller, Hans","two\r\nlines"'
    assert rows[1].ref == "c.csv:3"
    assert rows[2].rejection is not None and rows[2].rejection.error_type == "bad_encoding"
    assert rows[2].payload == b"3,Bad,\xff\xfe"
    assert rows[2].ref == "c.csv:6"
    assert rows[3].rejection is not None and rows[3].rejection.error_type == "schema"
    assert rows[4].rejection is not None and rows[4].rejection.error_type == "schema"
    assert rows[5].value == {"Id": "6", "Name": 'quoted "inner"', "Note": "x"}
    assert rows[6].value == {"Id": "7", "Name": "Last", "Note": "no newline"}


def test_csv_resumes_at_any_position(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(CSV)
    everything = _all(path)
    for split in range(len(everything) + 1):
        with open_reader(path) as reader:
            head = reader.read(split)
            position = reader.position
        with open_reader(path, position=position) as reader:
            tail = reader.read(100)
            assert reader.position == FilePosition(7, len(CSV), 10)
        assert head + tail == everything, split


def test_csv_oversize_record(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"a,b\n1," + b"x" * 300 + b"\n2,y\n")
    rows = _all(path, max_record_bytes=100)
    assert rows[0].rejection is not None and rows[0].rejection.error_type == "oversize"
    assert rows[1].value == {"a": "2", "b": "y"}


def test_csv_empty_and_header_only(tmp_path: Path) -> None:
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    assert _all(empty) == []
    header = tmp_path / "h.csv"
    header.write_bytes(b"a,b\r\n")
    assert _all(header) == []


def test_jsonl_lines_blank_oversize_and_resume(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    big = b'{"x": "' + b"y" * 500 + b'"}'
    path.write_bytes(b'{"a": 1}\n\n  \n{"a": 2}\r\n' + big + b'\n{"a": 3}')
    rows = _all(path, max_record_bytes=100)
    assert [(r.seq, r.ref) for r in rows] == [
        (1, "w.jsonl:1"),
        (4, "w.jsonl:4"),
        (5, "w.jsonl:5"),
        (6, "w.jsonl:6"),
    ]
    assert rows[1].payload == b'{"a": 2}'
    assert rows[2].rejection is not None and rows[2].rejection.error_type == "oversize"
    assert len(rows[2].payload) == 100
    assert rows[3].payload == b'{"a": 3}'
    with open_reader(path, max_record_bytes=100) as reader:
        reader.read(2)
        position = reader.position
    with open_reader(path, position=position, max_record_bytes=100) as reader:
        assert [r.seq for r in reader.read(10)] == [5, 6]


def test_jsonl_byte_ranges_cover_every_line_once(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    lines = [b'{"n": %d, "pad": "%s"}' % (i, b"x" * (i % 7)) for i in range(200)]
    data = b"\n".join(lines) + b"\n\n" + b'{"last": 1}'
    path.write_bytes(data)
    whole = _all(path)
    assert [r.payload for r in whole] == [*lines, b'{"last": 1}']
    for size in (1, 17, 64, 500, 4096):
        got: list[RawInput] = []
        for start in range(0, len(data), size):
            with JsonLinesReader(
                path, max_record_bytes=1000, start=start, end=start + size
            ) as reader:
                first = reader.read(3)
                position = reader.position
            with JsonLinesReader(
                path, position=position, max_record_bytes=1000, start=start, end=start + size
            ) as reader:
                got += first + reader.read(10_000)
        assert got == whole, size


def test_parquet_rows_and_resume(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    table = pa.table({"Id": [str(i) for i in range(10)], "n": list(range(10))})
    pq.write_table(table, path, row_group_size=3)
    rows = _all(path)
    assert [r.seq for r in rows] == list(range(1, 11))
    assert rows[4].value == {"Id": "4", "n": 4}
    assert rows[4].payload == b'{"Id":"4","n":4}'
    for split in range(11):
        with open_reader(path) as reader:
            head = reader.read(split)
            position = reader.position
        with open_reader(path, position=position) as reader:
            assert head + reader.read(100) == rows


def test_formats_and_missing_files(tmp_path: Path) -> None:
    assert file_format(Path("a.CSV")) == "csv"
    assert file_format(Path("a.ndjson")) == "jsonl"
    assert file_format(Path("a.txt"), "jsonl") == "jsonl"
    with pytest.raises(UnsupportedSourceError):
        file_format(Path("a.txt"))
    with pytest.raises(InputFileError):
        open_reader(tmp_path / "missing.csv")


_LINE_KINDS = st.sampled_from(
    [b'{"a": 1}', b"", b"  ", b"\t\r", b'{"b": "xyz"}\r', b'{"c": "' + b"w" * 90 + b'"}', b" x"]
)


def _lines_of(data: bytes, limit: int, end: int | None) -> list[tuple[int, bytes, bool]]:
    """The inputs of JSON-lines ``data`` one line at a time, as the module documentation
    says: ``(line number, payload, oversize)`` of each non-blank line beginning before
    ``end``, without its line break and ``\\r``; an oversize line (over ``limit`` bytes, its
    ``\\r`` aside) keeps its first ``limit`` bytes."""
    found = []
    offset = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        if end is not None and offset >= end:
            break
        offset += len(line) + 1
        if len(line) > limit + 1:
            found.append((number, line[:limit], True))
            continue
        text = line[:-1] if line.endswith(b"\r") else line
        if text and not text.isspace():
            found.append((number, text, False))
    return found


@hyp_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(_LINE_KINDS, max_size=40),
    last_break=st.booleans(),
    block=st.integers(min_value=8, max_value=300),
    rows=st.integers(min_value=1, max_value=7),
    max_bytes=st.integers(min_value=1, max_value=400),
    cut=st.integers(min_value=0, max_value=2_000),
)
def test_jsonl_skip_batch_moves_as_read_batch_reads(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    last_break: bool,
    block: int,
    rows: int,
    max_bytes: int,
    cut: int,
) -> None:
    """``skip_batch`` ends where ``read_batch`` would, and a reader opened at the position
    before reads exactly the inputs skipped (what a helper process of the ingest does):
    blank and white-space lines, CRLF, oversize lines, a last line without a break, byte
    ranges and blocks smaller than a line included."""
    path = tmp_path_factory.mktemp("skip") / "w.jsonl"
    data = b"\n".join(lines) + (b"\n" if last_break else b"")
    path.write_bytes(data)
    end = cut if 0 < cut < len(data) else None
    limit = 50  # the 100-byte lines are oversize
    original = JsonLinesReader._BLOCK
    JsonLinesReader._BLOCK = block
    try:
        with JsonLinesReader(path, max_record_bytes=limit, end=end) as plain:
            want = plain.read(10_000)
        assert [(r.seq, r.payload, r.rejection is not None) for r in want] == _lines_of(
            data, limit, end
        )
        got: list[RawInput] = []
        with JsonLinesReader(path, max_record_bytes=limit, end=end) as skipping:
            for _ in range(200):
                start = skipping.position
                skipped = skipping.skip_batch(rows, max_bytes)
                if skipped is None:  # a line only read_batch takes
                    batch = list(skipping.read_batch(rows, max_bytes))
                    if not batch:  # a blank last line: the end, as for the file sources
                        break
                    got += batch
                    continue
                if skipped == 0:
                    break
                after = skipping.position.offset
                with JsonLinesReader(
                    path, position=start, max_record_bytes=limit, end=after
                ) as helper:
                    batch = list(helper.read_batch(rows, max_bytes))
                    assert len(batch) == skipped
                    assert helper.position == skipping.position
                got += batch
        assert got == want
    finally:
        JsonLinesReader._BLOCK = original
