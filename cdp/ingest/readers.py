"""Readers of input files with a stable, resumable position.

Each reader yields :class:`RawInput` values ``(seq, payload, ref, value, rejection)`` per input
record, ``seq`` increasing from 1, and exposes a :class:`FilePosition` after the last record it
returned. Opening a reader at a position continues right behind that record without reading
the file from the start (byte offsets for CSV and JSON lines, row groups for Parquet).

* **CSV** (``.csv``, ``.tsv``): a header row, RFC 4180 quoting (quoted fields may span lines),
  in the :class:`CsvDialect` of its source: the delimiter found in the header unless declared,
  UTF-8 unless another encoding is declared (a UTF-8 BOM is skipped, and makes the file UTF-8
  whatever is declared). ``seq`` is the data row number; ``payload`` the record's original
  bytes (all its lines). A record that is not valid in the encoding is rejected
  ``bad_encoding``, one whose field count differs from the header's ``schema``, one over
  ``max_record_bytes`` ``oversize`` - each is still an input, never dropped. Blank lines are not
  records.
* **JSON lines** (``.jsonl``, ``.ndjson``, ``.json``): one input per non-blank line, ``seq`` its
  line number; ``payload`` is the line without its line break. Lines are parsed by the
  processing step (``bad_json``, ``bad_encoding``); a line over ``max_record_bytes`` is rejected
  ``oversize`` here (its payload keeps the first ``max_record_bytes``). A big file can be read
  as byte ranges in parallel (:class:`JsonLinesReader` ``start``/``end``).
* **JSON arrays** (a ``.json`` file whose data begins with ``[``: a JSON document, as API
  exports come): one input per element, ``seq`` its number, ``payload`` its JSON as written.
  Arrays one after another (paged exports) read as one. A document that is not JSON throughout
  (a cut download, a broken element) gives every element before the damage, then one more input
  rejected ``bad_json`` for the rest (its payload the rest's first ``max_record_bytes``; the
  error says where it begins). The document is read whole into memory.
* **Parquet** (``.parquet``, ``.pq``): one input per row, ``value`` the row as a dict and
  ``payload`` its JSON.

``ref`` is ``<file name>:<line>`` (the physical line a record starts on; JSON arrays: the
element number; Parquet: the row number).

**Compressed** CSV and JSON lines (``.csv.gz``, ``.jsonl.gz``, ``.json.bz2``, ``.ndjson.xz``,
``.jsonl.zst``: gzip, bzip2, xz, zstd, as Segment's and RudderStack's archives, warehouse
unloads and most exports come) are read as they
are; offsets are then positions in the decompressed data, and a resumed reader decompresses
from the start up to its position. A compressed file that cannot be read to its end (truncated,
corrupt, not the compression its name says) gives every line before the damage, then one more
input rejected ``bad_compression`` that stands for the unreadable rest (empty payload). A
truncated file's lines are exact up to the cut; corrupt gzip data may only be noticed at the
end, by its checksum, and the lines decompressed before that may be wrong (its
``bad_compression`` row says so). Other compressions and archives (``.lz4``, ``.zip``,
``.tar.gz``…) and compressed Parquet are refused with an error that names the file.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import json
import logging
import lzma
import re
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, cast, overload

import msgspec
import numpy as np
import orjson
from backports import zstd

from cdp.ingest.errors import InputFileError, UnsupportedSourceError
from cdp.ingest.outcome import Rejection

__all__ = [
    "COMPRESSIONS",
    "COMPRESSION_RATIO",
    "FILE_FORMATS",
    "BatchReader",
    "CsvDialect",
    "CsvReader",
    "FilePosition",
    "FileReader",
    "InputBatch",
    "JsonArrayReader",
    "JsonLinesReader",
    "ParquetReader",
    "RawInput",
    "compression_of",
    "data_bytes",
    "file_format",
    "is_input_file",
    "open_reader",
    "read_inputs",
    "unique_columns",
]

logger = logging.getLogger(__name__)

#: File name suffix -> reader format.
FILE_FORMATS: Final[dict[str, str]] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
#: File name suffix -> compression read (the format comes from the suffix before it).
COMPRESSIONS: Final[dict[str, str]] = {
    ".gz": "gzip",
    ".bz2": "bzip2",
    ".xz": "xz",
    ".zst": "zstd",
    ".zstd": "zstd",
}
#: compressions and archives not read: refused by name rather than read as bytes
_NOT_READ: Final[dict[str, str]] = {
    ".lz4": "LZ4",
    ".sz": "Snappy",
    ".snappy": "Snappy",
    ".br": "Brotli",
    ".z": "compress",
    ".zip": "a ZIP archive",
    ".7z": "a 7-Zip archive",
    ".tar": "a tar archive",
    ".tgz": "a tar archive",
}
#: what decompressing a damaged file raises (``gzip.BadGzipFile`` and bzip2's errors are
#: ``OSError``s)
_DAMAGED: Final = (EOFError, OSError, zlib.error, lzma.LZMAError, zstd.ZstdError)
_BOM: Final = b"\xef\xbb\xbf"
#: the bytes that ``bytes.isspace`` takes as white space (a line of them only is blank)
_BLANKS: Final = frozenset(b" \t\n\r\x0b\x0c")
_SPACE: Final = np.isin(np.arange(256), sorted(_BLANKS))
_NEWLINE: Final = ord("\n")
_CR: Final = ord("\r")
_JSON_OPTIONS: Final = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


@dataclass(frozen=True, slots=True)
class RawInput:
    """One input record: its position, original bytes, where it is, and what the reader saw.

    ``value`` is the parsed row when the reader parses (CSV, Parquet); None for JSON lines.
    ``rejection`` is set when the reader itself refuses the record (encoding, field count).
    """

    seq: int
    payload: bytes
    ref: str
    value: Any = None
    rejection: Rejection | None = None


@dataclass(frozen=True, slots=True)
class _LineSpan:
    """Lines of a reader's buffer it consumes at once (see ``JsonLinesReader._span``)."""

    consumed: int  # lines consumed (blank ones included)
    taken: np.ndarray  # the indexes of the inputs among them
    starts: np.ndarray  # where each line of the span begins in the buffer
    lengths: np.ndarray  # each line's length, without its line break and \r
    bytes: int  # bytes consumed (line breaks included)
    size: int  # the batch's size after the inputs taken
    last_input: int  # the index of the last input taken (-1: none)


