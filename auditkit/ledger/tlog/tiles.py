"""C2SP tlog-tiles (c2sp.org/tlog-tiles): tile coordinates, paths and entry bundles (pure).

A hash tile at level ``L`` and index ``N`` holds up to 256 hashes; hash ``i`` is the
Merkle Tree Hash of leaves ``[(N*256+i) * 256**L, (N*256+i+1) * 256**L)``, which is the
RFC 6962 subtree auditkit stores as Merkle node (level ``8*L``, index ``N*256+i``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from auditkit.errors import AuditkitError

__all__ = [
    "MAX_ENTRY_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TilePathError",
    "TileRef",
    "decode_bundle",
    "encode_bundle",
    "encode_index",
    "parse_tile_path",
    "tiles_for_size",
]

TILE_HEIGHT = 8
"""Levels of the Merkle tree one tile spans (the spec fixes it at 8)."""

TILE_WIDTH = 1 << TILE_HEIGHT
"""Hashes (or entries) in a full tile: 256."""

MAX_ENTRY_SIZE = 0xFFFF
"""Largest entry an entry bundle can carry: its length prefix is a big-endian uint16."""

MAX_LEVEL = 63

_LEVEL = r"(?:0|[1-9][0-9]?)"
_INDEX = r"(?:x[0-9]{3}/)*[0-9]{3}"
_WIDTH = r"(?:[1-9][0-9]{0,2})"
_PATH = re.compile(
    rf"tile/(?P<level>{_LEVEL}|entries)/(?P<index>{_INDEX})(?:\.p/(?P<width>{_WIDTH}))?"
)


class TilePathError(AuditkitError):
    """A tile path that the spec does not allow (the web answers 404)."""


@dataclass(frozen=True, order=True)
class TileRef:
    """One hash tile (``level`` 0..63) or entry bundle (``level`` None), full or partial."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    @property
    def is_entries(self) -> bool:
        """Whether this is an entry bundle rather than a hash tile."""
        return self.level is None

    @property
    def partial(self) -> bool:
        """Whether the tile holds fewer than 256 hashes (its path has ``.p/<W>``)."""
        return self.width < TILE_WIDTH

    @property
    def node_level(self) -> int:
        """The RFC 6962 level of the subtrees this tile's hashes are (0 for bundles)."""
        return TILE_HEIGHT * (self.level or 0)

    @property
    def first(self) -> int:
        """Index of its first hash among the nodes at :attr:`node_level`."""
        return self.index * TILE_WIDTH

    @property
    def end_leaf(self) -> int:
        """One past the last leaf this tile's hashes cover: the tree size it needs."""
        return (self.first + self.width) << self.node_level

    def path(self) -> str:
        """The resource path below the log prefix, e.g. ``tile/0/x001/234.p/7``."""
        level = "entries" if self.level is None else str(self.level)
        suffix = f".p/{self.width}" if self.partial else ""
        return f"tile/{level}/{encode_index(self.index)}{suffix}"


def encode_index(index: int) -> str:
    """The spec's path encoding of a tile index: 3-digit groups, all but the last ``x``-prefixed."""
    if index < 0:
        raise TilePathError(f"tile index {index} is negative")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def parse_tile_path(path: str) -> TileRef:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]``, refusing other spellings."""
    match = _PATH.fullmatch(path)
    if match is None:
        raise TilePathError(f"{path!r} is not a tlog-tiles path")
    level_text, width_text = match["level"], match["width"]
    level = None if level_text == "entries" else int(level_text)
    if level is not None and level > MAX_LEVEL:
        raise TilePathError(f"{path!r}: tile level {level} is above {MAX_LEVEL}")
    index = int(match["index"].replace("x", "").replace("/", ""))
    width = TILE_WIDTH if width_text is None else int(width_text)
    if width_text is not None and width >= TILE_WIDTH:
        raise TilePathError(f"{path!r}: a partial tile is 1 to 255 wide")
    ref = TileRef(level, index, width)
    if ref.path() != path:  # leading zero groups ("x000/001") are another spelling
        raise TilePathError(f"{path!r} is not the canonical spelling {ref.path()!r}")
    return ref


def tiles_for_size(size: int) -> Iterator[TileRef]:
    """Every hash tile of a tree of ``size`` leaves (full ones, then the partial one, per level)."""
    level = 0
    while True:
        count = size >> (TILE_HEIGHT * level)  # hashes at this tile level
        if count == 0:
            return
        full, rest = divmod(count, TILE_WIDTH)
        for index in range(full):
            yield TileRef(level, index)
        if rest:
            yield TileRef(level, full, rest)
        level += 1


def bundles_for_size(size: int) -> Iterator[TileRef]:
    """Every entry bundle of a tree of ``size`` leaves."""
    full, rest = divmod(size, TILE_WIDTH)
    for index in range(full):
        yield TileRef(None, index)
    if rest:
        yield TileRef(None, full, rest)


def encode_bundle(entries: list[bytes], *, first_seq: int) -> bytes:
    """An entry bundle: each entry's exact bytes behind a 2-byte big-endian length."""
    parts = []
    for offset, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise TilePathError(
                f"seq {first_seq + offset} is {len(entry)} bytes, over the {MAX_ENTRY_SIZE} "
                "bytes an entry bundle can carry"
            )
        parts.append(len(entry).to_bytes(2, "big") + entry)
    return b"".join(parts)


def decode_bundle(data: bytes) -> list[bytes]:
    """Split an entry bundle back into entries; refuse a truncated one."""
    entries, offset = [], 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise TilePathError("entry bundle ends inside a length prefix")
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise TilePathError("entry bundle ends inside an entry")
        entries.append(data[offset : offset + length])
        offset += length
    return entries
