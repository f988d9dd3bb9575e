"""API-key authentication and role checks for the query API (DESIGN §10).

Keys come from ``api_keys`` in the configuration, stored as the sha256 of the key. A request
presents ``Authorization: Bearer <key>``; the digest of the presented key is compared with every
configured digest in constant time (:func:`hmac.compare_digest`, no early exit), so neither the
comparison nor the position of a key in the list leaks through timing.

Routes declare the roles they admit with :func:`require_roles` (``admin`` is admitted
everywhere). Without a key or with an unknown key the answer is 401 with
``WWW-Authenticate: Bearer``; a known key whose role is not admitted gets 403. The collector's
routes do not use this: they authenticate with write keys (``api.deps.read_segment_request``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Final, get_args

from fastapi import Depends, Request

from api.errors import ApiError
from cdp.config import ApiKey, Role, Settings

__all__ = [
    "AdminDep",
    "ApiKeys",
    "ApiKeysDep",
    "DpoDep",
    "Principal",
    "authenticate",
    "get_api_keys",
    "require_roles",
]

logger = logging.getLogger(__name__)

ROLES: Final[frozenset[str]] = frozenset(get_args(Role))
_BEARER: Final = "bearer "


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the configured key's name (never the key) and its role."""

    name: str
    role: Role


class ApiKeys:
    """The configured API keys, looked up by the sha256 of a presented key in constant time."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self._keys: tuple[tuple[bytes, Principal], ...] = tuple(
            (bytes.fromhex(k.sha256), Principal(k.name, k.role)) for k in keys
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiKeys:
        return cls(settings.api_keys)

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, key: str | None) -> Principal | None:
        """The principal of ``key``, or ``None``. Every configured digest is compared."""
        if not key:
            return None
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
        found: Principal | None = None
        for stored, principal in self._keys:
            if hmac.compare_digest(stored, digest) and found is None:
                found = principal
        return found


def get_api_keys(request: Request) -> ApiKeys:
    """The process's API keys (built once by ``create_app``)."""
    keys = getattr(request.app.state, "api_keys", None)
    if keys is None:
        keys = ApiKeys.from_settings(request.app.state.settings)
        request.app.state.api_keys = keys
    return keys


ApiKeysDep = Annotated[ApiKeys, Depends(get_api_keys)]


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: Request, keys: ApiKeysDep) -> Principal:
    """The caller of a query-API route (401 without a known ``Bearer`` key)."""
    authorization = request.headers.get("authorization", "")
    if authorization[: len(_BEARER)].lower() != _BEARER:
        raise _unauthorized("an API key is required (Authorization: Bearer <key>)")
    principal = keys.lookup(authorization[len(_BEARER) :].strip())
    if principal is None:
        raise _unauthorized("unknown API key")
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting callers whose role is one of ``roles`` (or ``admin``); 403 else."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}")
    admitted = frozenset(roles) | {"admin"}
    names = ", ".join(sorted(admitted))

    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in admitted:
            logger.info(
                "forbidden: key %r (role %s) not in %s", principal.name, principal.role, names
            )
            raise ApiError(403, "forbidden", f"this route needs one of the roles: {names}")
        return principal

    check.__name__ = f"require_{'_or_'.join(sorted(admitted))}"
    return check


DpoDep = Annotated[Principal, Depends(require_roles("dpo"))]
AdminDep = Annotated[Principal, Depends(require_roles())]
