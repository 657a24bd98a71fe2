"""Tests for the RFC 6962 Merkle tree: the transparency-dev vectors and RFC reference proofs."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.errors import ProofError
from auditkit.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    NodeId,
    build_inclusion_proofs,
    build_proof,
    consistency_proof_nodes,
    inclusion_proof_nodes,
    inclusion_proofs_nodes,
    leaf_hash,
    leaf_hashes,
    node_hash,
    parent_hashes,
    peak_nodes,
    root_from,
    root_from_inclusion_proof,
    root_of,
    root_plan,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parent.parent / "data" / "merkle"
CASE_FILES = sorted([*VECTORS.glob("inclusion/**/*.json"), *VECTORS.glob("consistency/**/*.json")])

# The eight leaves behind the vectors (vectors README), as in Certificate Transparency's tests.
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOT_8 = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")


# RFC 6962 section 2.1, written straight from the text and independent of the
# module under test, so the module is checked against the RFC, not against itself.
def _ref_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _ref_split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(hashes: list[bytes]) -> bytes:
    """MTH over leaf hashes."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = _ref_split(len(hashes))
    return _ref_node(ref_mth(hashes[:k]), ref_mth(hashes[k:]))


def ref_path(m: int, hashes: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]), section 2.1.1."""
    if len(hashes) == 1:
        return []
    k = _ref_split(len(hashes))
    if m < k:
        return [*ref_path(m, hashes[:k]), ref_mth(hashes[k:])]
    return [*ref_path(m - k, hashes[k:]), ref_mth(hashes[:k])]


def ref_subproof(m: int, hashes: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b), section 2.1.2."""
    n = len(hashes)
    if m == n:
        return [] if whole else [ref_mth(hashes)]
    k = _ref_split(n)
    if m <= k:
        return [*ref_subproof(m, hashes[:k], whole), ref_mth(hashes[k:])]
    return [*ref_subproof(m - k, hashes[k:], False), ref_mth(hashes[:k])]


