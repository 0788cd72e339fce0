"""Unique visitors without identifiers: a daily salt, a keyed hash, a mergeable sketch.

A visitor is ``blake2b(address, user agent, site)`` keyed with that day's salt, cut to
64 bits, and fed into a HyperLogLog sketch (Apache DataSketches). The salt is random,
lives only in this process's memory and is never written anywhere, as Plausible does;
once it is gone nobody, keepfaith included, can recompute a visitor's key from an
address. The sketch keeps only register maxima of those keys, so it cannot be joined to
anyone either, yet sketches of the same day union exactly across files and machines.

Statistics from several ingestions union exactly when they were hashed under the same
day's salt (one ``Memory`` for the whole run). Under different salts the same person
counts once per salt, so the union is an upper bound.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

import datasketches

LG_K = 14
"""Sketch size: 2**14 registers, about 0.8% standard error, 16 KiB at most per day."""


class Memory:
    """What lives only in memory while a day's logs are processed, and is never stored.

    The day's salts (derived from one random root, so worker processes can derive the
    same ones without knowing the days in advance) and, per day, the page each visitor
    is on, from which page sequences and time on page are counted. Pass the same
    ``Memory`` to several ingestions to merge them exactly; drop it (or ``forget()``)
    and the keys can never be recomputed.
    """

    def __init__(self) -> None:
        self._root = secrets.token_bytes(32)
        self.sessions: dict[dt.date, dict[int, tuple[str, int]]] = {}
        """Per day: visitor key -> (page, second of the day) of their last page view."""

    def salt(self, day: dt.date) -> bytes:
        """The salt of ``day``, while the salts are held."""
        if not self._root:
            raise ValueError("the salts are gone")
        return day_salt(self._root, day)

    def forget(self) -> None:
        """Drop every salt and session: keys computed so far can no longer be recomputed."""
        self._root = b""
        self.sessions.clear()

    def secret(self) -> bytes:
        """The in-memory root, to hand to worker processes (never to storage)."""
        return self._root


def day_salt(root: bytes, day: dt.date) -> bytes:
    """The salt of ``day`` derived from a run's random root."""
    return hashlib.blake2b(day.isoformat().encode(), key=root, digest_size=32).digest()


def visitor_key(salt: bytes, address: bytes, agent: bytes, site: bytes) -> int:
    """A signed 64-bit key for one visitor on one day, meaningless without the salt."""
    return keyer(salt)((address, agent, site))


def keyer(salt: bytes) -> Callable[[tuple[bytes, ...]], int]:
    """``visitor_key`` for one day as a function of ``(address, agent, site)``, with the
    keyed hash state prepared once (copying it skips hashing the key per visitor)."""
    keyed = hashlib.blake2b(key=salt, digest_size=8)
    join = b"\0".join
    from_bytes = int.from_bytes

    def key(person: tuple[bytes, ...]) -> int:
        state = keyed.copy()
        state.update(join(person))
        return from_bytes(state.digest(), "little", signed=True)

    return key


def new_sketch() -> datasketches.hll_sketch:
    return datasketches.hll_sketch(LG_K, datasketches.HLL_8)


def merge(*sketches: bytes | datasketches.hll_sketch | None) -> datasketches.hll_sketch:
    """The union of serialized or live sketches (``None`` is skipped)."""
    union = datasketches.hll_union(LG_K)
    for sketch in sketches:
        if sketch is None:
            continue
        union.update(
            datasketches.hll_sketch.deserialize(sketch) if isinstance(sketch, bytes) else sketch
        )
    return union.get_result(datasketches.HLL_8)


def estimate(sketch: bytes | None) -> int:
    """Estimated distinct visitors in a serialized sketch."""
    if not sketch:
        return 0
    return round(float(datasketches.hll_sketch.deserialize(sketch).get_estimate()))


def serialize(sketch: datasketches.hll_sketch) -> bytes:
    return bytes(sketch.serialize_compact())
