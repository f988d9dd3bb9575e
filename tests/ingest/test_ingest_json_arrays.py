"""JSON arrays (a ``.json`` export that begins with ``[``): one input per element, as written;
a damaged document gives every element before the damage and one input for the rest."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path

import pytest

from cdp.ingest import FilePosition, open_reader
from cdp.ingest.readers import (
    JsonArrayReader,
    JsonLinesReader,
    RawInput,
    file_format,
    is_input_file,
    read_inputs,
)

# element texts as written: odd white space, nesting, escapes, non-ASCII, a non-object
ELEMENTS = [
    b'{"type": "track", "n": 1}',
    b'{\n    "type" : "page",\n    "properties": {"a": [1, 2.50, {"b": null}]}\n  }',
    b'{"s": "comma, ] and } inside \\" a string", "u": "\\u00e9\xc3\xa9"}',
    b"[1, 2, 3]",
    b'"just a string"',
    *(b'{"n": %d, "pad": "%s"}' % (i, b"x" * (i % 7)) for i in range(40)),
    b'{"last": true}',
]


def _document(elements: list[bytes], *, indent: bytes = b"\n  ", prefix: bytes = b"") -> bytes:
    return prefix + b"[" + indent + (b"," + indent).join(elements) + b"\n]\n"


def _read(path: Path, **kwargs: int) -> list[RawInput]:
    return list(read_inputs(path, **kwargs))


def _resumed(path: Path, seq: int) -> list[RawInput]:
    with open_reader(path, position=FilePosition(seq, 0, seq)) as reader:
        out: list[RawInput] = []
        while batch := reader.read(7):
            out.extend(batch)
        return out


@pytest.mark.parametrize(
    "document",
    [
        _document(ELEMENTS),
        _document(ELEMENTS, indent=b""),  # compact, one line
        _document(ELEMENTS, indent=b"\r\n\t", prefix=b"\xef\xbb\xbf \n"),  # a BOM, CRLF
        # paged: arrays one after another (and an empty one)
        _document(ELEMENTS[:10]) + b"[]" + _document(ELEMENTS[10:], indent=b" "),
    ],
    ids=["pretty", "compact", "bom", "paged"],
)
def test_each_element_is_one_input_as_written(tmp_path: Path, document: bytes) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(document)
    assert file_format(path) == "json"
    rows = _read(path)
    assert [r.payload for r in rows] == ELEMENTS
    assert [r.seq for r in rows] == list(range(1, len(ELEMENTS) + 1))
    assert [r.ref for r in rows] == [f"export.json:{n}" for n in range(1, len(ELEMENTS) + 1)]
    assert all(r.rejection is None and r.value is None for r in rows)
    for seq in (0, 1, 5, len(ELEMENTS) - 1, len(ELEMENTS)):
        assert _resumed(path, seq) == rows[seq:]
    with open_reader(path) as reader:
        assert isinstance(reader, JsonArrayReader)
        batch = reader.read_batch(10)  # columns, for the web fast path
        assert batch.payloads == ELEMENTS[:10]
        while reader.read(100):
            pass
        assert reader.file_offset == path.stat().st_size
        assert reader.position.seq == len(ELEMENTS)


def test_a_json_file_of_lines_stays_json_lines_and_names_decide_without_reading(
    tmp_path: Path,
) -> None:
    lines = tmp_path / "lines.json"
    lines.write_bytes(b"\n".join(e for e in ELEMENTS if e.startswith(b"{") and b"\n" not in e))
    assert file_format(lines) == "jsonl"
    assert isinstance(open_reader(lines), JsonLinesReader)
    # only a .json name is looked into: .jsonl and .ndjson are JSON lines whatever they hold
    arrays = tmp_path / "arrays.jsonl"
    arrays.write_bytes(b"[1, 2]\n[3]\n")
    assert file_format(arrays) == "jsonl"
    assert [r.payload for r in _read(arrays)] == [b"[1, 2]", b"[3]"]
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"  [ ]  \n")
    assert file_format(empty) == "json" and _read(empty) == []
    # a drop folder lists files by name: an unreadable .json is still an input file
    assert is_input_file(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("compress", "suffix"), [(gzip.compress, ".gz"), (bz2.compress, ".bz2")], ids=["gz", "bz2"]
)
def test_a_compressed_array_reads_as_the_plain_one(
    tmp_path: Path, compress: object, suffix: str
) -> None:
    plain = tmp_path / "export.json"
    plain.write_bytes(_document(ELEMENTS))
    packed = tmp_path / f"export.json{suffix}"
    packed.write_bytes(compress(plain.read_bytes()))  # type: ignore[operator]
    assert file_format(packed) == "json"
    want = _read(plain)
    got = _read(packed)
    assert [(r.seq, r.payload) for r in got] == [(r.seq, r.payload) for r in want]
    assert got[0].ref == f"{packed.name}:1"
    with open_reader(packed) as reader:
        assert reader.compression is not None
        while reader.read(100):
            pass
        assert reader.file_offset == packed.stat().st_size


def test_a_truncated_array_gives_every_whole_element_then_one_input_for_the_rest(
    tmp_path: Path,
) -> None:
    """Cut at every byte: the elements wholly before the cut, exact; then one ``bad_json``
    input whose payload is the rest as it was cut (nothing else is lost); resumed anywhere,
    the same inputs."""
    elements = [*ELEMENTS[:6], ELEMENTS[-1]]
    document = _document(elements)
    ends = []
    at = 0
    for element in elements:
        at = document.index(element, at) + len(element)
        ends.append(at)
    path = tmp_path / "cut.json"
    for cut in range(1, len(document)):
        path.write_bytes(document[:cut])
        rows = _read(path)
        whole = [e for e, end in zip(elements, ends, strict=True) if end <= cut]
        complete = cut >= document.rindex(b"]") + 1
        assert [r.payload for r in rows[: len(whole)]] == whole, cut
        if complete:
            assert len(rows) == len(whole)
            continue
        assert len(rows) == len(whole) + 1, cut
        rest = rows[-1]
        assert rest.seq == len(whole) + 1 and rest.ref == f"cut.json:{rest.seq}"
        assert rest.rejection is not None and rest.rejection.error_type == "bad_json"
        if not document[:cut].rstrip().endswith(b"]"):  # (cut after a nested array's end,
            # the document looks whole: its rest is "not JSON", which is as true)
            assert "cut short (a truncated file)" in rest.rejection.error, cut
        # the rest is what follows the last whole element (and its comma) as it was cut
        before = document[: cut - len(rest.payload)]
        assert document[:cut].endswith(rest.payload)
        assert before.rstrip(b" \n,").endswith(whole[-1] if whole else b"[")
        assert f"after element {len(whole)}" in rest.rejection.error or not whole
        if cut % 37 == 0:
            for seq in range(len(rows) + 1):
                assert _resumed(path, seq) == rows[seq:]


def test_a_broken_element_ends_what_can_be_read(tmp_path: Path) -> None:
    """Past an element that is not JSON nothing can be told apart: the elements before it,
    then the rest from it on as one ``bad_json`` input saying where it begins."""
    broken = b'{"type": "track", "messageId": m2}'
    document = _document([*ELEMENTS[:3], broken, *ELEMENTS[3:]])
    path = tmp_path / "broken.json"
    path.write_bytes(document)
    rows = _read(path)
    assert [r.payload for r in rows[:3]] == ELEMENTS[:3]
    assert len(rows) == 4
    rest = rows[3]
    at = document.index(broken)
    assert rest.payload == document[at:]
    assert rest.rejection is not None and rest.rejection.error_type == "bad_json"
    assert rest.rejection.error == (
        "element 4 of the JSON array is not JSON: the file cannot be read after element 3 "
        f"(byte {at} on)"
    )
    # a missing comma, and data after the array
    path.write_bytes(b'[{"a": 1} {"b": 2}]')
    rows = _read(path)
    assert [r.payload for r in rows] == [b'{"a": 1}', b'{"b": 2}]']
    assert rows[1].rejection is not None
    assert rows[1].rejection.error.startswith(
        "a comma or the end of the JSON array expected after element 1"
    )
    path.write_bytes(_document(ELEMENTS[:2]) + b"trailer\n")
    rows = _read(path)
    assert [r.payload for r in rows] == [*ELEMENTS[:2], b"trailer\n"]
    assert rows[2].rejection is not None
    assert rows[2].rejection.error.startswith("data after the JSON array")


def test_an_oversize_element_is_rejected_and_the_unreadable_rest_is_capped(
    tmp_path: Path,
) -> None:
    big = b'{"pad": "' + b"y" * 500 + b'"}'
    path = tmp_path / "big.json"
    path.write_bytes(_document([ELEMENTS[0], big, ELEMENTS[-1]]))
    rows = _read(path, max_record_bytes=100)
    assert [r.payload for r in rows] == [ELEMENTS[0], big[:100], ELEMENTS[-1]]
    assert rows[1].rejection is not None and rows[1].rejection.error_type == "oversize"
    assert rows[0].rejection is None and rows[2].rejection is None
    # the rest of a cut document keeps its first max_record_bytes
    path.write_bytes(_document([ELEMENTS[0], big])[:400])
    rows = _read(path, max_record_bytes=100)
    assert rows[-1].payload == big[:100]
    assert rows[-1].rejection is not None and rows[-1].rejection.error_type == "bad_json"


def test_a_truncated_compressed_array_gives_one_bad_compression_input_once(
    tmp_path: Path,
) -> None:
    document = _document([json.dumps({"n": i, "pad": "z" * 40}).encode() for i in range(3000)])
    data = gzip.compress(document)
    path = tmp_path / "cut.json.gz"
    path.write_bytes(data[: len(data) // 2])
    rows = _read(path)
    whole = rows[:-1]
    assert len(whole) > 100
    assert [r.payload for r in whole] == [
        json.dumps({"n": i, "pad": "z" * 40}).encode() for i in range(len(whole))
    ]
    rest = rows[-1]
    assert rest.rejection is not None and rest.rejection.error_type == "bad_compression"
    assert rest.rejection.error.startswith("the gzip data ends early (a truncated file)")
    assert f"after element {len(whole)}" in rest.rejection.error
    for seq in (0, len(whole) - 1, len(whole), len(rows)):
        assert _resumed(path, seq) == rows[seq:]