@dataclass(frozen=True, slots=True)
class FilePosition:
    """Where a reader is: after record ``seq`` (0: none), at byte ``offset``, after ``line``.

    The resume state of a file partition; plain values so that it pickles small and stable.
    """

    seq: int = 0
    offset: int = 0
    line: int = 0


@dataclass(frozen=True, slots=True)
class InputBatch(Sequence[RawInput]):
    """Consecutive inputs of a file in columns (cheaper than one :class:`RawInput` each).

    ``seqs`` are line numbers, so an input's ``ref`` is ``<name>:<seq>``; ``rejections`` maps an
    index to the reader's rejection of that input. Indexing gives :class:`RawInput` values.
    """

    name: str
    seqs: list[int]
    payloads: list[bytes]
    rejections: dict[int, Rejection]

    def __len__(self) -> int:
        return len(self.seqs)

    @overload
    def __getitem__(self, index: int) -> RawInput: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[RawInput]: ...

    def __getitem__(self, index: int | slice) -> RawInput | Sequence[RawInput]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        seq = self.seqs[index]
        return RawInput(
            seq,
            self.payloads[index],
            f"{self.name}:{seq}",
            None,
            self.rejections.get(index if index >= 0 else index + len(self)),
        )

    def ref(self, index: int) -> str:
        """The record reference of input ``index``."""
        return f"{self.name}:{self.seqs[index]}"


def compression_of(path: Path) -> str | None:
    """The compression of ``path`` from its last suffix (:data:`COMPRESSIONS`), None for none;
    :class:`UnsupportedSourceError` for a compression or archive that is not read."""
    suffix = Path(path).suffix.lower()
    refused = _NOT_READ.get(suffix)
    inner = Path(Path(path).stem).suffix.lower()
    if refused is None and suffix in COMPRESSIONS and inner == ".tar":
        refused = "a tar archive"
    if refused is not None:
        kind = refused if refused.startswith("a ") else f"{refused}-compressed"
        raise UnsupportedSourceError(
            f"{Path(path).name} is {kind}, which cdp ingest does not read; give the files "
            f"themselves, or compressed with {_READ_COMPRESSIONS}"
        )
    return COMPRESSIONS.get(suffix)


_READ_COMPRESSIONS: Final = "gzip (.gz), bzip2 (.bz2), xz (.xz) or zstd (.zst)"


def file_format(path: Path, default: str | None = None) -> str:
    """The reader format of ``path`` from its suffix (the one before a compression's: see
    :data:`COMPRESSIONS`), else ``default``; a ``.json`` file that begins with ``[`` is a JSON
    array (``"json"``), any other one JSON lines."""
    path = Path(path)
    found = _named_format(path, default)
    if found == "jsonl" and _inner_suffix(path) == ".json" and _starts_array(path):
        return "json"  # a JSON document holding an array (an export), not JSON lines
    return found


def _inner_suffix(path: Path) -> str:
    """The suffix that tells the format: the one before a compression's."""
    inner = Path(path.stem) if Path(path).suffix.lower() in COMPRESSIONS else path
    return inner.suffix.lower()


def _named_format(path: Path, default: str | None) -> str:
    """:func:`file_format` by the name alone (a ``.json`` file: ``"jsonl"``)."""
    compression = compression_of(path)
    found = FILE_FORMATS.get(_inner_suffix(path))
    if found is None and default in ("csv", "jsonl", "parquet"):
        found = default
    if found is None:
        raise UnsupportedSourceError(
            f"cannot tell the format of {path.name}; use one of "
            f"{', '.join(sorted(FILE_FORMATS))} (or one of them compressed with "
            f"{_READ_COMPRESSIONS})"
        )
    if found == "parquet" and compression:
        raise UnsupportedSourceError(
            f"{path.name} is a compressed Parquet file; Parquet compresses its own columns: "
            "give the .parquet file itself"
        )
    return found


def data_bytes(path: Path) -> int:
    """The bytes of data in ``path``: its size, or the decompressed size of a compressed file
    (gzip's or zstd's own record of it where it is plausible, else an estimate:
    :data:`COMPRESSION_RATIO` times the size)."""
    path = Path(path)
    size = path.stat().st_size
    compression = compression_of(path)
    if compression is None:
        return size
    if compression == "gzip" and size >= 18:
        with path.open("rb") as f:  # ISIZE: the last member's size, modulo 2**32
            f.seek(-4, 2)
            recorded = int.from_bytes(f.read(4), "little")
        if recorded >= size:
            return recorded
    if compression == "zstd":
        with path.open("rb") as f:  # the first frame's content size, when its header has one
            try:
                recorded = zstd.get_frame_info(f.read(18)).decompressed_size or 0
            except zstd.ZstdError:
                recorded = 0
        if recorded >= size:
            return recorded
    return size * COMPRESSION_RATIO


#: how many times its size a compressed file is taken to hold where it does not say (JSON
#: lines and CSV compress 5 to 15 times)
COMPRESSION_RATIO: Final = 5


def is_input_file(path: Path) -> bool:
    """Whether the name of ``path`` tells a format :func:`file_format` reads (a drop folder
    picks up only those; the file is not opened)."""
    try:
        _named_format(Path(path), None)
    except UnsupportedSourceError:
        return False
    return True


class FileReader(ABC):
    """A resumable reader of one file (use as a context manager)."""

    format: str = ""

    def __init__(self, path: Path, *, max_record_bytes: int) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.max_record_bytes = max_record_bytes
        #: the compression the file is read through (:data:`COMPRESSIONS`), None for none
        self.compression: str | None = None

    @property
    @abstractmethod
    def position(self) -> FilePosition:
        """The position after the last record returned."""

    @abstractmethod
    def read(self, max_rows: int, max_bytes: int = 1 << 62) -> list[RawInput]:
        """Up to ``max_rows`` records (fewer once ``max_bytes`` of payload); ``[]`` at the end."""

    @property
    def file_offset(self) -> int:
        """How far into the file on disk the reader is, for progress (bytes; a compressed
        file's compressed bytes)."""
        return self.position.offset

    @property
    def content_type(self) -> str | None:
        """The media type of the payloads when it is not the format's usual one (None)."""
        return None

    @abstractmethod
    def close(self) -> None:
        """Release the file."""

    def __enter__(self) -> FileReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InputFileError(f"input file not found: {path}") from None
    except OSError as e:
        raise InputFileError(f"cannot read input file {path}: {e.strerror}") from e


