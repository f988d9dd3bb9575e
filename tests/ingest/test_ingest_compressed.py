"""Compressed input files (gzip, bzip2, xz): read as the plain ones, damage quarantined once."""

from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from backports import zstd

from cdp.ingest import FilePosition, UnsupportedSourceError, open_reader
from cdp.ingest.readers import (
    COMPRESSION_RATIO,
    JsonLinesReader,
    RawInput,
    compression_of,
    data_bytes,
    file_format,
    is_input_file,
    read_inputs,
)

COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".zst": zstd.compress,
}

OPEN: dict[str, Callable[..., Any]] = {
    ".gz": gzip.open,
    ".bz2": bz2.open,
    ".xz": lzma.open,
    ".zst": zstd.open,
}

JSONL = (
    b"".join(
        b'{"n": %d, "pad": "%s"}\n' % (i, b"x" * (i % 13)) + (b"\n" if i % 17 == 0 else b"")
        for i in range(400)
    )
    + b'{"last": true}'
)

CSV = (
    b"\xef\xbb\xbfId,Name,Note\r\n"
    + b"".join(b'%d,"Name %d","two\r\nlines"\r\n' % (i, i) for i in range(150))
    + b"3,Bad,\xff\xfe\r\n"
    + b"4,Short\r\n"
    + b"7,Last,no newline"
)


def _plain_and_compressed(tmp_path: Path, data: bytes, name: str, suffix: str) -> tuple[Path, Path]:
    plain = tmp_path / name
    plain.write_bytes(data)
    packed = tmp_path / f"{name}{suffix}"
    packed.write_bytes(COMPRESS[suffix](data))
    return plain, packed


def _same(rows: list[RawInput], want: list[RawInput], plain: str, packed: str) -> None:
    """``rows`` of the compressed file are ``want`` of the plain one (refs name the file)."""
    assert [(r.seq, r.payload, r.value, r.rejection) for r in rows] == [
        (r.seq, r.payload, r.value, r.rejection) for r in want
    ]
    assert [r.ref for r in rows] == [r.ref.replace(plain, packed) for r in want]


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
@pytest.mark.parametrize(("name", "data"), [("w.jsonl", JSONL), ("c.csv", CSV)])
def test_a_compressed_file_reads_as_the_plain_one_and_resumes_anywhere(
    tmp_path: Path, name: str, data: bytes, suffix: str
) -> None:
    plain, packed = _plain_and_compressed(tmp_path, data, name, suffix)
    want = list(read_inputs(plain))
    assert len(want) > 150
    _same(list(read_inputs(packed)), want, plain.name, packed.name)
    with open_reader(packed) as reader:
        assert reader.compression == compression_of(packed) != None  # noqa: E711
        end = reader.position
        while reader.read(10_000):
            end = reader.position
        assert reader.file_offset == packed.stat().st_size  # progress counts compressed bytes
    with open_reader(plain) as reader:
        while reader.read(10_000):
            pass
        assert reader.position == end  # positions are those of the decompressed data
    for split in (1, 37, len(want) - 1, len(want)):
        _same(_resumed(packed, split), want, plain.name, packed.name)


def _resumed(path: Path, split: int) -> list[RawInput]:
    """The first ``split`` inputs of ``path``, then the rest from a reader opened at the
    position after them (which then has nothing more)."""
    with open_reader(path) as reader:
        head = reader.read(split)
        position = reader.position
    with open_reader(path, position=position) as reader:
        tail = reader.read(10_000)
        assert reader.read(10_000) == []
    return head + tail


def test_a_big_compressed_file_reads_block_after_block(tmp_path: Path) -> None:
    """Lines that span the reader's blocks (4 MB) of decompressed data."""
    data = b"".join(b'{"n": %d, "pad": "%s"}\n' % (i, b"y" * (i % 300)) for i in range(60_000))
    assert len(data) > 2 * JsonLinesReader._BLOCK
    _, packed = _plain_and_compressed(tmp_path, data, "big.jsonl", ".gz")
    rows = list(read_inputs(packed))
    assert [r.payload for r in rows] == data.splitlines()
    assert rows[-1].seq == 60_000


