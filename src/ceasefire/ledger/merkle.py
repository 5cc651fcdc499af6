"""Merkle trees over leaf inputs, shaped and domain-separated as in RFC 6962 / RFC 9162.

Leaves are byte strings (format v2: each entry's ``{"body","hdr","seq"}`` commitment JSON,
``chain.leaf_data``). ``leaf = SHA-256(0x00 || data)`` and
``node = SHA-256(0x01 || left || right)``: the prefixes make a leaf impossible to pass off as an
inner node (second-preimage attack). A tree of n > 1 leaves splits at k, the largest power of
two strictly below n: ``MTH(D[0:n]) = node(MTH(D[0:k]), MTH(D[k:n]))``. An empty tree has no root
here (a checkpoint always covers at least one entry).

Inclusion proofs let a nation check one entry against a signed checkpoint without the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """Root of the RFC 6962 tree over the leaf inputs ``leaves``, in order.

    Computed bottom-up level by level; carrying an odd last node up unchanged yields exactly
    RFC 6962's split-at-largest-power-of-two shape. Raises ``ValueError`` on an empty list.

    >>> h = [bytes([i]) * 32 for i in range(3)]
    >>> merkle_root(h) == node_hash(node_hash(leaf_hash(h[0]), leaf_hash(h[1])), leaf_hash(h[2]))
    True
    """
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    level = [leaf_hash(h) for h in leaves]
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path for leaf ``index`` (0-based within the tree), RFC 6962 section 2.1.1 order."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is outside a tree of {len(leaves)}")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof(leaves[:k], index), merkle_root(leaves[k:])]
    return [*inclusion_proof(leaves[k:], index - k), merkle_root(leaves[:k])]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when ``proof`` shows leaf ``index`` of a ``size``-leaf tree is ``leaf``
    under ``root`` (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf_hash(leaf)
    for p in proof:
        if sn == 0:
            return False
        if (fn & 1) or fn == sn:
            r = node_hash(p, r)
            if not (fn & 1):
                while (fn & 1) == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def _split(n: int) -> int:
    """Largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)