class _Input:
    """The bytes of an input file, decompressed when its name says it is compressed.

    ``file`` reads the (decompressed) data; ``raw`` is the file on disk. Reading a damaged
    compressed file never raises: the data before the damage is returned, then the end, and
    ``damage`` says what was wrong; :meth:`take_damage` gives the rejection of the input that
    stands for the rest, once (see the module documentation).
    """

    def __init__(self, path: Path) -> None:
        self.raw = _open(path)
        self.compression = compression_of(path)
        self.file: IO[bytes] = self.raw
        self.damage: str | None = None
        self.damage_taken = False
        if self.compression is not None:
            self.file = _decompressing(self.compression, self.raw)

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes (fewer only at the end, or before the damage)."""
        if self.compression is None:
            return self.file.read(size)
        if self.damage is not None:
            return b""
        # read1 decompresses one piece at a time: a damaged piece loses none before it
        parts: list[bytes] = []
        got = 0
        try:
            while got < size:
                part = self.file.read1(size - got)  # type: ignore[attr-defined]
                if not part:
                    break
                parts.append(part)
                got += len(part)
        except _DAMAGED as e:
            self.damage = self._reason(e)
        return b"".join(parts)

    def read_all(self) -> bytes:
        """The rest of the data (of a damaged file, up to the damage)."""
        if self.compression is None:
            return self.file.read()  # (one buffer: no blocks to join)
        parts: list[bytes] = []
        while block := self.read(_ALL_BLOCK):
            parts.append(block)
        return b"".join(parts)

    def lines(self) -> Iterator[bytes]:
        """The lines of the file, each with its line break (the last one may have none)."""
        if self.compression is None:
            # (not ``yield from``: closing this generator would close the file)
            for line in self.file:  # noqa: UP028
                yield line
            return
        rest = b""
        while block := self.read(_LINES_BLOCK):  # (a line cut by damage still comes)
            data = rest + block if rest else block
            start = 0
            while (newline := data.find(b"\n", start)) >= 0:
                yield data[start : newline + 1]
                start = newline + 1
            rest = data[start:]
        if rest:
            yield rest

    def seek(self, offset: int) -> None:
        """Move to ``offset``. A damaged compressed file with no data there is at its end, its
        damage taken: a reader resumed after its ``bad_compression`` input, whose one byte of
        offset lies past the data."""
        if self.compression is None:
            self.file.seek(offset)
            return
        try:
            self.file.seek(offset)
        except _DAMAGED as e:
            self.damage = self._reason(e)
            self.damage_taken = True
            return
        self.damage = None  # (found by a read beyond here: reading on finds it again)
        self.damage_taken = False

    def take_damage(self, line: int) -> Rejection | None:
        """At the end of the data: the rejection of the input that stands for the unreadable
        rest of a damaged file, after ``line`` (once; None for an undamaged file)."""
        if self.damage is None or self.damage_taken:
            return None
        self.damage_taken = True
        after = f"after line {line}" if line else "from its start"
        error = f"{self.damage}: the file cannot be read {after}"
        return Rejection("bad_compression", error, None, "read")

    def tell(self) -> int:
        return self.file.tell()

    def readline(self, limit: int) -> bytes:
        return self.file.readline(limit)

    def file_offset(self, offset: int) -> int:
        """About where in the file on disk the data at ``offset`` lies (for progress: a
        compressed file is read ahead of the inputs taken)."""
        if self.compression is None:
            return offset
        try:
            raw, data = self.raw.tell(), self.file.tell()
        except ValueError:  # closed
            return 0
        return raw if data <= 0 else min(raw, round(offset * raw / data))

    def _reason(self, e: BaseException) -> str:
        if isinstance(e, EOFError):
            return f"the {self.compression} data ends early (a truncated file)"
        if isinstance(e, zstd.ZstdError) and "Unknown frame descriptor" in str(e):
            return "the file is not zstd data"
        if isinstance(e, gzip.BadGzipFile) and "Not a gzipped file" in str(e):
            return "the file is not gzip data"
        if isinstance(e, gzip.BadGzipFile):  # CRC check failed, Incorrect length
            # gzip checks its data at the end only: damage it did not trip over before may
            # have been decompressed into wrong lines, which were read before this was known
            return "the gzip checksum does not match (corrupt data; lines read before may be too)"
        return f"the {self.compression} data is damaged ({type(e).__name__})"

    def close(self) -> None:
        if self.file is not self.raw:
            self.file.close()
        self.raw.close()


def _decompressing(compression: str, raw: IO[bytes]) -> IO[bytes]:
    """A reader of the decompressed data of ``raw`` (:class:`_Input` closes both)."""
    if compression == "gzip":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    if compression == "bzip2":
        return cast(IO[bytes], bz2.BZ2File(raw, "rb"))
    if compression == "zstd":
        return cast(IO[bytes], zstd.ZstdFile(raw, "rb"))
    return cast(IO[bytes], lzma.LZMAFile(raw, "rb"))


_LINES_BLOCK: Final = 1 << 16
_ALL_BLOCK: Final = 1 << 22


class BatchReader(FileReader):
    """A reader that reads its inputs as columns (:meth:`read_batch`, the fast path of the
    file sources)."""

    def read(self, max_rows: int, max_bytes: int = 1 << 62) -> list[RawInput]:
        return list(self.read_batch(max_rows, max_bytes))

    @abstractmethod
    def read_batch(self, max_rows: int, max_bytes: int = 1 << 62) -> InputBatch:
        """Like :meth:`read`, as columns."""


class JsonLinesReader(BatchReader):
    """JSON lines: one input per non-blank line (see the module documentation).

    ``seq`` is the line number. With ``start``/``end`` the reader covers the lines that *begin*
    in ``[start, end)`` (a byte range of a big file, read in parallel with its other ranges;
    not for a compressed file, which is read whole).
    """

    format = "jsonl"
    _BLOCK = 1 << 22

    def __init__(
        self,
        path: Path,
        *,
        position: FilePosition | None = None,
        max_record_bytes: int,
        start: int = 0,
        end: int | None = None,
        block_bytes: int | None = None,
    ) -> None:
        super().__init__(path, max_record_bytes=max_record_bytes)
        self._file = _Input(self.path)
        self.compression = self._file.compression
        if self.compression is not None and (start > 0 or end is not None):
            self._file.close()
            raise ValueError("a compressed file is read whole, not in byte ranges")
        self._end = end
        #: bytes read at once (a reader of one known span reads it whole: one buffer, no joins)
        self._block = max(1, block_bytes) if block_bytes else self._BLOCK
        self._buf = b""
        self._pos = 0
        self._eof = False
        if position is not None and (position.offset or position.line):
            self._offset, self._line, self._seq = position.offset, position.line, position.seq
        elif start > 0:
            self._offset, self._line = self._first_line_at(start)
            self._seq = self._line
        else:
            self._offset = self._line = self._seq = 0
        self._file.seek(self._offset)

    def _first_line_at(self, start: int) -> tuple[int, int]:
        """Offset and line count of the first line that begins at or after ``start``."""
        self._file.seek(start - 1)
        if self._file.read(1) != b"\n":
            while True:
                part = self._file.readline(1 << 20)
                if not part or part[-1:] == b"\n":
                    break
        offset = self._file.tell()
        self._file.seek(0)
        lines, done = 0, 0
        while done < offset:
            block = self._file.read(min(self._BLOCK, offset - done))
            if not block:
                break
            lines += block.count(b"\n")
            done += len(block)
        return offset, lines

    @property
    def position(self) -> FilePosition:
        return FilePosition(self._seq, self._offset, self._line)

    def _fill(self) -> bool:
        """Read the next block behind the unread rest; False at the end of the file."""
        if self._eof:
            return False
        block = self._file.read(self._block)
        if not block:
            self._eof = True
            return False
        self._buf = self._buf[self._pos :] + block
        self._pos = 0
        return True

    def read_batch(self, max_rows: int, max_bytes: int = 1 << 62) -> InputBatch:
        """Like :meth:`read`, as columns (the fast path of the file sources)."""
        seqs: list[int] = []
        payloads: list[bytes] = []
        rejections: dict[int, Rejection] = {}
        add_seq = seqs.append
        add_payload = payloads.append
        limit = self.max_record_bytes
        end = self._end
        size = 0
        while len(seqs) < max_rows and size < max_bytes:
            if end is not None and self._offset >= end:
                break
            buf, pos = self._buf, self._pos
            # whole lines in the buffer (a window sized to the rows wanted): split them at once
            window = (max_rows - len(seqs)) * 2048
            last = buf.rfind(b"\n", pos, pos + window)
            if last >= 0:
                taken, size = self._take_lines(seqs, payloads, last, max_rows, max_bytes, size)
                if taken:
                    continue
            newline = buf.find(b"\n", pos, pos + limit + 2)
            if newline < 0:
                if len(buf) - pos > limit + 1:  # no line break within the limit
                    rejections[len(seqs)] = Rejection(
                        "oversize", f"line over {limit} bytes", None, "read"
                    )
                    add_payload(self._skip_oversize())
                    add_seq(self._line)
                    size += limit
                    continue
                if self._fill():
                    continue
                if self._pos >= len(self._buf):
                    damage = self._file.take_damage(self._line)
                    if damage is not None:  # one input for the rest of a damaged file
                        rejections[len(seqs)] = damage
                        self._line += 1
                        self._seq = self._line
                        self._offset += 1  # (past the data: see _Input.seek)
                        add_seq(self._line)
                        add_payload(b"")
                    break
                newline = len(self._buf)  # the last line has no line break
                buf, pos = self._buf, self._pos
            line = buf[pos:newline]
            consumed = newline + 1 - pos
            self._pos = pos + consumed
            self._offset += min(consumed, len(buf) - pos)
            self._line += 1
            if line[-1:] == b"\r":
                line = line[:-1]
            if not line or line.isspace():
                continue
            self._seq = self._line
            size += len(line)
            add_seq(self._line)
            add_payload(line)
        return InputBatch(self.name, seqs, payloads, rejections)

    def skip_batch(self, max_rows: int, max_bytes: int = 1 << 62) -> int | None:
        """Move past the inputs :meth:`read_batch` would return, without building them: how
        many there were (0 at the end). A reader opened at the position before, with ``end``
        at the offset after, then reads them with the same limits (a helper process of the
        ingest does, ``pipelines._pool``). None, with nothing moved, when the next line has no
        line break within ``max_record_bytes`` (oversize, or the last line): only
        :meth:`read_batch` takes those; it also ends a batch early."""
        if self.compression is not None:
            return None  # read_batch reads a compressed file (a helper could not seek in it)
        rows = 0
        size = 0
        limit = self.max_record_bytes
        end = self._end
        while rows < max_rows and size < max_bytes:
            if end is not None and self._offset >= end:
                break
            buf, pos = self._buf, self._pos
            window = (max_rows - rows) * 2048
            last = buf.rfind(b"\n", pos, pos + window)
            if last >= 0:
                taken, rows, size = self._skip_lines(last, rows, max_rows, max_bytes, size)
                if taken:
                    continue
            newline = buf.find(b"\n", pos, pos + limit + 2)
            if newline < 0:
                if len(buf) - pos <= limit + 1 and self._fill():
                    continue
                if self._pos >= len(self._buf):
                    break  # the end of the file
                return rows or None  # a line only read_batch takes: the batch ends before it
            # one line whose break is beyond the window: as read_batch's line-by-line step
            taken, rows, size = self._skip_lines(newline, rows, max_rows, max_bytes, size)
            if not taken:  # pragma: no cover - a line within the limit is always taken
                return rows or None
        return rows

    def _skip_lines(
        self, last: int, rows: int, max_rows: int, max_bytes: int, size: int
    ) -> tuple[int, int, int]:
        """:meth:`_take_lines` without the lines: ``(lines consumed, rows, size)``."""
        span = self._span(last, max_rows - rows, max_bytes, size)
        self._advance(span)
        return span.consumed, rows + len(span.taken), span.size

    def _take_lines(
        self,
        seqs: list[int],
        payloads: list[bytes],
        last: int,
        max_rows: int,
        max_bytes: int,
        size: int,
    ) -> tuple[int, int]:
        """The lines of the buffer up to the line break at ``last``, as the line-by-line step
        of :meth:`read_batch` takes them, until a limit (or an oversize line, which that step
        handles); ``(lines consumed, size)``."""
        span = self._span(last, max_rows - len(seqs), max_bytes, size)
        if len(span.taken):
            buf = self._buf
            starts = span.starts[span.taken]
            ends = starts + span.lengths[span.taken]
            payloads.extend([buf[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)])
            seqs.extend((span.taken + (self._line + 1)).tolist())
        self._advance(span)
        return span.consumed, span.size

    def _span(self, last: int, rows_left: int, max_bytes: int, size: int) -> _LineSpan:
        """Which lines of the buffer, from here up to the line break at ``last``, the reader
        consumes before a limit - ``rows_left`` inputs, ``max_bytes`` (``size`` so far), the
        range's end - or an oversize line (left to the line-by-line step), and which of them
        are inputs (not blank). In arrays: a chunk's lines cost no Python step each."""
        buf = self._buf
        data = np.frombuffer(buf, dtype=np.uint8)
        pos = self._pos
        breaks = np.flatnonzero(data[pos : last + 1] == _NEWLINE) + pos
        starts = np.empty(len(breaks), dtype=np.int64)
        starts[0] = pos
        starts[1:] = breaks[:-1] + 1
        widths = breaks - starts  # without the line break
        lengths = widths - ((widths > 0) & (data[np.maximum(breaks - 1, 0)] == _CR))  # no \r
        inputs = lengths > 0
        # a line that begins with white space may be blank (white space only)
        for n in np.flatnonzero(inputs & _SPACE[data[starts]]).tolist():
            begin = int(starts[n])
            if buf[begin : begin + int(lengths[n])].isspace():
                inputs[n] = False
        counted = inputs.astype(np.int64)
        sizes = lengths * counted
        stop = (
            (np.cumsum(counted) - counted >= rows_left)
            | (size + np.cumsum(sizes) - sizes >= max_bytes)
            | (widths > self.max_record_bytes + 1)
        )
        steps = widths + 1
        if self._end is not None:
            stop |= self._offset + np.cumsum(steps) - steps >= self._end
        consumed = int(np.argmax(stop)) if stop.any() else len(stop)
        taken = np.flatnonzero(inputs[:consumed])
        return _LineSpan(
            consumed=consumed,
            taken=taken,
            starts=starts,
            lengths=lengths,
            bytes=int(steps[:consumed].sum()),
            size=size + int(sizes[:consumed].sum()),
            last_input=int(taken[-1]) if len(taken) else -1,
        )

    def _advance(self, span: _LineSpan) -> None:
        """Move past the lines ``span`` consumed."""
        self._pos += span.bytes
        self._offset += span.bytes
        if span.last_input >= 0:
            self._seq = self._line + span.last_input + 1
        self._line += span.consumed

    def _skip_oversize(self) -> bytes:
        """The first ``max_record_bytes`` of the line here; the rest of it is skipped."""
        head = self._buf[self._pos : self._pos + self.max_record_bytes]
        skipped = 0
        while True:
            newline = self._buf.find(b"\n", self._pos)
            if newline >= 0:
                skipped += newline + 1 - self._pos
                self._pos = newline + 1
                break
            skipped += len(self._buf) - self._pos
            self._pos = len(self._buf)
            if not self._fill():
                break
        self._offset += skipped
        self._line += 1
        self._seq = self._line
        return head

    @property
    def file_offset(self) -> int:
        return self._file.file_offset(self._offset)

    def close(self) -> None:
        self._file.close()


