"""RFC 6962 / RFC 9162 Merkle tree: hashing, proof planning from stored subtrees, verification.

Proof generation is split in two pure steps so a caller can fetch every stored
hash a proof needs in one query: a ``*_nodes`` / ``root_plan`` function names the
complete subtrees (:class:`NodeId`) to read, and :func:`build_proof` /
:func:`root_from` combine the hashes read. Level-0 nodes are the leaf hashes;
:class:`CompactRange` emits every complete node of level 1 and above as leaves
are appended, so storing those is enough to serve any proof in O(log n) reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from auditkit.errors import ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "NodeId",
    "ProofPlan",
    "build_inclusion_proofs",
    "build_inclusion_proofs_by_level",
    "build_proof",
    "consistency_proof_nodes",
    "inclusion_proof_nodes",
    "inclusion_proofs_nodes",
    "leaf_hash",
    "leaf_hashes",
    "node_hash",
    "parent_hashes",
    "peak_nodes",
    "root_from",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "root_of",
    "root_plan",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root hash of the tree with no leaves: SHA-256 of the empty string."""

_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash SHA-256(0x00 || data)."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash SHA-256(0x01 || left || right)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


# The two bulk forms below are what verify spends its CPU on: one SHA-256 of a short input
# costs less than CPython's calls around it, so they make as few Python-level calls per
# hash as hashlib allows (measured in bench/README.md, "verify" under issue 19).


def leaf_hashes(data: Iterable[bytes]) -> list[bytes]:
    """Return :func:`leaf_hash` of each item, in order.

    Each hash starts from a copy of a state that has already absorbed the 0x00 prefix, so
    no prefixed copy of the data is built and no hash is set up from scratch per item.
    """
    start = _sha256(_LEAF_PREFIX).copy
    hashes: list[bytes] = []
    keep = hashes.append
    for item in data:
        state = start()
        state.update(item)
        keep(state.digest())
    return hashes


def parent_hashes(level: Sequence[bytes]) -> list[bytes]:
    """Return :func:`node_hash` of each pair (``level[2i]``, ``level[2i + 1]``), in order: the
    complete nodes one level up; a last unpaired hash has no complete parent and is left out."""
    pairs = iter(level)
    return [
        _sha256(_NODE_PREFIX + left + right).digest()
        for left, right in zip(pairs, pairs, strict=False)
    ]


# A NamedTuple rather than a frozen dataclass: CompactRange builds one per stored
# node on the append path, and tuple construction and hashing are several times
# cheaper while staying immutable and usable as a mapping key.
class NodeId(NamedTuple):
    """A complete subtree covering leaves ``[index * 2**level, (index + 1) * 2**level)``."""

    level: int
    # Shadows tuple.index() on purpose (the field name is the RFC 6962 term); NamedTuple allows it.
    index: int  # type: ignore[assignment]

    @property
    def begin(self) -> int:
        """The first leaf index the subtree covers."""
        return self.index << self.level

    @property
    def end(self) -> int:
        """One past the last leaf index the subtree covers."""
        return (self.index + 1) << self.level


@dataclass(frozen=True, slots=True)
class ProofPlan:
    """The stored complete subtrees a proof or root needs, grouped by element in output order.

    Each element is the RFC 6962 hash of its nodes, which are a left-to-right,
    largest-first decomposition of one subtree; a single node stands for itself.
    """

    elements: tuple[tuple[NodeId, ...], ...]

    @property
    def nodes(self) -> tuple[NodeId, ...]:
        """Every node to fetch, in order; the elements cover disjoint leaves, so none repeats."""
        return tuple(node for element in self.elements for node in element)


def _range_nodes(begin: int, end: int) -> tuple[NodeId, ...]:
    """Decompose ``[begin, end)`` into complete subtrees, largest first."""
    count = end - begin
    if count <= 0:
        return ()
    top = count.bit_length() - 1
    # Only a range starting on a boundary of its largest piece decomposes into
    # decreasing pieces whose right fold is the RFC 6962 hash of the range.
    if begin & ((1 << top) - 1):
        raise ProofError(f"range [{begin}, {end}) is not aligned to its largest subtree")
    nodes: list[NodeId] = []
    for level in range(top, -1, -1):
        if count >> level & 1:
            nodes.append(NodeId(level, begin >> level))
            begin += 1 << level
    return tuple(nodes)


def peak_nodes(size: int) -> list[NodeId]:
    """Return the complete subtrees that make up a tree of ``size`` leaves, left to right."""
    if size < 0:
        raise ProofError(f"tree size {size} is negative")
    return list(_range_nodes(0, size))


