"""Merkle trees: RFC 6962's shape and test vectors, inclusion proofs."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ceasefire.ledger.merkle import (
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_inclusion,
)

# Certificate Transparency's reference inputs and roots of the trees over their first n leaves.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.mark.parametrize("n", range(1, 9))
def test_roots_match_certificate_transparency_vectors(n: int) -> None:
    assert merkle_root(CT_LEAVES[:n]).hex() == CT_ROOTS[n - 1]


def _reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, written as the RFC states it (recursive split)."""
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_reference_root(leaves[:k]), _reference_root(leaves[k:]))


leaf_lists = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=70)


@given(leaf_lists)
def test_root_equals_the_recursive_definition(leaves: list[bytes]) -> None:
    assert merkle_root(leaves) == _reference_root(leaves)


@given(leaf_lists, st.data())
def test_every_leaf_has_a_proof_and_a_wrong_leaf_has_none(
    leaves: list[bytes], data: st.DataObject
) -> None:
    root = merkle_root(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = inclusion_proof(leaves, index)
    assert verify_inclusion(leaves[index], index, len(leaves), proof, root)
    forged = hashlib.sha256(leaves[index]).digest()
    assert not verify_inclusion(forged, index, len(leaves), proof, root)
    if len(leaves) > 1:
        other = (index + 1) % len(leaves)
        assert not verify_inclusion(leaves[index], other, len(leaves), proof, root) or (
            leaves[other] == leaves[index]
        )


def test_a_leaf_cannot_pose_as_an_inner_node() -> None:
    a, b = b"a" * 32, b"b" * 32
    inner = node_hash(leaf_hash(a), leaf_hash(b))
    assert merkle_root([a, b]) == inner
    assert merkle_root([leaf_hash(a) + leaf_hash(b)]) != inner


def test_an_empty_tree_has_no_root() -> None:
    with pytest.raises(ValueError, match="at least one leaf"):
        merkle_root([])