class JsonArrayReader(BatchReader):
    """A JSON document holding an array, as API exports come (a ``.json`` file that begins with
    ``[``): one input per element (see the module documentation).

    The document is read whole into memory (JSON lines are the form for big files); ``seq`` is
    the element's number, and a resumed reader reads the document again and goes on after
    element ``position.seq``.
    """

    format = "json"

    def __init__(
        self, path: Path, *, position: FilePosition | None = None, max_record_bytes: int
    ) -> None:
        super().__init__(path, max_record_bytes=max_record_bytes)
        source = _Input(self.path)
        self.compression = source.compression
        try:
            data = source.read_all()
            damage = source.damage
            self._size = source.raw.seek(0, 2)
        finally:
            source.close()
        self._elements, rest = _array_elements(data)
        self._rest: RawInput | None = None
        if rest is not None or damage is not None:
            self._rest = self._unreadable(rest, damage)
        self._total = len(self._elements) + (self._rest is not None)
        self._data_bytes = len(data)
        self._seq = min((position or FilePosition()).seq, self._total)

    def _unreadable(self, rest: _Unreadable | None, damage: str | None) -> RawInput:
        """The input that stands for what cannot be read after the last element."""
        n = len(self._elements)
        after = f"after element {n}" if n else "from its start"
        payload = rest.data[: self.max_record_bytes] if rest is not None else b""
        if damage is not None:  # the compressed data ends early: the document with it
            error = f"{damage}: the file cannot be read {after}"
            rejection = Rejection("bad_compression", error, None, "read")
        else:
            assert rest is not None
            error = f"{rest.reason}: the file cannot be read {after} (byte {rest.offset} on)"
            rejection = Rejection("bad_json", error, None, "read")
        return RawInput(n + 1, payload, f"{self.name}:{n + 1}", None, rejection)

    @property
    def position(self) -> FilePosition:
        return FilePosition(self._seq, self._offset_of(self._data_bytes), self._seq)

    def _offset_of(self, size: int) -> int:
        """About where in ``size`` bytes the reader is (for progress)."""
        return round(size * self._seq / self._total) if self._total else size

    def read_batch(self, max_rows: int, max_bytes: int = 1 << 62) -> InputBatch:
        seqs: list[int] = []
        payloads: list[bytes] = []
        rejections: dict[int, Rejection] = {}
        elements = self._elements
        limit = self.max_record_bytes
        size = 0
        while len(seqs) < max_rows and size < max_bytes and self._seq < len(elements):
            payload = bytes(elements[self._seq])
            self._seq += 1
            if len(payload) > limit:
                rejections[len(seqs)] = Rejection(
                    "oversize", f"element over {limit} bytes", None, "read"
                )
                payload = payload[:limit]
            seqs.append(self._seq)
            payloads.append(payload)
            size += len(payload)
        rest = self._rest
        if rest is not None and self._seq == len(elements) and len(seqs) < max_rows:
            self._seq += 1
            assert rest.rejection is not None
            rejections[len(seqs)] = rest.rejection
            seqs.append(rest.seq)
            payloads.append(rest.payload)
        return InputBatch(self.name, seqs, payloads, rejections)

    @property
    def file_offset(self) -> int:
        return self._offset_of(self._size)

    def close(self) -> None:
        self._elements = []