def _split(count: int) -> int:
    """Return the largest power of two strictly below ``count`` (which must be at least 2)."""
    return 1 << ((count - 1).bit_length() - 1)


def inclusion_proof_nodes(index: int, size: int) -> ProofPlan:
    """Plan the RFC 6962 inclusion proof (PATH) of leaf ``index`` in a tree of ``size`` leaves."""
    if size <= 0 or not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    # Walk RFC 6962's PATH recursion from the root down; the proof lists the
    # siblings bottom-up, so the walk is reversed at the end.
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            ranges.append((mid, hi))
            hi = mid
        else:
            ranges.append((lo, mid))
            lo = mid
    ranges.reverse()
    return ProofPlan(tuple(_range_nodes(b, e) for b, e in ranges))


def _peak_of(index: int, size: int) -> tuple[int, int]:
    """Return (position, level) of the peak of the tree of ``size`` leaves holding ``index``.

    Above the highest bit where ``index`` and ``size`` differ both agree, so ``index`` lies
    in the peak of that level; the peaks to its left are the set bits of ``size`` above it.
    """
    level = (index ^ size).bit_length() - 1
    return (size >> (level + 1)).bit_count(), level


def inclusion_proofs_nodes(indices: Iterable[int], size: int) -> set[NodeId]:
    """Every stored node :func:`build_inclusion_proofs` needs for these leaves of ``size``.

    Each proof is the leaf's siblings inside its peak, then the fold of the peaks to its
    right and the peaks to its left: the tree's peaks plus the in-peak siblings.
    """
    wanted = set(peak_nodes(size))
    for index in indices:
        if not 0 <= index < size:
            raise ProofError(f"leaf index {index} is not in a tree of size {size}")
        _position, top = _peak_of(index, size)
        wanted.update(NodeId(level, (index >> level) ^ 1) for level in range(top))
    return wanted


def build_inclusion_proofs(
    indices: Sequence[int], size: int, hashes: Mapping[tuple[int, int], bytes]
) -> list[list[bytes]]:
    """The RFC 6962 inclusion proofs of many leaves of one tree, in one pass.

    ``hashes`` holds at least :func:`inclusion_proofs_nodes` (level-0 nodes are leaf
    hashes). Equal to :func:`build_proof` of :func:`inclusion_proof_nodes` for each leaf,
    but the folds of the tree's right edge are computed once for all leaves instead of once
    per leaf, which makes whole-ledger exports cheap.
    """
    by_level: list[dict[int, bytes]] = [{} for _ in range(max(size, 1).bit_length())]
    for (level, index), value in hashes.items():
        if level < len(by_level):
            by_level[level][index] = value
    return build_inclusion_proofs_by_level(indices, size, by_level)


def build_inclusion_proofs_by_level(
    indices: Sequence[int], size: int, by_level: Sequence[Mapping[int, bytes]]
) -> list[list[bytes]]:
    """:func:`build_inclusion_proofs` from hashes already grouped by level (``by_level[L]``
    maps an index to the hash of node (L, index)): what a whole-tree read returns."""
    peaks = peak_nodes(size)
    if len(by_level) < (len(peaks) and peaks[0].level + 1):
        raise ProofError(f"no stored hash for node {peaks[0]}")
    try:
        peak_hashes = [by_level[peak.level][peak.index] for peak in peaks]
    except KeyError:
        missing = [p for p in peaks if p.index not in by_level[p.level]]
        raise ProofError(f"no stored hash for node {missing[0]}") from None
    for peak, value in zip(peaks, peak_hashes, strict=True):
        _check_hash(f"stored hash for node {peak}", value)
    # rights[j]: the RFC 6962 hash of peaks j, j+1, ... (the right edge below the root).
    rights = list(peak_hashes)
    for position in range(len(peaks) - 2, -1, -1):
        rights[position] = _sha256(
            _NODE_PREFIX + peak_hashes[position] + rights[position + 1]
        ).digest()
    last = len(peaks) - 1
    proofs: list[list[bytes]] = []
    for index in indices:
        if not 0 <= index < size:
            raise ProofError(f"leaf index {index} is not in a tree of size {size}")
        position, top = _peak_of(index, size)
        try:
            proof = [by_level[level][(index >> level) ^ 1] for level in range(top)]
        except KeyError:
            level = next(d for d in range(top) if (index >> d) ^ 1 not in by_level[d])
            raise ProofError(
                f"no stored hash for node {NodeId(level, (index >> level) ^ 1)}"
            ) from None
        if position < last:
            proof.append(rights[position + 1])
        proof.extend(reversed(peak_hashes[:position]))
        proofs.append(proof)
    return proofs


