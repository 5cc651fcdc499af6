"""Key files: private keys written once with mode 0600, public keys as small JSON records.

``<keys_dir>/<OWNER>-<fp8>.key`` holds the private key (PKCS#8 PEM, unencrypted, created with
``O_EXCL`` and mode 0600 in a 0700 directory; in production keep it on a token or an encrypted
volume). ``<keys_dir>/<OWNER>-<fp8>.pub.json`` holds the public record a nation hands to others
so they can pass it to ``ceasefire ledger verify --trust-key``: the canonical JSON of
``{"fingerprint", "owner", "public_key", "role"}``. A PEM ``PUBLIC KEY`` file is accepted as a
trusted key too (it binds the key but no owner).

Private key material is never returned as text, logged or printed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from ceasefire.errors import InputError
from ceasefire.ledger.canonical import canonical_json
from ceasefire.ledger.model import OWNER_RE, KeyRole, PublicKey
from ceasefire.ledger.signing import fingerprint, raw_public_key

PRIVATE_KEY_MODE = 0o600
KEYS_DIR_MODE = 0o700


@dataclass(frozen=True, slots=True)
class NewKey:
    """A freshly generated key: its public record and where the private half was written."""

    public: PublicKey
    private_path: Path
    public_path: Path


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A public key a verifier trusts; ``owner`` is None when the file named none (PEM)."""

    fingerprint: str
    public_key: str
    owner: str | None


def check_owner(owner: str, role: KeyRole) -> str:
    """Validate an owner name: ``HQ`` for the HQ role, an upper-case code (``FRA``) otherwise."""
    if not OWNER_RE.match(owner):
        raise InputError("owner", "pattern", f"{owner!r} is not an upper-case code like FRA")
    if (role is KeyRole.HQ) != (owner == "HQ"):
        raise InputError("owner", "role", "the owner HQ and the hq role go together")
    return owner


def generate_key(owner: str, role: KeyRole, keys_dir: Path, *, created_at: str) -> NewKey:
    """Create an Ed25519 keypair; write the private key (0600) and the public record.

    Refuses to overwrite an existing file (``InputError("keys_dir", "exists", ...)``).
    """
    check_owner(owner, role)
    private = Ed25519PrivateKey.generate()
    public_hex = raw_public_key(private.public_key()).hex()
    fp = fingerprint(public_hex)
    record = PublicKey(fp, owner, role, public_hex, created_at)
    keys_dir.mkdir(mode=KEYS_DIR_MODE, parents=True, exist_ok=True)
    stem = f"{owner}-{fp[:8]}"
    private_path = keys_dir / f"{stem}.key"
    public_path = keys_dir / f"{stem}.pub.json"
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    _write_new(private_path, pem, PRIVATE_KEY_MODE)
    _write_new(public_path, public_record_json(record) + b"\n", 0o644)
    return NewKey(record, private_path, public_path)


def public_record_json(key: PublicKey) -> bytes:
    """Canonical JSON of the shareable public record (no creation time: not verifiable)."""
    return canonical_json(
        {
            "fingerprint": key.fingerprint,
            "owner": key.owner,
            "public_key": key.public_key,
            "role": str(key.role),
        }
    )


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read a private key written by ``generate_key``; errors name the file, never its bytes."""
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(str(path), "private-key", "not a readable unencrypted PEM key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(str(path), "private-key", "not an Ed25519 key")
    return key


def load_trusted_key(path: Path) -> TrustedKey:
    """Read a trusted public key: a ``.pub.json`` record or a PEM ``PUBLIC KEY``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), "readable", f"cannot read: {exc.strerror}") from exc
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            key = load_pem_public_key(data)
        except ValueError as exc:
            raise InputError(str(path), "public-key", "not a PEM public key") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise InputError(str(path), "public-key", "not an Ed25519 key")
        public_hex = raw_public_key(key).hex()
        return TrustedKey(fingerprint(public_hex), public_hex, None)
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(str(path), "public-key", "neither PEM nor a JSON key record") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("public_key"), str):
        raise InputError(str(path), "public-key", "JSON key record lacks public_key")
    public_hex = obj["public_key"]
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
    except ValueError as exc:
        raise InputError(str(path), "public-key", "public_key is not 32 hex bytes") from exc
    fp = fingerprint(public_hex)
    if obj.get("fingerprint", fp) != fp:
        raise InputError(str(path), "fingerprint", "fingerprint does not match public_key")
    owner = obj.get("owner")
    return TrustedKey(fp, public_hex, owner if isinstance(owner, str) else None)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` exclusively with ``mode`` (not subject to a permissive umask)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError as exc:
        raise InputError("keys_dir", "exists", f"{path} already exists") from exc
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
    finally:
        os.close(fd)