def ref_proof(m: int, hashes: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]), section 2.1.2."""
    return ref_subproof(m, hashes, True)


def all_nodes(hashes: list[bytes]) -> dict[NodeId, bytes]:
    """Every complete subtree hash of the tree over ``hashes``, as storage would hold them."""
    nodes = {NodeId(0, i): h for i, h in enumerate(hashes)}
    level = 1
    while (1 << level) <= len(hashes):
        for index in range(len(hashes) >> level):
            nodes[NodeId(level, index)] = _ref_node(
                nodes[NodeId(level - 1, 2 * index)], nodes[NodeId(level - 1, 2 * index + 1)]
            )
        level += 1
    return nodes


def make_leaves(size: int, salt: bytes = b"") -> list[bytes]:
    """Distinct leaf hashes for a tree of ``size``."""
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(size)]


def ceil_log2(n: int) -> int:
    return (n - 1).bit_length()


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


# --- transparency-dev/merkle vectors ---------------------------------------


def test_every_vector_file_is_present() -> None:
    assert len(CASE_FILES) == 196
    assert (VECTORS / "LICENSE").is_file()
    assert (VECTORS / "README.md").is_file()


@pytest.mark.parametrize(
    "path", CASE_FILES, ids=[p.relative_to(VECTORS).as_posix() for p in CASE_FILES]
)
def test_vector_is_accepted_or_refused_as_expected(path: Path) -> None:
    case = _load(path)
    proof = [_b64(h) for h in case["proof"] or []]
    if "leafIdx" in case:

        def check() -> None:
            verify_inclusion(
                _b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, _b64(case["root"])
            )

    else:

        def check() -> None:
            verify_consistency(
                case["size1"], case["size2"], proof, _b64(case["root1"]), _b64(case["root2"])
            )

    if case["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


HAPPY_PATHS = [p for p in CASE_FILES if p.name == "happy-path.json"]


@pytest.mark.parametrize(
    "path", HAPPY_PATHS, ids=[p.relative_to(VECTORS).as_posix() for p in HAPPY_PATHS]
)
def test_generated_proof_equals_the_vector_proof(path: Path) -> None:
    case = _load(path)
    hashes = [leaf_hash(leaf) for leaf in CT_LEAVES]
    nodes = all_nodes(hashes)
    want = [_b64(h) for h in case["proof"] or []]
    if "leafIdx" in case:
        size = case["treeSize"]
        assert ref_mth(hashes[:size]) == _b64(case["root"])
        plan = inclusion_proof_nodes(case["leafIdx"], size)
        # What auditkit serves: the batched builder, from only the nodes it asks for.
        needed = inclusion_proofs_nodes([case["leafIdx"]], size)
        only = {node: nodes[node] for node in needed}
        assert build_inclusion_proofs([case["leafIdx"]], size, only) == [want]
    else:
        size = case["size2"]
        assert ref_mth(hashes[:size]) == _b64(case["root2"])
        plan = consistency_proof_nodes(case["size1"], size)
    assert build_proof(plan, nodes) == want


def test_ct_leaves_give_the_known_root_at_size_8() -> None:
    hashes = [leaf_hash(leaf) for leaf in CT_LEAVES]
    assert root_of(hashes) == CT_ROOT_8
    assert ref_mth(hashes) == CT_ROOT_8
    tree = CompactRange()
    tree.extend(hashes)
    assert tree.root() == CT_ROOT_8


# --- hashing -------------------------------------------------------------------


def test_hashes_use_the_rfc6962_domain_separation_prefixes() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert (
        node_hash(b"l" * 32, b"r" * 32) == hashlib.sha256(b"\x01" + b"l" * 32 + b"r" * 32).digest()
    )
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root_of([]) == EMPTY_ROOT


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 7, 8, 33])
def test_bulk_hashes_equal_one_hash_at_a_time(size: int) -> None:
    """The bulk forms verify uses give the RFC 6962 hashes; an unpaired last hash has no
    complete parent, and the empty item is hashed too (SHA-256 of 0x00 alone)."""
    data = [bytes([n]) * (n * 37 % 300) for n in range(size)]  # b"" first, up to 296 bytes
    leaves = leaf_hashes(iter(data))
    assert leaves == [leaf_hash(item) for item in data]
    assert leaves[:1] in ([], [hashlib.sha256(b"\x00").digest()])
    parents = parent_hashes(leaves)
    assert parents == [node_hash(leaves[i], leaves[i + 1]) for i in range(0, size - 1, 2)]
    assert len(parents) == size // 2


def test_bulk_leaf_hashes_start_each_item_afresh() -> None:
    """Each leaf starts from the 0x00 prefix alone, not from what earlier items absorbed."""
    assert leaf_hashes([b"a", b"a", b"b"]) == [leaf_hash(b"a"), leaf_hash(b"a"), leaf_hash(b"b")]


def test_node_id_covers_its_leaves() -> None:
    node = NodeId(3, 2)
    assert (node.begin, node.end) == (16, 24)


# --- proofs from stored nodes against the RFC reference --------------------


def test_proofs_for_every_index_and_size_up_to_64_match_the_rfc() -> None:
    for size in range(1, 65):
        hashes = make_leaves(size)
        nodes = all_nodes(hashes)
        root = ref_mth(hashes)
        for index in range(size):
            proof = build_proof(inclusion_proof_nodes(index, size), nodes)
            assert proof == ref_path(index, hashes), (index, size)
            verify_inclusion(hashes[index], index, size, proof, root)
        for size1 in range(1, size + 1):
            proof = build_proof(consistency_proof_nodes(size1, size), nodes)
            assert proof == ref_proof(size1, hashes), (size1, size)
            verify_consistency(size1, size, proof, ref_mth(hashes[:size1]), root)


@settings(deadline=None)
@given(size=st.integers(1, 300), salt=st.binary(max_size=8), data=st.data())
def test_inclusion_proof_from_stored_nodes_matches_rfc_path(
    size: int, salt: bytes, data: st.DataObject
) -> None:
    hashes = make_leaves(size, salt)
    index = data.draw(st.integers(0, size - 1), label="index")
    plan = inclusion_proof_nodes(index, size)
    assert len(plan.nodes) <= 2 * ceil_log2(size)
    assert len(set(plan.nodes)) == len(plan.nodes)
    proof = build_proof(plan, all_nodes(hashes))
    assert proof == ref_path(index, hashes)
    verify_inclusion(hashes[index], index, size, proof, ref_mth(hashes))
    assert root_from_inclusion_proof(hashes[index], index, size, proof) == ref_mth(hashes)


def test_batched_proofs_for_every_index_and_size_up_to_64_match_the_rfc() -> None:
    for size in range(1, 65):
        hashes = make_leaves(size)
        everything = all_nodes(hashes)
        indices = list(range(size))
        needed = inclusion_proofs_nodes(indices, size)
        assert needed <= everything.keys()
        only_needed = {node: everything[node] for node in needed}
        assert build_inclusion_proofs(indices, size, only_needed) == [
            ref_path(index, hashes) for index in indices
        ], size


@settings(deadline=None)
@given(size=st.integers(1, 300), salt=st.binary(max_size=8), data=st.data())
def test_batched_proofs_of_some_leaves_need_only_their_nodes(
    size: int, salt: bytes, data: st.DataObject
) -> None:
    hashes = make_leaves(size, salt)
    indices = data.draw(st.lists(st.integers(0, size - 1), max_size=20), label="indices")
    needed = inclusion_proofs_nodes(indices, size)
    assert len(needed) <= len(peak_nodes(size)) + len(indices) * ceil_log2(size)
    nodes = all_nodes(hashes)
    proofs = build_inclusion_proofs(indices, size, {n: nodes[n] for n in needed})
    assert proofs == [ref_path(index, hashes) for index in indices]


def test_batched_proofs_refuse_a_leaf_outside_the_tree_and_name_a_missing_node() -> None:
    nodes = all_nodes(make_leaves(8))
    with pytest.raises(ProofError, match="not in a tree of size 8"):
        inclusion_proofs_nodes([8], 8)
    with pytest.raises(ProofError, match="not in a tree of size 8"):
        build_inclusion_proofs([-1], 8, nodes)
    del nodes[NodeId(1, 1)]
    with pytest.raises(ProofError, match=r"NodeId\(level=1, index=1\)"):
        build_inclusion_proofs([0], 8, nodes)
    del nodes[NodeId(3, 0)]
    with pytest.raises(ProofError, match=r"NodeId\(level=3, index=0\)"):
        build_inclusion_proofs([0], 8, nodes)


@settings(deadline=None)
@given(size2=st.integers(1, 300), salt=st.binary(max_size=8), data=st.data())
def test_consistency_proof_from_stored_nodes_matches_rfc_proof(
    size2: int, salt: bytes, data: st.DataObject
) -> None:
    hashes = make_leaves(size2, salt)
    size1 = data.draw(st.integers(1, size2), label="size1")
    plan = consistency_proof_nodes(size1, size2)
    assert len(plan.nodes) <= 2 * ceil_log2(size2)
    proof = build_proof(plan, all_nodes(hashes))
    assert proof == ref_proof(size1, hashes)
    verify_consistency(size1, size2, proof, ref_mth(hashes[:size1]), ref_mth(hashes))


@settings(deadline=None)
@given(size=st.integers(0, 300), salt=st.binary(max_size=8))
def test_root_from_peaks_matches_mth(size: int, salt: bytes) -> None:
    hashes = make_leaves(size, salt)
    plan = root_plan(size)
    assert list(plan.nodes) == peak_nodes(size)
    assert len(plan.nodes) == size.bit_count()
    assert root_from(plan, all_nodes(hashes)) == ref_mth(hashes)


# --- CompactRange ----------------------------------------------------------------


@settings(deadline=None)
@given(size=st.integers(0, 300), salt=st.binary(max_size=8))
def test_compact_range_root_and_emitted_nodes_match_the_full_tree(size: int, salt: bytes) -> None:
    hashes = make_leaves(size, salt)
    tree = CompactRange()
    emitted: dict[NodeId, bytes] = {}
    assert tree.root() == EMPTY_ROOT
    for count, value in enumerate(hashes, start=1):
        for node, digest in tree.append(value):
            assert node not in emitted
            emitted[node] = digest
        assert tree.size == count
        assert tree.root() == root_of(hashes[:count])
    stored = {node: h for node, h in all_nodes(hashes).items() if node.level >= 1}
    assert emitted == stored


@settings(deadline=None)
@given(size=st.integers(0, 200), more=st.integers(0, 100), salt=st.binary(max_size=8))
def test_compact_range_resumes_from_stored_peaks(size: int, more: int, salt: bytes) -> None:
    hashes = make_leaves(size + more, salt)
    nodes = all_nodes(hashes)
    tree = CompactRange(size, [nodes[node] for node in peak_nodes(size)])
    assert tree.peaks() == [(node, nodes[node]) for node in peak_nodes(size)]
    emitted = dict(tree.extend(hashes[size:]))
    assert tree.root() == ref_mth(hashes)
    assert emitted == {n: h for n, h in nodes.items() if n.level >= 1 and n.end > size}


@pytest.mark.parametrize(
    ("size", "peaks", "match"),
    [
        (-1, [], "negative"),
        (3, [b"\x00" * 32], "2 peaks, got 1"),
        (1, [b"\x00" * 31], "31 bytes"),
    ],
    ids=["negative-size", "missing-peak", "short-peak"],
)
def test_compact_range_refuses_inconsistent_state(
    size: int, peaks: list[bytes], match: str
) -> None:
    with pytest.raises(ProofError, match=match):
        CompactRange(size, peaks)


def test_compact_range_refuses_a_leaf_hash_of_the_wrong_length() -> None:
    with pytest.raises(ProofError, match="leaf hash has 3 bytes"):
        CompactRange().append(b"abc")


# --- refusals ------------------------------------------------------------------

_H = [leaf_hash(bytes([i])) for i in range(8)]
_ROOT = ref_mth(_H)
_PROOF_3 = ref_path(3, _H)


@pytest.mark.parametrize(
    ("leaf", "index", "size", "proof", "root", "match"),
    [
        (_H[3], 8, 8, _PROOF_3, _ROOT, "not in a tree"),
        (_H[3], -1, 8, _PROOF_3, _ROOT, "not in a tree"),
        (_H[3], 0, 0, [], EMPTY_ROOT, "not in a tree"),
        (_H[3][:31], 3, 8, _PROOF_3, _ROOT, "leaf hash has 31 bytes"),
        (_H[3], 3, 8, _PROOF_3, _ROOT + b"\x00", "root hash has 33 bytes"),
        (_H[3], 3, 8, _PROOF_3[:-1], _ROOT, "has 2 hashes, want 3"),
        (_H[3], 3, 8, [*_PROOF_3, _ROOT], _ROOT, "has 4 hashes, want 3"),
        (_H[3], 3, 8, [_PROOF_3[0][:16], *_PROOF_3[1:]], _ROOT, "proof hash 0 has 16"),
        (_H[4], 3, 8, _PROOF_3, _ROOT, "does not match the root"),
        (_H[3], 3, 8, _PROOF_3, EMPTY_ROOT, "does not match the root"),
    ],
    ids=[
        "index-equals-size",
        "negative-index",
        "empty-tree",
        "short-leaf-hash",
        "long-root",
        "proof-too-short",
        "proof-too-long",
        "short-proof-hash",
        "wrong-leaf",
        "wrong-root",
    ],
)
def test_bad_inclusion_proof_is_refused(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes, match: str
) -> None:
    with pytest.raises(ProofError, match=match):
        verify_inclusion(leaf, index, size, proof, root)


_ROOT_5 = ref_mth(_H[:5])
_PROOF_5_8 = ref_proof(5, _H)


@pytest.mark.parametrize(
    ("size1", "size2", "proof", "root1", "root2", "match"),
    [
        (6, 5, [], _ROOT, _ROOT, "greater than size2"),
        (0, 8, [], EMPTY_ROOT, _ROOT, "empty tree is meaningless"),
        (0, 8, [EMPTY_ROOT], EMPTY_ROOT, _ROOT, "empty tree is meaningless"),
        (0, 0, [], EMPTY_ROOT, EMPTY_ROOT, "empty tree is meaningless"),
        (8, 8, [_ROOT], _ROOT, _ROOT, "sizes are equal but the proof has 1"),
        (8, 8, [], _ROOT, _ROOT_5, "does not match root2"),
        (5, 8, [], _ROOT_5, _ROOT, "is empty"),
        (5, 8, _PROOF_5_8[:-1], _ROOT_5, _ROOT, "want 4"),
        (5, 8, [*_PROOF_5_8, _ROOT], _ROOT_5, _ROOT, "want 4"),
        (5, 8, _PROOF_5_8, _ROOT_5[:20], _ROOT, "root1 has 20 bytes"),
        (5, 8, _PROOF_5_8, _ROOT_5, _ROOT[:20], "root2 has 20 bytes"),
        (5, 8, _PROOF_5_8, _ROOT, _ROOT, "does not match root1"),
        (5, 8, _PROOF_5_8, _ROOT_5, _ROOT_5, "does not match root2"),
        (5, 8, list(reversed(_PROOF_5_8)), _ROOT_5, _ROOT, "does not match root1"),
    ],
    ids=[
        "size1-greater",
        "from-empty-tree",
        "from-empty-tree-with-proof",
        "both-empty",
        "equal-sizes-with-proof",
        "equal-sizes-different-roots",
        "empty-proof",
        "proof-too-short",
        "proof-too-long",
        "short-root1",
        "short-root2",
        "wrong-root1",
        "wrong-root2",
        "reordered-proof",
    ],
)
def test_bad_consistency_proof_is_refused(
    size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes, match: str
) -> None:
    with pytest.raises(ProofError, match=match):
        verify_consistency(size1, size2, proof, root1, root2)


@pytest.mark.parametrize(
    ("plan", "match"),
    [
        (lambda: inclusion_proof_nodes(5, 5), "not in a tree"),
        (lambda: inclusion_proof_nodes(0, 0), "not in a tree"),
        (lambda: consistency_proof_nodes(0, 5), "empty tree"),
        (lambda: consistency_proof_nodes(6, 5), "greater than size2"),
        (lambda: peak_nodes(-1), "negative"),
    ],
    ids=["index-beyond-size", "empty-tree", "from-empty", "shrinking", "negative-size"],
)
def test_impossible_proof_requests_are_refused(plan: Any, match: str) -> None:
    with pytest.raises(ProofError, match=match):
        plan()


def test_equal_sizes_need_an_empty_plan() -> None:
    assert consistency_proof_nodes(7, 7).nodes == ()


def test_build_proof_names_a_missing_stored_node() -> None:
    hashes = make_leaves(8)
    nodes = all_nodes(hashes)
    del nodes[NodeId(2, 1)]
    with pytest.raises(ProofError, match=r"NodeId\(level=2, index=1\)"):
        build_proof(inclusion_proof_nodes(0, 8), nodes)


def test_root_from_refuses_a_proof_plan() -> None:
    nodes = all_nodes(make_leaves(8))
    with pytest.raises(ProofError, match="not a root plan"):
        root_from(inclusion_proof_nodes(0, 8), nodes)