def consistency_proof_nodes(size1: int, size2: int) -> ProofPlan:
    """Plan the RFC 6962 consistency proof (PROOF) from a tree of ``size1`` to one of ``size2``."""
    if size1 <= 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if size1 > size2:
        raise ProofError(f"size1 {size1} is greater than size2 {size2}")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size2
    whole = True
    # RFC 6962 SUBPROOF, unrolled from the root down and reversed at the end;
    # ``whole`` is its flag b: the old tree's root is left out of the proof
    # only while the walk has stayed on the tree's left edge.
    while size1 != hi:
        mid = lo + _split(hi - lo)
        if size1 <= mid:
            ranges.append((mid, hi))
            hi = mid
        else:
            ranges.append((lo, mid))
            lo = mid
            whole = False
    if not whole:
        ranges.append((lo, hi))
    ranges.reverse()
    return ProofPlan(tuple(_range_nodes(b, e) for b, e in ranges))


def root_plan(size: int) -> ProofPlan:
    """Plan the root of a tree of ``size`` leaves from its peaks (no nodes for the empty tree)."""
    peaks = tuple(peak_nodes(size))
    return ProofPlan((peaks,) if peaks else ())


# A NodeId equals and hashes as its (level, index) tuple, so storage may key hashes by either.
NodeHashes = Mapping[NodeId, bytes] | Mapping[tuple[int, int], bytes]


def _fold(element: tuple[NodeId, ...], hashes: NodeHashes) -> bytes:
    """Return the RFC 6962 hash of a largest-first run of complete subtrees."""
    result = b""
    for node in reversed(element):
        try:
            value = hashes[node]
        except KeyError:
            raise ProofError(f"no stored hash for node {node}") from None
        if len(value) != HASH_SIZE:
            raise ProofError(f"stored hash for node {node} has {len(value)} bytes")
        result = value if not result else _sha256(_NODE_PREFIX + value + result).digest()
    return result


def build_proof(plan: ProofPlan, hashes: NodeHashes) -> list[bytes]:
    """Combine the fetched hashes of ``plan.nodes`` into the proof's hashes, in proof order."""
    return [_fold(element, hashes) for element in plan.elements]