def _cut(data: bytes, suffix: str, keep: float) -> bytes:
    packed = COMPRESS[suffix](data)
    return packed[: int(len(packed) * keep)]


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
@pytest.mark.parametrize(("name", "data"), [("w.jsonl", JSONL), ("c.csv", CSV)])
def test_a_truncated_file_gives_its_readable_inputs_then_one_bad_compression_input(
    tmp_path: Path, name: str, data: bytes, suffix: str
) -> None:
    truncated = tmp_path / f"{name}{suffix}"
    truncated.write_bytes(_cut(data, suffix, 0.6))
    # what the damaged file still gives, decompressed as far as it goes, as a plain file
    readable = tmp_path / name
    with OPEN[suffix](truncated, "rb") as f:
        got = b""
        with pytest.raises(EOFError):
            while part := f.read1(1 << 12):
                got += part
    readable.write_bytes(got)
    want = list(read_inputs(readable))
    rows = list(read_inputs(truncated))
    _same(rows[:-1], want, readable.name, truncated.name)
    last = rows[-1]
    line = got.count(b"\n") + (1 if got and not got.endswith(b"\n") else 0)
    after = f"after line {line}" if line else "from its start"  # (bzip2: a block is 900 kB)
    assert last.payload == b"" and last.value is None
    assert last.rejection is not None and last.rejection.error_type == "bad_compression"
    assert last.rejection.error == (
        f"the {compression_of(truncated)} data ends early (a truncated file): "
        f"the file cannot be read {after}"
    )
    assert last.ref == f"{truncated.name}:{line + 1}"
    assert last.seq == (line + 1 if name.endswith(".jsonl") or not want else want[-1].seq + 1)
    # resumed anywhere, the rest comes once: the bad_compression input is not given again
    for split in (0, 5, len(rows) - 1, len(rows)):
        assert _resumed(truncated, split) == rows, split


def test_data_that_is_not_what_its_name_says_is_one_bad_compression_input(
    tmp_path: Path,
) -> None:
    fake = tmp_path / "w.jsonl.gz"
    fake.write_bytes(b'{"a": 1}\n{"b": 2}\n')
    [only] = list(read_inputs(fake))
    assert (only.seq, only.payload, only.ref) == (1, b"", "w.jsonl.gz:1")
    assert only.rejection is not None and only.rejection.error_type == "bad_compression"
    assert only.rejection.error == (
        "the file is not gzip data: the file cannot be read from its start"
    )
    with open_reader(fake) as reader:
        reader.read(10)
        assert reader.position == FilePosition(1, 1, 1)
    with open_reader(fake, position=FilePosition(1, 1, 1)) as reader:
        assert reader.read(10) == []

    csv = tmp_path / "c.csv.xz"
    csv.write_bytes(b"Id,Name\n1,Anna\n")
    [only] = list(read_inputs(csv))
    assert only.rejection is not None and only.rejection.error_type == "bad_compression"