#: the delimiters :class:`CsvDialect` finds in a header row, the first wins a tie
_DELIMITERS: Final = (",", ";", "\t", "|")


@dataclass(frozen=True, slots=True)
class CsvDialect:
    """How a CSV file is written (``sources.<name>.csv`` of ``cdp.yaml``).

    ``delimiter`` None: found in the first row (:func:`find_delimiter`). ``quote`` None: no
    quoting. ``encoding`` is a Python codec name whose line breaks, delimiters and quotes are
    single ASCII bytes (the configuration checks it); a file that begins with a UTF-8
    byte-order mark is read as UTF-8 whatever it says. ``columns``: the column names of files
    without a header row (their first row is a record); None: the first row names them.
    """

    delimiter: str | None = None
    quote: str | None = '"'
    encoding: str = "utf-8"
    columns: tuple[str, ...] | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> CsvDialect:
        """From a source's :class:`cdp.config.CsvSettings` (None: the defaults)."""
        if settings is None:
            return cls()
        return cls(
            delimiter=None if settings.delimiter == "auto" else settings.delimiter,
            quote=None if settings.quote == "none" else settings.quote,
            encoding=settings.encoding,
            columns=None if settings.header else tuple(settings.columns),
        )


def find_delimiter(header: str, quote: str | None = '"') -> str:
    """The delimiter of a CSV header row: the most frequent of ``,`` ``;`` tab ``|`` outside
    quoted names (the first of them on a tie), ``,`` when there is none (one column)."""
    if quote and quote in header:
        header = "".join(header.split(quote)[0::2])  # the parts outside quotes
    counts = [header.count(d) for d in _DELIMITERS]
    best = max(counts)
    return _DELIMITERS[counts.index(best)] if best else ","


