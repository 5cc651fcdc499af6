"""Ed25519 signatures over checkpoints, and the exact bytes that are hashed and signed.

A checkpoint's ``hash`` is SHA-256 over ``b"ceasefire-ledger/v2 checkpoint\\n"`` and the
canonical JSON of ``{"at", "first", "head", "last", "ledger", "prev", "root", "seq"}``. Every
signature (the HQ's and each nation's countersignature) signs its own statement::

    b"ceasefire-ledger/v2 signature\\n" + canonical JSON of
    {"at", "checkpoint", "checkpoint_hash", "key", "role", "signer"}

so the signer's name, role, key and signing time are covered by the signature itself, and the
prefix keeps a ledger signature from being replayed as any other Ed25519-signed message.
Countersignatures sign the same checkpoint hash as the HQ, independently: a nation's signature
stays valid even if the HQ's key is later revoked.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ceasefire.ledger.canonical import canonical_json
from ceasefire.ledger.model import KeyRole

SIGNATURE_PREFIX = b"ceasefire-ledger/v2 signature\n"
CHECKPOINT_PREFIX = b"ceasefire-ledger/v2 checkpoint\n"


def checkpoint_hash(
    *,
    seq: int,
    ledger_id: str,
    first_seq: int,
    last_seq: int,
    root: str,
    head: str,
    prev_hash: str,
    at: str,
) -> str:
    """SHA-256 (hex) of the tag and the checkpoint's canonical body. ``root`` and ``head``
    are taken over commitments, so the hash (and every signature of it) is the same in the
    HQ's export and in every nation's."""
    body = canonical_json(
        {
            "at": at,
            "first": first_seq,
            "head": head,
            "last": last_seq,
            "ledger": ledger_id,
            "prev": prev_hash,
            "root": root,
            "seq": seq,
        }
    )
    return hashlib.sha256(CHECKPOINT_PREFIX + body).hexdigest()


def signature_message(
    *, checkpoint_seq: int, checkpoint_hash: str, key: str, role: KeyRole, signer: str, at: str
) -> bytes:
    """The exact bytes an Ed25519 signature over a checkpoint signs."""
    statement = canonical_json(
        {
            "at": at,
            "checkpoint": checkpoint_seq,
            "checkpoint_hash": checkpoint_hash,
            "key": key,
            "role": str(role),
            "signer": signer,
        }
    )
    return SIGNATURE_PREFIX + statement


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key (RFC 8032 encoding)."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def fingerprint(public_key_hex: str) -> str:
    """SHA-256 (hex) of the 32 raw public-key bytes; how signatures name their key."""
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()


def sign(private_key: Ed25519PrivateKey, message: bytes) -> str:
    """Ed25519 signature of ``message`` as 128 lowercase hex digits."""
    return private_key.sign(message).hex()


def verify_signature(public_key_hex: str, message: bytes, signature_hex: str) -> bool:
    """True when ``signature_hex`` is a valid Ed25519 signature of ``message``.

    Malformed keys or signatures are simply invalid (False), never an exception.
    """
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True