def test_a_corrupt_middle_keeps_the_lines_before_it(tmp_path: Path) -> None:
    """(gzip reads compressed data 8 kB at a time: the lines of the piece that holds the
    damage are lost with it)"""
    data = b"".join(b'{"n": %d, "pad": "%s"}\n' % (i, b"z" * (i % 97)) for i in range(20_000))
    packed = bytearray(gzip.compress(data))
    middle = len(packed) // 2
    packed[middle : middle + 40] = b"\x00" * 40
    path = tmp_path / "w.jsonl.gz"
    path.write_bytes(bytes(packed))
    rows = list(read_inputs(path))
    plain = data.split(b"\n")
    good = [r for r in rows if r.rejection is None]
    assert len(good) < len(plain)
    # the lines of the compressed data before the damage are the file's, at their numbers
    # (deflate may decompress damaged data into wrong lines until the checksum at the end)
    assert all(plain[r.seq - 1] == r.payload for r in good[: len(plain) // 3])
    last = rows[-1]
    assert last.rejection is not None and last.rejection.error_type == "bad_compression"
    assert last.rejection.error.startswith(
        "the gzip checksum does not match (corrupt data; lines read before may be too)"
    )
    assert [r for r in rows if r.rejection and r.rejection.error_type == "bad_compression"] == [
        last
    ]


def test_names_tell_the_format_and_the_compression(tmp_path: Path) -> None:
    assert file_format(Path("events.jsonl.gz")) == "jsonl"
    assert file_format(Path("contacts.CSV.BZ2")) == "csv"
    assert file_format(Path("x.ndjson.xz")) == "jsonl"
    assert file_format(Path("export.gz"), "csv") == "csv"
    assert compression_of(Path("a.jsonl.gz")) == "gzip" and compression_of(Path("a.jsonl")) is None
    assert compression_of(Path("unload.csv.zst")) == "zstd" == compression_of(Path("a.json.zstd"))
    assert is_input_file(Path("a.json.gz")) and is_input_file(Path("a.csv"))
    assert not is_input_file(Path("a.parquet.gz")) and not is_input_file(Path("a.txt.gz"))
    assert not is_input_file(Path("a.gz"))
    for name, says in (
        ("events.jsonl.lz4", "events.jsonl.lz4 is LZ4-compressed"),
        ("dump.zip", "dump.zip is a ZIP archive"),
        ("dump.tar.gz", "dump.tar.gz is a tar archive"),
        ("rows.parquet.gz", "rows.parquet.gz is a compressed Parquet file"),
    ):
        with pytest.raises(UnsupportedSourceError, match=says):
            file_format(Path(name), "jsonl")
    with pytest.raises(UnsupportedSourceError, match=r"gzip \(\.gz\)"):
        file_format(Path("a.txt.gz"))
    packed = tmp_path / "x.jsonl.gz"
    packed.write_bytes(gzip.compress(JSONL))
    with pytest.raises(ValueError, match="read whole"):
        JsonLinesReader(packed, max_record_bytes=100, start=10)


def test_a_compressed_file_is_not_skipped_through(tmp_path: Path) -> None:
    """A helper process cannot seek in compressed data: the dataflow reads it (read_batch)."""
    _, packed = _plain_and_compressed(tmp_path, JSONL, "w.jsonl", ".gz")
    reader = JsonLinesReader(packed, max_record_bytes=1000)
    try:
        assert reader.skip_batch(10) is None
        assert reader.position == FilePosition()
        assert len(reader.read_batch(10)) == 10
    finally:
        reader.close()


def test_zstd_damage_is_named_and_the_frames_before_it_are_kept(tmp_path: Path) -> None:
    """zstd (warehouse unloads, ``zstd`` exports): data of another kind and a damaged block
    each give one ``bad_compression`` input that says which; the lines of the blocks before
    the damage come exact, the one it cuts as far as it goes."""
    fake = tmp_path / "c.csv.zst"
    fake.write_bytes(b"Id,Name\n1,Anna\n")
    [only] = list(read_inputs(fake))
    assert only.rejection is not None
    assert (
        only.rejection.error == "the file is not zstd data: the file cannot be read from its start"
    )

    data = b"".join(b'{"n": %d, "pad": "%s"}\n' % (i, b"q" * (i % 89)) for i in range(40_000))
    packed = bytearray(zstd.compress(data))
    packed[len(packed) * 2 // 3 : len(packed) * 2 // 3 + 64] = bytes(range(64))
    path = tmp_path / "unload.jsonl.zst"
    path.write_bytes(bytes(packed))
    rows = list(read_inputs(path))
    plain = data.split(b"\n")
    good = [r for r in rows if r.rejection is None]
    assert len(plain) // 3 < len(good) < len(plain) - 1
    assert all(plain[r.seq - 1] == r.payload for r in good[:-1])
    assert plain[good[-1].seq - 1].startswith(good[-1].payload)  # (the line the damage cuts)
    [last] = [r for r in rows if r.rejection is not None]
    assert last is rows[-1] and last.rejection is not None
    assert last.rejection.error.startswith("the zstd data is damaged (ZstdError)")


def test_the_size_a_zstd_file_records_decides_on_helpers(tmp_path: Path) -> None:
    """``data_bytes``: the content size in a zstd frame's header; a streamed file that does not
    record it is estimated at COMPRESSION_RATIO times its size."""
    data = JSONL * 50
    whole = tmp_path / "a.jsonl.zst"
    whole.write_bytes(zstd.compress(data))
    assert data_bytes(whole) == len(data)
    streamed = tmp_path / "b.jsonl.zst"
    with zstd.open(streamed, "wb") as f:  # (written as it comes: no size in the header)
        f.write(data)
    assert zstd.get_frame_info(streamed.read_bytes()).decompressed_size is None
    assert data_bytes(streamed) == streamed.stat().st_size * COMPRESSION_RATIO
    assert [r.payload for r in read_inputs(streamed)] == [r.payload for r in read_inputs(whole)]