def unique_columns(names: list[str]) -> tuple[list[str], list[int]]:
    """Header names made unique, and the positions renamed: a blank name becomes
    ``column_<n>`` (its 1-based position), a repeated one ``<name>.1``, ``<name>.2``… (as
    pandas reads such files). A source's mapping names the first column of a name; every
    column's value is kept (a record is a mapping by name: a repeated name would lose one)."""
    out: list[str] = []
    renamed: list[int] = []
    seen = set(names)
    taken: set[str] = set()
    for n, name in enumerate(names):
        new = name or f"column_{n + 1}"
        if new in taken:
            k = 1
            while f"{new}.{k}" in seen or f"{new}.{k}" in taken:
                k += 1
            new = f"{new}.{k}"
        if new != name:
            renamed.append(n)
        taken.add(new)
        out.append(new)
    return out, renamed


def _codec_name(encoding: str) -> str:
    """The codec's own name (``latin-1`` -> ``iso8859-1``; ``utf-8-sig`` is ``utf-8``)."""
    name = codecs.lookup(encoding).name
    return "utf-8" if name == "utf-8-sig" else name


class CsvReader(FileReader):
    """CSV with a header row, or the dialect's ``columns`` (see the module documentation and
    :class:`CsvDialect`).

    ``delimiter`` and ``encoding`` are what the reader uses: the dialect's, or the delimiter
    found in the first row that is not blank, and UTF-8 after a byte-order mark.
    """

    format = "csv"

    def __init__(
        self,
        path: Path,
        *,
        position: FilePosition | None = None,
        max_record_bytes: int,
        dialect: CsvDialect | None = None,
    ) -> None:
        super().__init__(path, max_record_bytes=max_record_bytes)
        position = position or FilePosition()
        dialect = dialect or CsvDialect()
        self.dialect = dialect
        self.encoding = _codec_name(dialect.encoding)
        self.delimiter = dialect.delimiter or ","
        self._probe()
        self._file = _Input(self.path)
        self.compression = self._file.compression
        self._pending: list[bytes] = []
        self._bad_encoding = False
        self._seq, self._offset, self._line = 0, 0, 0
        self._rows = self._csv(self._lines())
        self.header: list[str] = []
        if dialect.columns is not None:
            self.header = list(dialect.columns)
        else:
            self._read_header()
        if position.offset > self._offset:
            self._file.seek(position.offset)
            self._rows = self._csv(self._lines())
            self._seq, self._offset, self._line = position.seq, position.offset, position.line

    def _probe(self) -> None:
        """The encoding (UTF-8 after a byte-order mark) and, unless declared, the delimiter,
        from the file's first line that is not blank: the same wherever the reader resumes."""
        probe = _Input(self.path)
        try:
            for n, raw in enumerate(probe.lines()):
                if n == 0 and raw.startswith(_BOM):
                    self.encoding = "utf-8"  # (a byte-order mark says so)
                    raw = raw[len(_BOM) :]
                text = raw.decode(self.encoding, "replace")
                if text.strip():
                    if self.dialect.delimiter is None:
                        self.delimiter = find_delimiter(text, self.dialect.quote)
                    return
        finally:
            probe.close()

    def _csv(self, lines: Iterator[str]) -> Iterator[list[str]]:
        quote = self.dialect.quote
        if quote is None:
            return csv.reader(lines, delimiter=self.delimiter, quoting=csv.QUOTE_NONE)
        return csv.reader(lines, delimiter=self.delimiter, quotechar=quote)

    @property
    def content_type(self) -> str | None:
        """The media type of the records' payloads when not plain ``text/csv``: TSV, or a
        charset other than UTF-8."""
        base = "text/tab-separated-values" if self.delimiter == "\t" else "text/csv"
        kind = base if self.encoding == "utf-8" else f"{base}; charset={self.encoding}"
        return None if kind == "text/csv" else kind

    @property
    def position(self) -> FilePosition:
        return FilePosition(self._seq, self._offset, self._line)

    def _lines(self) -> Iterator[str]:
        first = self._file.tell() == 0
        for raw in self._file.lines():
            if first:
                first = False
                if raw.startswith(_BOM):  # (the probe made the encoding UTF-8)
                    self._offset += len(_BOM)
                    raw = raw[len(_BOM) :]
            self._pending.append(raw)
            try:
                text = raw.decode(self.encoding)
            except UnicodeDecodeError:
                self._bad_encoding = True
                text = raw.decode(self.encoding, "surrogateescape")
            yield text

    def _read_header(self) -> None:
        while True:
            record = self._next_record()
            if record is None:
                return  # an empty file: no header, no rows
            fields, _raw, _, error = record
            if error is not None or self._bad_encoding:
                raise InputFileError(
                    f"{self.name}: the header row is not readable CSV ({self._encoding_name})"
                )
            if fields:
                self.header, renamed = unique_columns([f.strip() for f in fields])
                if renamed:
                    # (positions only: a file without a header row has a record here)
                    logger.warning(
                        "%s: %d header column(s) are blank or repeat an earlier name "
                        "(column %s): read as column_<n> and <name>.1, <name>.2…",
                        self.name,
                        len(renamed),
                        ", ".join(str(n + 1) for n in renamed),
                    )
                return

    def _next_record(self) -> tuple[list[str], bytes, int, str | None] | None:
        """``(fields, original bytes, first line number, csv error)``, None at the end."""
        self._bad_encoding = False
        start_line = self._line + 1
        error: str | None = None
        try:
            fields = next(self._rows)
        except StopIteration:
            if not self._pending:
                return None
            fields, error = [], "unterminated quoted field at the end of the file"
        except csv.Error as e:
            fields, error = [], str(e).split(":")[0]
        raw = b"".join(self._pending)
        self._line += len(self._pending)
        self._offset += len(raw)
        self._pending.clear()
        return fields, raw, start_line, error

    def read(self, max_rows: int, max_bytes: int = 1 << 62) -> list[RawInput]:
        out: list[RawInput] = []
        header = self.header
        width = len(header)
        name = self.name
        size = 0
        if not header:
            self._take_damage(out)
            return out
        while len(out) < max_rows and size < max_bytes:
            record = self._next_record()
            if record is None:
                self._take_damage(out)
                break
            fields, raw, line, error = record
            if not fields and error is None:
                continue  # a blank line
            self._seq += 1
            payload = raw.rstrip(b"\r\n")
            size += len(payload)
            ref = f"{name}:{line}"
            rejection: Rejection | None = None
            value: dict[str, str] | None = None
            if self._bad_encoding:
                rejection = Rejection(
                    "bad_encoding", f"record is not valid {self._encoding_name}", None, "read"
                )
            elif len(payload) > self.max_record_bytes:
                rejection = Rejection(
                    "oversize", f"record over {self.max_record_bytes} bytes", None, "read"
                )
            elif error is not None:
                kind = "oversize" if "field larger" in error else "schema"
                rejection = Rejection(kind, f"unreadable CSV record ({error})", None, "read")
            elif len(fields) != width:
                rejection = Rejection(
                    "schema",
                    f"record has {len(fields)} fields, {self._columns_named_by} has {width}",
                    None,
                    "read",
                )
            else:
                value = dict(zip(header, fields, strict=True))
            out.append(RawInput(self._seq, payload, ref, value, rejection))
        return out

    @property
    def _columns_named_by(self) -> str:
        return "the header" if self.dialect.columns is None else "csv.columns"

    @property
    def _encoding_name(self) -> str:
        return "UTF-8" if self.encoding == "utf-8" else self.encoding

    def _take_damage(self, out: list[RawInput]) -> None:
        """After the last record: the input for the rest of a damaged compressed file, once."""
        rejection = self._file.take_damage(self._line)
        if rejection is None:
            return
        self._seq += 1
        self._line += 1
        self._offset += 1  # (past the data: see _Input.seek)
        out.append(RawInput(self._seq, b"", f"{self.name}:{self._line}", None, rejection))

    @property
    def file_offset(self) -> int:
        return self._file.file_offset(self._offset)

    def close(self) -> None:
        self._file.close()


