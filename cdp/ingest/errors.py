"""Errors of the ingest core (:mod:`cdp.ingest`).

Bad *inputs* are never raised out of the core: they become quarantine rows (see
:class:`cdp.ingest.outcome.Rejection`). These exceptions are for the operator: a file that cannot
be read, a source that cannot be ingested the way it was asked.
"""

from __future__ import annotations

from cdp.errors import CdpError

__all__ = ["IngestError", "IngestInterruptedError", "InputFileError", "UnsupportedSourceError"]


class IngestError(CdpError):
    """Base class of every error raised by :mod:`cdp.ingest` and the ingest dataflows."""


class UnsupportedSourceError(IngestError):
    """The source (or file type) cannot be ingested the way it was asked."""


class InputFileError(IngestError):
    """An input file is missing, unreadable, or changed under the reader."""


class IngestInterruptedError(IngestError):
    """The ingest was stopped (a signal) before the end; running it again continues."""
