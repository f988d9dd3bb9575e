"""Helpers of the consent, audit and privacy route tests: keys by role, a configured app."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from collector_helpers import CONFIG
from fastapi import FastAPI

from api.app import create_app
from cdp.config import Settings, parse_config
from storage import Lakehouse

__all__ = ["KEYS", "ROLES", "auth", "consent_app", "consent_settings"]

KEYS = {
    "collector": "k-collector-0123456789",
    "marketing": "k-marketing-0123456789",
    "ai_service": "k-ai-0123456789",
    "dpo": "k-dpo-0123456789",
    "admin": "k-admin-0123456789",
}
ROLES = tuple(KEYS)

PURPOSES = {
    "email_marketing": {
        "channel": "email",
        "direct_marketing": True,
        "legal_basis": {"EU": "consent", "default": "consent"},
    },
    "analytics": {"channel": "web", "legal_basis": {"default": "legitimate_interest"}},
}


def auth(role: str) -> dict[str, str]:
    """The Authorization header of the test key of ``role``."""
    return {"Authorization": f"Bearer {KEYS[role]}"}


def consent_settings(base: Path) -> Settings:
    """Settings with API keys for every role and a small purpose catalogue."""
    config: dict[str, Any] = dict(CONFIG)
    config["purposes"] = PURPOSES
    config["api_keys"] = [
        {"name": f"{role}-key", "role": role, "sha256": hashlib.sha256(key.encode()).hexdigest()}
        for role, key in KEYS.items()
    ]
    return parse_config(config, base_dir=base)


def consent_app(base: Path) -> tuple[FastAPI, Lakehouse]:
    """The API app over an initialised lakehouse under ``base``."""
    settings = consent_settings(base)
    lakehouse = Lakehouse.from_settings(settings)
    lakehouse.init()
    return create_app(settings), lakehouse