_ARRAY: Final = msgspec.json.Decoder(list[msgspec.Raw])
#: JSON's white space (``json.loads``'s too), in bytes and in text
_JSON_BLANK: Final = re.compile(rb"[ \t\n\r]*")
_JSON_BLANK_TEXT: Final = re.compile(r"[ \t\n\r]*")
_SNIFF_BYTES: Final = 1 << 16


def _starts_array(path: Path) -> bool:
    """Whether the (decompressed) data of ``path`` begins, after a BOM and white space, with
    ``[``: a JSON document holding an array rather than JSON lines (False when it cannot be
    read: its reader says why)."""
    try:
        source = _Input(path)
    except InputFileError:
        return False
    try:
        head = source.read(_SNIFF_BYTES)
    except OSError:
        return False
    finally:
        source.close()
    head = head.removeprefix(_BOM).lstrip(b" \t\n\r")
    return head[:1] == b"["


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """The part of a JSON document after its last readable element: where it begins (byte
    offset in the data), its bytes, and why it cannot be read."""

    offset: int
    data: bytes
    reason: str


def _array_elements(data: bytes) -> tuple[list[bytes | msgspec.Raw], _Unreadable | None]:
    """The elements of the JSON array(s) in ``data`` (several arrays one after another, as paged
    exports write them, are read as one), and what could not be read after the last one."""
    elements: list[bytes | msgspec.Raw] = []
    start = len(_BOM) if data.startswith(_BOM) else 0
    while True:
        start = _blank_end(data, start)
        if start >= len(data):
            return elements, None
        if data[start : start + 1] != b"[":
            return elements, _Unreadable(start, data[start:], "data after the JSON array")
        end = _decoded_array(data, start, elements)
        if end is None:  # not JSON throughout: element by element, up to the damage
            end, rest = _lenient_array(data, start, elements)
            if rest is not None:
                return elements, rest
        start = end


def _blank_end(data: bytes | str, start: int) -> int:
    """Where the JSON white space at ``start`` ends."""
    if isinstance(data, str):
        return _JSON_BLANK_TEXT.match(data, start).end()  # type: ignore[union-attr]
    return _JSON_BLANK.match(data, start).end()  # type: ignore[union-attr]