def root_from(plan: ProofPlan, hashes: NodeHashes) -> bytes:
    """Return the root hash planned by :func:`root_plan` from the fetched peak hashes."""
    if not plan.elements:
        return EMPTY_ROOT
    if len(plan.elements) != 1:
        raise ProofError("not a root plan: a root is a single element")
    return _fold(plan.elements[0], hashes)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the RFC 6962 Merkle tree hash (MTH) of the given leaf hashes, recursively."""

    def mth(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return leaf_hashes[lo]
        mid = lo + _split(hi - lo)
        return node_hash(mth(lo, mid), mth(mid, hi))

    if not leaf_hashes:
        return EMPTY_ROOT
    return mth(0, len(leaf_hashes))


class CompactRange:
    """The peaks of a tree of ``size`` leaves, extended one leaf at a time.

    Mutable on purpose: it is the accumulator of an append run, not a value.
    """

    __slots__ = ("_peaks", "_size")

    def __init__(self, size: int = 0, peaks: Sequence[bytes] = ()) -> None:
        """Start from a tree of ``size`` leaves with the hashes of its :func:`peak_nodes`."""
        if size < 0:
            raise ProofError(f"tree size {size} is negative")
        if len(peaks) != size.bit_count():
            raise ProofError(
                f"a tree of size {size} has {size.bit_count()} peaks, got {len(peaks)}"
            )
        for peak in peaks:
            _check_hash("peak hash", peak)
        self._size = size
        self._peaks = list(peaks)

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    def peaks(self) -> list[tuple[NodeId, bytes]]:
        """Return the current peaks, left to right, with their node ids."""
        return list(zip(peak_nodes(self._size), self._peaks, strict=True))

    def append(self, leaf_hash: bytes) -> list[tuple[NodeId, bytes]]:
        """Add one leaf hash; return the complete nodes of level >= 1 it closes, lowest first."""
        if len(leaf_hash) != HASH_SIZE:
            raise ProofError(f"leaf hash has {len(leaf_hash)} bytes, want {HASH_SIZE}")
        closed: list[tuple[NodeId, bytes]] = []
        peaks = self._peaks
        size = self._size
        value = leaf_hash
        level = 0
        # Each set low bit of the old size is a peak of that level that the new
        # leaf completes into a parent; the parent of leaf n at level L is n >> L.
        while size >> level & 1:
            value = _sha256(_NODE_PREFIX + peaks.pop() + value).digest()
            level += 1
            closed.append((NodeId(level, self._size >> level), value))
        peaks.append(value)
        self._size += 1
        return closed

    def extend(self, leaf_hashes: Iterable[bytes]) -> list[tuple[NodeId, bytes]]:
        """Append every leaf hash in order; return all the complete nodes closed, in order."""
        closed: list[tuple[NodeId, bytes]] = []
        for value in leaf_hashes:
            closed.extend(self.append(value))
        return closed

    def root(self) -> bytes:
        """Return the root hash of the tree so far (``EMPTY_ROOT`` when it has no leaves)."""
        if not self._peaks:
            return EMPTY_ROOT
        peaks = self._peaks
        result = peaks[-1]
        for peak in reversed(peaks[:-1]):
            result = _sha256(_NODE_PREFIX + peak + result).digest()
        return result


def _check_hash(what: str, value: bytes) -> None:
    """Refuse a hash that is not exactly ``HASH_SIZE`` bytes."""
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} has {len(value)} bytes, want {HASH_SIZE}")


def _inclusion_shape(index: int, size: int) -> tuple[int, int]:
    """Split the proof length for leaf ``index`` of ``size`` into (inner, border) parts.

    Inner hashes lie below the point where the paths to ``index`` and to the
    last leaf part; border hashes are the left siblings above it.
    """
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Return the root that an inclusion proof of ``leaf_hash`` at ``index`` implies (RFC 9162)."""
    if size <= 0 or not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    _check_hash("leaf hash", leaf_hash)
    inner, border = _inclusion_shape(index, size)
    if len(proof) != inner + border:
        raise ProofError(
            f"inclusion proof has {len(proof)} hashes, want {inner + border} "
            f"for leaf {index} of {size}"
        )
    for position, value in enumerate(proof):
        _check_hash(f"proof hash {position}", value)
    result = leaf_hash
    for position in range(inner):
        if index >> position & 1:
            result = node_hash(proof[position], result)
        else:
            result = node_hash(result, proof[position])
    for value in proof[inner:]:
        result = node_hash(value, result)
    return result


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``."""
    _check_hash("root hash", root)
    calculated = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if calculated != root:
        raise ProofError(f"inclusion proof for leaf {index} of {size} does not match the root")


def root_from_consistency_proof(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> bytes:
    """Check a consistency proof against ``root1``; return the ``size2`` root it implies (RFC 9162).

    Equal sizes need an empty proof and imply ``root1`` unchanged. A proof from
    the empty tree is refused: it would prove nothing.
    """
    if size1 < 0 or size2 < 0:
        raise ProofError(f"tree sizes {size1} and {size2} must not be negative")
    if size1 > size2:
        raise ProofError(f"size1 {size1} is greater than size2 {size2}")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise ProofError(f"sizes are equal but the proof has {len(proof)} hashes")
        return root1
    if not proof:
        raise ProofError(f"consistency proof from {size1} to {size2} is empty")
    _check_hash("root1", root1)
    for position, value in enumerate(proof):
        _check_hash(f"proof hash {position}", value)

    inner, border = _inclusion_shape(size1 - 1, size2)
    # The old tree's rightmost peak, of 2**shift leaves, is where both paths start.
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    if size1 == 1 << shift:
        # The old tree is that peak itself, so its root is the seed, not in the proof.
        seed, start = root1, 0
    else:
        seed, start = proof[0], 1
    if len(proof) != start + inner + border:
        raise ProofError(
            f"consistency proof has {len(proof)} hashes, want {start + inner + border} "
            f"from {size1} to {size2}"
        )
    path = proof[start:]
    mask = (size1 - 1) >> shift
    hash1 = hash2 = seed
    for position in range(inner):
        value = path[position]
        if mask >> position & 1:
            hash1 = node_hash(value, hash1)
            hash2 = node_hash(value, hash2)
        else:
            # A right sibling was added after size1: only the new tree has it.
            hash2 = node_hash(hash2, value)
    for value in path[inner:]:
        hash1 = node_hash(value, hash1)
        hash2 = node_hash(value, hash2)
    if hash1 != root1:
        raise ProofError(f"consistency proof from {size1} to {size2} does not match root1")
    return hash2


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` with ``root2`` extends the one of ``size1`` with ``root1``.

    For equal sizes the roots are only compared, as RFC 9162 and
    transparency-dev/merkle do; otherwise every hash must be 32 bytes.
    """
    calculated = root_from_consistency_proof(size1, size2, proof, root1)
    if size1 != size2:
        _check_hash("root2", root2)
    if calculated != root2:
        raise ProofError(f"consistency proof from {size1} to {size2} does not match root2")
