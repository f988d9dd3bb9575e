"""Chunked, hashed output files: CSV (RFC 4180) and JSON lines, ``<stem>-00000.<ext>``, ...

Rows are buffered in small batches and written as bytes; each file's SHA-256 is computed while
writing, so nothing is read back and memory stays flat however many rows there are.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = ["CsvChunks", "FileInfo", "JsonlChunks"]

_BATCH = 2_000


@dataclass
class FileInfo:
    path: Path  # relative to the output folder
    kind: str
    rows: int = 0
    bytes: int = 0
    sha256: str = ""
    bad_lines: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path.as_posix(),
            "kind": self.kind,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self.sha256,
        }
        if self.bad_lines:
            out["bad_lines"] = dict(self.bad_lines)
        return out


class _Chunks:
    """Rotates files every ``chunk_rows`` rows (``chunk_rows=0``: one file named ``stem.ext``)."""

    def __init__(
        self, root: Path, rel_dir: str, stem: str, ext: str, kind: str, chunk_rows: int
    ) -> None:
        self.root = root
        self.rel_dir = rel_dir
        self.stem, self.ext, self.kind = stem, ext, kind
        self.chunk_rows = chunk_rows
        self.files: list[FileInfo] = []
        self._fh: IO[bytes] | None = None
        self._hash: Any = None
        self._buf: list[bytes] = []
        self._info: FileInfo | None = None
        (root / rel_dir).mkdir(parents=True, exist_ok=True)

    def _header(self) -> bytes:
        return b""

    def _open(self) -> FileInfo:
        n = len(self.files)
        name = (
            f"{self.stem}.{self.ext}" if self.chunk_rows == 0 else f"{self.stem}-{n:05d}.{self.ext}"
        )
        rel = Path(self.rel_dir) / name if self.rel_dir else Path(name)
        info = FileInfo(rel, self.kind)
        self.files.append(info)
        self._fh = (self.root / rel).open("wb")
        self._hash = hashlib.sha256()
        self._info = info
        header = self._header()
        if header:
            self._buf.append(header)
        return info

    def _flush(self) -> None:
        if self._buf and self._fh is not None:
            data = b"".join(self._buf)
            self._buf.clear()
            self._fh.write(data)
            self._hash.update(data)
            assert self._info is not None
            self._info.bytes += len(data)

    def _close_file(self) -> None:
        if self._fh is None:
            return
        self._flush()
        self._fh.close()
        assert self._info is not None
        self._info.sha256 = self._hash.hexdigest()
        self._fh, self._info = None, None

    def _row(self, data: bytes) -> FileInfo:
        info = self._info or self._open()
        self._buf.append(data)
        info.rows += 1
        if len(self._buf) >= _BATCH:
            self._flush()
        if self.chunk_rows and info.rows >= self.chunk_rows:
            self._close_file()
        return info

    def abort(self) -> None:
        """Close the open file without finishing it (generation failed; no manifest follows)."""
        if self._fh is not None:
            self._fh.close()
            self._fh, self._info = None, None

    def close(self) -> list[FileInfo]:
        if not self.files:  # an empty source still gets its (header-only) first file
            self._open()
        self._close_file()
        return self.files


class _Lines:
    """A ``write`` target for ``csv.writer`` that keeps the last formatted row."""

    __slots__ = ("text",)

    def __init__(self) -> None:
        self.text = ""

    def write(self, s: str) -> int:
        self.text = s
        return len(s)


class CsvChunks(_Chunks):
    def __init__(
        self, root: Path, rel_dir: str, stem: str, kind: str, header: Sequence[str], chunk_rows: int
    ) -> None:
        super().__init__(root, rel_dir, stem, "csv", kind, chunk_rows)
        self._line = _Lines()
        self._csv = csv.writer(self._line, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        self._csv.writerow(header)
        self._header_bytes = self._line.text.encode()

    def _header(self) -> bytes:
        return self._header_bytes

    def write(self, row: Sequence[str]) -> None:
        self._csv.writerow(row)
        self._row(self._line.text.encode())


class JsonlChunks(_Chunks):
    def __init__(self, root: Path, rel_dir: str, stem: str, kind: str, chunk_rows: int) -> None:
        super().__init__(root, rel_dir, stem, "jsonl", kind, chunk_rows)

    def write(self, line: bytes, bad: str | None = None) -> None:
        """One line (ending in a newline); ``bad`` names the kind of a deliberately broken one."""
        info = self._info or self._open()
        if bad is not None:
            info.bad_lines[bad] = info.bad_lines.get(bad, 0) + 1
        self._row(line)