def _decoded_array(data: bytes, start: int, into: list[bytes | msgspec.Raw]) -> int | None:
    """Decode the array at ``start`` with msgspec (the elements stay views of ``data``, their
    bytes as written) into ``into``; where it ends, or None if it is not valid JSON."""
    view = memoryview(data)
    try:
        into.extend(_ARRAY.decode(view[start:]))
        return len(data)
    except msgspec.DecodeError as e:
        found = re.search(r"trailing characters \(byte (\d+)\)", str(e))
        if found is None:
            return None
        # another array (or other data) follows: the first ends at the last "]" before it
        end = data.rfind(b"]", start, start + int(found.group(1))) + 1
    try:
        into.extend(_ARRAY.decode(view[start:end]))
    except msgspec.DecodeError:
        return None
    return end


def _lenient_array(
    data: bytes, start: int, into: list[bytes | msgspec.Raw]
) -> tuple[int, _Unreadable | None]:
    """The elements of the array at ``start`` up to the first that is not JSON, element by
    element with the standard library's parser (only for an array msgspec refuses whole), into
    ``into``; where the array ends, or the unreadable rest."""
    text = data[start:].decode("utf-8", "surrogateescape")  # (encodes back to the same bytes)

    def offset(i: int) -> int:
        return start + len(text[:i].encode("utf-8", "surrogateescape"))

    scan = json.JSONDecoder().raw_decode
    # a document that does not end as an array does was cut (a download, a disk that filled)
    cut = not data.rstrip(b" \t\n\r").endswith(b"]")
    taken = 0
    i = _blank_end(text, 1)  # (after the "[")
    if text[i : i + 1] == "]":
        return offset(i + 1), None
    while True:
        reason = ""
        if i < len(text):
            try:
                _, end = scan(text, i)
            except json.JSONDecodeError:
                reason = f"element {taken + 1} of the JSON array is not JSON"
            except RecursionError:
                reason = f"element {taken + 1} of the JSON array is nested too deeply"
            else:
                into.append(text[i:end].encode("utf-8", "surrogateescape"))
                taken += 1
                i = _blank_end(text, end)
                following = text[i : i + 1]
                if following == "]":
                    return offset(i + 1), None
                if following == ",":
                    i = _blank_end(text, i + 1)
                    continue
                reason = f"a comma or the end of the JSON array expected after element {taken}"
        if cut or not reason:
            reason = "the JSON array is cut short (a truncated file)"
        at = offset(i)
        return at, _Unreadable(at, data[at:], reason)


def _jsonable(value: object) -> object:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


class ParquetReader(FileReader):
    """Parquet: one input per row (see the module documentation)."""

    format = "parquet"

    def __init__(
        self, path: Path, *, position: FilePosition | None = None, max_record_bytes: int
    ) -> None:
        super().__init__(path, max_record_bytes=max_record_bytes)
        import pyarrow.parquet as pq

        if not self.path.exists():
            raise InputFileError(f"input file not found: {self.path}")
        try:
            self._file = pq.ParquetFile(self.path)
        except Exception as e:  # pyarrow raises several types for a broken file
            raise InputFileError(f"{self.name}: not a readable Parquet file") from e
        meta = self._file.metadata
        self._group_rows = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        self._seq = (position or FilePosition()).seq
        self._rows: list[dict[str, Any]] = []
        self._rows_start = 0  # seq of the row before self._rows[0]
        self._next_group = 0
        start = 0
        for i, n in enumerate(self._group_rows):
            if start + n > self._seq:
                break
            start += n
            self._next_group = i + 1
        self._rows_start = start

    @property
    def position(self) -> FilePosition:
        return FilePosition(self._seq, 0, self._seq)

    def _fill(self) -> bool:
        while self._seq - self._rows_start >= len(self._rows):
            if self._next_group >= len(self._group_rows):
                return False
            self._rows_start += len(self._rows)
            self._rows = self._file.read_row_group(self._next_group).to_pylist()
            self._next_group += 1
        return True

    def read(self, max_rows: int, max_bytes: int = 1 << 62) -> list[RawInput]:
        out: list[RawInput] = []
        size = 0
        while len(out) < max_rows and size < max_bytes and self._fill():
            row = self._rows[self._seq - self._rows_start]
            self._seq += 1
            payload = orjson.dumps(row, default=_jsonable, option=_JSON_OPTIONS)
            size += len(payload)
            rejection = None
            if len(payload) > self.max_record_bytes:
                rejection = Rejection(
                    "oversize", f"row over {self.max_record_bytes} bytes", None, "read"
                )
                payload = payload[: self.max_record_bytes]
            out.append(RawInput(self._seq, payload, f"{self.name}:{self._seq}", row, rejection))
        return out

    def close(self) -> None:
        self._rows = []


def open_reader(
    path: Path,
    *,
    format: str | None = None,
    position: FilePosition | None = None,
    max_record_bytes: int = 1 << 20,
    dialect: CsvDialect | None = None,
) -> FileReader:
    """A reader of ``path`` (format from ``format`` or the suffix), at ``position``;
    ``dialect`` is how a CSV file is written."""
    path = Path(path)
    fmt = format if format in ("csv", "jsonl", "json", "parquet") else file_format(path)
    if fmt == "csv":
        return CsvReader(
            path, position=position, max_record_bytes=max_record_bytes, dialect=dialect
        )
    if fmt == "jsonl":
        return JsonLinesReader(path, position=position, max_record_bytes=max_record_bytes)
    if fmt == "json":
        return JsonArrayReader(path, position=position, max_record_bytes=max_record_bytes)
    return ParquetReader(path, position=position, max_record_bytes=max_record_bytes)


def read_inputs(
    path: Path,
    *,
    format: str | None = None,
    max_record_bytes: int = 1 << 20,
    dialect: CsvDialect | None = None,
) -> Iterator[RawInput]:
    """Every input of ``path``, in order (a convenience over :func:`open_reader`)."""
    with open_reader(
        path, format=format, max_record_bytes=max_record_bytes, dialect=dialect
    ) as reader:
        while True:
            batch = reader.read(10_000)
            if not batch:
                return
            yield from batch
