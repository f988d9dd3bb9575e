"""Root of the project's exception hierarchy.

Every package has its own base class deriving from :class:`CdpError`, so callers can
catch one package's failures (``except StorageError``) or everything (``except CdpError``).
"""

from __future__ import annotations

__all__ = ["CdpError"]


class CdpError(Exception):
    """Base class of every error the product raises on purpose."""
