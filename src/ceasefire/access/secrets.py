"""Tokens and passwords: generated here, stored only as hashes.

API tokens are 256 random bits, so one SHA-256 is enough to store them (no dictionary to
attack); passwords are chosen by people, so they get scrypt with a per-user salt (stdlib,
memory-hard). Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "cf_"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def new_token() -> str:
    """A fresh API or session token (shown once, never stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_password() -> str:
    """A random password for demo and new users (about 96 bits)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$<salt hex>$<hash hex>`` of ``password``."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (False for a user without a password)."""
    if not stored or stored.count("$") != 2:
        return False
    _, salt_hex, digest_hex = stored.split("$")
    expected = hash_password(password, salt=bytes.fromhex(salt_hex))
    return hmac.compare_digest(expected.split("$")[2], digest_hex)
