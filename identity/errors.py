"""The identity package's exception base."""

from __future__ import annotations

from cdp.errors import CdpError

__all__ = ["IdentityError", "InvalidSettingsError"]


class IdentityError(CdpError):
    """Base class of identity resolution errors (bad input frames, unusable models)."""


class InvalidSettingsError(IdentityError, ValueError):
    """A ``ResolveSettings`` value is out of range; the message names the setting."""
