"""Unique visitors without identifiers: a daily salt, a keyed hash, a mergeable sketch.

A visitor is ``blake2b(address, user agent, site)`` keyed with that day's salt, cut to
64 bits, and fed into a HyperLogLog sketch (Apache DataSketches). The salt is random,
lives only in this process's memory and is never written anywhere, as Plausible does;
once it is gone nobody, keepfaith included, can recompute a visitor's key from an
address. The sketch keeps only register maxima of those keys, so it cannot be joined to
anyone either, yet sketches of the same day union exactly across files and machines.

Statistics from several ingestions union exactly when they were hashed under the same
day's salt (one ``Memory`` for the whole run). Under different salts the same person
counts once per salt, so the union is an upper bound; people seen by one machine only
(a load balancer that keeps each client on one server) union exactly all the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import NamedTuple

import numpy

LIMIT = 200_000
"""Pages numbered before the numbers are compacted to those of open visits."""


class Names:
    """Strings numbered in the order they are first met (0, 1, ...)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names: list[str] = []
        self.numbers: dict[str, int] = {}
        for name in names:
            self.number(name)

    def __len__(self) -> int:
        return len(self.names)

    def number(self, name: str) -> int:
        found = self.numbers.get(name)
        if found is None:
            found = self.numbers[name] = len(self.names)
            self.names.append(name)
        return found


class Views(NamedTuple):
    """Each visitor's last page view of a day: keys in ascending order, with the page's
    number (``Memory.pages``) and the second of the day of their last view."""

    keys: numpy.ndarray
    pages: numpy.ndarray
    seconds: numpy.ndarray


_NO_VIEWS = Views(
    numpy.empty(0, numpy.int64), numpy.empty(0, numpy.int64), numpy.empty(0, numpy.int64)
)


class Memory:
    """What lives only in memory while a day's logs are processed, and is never stored.

    The day's salts (derived from one random root, so one run derives the same salt for
    a day whichever file it meets the day in) and, per day, the page each visitor is on,
    from which page sequences and time on page are counted. Pass the same ``Memory`` to
    several ingestions to merge them exactly; drop it (or ``forget()``) and the keys can
    never be recomputed.
    """

    def __init__(self) -> None:
        self._root = secrets.token_bytes(32)
        self._salts: dict[dt.date, bytes] = {}
        self.sessions: dict[dt.date, Views] = {}
        """Per day: visitor key, page and second of the day of their last page view."""
        self.pages = Names()
        """The pages of page views, numbered: visits are counted on the numbers."""
        self.generation = 0
        """Counts the times the page numbers changed (``compact``)."""

    def salt(self, day: dt.date) -> bytes:
        """The salt of ``day``, while the salts are held."""
        if not self._root:
            raise ValueError("the salts are gone")
        salt = self._salts.get(day)
        if salt is None:
            salt = self._salts[day] = day_salt(self._root, day)
        return salt

    def forget(self) -> None:
        """Drop every salt and session: keys computed so far can no longer be recomputed."""
        self._root = b""
        self._salts.clear()
        self.sessions.clear()

    def last_views(self, day: dt.date) -> Views:
        return self.sessions.get(day, _NO_VIEWS)

    def remember(self, day: dt.date, lasts: Views) -> None:
        """Keep ``lasts`` (distinct keys) as the visitors' last views of ``day``, over
        those remembered; forget days more than one day older than the newest (visits
        do not span days by much)."""
        known = self.last_views(day)
        if len(known.keys):
            keys = numpy.concatenate([lasts.keys, known.keys])
            kept = numpy.unique(keys, return_index=True)[1]  # the first: ``lasts``' own
            lasts = Views(
                keys[kept],
                numpy.concatenate([lasts.pages, known.pages])[kept],
                numpy.concatenate([lasts.seconds, known.seconds])[kept],
            )
        else:
            order = numpy.argsort(lasts.keys)
            lasts = Views(lasts.keys[order], lasts.pages[order], lasts.seconds[order])
        self.sessions[day] = lasts
        newest = max(self.sessions)
        for old in [d for d in self.sessions if (newest - d).days > 1]:
            del self.sessions[old]

    def compact(self) -> None:
        """Number again only the pages open visits are on, if there are too many."""
        if len(self.pages) <= LIMIT:
            return
        used = [views.pages for views in self.sessions.values()]
        distinct, where = numpy.unique(
            numpy.concatenate(used) if used else numpy.empty(0, numpy.int64), return_inverse=True
        )
        self.pages = Names(self.pages.names[n] for n in distinct.tolist())
        start = 0
        for day, views in list(self.sessions.items()):
            end = start + len(views.pages)
            self.sessions[day] = views._replace(pages=where[start:end].astype(numpy.int64))
            start = end
        self.generation += 1


def day_salt(root: bytes, day: dt.date) -> bytes:
    """The salt of ``day`` derived from a run's random root."""
    return hashlib.blake2b(day.isoformat().encode(), key=root, digest_size=32).digest()


def keys(salt: bytes, people: Iterable[bytes]) -> numpy.ndarray:
    """Signed 64-bit keys of people for one day, each given as the bytes of
    ``address NUL agent NUL site``, meaningless without the salt. The keyed hash state is
    prepared once and copied per person, which spares hashing the key each time."""
    copy = hashlib.blake2b(key=salt, digest_size=8).copy
    digests: list[bytes] = []
    keep = digests.append
    for person in people:
        state = copy()
        state.update(person)
        keep(state.digest())
    return numpy.frombuffer(b"".join(digests), dtype="<i8").astype(numpy.int64)
